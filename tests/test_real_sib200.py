"""Real model, real data (slow): the real multilingual encoder (../shared/tools/real-model) trained on SIB-200's
English train set, selected on its English dev set, evaluated zero-shot on the 16 varieties of ../shared/data/sib200
converted from the release's files; it beats the majority-class baseline on the high-resource varieties. Prints the
per-variety table and writes it (sib200_per_variety.md in the run's folder)."""
import json
import time
from collections import Counter

import pytest

import prepare_data
import run_target
from utils.data import read_jsonl
from utils.languages import cc100_gib, get_language

pytestmark = pytest.mark.slow

STEPS = 40  # of 16 English sentences (under an epoch of the 701), frozen embeddings: short on a CPU
MAX_LENGTH = 40  # tokens of a sentence: enough for its topic, and short on a CPU
HIGH_RESOURCE_GIB = 10.0  # "high-resource": at least this much CC-100 text (XLM-R's pretraining data, the registry's)


def test_real_model_learns_sib200_zero_shot(real_model_dir, shared_data, tmp_path):
    data, out = tmp_path / "data", tmp_path / "run"
    source = shared_data / "sib200"
    for raw, split in (("train", "train"), ("dev", "validation"), ("test", "test")):
        prepare_data.main(["--from_raw", "sib200_tsv", "--input", str(source / "eng_Latn" / f"{raw}.tsv"), "--task",
                           "sib200", "--split", split, "--lang", "eng_Latn", "--out", str(data)])
    varieties = sorted(p.name for p in source.iterdir() if p.name != "eng_Latn")
    for code in varieties:
        prepare_data.main(["--from_raw", "sib200_tsv", "--input", str(source / code / "test.tsv"), "--task", "sib200",
                           "--split", "test", "--lang", code, "--out", str(data)])
    started = time.time()
    run_target.main(["--task", "sib200", "--model_name_or_path", str(real_model_dir), "--data_dir", str(data),
                     "--languages", ",".join(["eng_Latn", *varieties]), "--output_dir", str(out),
                     "--max_seq_length", str(MAX_LENGTH), "--max_steps", str(STEPS),
                     "--per_device_train_batch_size", "16", "--gradient_accumulation_steps", "1",
                     "--learning_rate", "2e-4", "--eval_strategy", "steps", "--eval_steps", str(STEPS),
                     "--per_device_eval_batch_size", "128", "--freeze_embeddings", "--use_cpu", "--seed", "1"])
    seconds = time.time() - started
    per_language = json.loads((out / "metrics.json").read_text())["per_language"]
    gold = Counter(row["label"] for row in read_jsonl(data / "sib200" / "test-en.jsonl"))
    majority = 100 * max(gold.values()) / sum(gold.values())  # the same sentences, so labels, in every variety
    lines = ["| variety | name | CC-100 GiB | accuracy | macro F1 |", "|---|---|---|---|---|"]
    for code in ["en", *varieties]:
        scores = per_language[code]["test"]
        gib = cc100_gib(code)
        lines.append(f"| {code} | {get_language(code).name} | {'–' if gib is None else gib} | "
                     f"{scores['accuracy']:.1f} | {scores['macro_f1']:.1f} |")
    table = "\n".join(lines + [f"\nmajority-class baseline {majority:.1f} (every variety's 204 test sentences, sorted "
                               f"by category in the release: evaluate all of them); real model, {STEPS} steps of 16, "
                               f"{MAX_LENGTH} tokens, {seconds:.0f} s on CPU"])
    (out / "sib200_per_variety.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table)
    high = [code for code in varieties if (cc100_gib(code) or 0) >= HIGH_RESOURCE_GIB]
    assert len(high) >= 5, high
    assert per_language["en"]["test"]["accuracy"] > majority + 20  # English, trained on: well above it
    below = {code: per_language[code]["test"]["accuracy"] for code in high
             if per_language[code]["test"]["accuracy"] <= majority}
    assert not below, f"at or below the majority baseline ({majority:.1f}): {below}"
