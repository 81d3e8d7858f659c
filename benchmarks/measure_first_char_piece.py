#!/usr/bin/env python
"""--label_first_char_piece on zero-shot Chinese and Japanese UD POS. Trains UDPOS on English EWT with the real
model (its first 6 layers, embeddings frozen, 150 steps: about 10 minutes on 2 CPU cores) once without the option
(XTREME's labelling: a word's label on its first sub-word, for most zh/ja words a bare "\u2581" piece) and once
with it, and evaluates the zh and ja PUD test sets; also the first model read out with the option (trained as
XTREME, each word's prediction read from its first piece with characters).
Prints word accuracy and XTREME's POS F1 per language.

    python benchmarks/measure_first_char_piece.py [--out DIR] [--steps 150] [--layers 6] [--eval_sentences 500]

Needs ../shared (data/udpos and tools/real-model). A finished run in --out is reused (DONE).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FILES = {("train", "en"): "en_ewt-ud-train.conllu", ("validation", "en"): "en_ewt-ud-dev.conllu",
         ("test", "zh"): "zh_pud-ud-test.conllu", ("test", "ja"): "ja_pud-ud-test.conllu"}


def seqeval_f1(gold, predicted):
    import warnings
    from seqeval.metrics import f1_score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # POS tags are not IOB tags: seqeval says so
        return f1_score(gold, predicted)


def python(*args):
    subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, check=True)


def shallow(model, layers, directory):
    """The model cut to its first `layers` layers: its files linked, the config saying fewer layers (loading
    ignores the weights of the layers beyond), as tests/test_tagging.py's shallow_model."""
    config = json.loads((model / "config.json").read_text())
    if layers >= config["num_hidden_layers"]:
        return model
    directory.mkdir(parents=True, exist_ok=True)
    for item in model.iterdir():
        if item.name != "config.json" and not (directory / item.name).exists():
            (directory / item.name).symlink_to(item)
    (directory / "config.json").write_text(json.dumps({**config, "num_hidden_layers": layers}))
    return directory


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="work folder (default: a new temporary one)")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--train_sentences", type=int, default=2400)
    parser.add_argument("--eval_sentences", type=int, default=500, help="per test language (PUD: 1000)")
    parser.add_argument("--layers", type=int, default=6, help="the real model's first N layers (it has 12)")
    parser.add_argument("--model", default=None, help="default: the model ../shared/tools/real-model builds")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="first-char-piece-"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    real = args.model or subprocess.run([str(SHARED / "tools" / "real-model")], check=True, capture_output=True,
                                        text=True, env=env).stdout.strip().splitlines()[-1]
    model = shallow(Path(real), args.layers, out / f"model-{args.layers}-layers")
    data = out / "data"
    for (split, lang), name in FILES.items():
        if not (data / "udpos" / f"{split}-{lang}.jsonl").is_file():
            python("prepare_data.py", "--from_raw", "conllu", "--input", SHARED / "data" / "udpos" / name,
                   "--task", "udpos", "--split", split, "--lang", lang, "--out", data)
    common = ["--task", "udpos", "--data_dir", data, "--languages", "zh,ja", "--freeze_embeddings",
              "--max_train_samples", args.train_sentences, "--max_eval_samples", args.eval_sentences,
              "--max_steps", args.steps, "--eval_strategy", "no", "--load_best_model_at_end", "false",
              "--save_strategy", "steps", "--save_steps", args.steps, "--keep_checkpoints",
              "--per_device_train_batch_size", "16", "--gradient_accumulation_steps", "1",
              "--per_device_eval_batch_size", "64", "--learning_rate", "1e-4",
              "--max_seq_length", "64", "--logging_steps", "50", "--use_cpu", "--dataloader_num_workers", "0",
              "--seed", "1"]
    option = ["--label_first_char_piece"]
    runs = [  # (row, folder, model, extra flags)
        ("off (XTREME)", "off", model, []),
        ("on", "on", model, option),
        ("off-trained, read on", "off-read-on", out / "off" / f"checkpoint-{args.steps}", ["--do_eval", *option]),
    ]
    table = {}
    for row, folder, model_path, extra in runs:
        started = time.time()
        python("run_target.py", "--model_name_or_path", model_path, "--output_dir", out / folder, *common, *extra)
        per_language = json.loads((out / folder / "metrics.json").read_text())["per_language"]
        scores = {lang: dict(per_language[lang]["test"]) for lang in ("zh", "ja")}
        for lang in scores:  # the same predictions under seqeval 1.2.2's chunking (CCONJ = SCONJ), for comparison
            records = [json.loads(line) for line in open(out / folder / "predictions" / "udpos" / f"test-{lang}.jsonl")]
            scores[lang]["f1_122"] = 100 * seqeval_f1([r["label"] for r in records], [r["prediction"] for r in records])
        table[row] = (scores, time.time() - started)

    print(f"\nUDPOS zero-shot from English EWT ({args.train_sentences} sentences, {args.steps} steps of 16, frozen "
          f"embeddings, {args.layers} layers of {real}); {args.eval_sentences} PUD test sentences per language")
    print("F1 = XTREME's (seqeval 0.0.12 chunking); F1' = the same predictions under seqeval 1.2.2")
    header = ["zh acc", "zh F1", "zh F1'", "ja acc", "ja F1", "ja F1'", "seconds"]
    print(f"{'label_first_char_piece':<24}" + "".join(f"{h:>9}" for h in header))
    for name, (scores, seconds) in table.items():
        cells = "".join(f"{scores[lang][m]:9.2f}" for lang in ("zh", "ja") for m in ("accuracy", "f1", "f1_122"))
        print(f"{name:<24}{cells}{seconds:9.0f}")
    print(f"(runs in {out})")


if __name__ == "__main__":
    main()
