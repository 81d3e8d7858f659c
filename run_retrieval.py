#!/usr/bin/env python
"""Evaluate an encoder, with no training, on sentence retrieval, as XTREME does: a task of a kind whose script is
run_retrieval.py (tasks/retrieval.py BitextKind), Tatoeba (bitext search: top-1 accuracy, both directions) or BUCC
2018 (bitext mining: margin mining; threshold tuned on validation, applied unchanged to test).

    python run_retrieval.py --task tatoeba --model_name_or_path runs/mnli/encoder --output_dir runs/mnli/tatoeba \
        [--data_dir DIR] [--languages de,fr | deu,fra | xtreme_r] [--layer 14] [--pooling mean|cls] \
        [--max_seq_length 512] [--batch_size 64] [--knn_chunk_size 8192] [--use_faiss] [--overwrite] \
        [--max_eval_samples N (Tatoeba: the first N pairs)]

Writes run_config.json, metrics.json, predictions/<task>/<split>-<lang>.jsonl and DONE (a finished run is skipped
unless --overwrite). Embeddings are cached (--embedding_cache_dir), so a sweep re-encodes nothing twice.
"""
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tasks/ and utils/ live beside this script

from tasks import TASKS, get_task, kind_of, resolve_languages  # noqa: E402
from tasks import retrieval  # noqa: E402
from tasks.preflight import check_retrieval  # noqa: E402
from tasks.runner import needs_run, provenance  # noqa: E402
from utils.args import (DataArguments, InputError, ModelArguments, RetrievalArguments, cli, input_errors,  # noqa: E402
                        parse_args)
from utils.cost import CostMeter  # noqa: E402
from utils.lifecycle import finish_run, run_once  # noqa: E402
from utils.results import metrics_document, run_config, write_json_atomic, write_jsonl_atomic  # noqa: E402

logger = logging.getLogger("run_retrieval")
SCRIPT = Path(__file__).name  # the script of the kinds it runs (Kind.script)


@dataclass
class OutputArguments:
    output_dir: str = field(metadata={"help": "Where run_config.json, metrics.json, predictions/ and DONE go."})


def prepare(argv=None, planned=()):
    """Parse and check everything the run will read (nothing is loaded or written); returns run()'s arguments."""
    with input_errors():
        model_args, data_args, args, out_args = parse_args(ModelArguments, DataArguments, RetrievalArguments,
                                                           OutputArguments, argv=sys.argv[1:] if argv is None else argv)
        spec = get_task(data_args.task or "")
        if kind_of(spec).script != SCRIPT:
            raise InputError(f"--task {spec.name} is not a retrieval task (retrieval: "
                             f"{', '.join(n for n, s in TASKS.items() if kind_of(s).script == SCRIPT)})")
        languages = kind_of(spec).languages(spec, resolve_languages(spec, data_args.languages))
    if needs_run(out_args.output_dir, data_args):
        check_retrieval(spec, languages, model_args, data_args, planned, args.layer, out_args.output_dir)
    return dict(spec=spec, languages=languages, model_args=model_args, data_args=data_args, args=args,
                out_args=out_args)


def run(spec, languages, model_args, data_args, args, out_args):
    """Encode and score every language; the run's lifecycle is every run's (utils/lifecycle.py)."""
    out = Path(out_args.output_dir)
    max_len = data_args.max_seq_length or spec.max_seq_length  # 512 for bucc and tatoeba, as in XTREME
    kind = kind_of(spec)

    def body():
        started = time.time()
        encoder = retrieval.Encoder(model_args.model_name_or_path, args.layer, args.pooling, max_len,
                                    args.batch_size, model_args.tokenizer_name, model_args.cache_dir,
                                    args.embedding_cache_dir, model_args.trust_remote_code,
                                    data_args.encoding_precision, model_args.attn_implementation)
        setting = {"model": model_args.model_name_or_path, "layer": encoder.layer, "layer_rule": encoder.layer_rule,
                   "num_layers": encoder.model.config.num_hidden_layers, "pooling": args.pooling,
                   "max_seq_length": max_len, "margin_k": None, **kind.setting(args),
                   "device": str(encoder.device)}
        device_settings = encoder.settings()
        logger.info("device: %s; encoding in %s, %s attention", device_settings["device"],
                    device_settings["precision"], device_settings["attn_implementation"])
        meter = CostMeter(encoder.model)  # forward passes only (run_config.json "cost")
        config = run_config(model_args, data_args, args, out_args, task=spec.name, **setting,
                            device_settings=device_settings, **provenance(model_args.model_name_or_path))
        write_json_atomic(out / "run_config.json", config)
        per_language = {}
        for lang in languages:
            logger.info("%s %s: layer %d (%s), %s pooling", spec.name, lang, encoder.layer, encoder.layer_rule,
                        args.pooling)
            per_language[lang], records = kind.evaluate_language(spec, lang, encoder, data_args, args)
            for split, rows in records.items():
                write_jsonl_atomic(out / "predictions" / spec.name / f"{split}-{lang}.jsonl", rows)
        document = metrics_document(spec.name, spec.metric, per_language, **setting, retrieval=kind.PROTOCOL,
                                    **kind.notes(data_args), seconds=round(time.time() - started, 1))
        finish_run(out, document, config, started, meter=meter)
        return document

    return run_once(out, body, overwrite=data_args.overwrite)


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
