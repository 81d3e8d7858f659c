#!/usr/bin/env python
"""Evaluate an encoder, with no training, on sentence retrieval: Tatoeba (top-1 accuracy, both directions) or
BUCC 2018 (margin mining; threshold tuned on validation, applied unchanged to test), as XTREME does.

    python run_retrieval.py --task tatoeba --model_name_or_path runs/mnli/encoder --output_dir runs/mnli/tatoeba \
        [--data_dir DIR] [--languages de,fr | deu,fra | xtreme_r] [--layer 14] [--pooling mean|cls] \
        [--max_seq_length 512] [--batch_size 64] [--knn_chunk_size 8192] [--use_faiss] [--overwrite] \
        [--max_eval_samples N (Tatoeba: the first N pairs)]

Writes run_config.json, metrics.json, predictions/<task>/<split>-<lang>.jsonl and DONE (a finished run is skipped
unless --overwrite). Embeddings are cached (--embedding_cache_dir), so a sweep re-encodes nothing twice.
"""
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # engine/, tasks/ and utils/ live beside this script

from engine.retrieval import prepare, run  # noqa: E402,F401  (prepare: pipeline/preflight.py checks a stage with it)
from tasks import get_task  # noqa: E402
from tasks.kinds import kind_of  # noqa: E402
from utils.args import cli  # noqa: E402



def main(argv=None):
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S",
                        level=logging.INFO)
    document = run(**prepare(argv))
    print_summary(document)
    return document


def print_summary(document):
    names = kind_of(get_task(document["task"])).SUMMARY
    print(f"\n{document['task']}: layer {document['layer']} ({document['layer_rule']}), {document['pooling']} "
          f"pooling, max length {document['max_seq_length']}")
    for lang, splits in list(document["per_language"].items()) + [("avg", document["average"])]:
        for split, scores in splits.items():
            print(f"  {lang:>4} {split:<10} " + "  ".join(f"{n} {scores[n]:6.2f}" for n in names if n in scores))


if __name__ == "__main__":
    cli(main, "run_retrieval.py")
