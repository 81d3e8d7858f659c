"""AmericasNLI (tasks/__init__.py `americasnli`): its release's converter (prepare_data.py --from_raw americasnli_tsv)
on the shared files (aym, quy) and on constructed files with the format's edge cases, its codes resolved through the
language registry, and an MNLI intermediate encoder (tiny model) transferring into it through the pipeline."""
import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from conftest import FAST, ROOT, nli_rows, write_jsonl
import prepare_data
from tasks import NLI_LABELS, get_task, resolve_languages
from tasks.classification import americasnli_tsv
from utils.data import read_jsonl

HEADER = "language\tpremise\thypothesis\tlabel\n"


def convert(path, split, lang, out):
    prepare_data.main(["--from_raw", "americasnli_tsv", "--input", str(path), "--task", "americasnli", "--split",
                       split, "--lang", lang, "--out", str(out)])


def test_converter_on_the_release_files(shared_data, tmp_path):
    spec, out = get_task("americasnli"), tmp_path / "data"
    for raw, split in (("dev", "validation"), ("test", "test")):
        for lang in ("aym", "quy"):
            convert(shared_data / "americasnli" / raw / f"{lang}.tsv", split, lang, out)
            rows = read_jsonl(out / "americasnli" / f"{split}-{lang}.jsonl")
            assert len(rows) == spec.official_size(split, lang)
            counts = Counter(row["label"] for row in rows)
            assert set(counts) == set(NLI_LABELS) and max(counts.values()) - min(counts.values()) <= 2
            assert len({row["id"] for row in rows}) == len(rows) and all(row["text_b"] for row in rows)
    convert(shared_data / "americasnli" / "test" / "quy.tsv", "test", "quy_Latn", tmp_path / "by_key")
    assert (tmp_path / "by_key" / "americasnli" / "test-quy.jsonl").is_file()  # written under the task's code


def test_converter_edge_cases(tmp_path):
    spec, path = get_task("americasnli"), tmp_path / "aym.tsv"
    path.write_bytes(("\ufeff" + HEADER + 'aym\tJupax "sanwa".\tYatiñ.\tneutral\r\n\r\n').encode("utf-8"))
    assert list(americasnli_tsv(path, lang="aym", spec=spec)) == \
        [{"id": "aym-1", "text_a": 'Jupax "sanwa".', "text_b": "Yatiñ.", "label": "neutral"}]
    bad = {HEADER.replace("label", "gold_label"): ("aym", r"aym.tsv:1: expected AmericasNLI's header"),
           HEADER + "aym\tP.\tH.\tneutral\nquy\tP.\tH.\tneutral\n":
               ("aym", r"aym.tsv:3: language 'quy', but --lang aym"),
           HEADER + "aym\tP.\tH.\tmaybe\n": ("aym", r"aym.tsv:2: label 'maybe' is not a label of task 'americasnli'"),
           HEADER + "aym\tP.\tH.\n": ("aym", r"aym.tsv:2: expected 4 tab-separated columns"),
           HEADER + "gn\tP.\t\tneutral\n": ("grn_Latn", r"aym.tsv:2: empty hypothesis")}
    for text, (lang, message) in bad.items():
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            list(americasnli_tsv(path, lang=lang, spec=spec))


def test_codes_resolve_through_the_language_registry():
    spec = get_task("americasnli")
    assert resolve_languages(spec, "grn_Latn,aym,quy_Latn") == ["gn", "aym", "quy"]
    with pytest.raises(ValueError, match=r"^--languages: que_Latn not a language of task 'americasnli' \(known: "):
        resolve_languages(spec, "que_Latn")  # XTREME-R's Quechua (que) is not AmericasNLI's Ayacucho Quechua


def test_mnli_encoder_transfers_through_the_pipeline(shared_data, tiny_model_dir, tmp_path):
    """run_pipeline.sh --intermediate mnli --targets americasnli: the MNLI run's encoder is the target's model, and
    the target is evaluated zero-shot on the release's Aymara and Quechua test sets."""
    data, runs = tmp_path / "data", tmp_path / "runs"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(48, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(12, 2))
    for lang in ("aym", "quy"):
        convert(shared_data / "americasnli" / "test" / f"{lang}.tsv", "test", lang, data)
    env = {**os.environ, "PYTHON": sys.executable, "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run(["bash", str(ROOT / "run_pipeline.sh"), "--intermediate", "mnli", "--targets",
                             "americasnli", "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(runs),
                             "--data_dir", str(data), "--languages", "aym,quy", "--", *FAST,
                             "--max_eval_samples", "60"], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    target = runs / "mnli" / "americasnli"
    config = json.loads((target / "run_config.json").read_text())
    assert config["intermediate_task"] == "mnli" and (runs / "mnli" / "encoder" / "model.safetensors").is_file()
    assert str(runs / "mnli" / "encoder") in json.dumps(config)
    metrics = json.loads((target / "metrics.json").read_text())
    assert set(metrics["per_language"]) == {"aym", "quy"}
    assert all(0 <= scores["test"]["accuracy"] <= 100 for scores in metrics["per_language"].values())


def test_an_nli_checkpoint_is_evaluated_without_training(shared_data, tiny_model_dir, tmp_path):
    """A kept XNLI checkpoint (--keep_checkpoints) scored on AmericasNLI with --do_eval (no training): its own head
    decodes the predictions, and no dev set is read (the data folder has none), since no checkpoint is selected."""
    import run_target
    data, trained, scored = tmp_path / "data", tmp_path / "xnli", tmp_path / "americasnli"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(48, 1))
    write_jsonl(data / "mnli" / "validation-en.jsonl", nli_rows(12, 2))
    write_jsonl(data / "xnli" / "test-de.jsonl", nli_rows(12, 3))
    run_target.main(["--task", "xnli", "--model_name_or_path", str(tiny_model_dir), "--data_dir", str(data),
                     "--languages", "de", "--output_dir", str(trained), "--keep_checkpoints", *FAST])
    (data / "mnli" / "validation-en.jsonl").unlink()  # an evaluation reads no dev set
    convert(shared_data / "americasnli" / "test" / "aym.tsv", "test", "aym", data)
    run_target.main(["--task", "americasnli", "--model_name_or_path", str(trained / "checkpoint-6"), "--data_dir",
                     str(data), "--languages", "aym", "--output_dir", str(scored), "--do_eval", *FAST,
                     "--max_eval_samples", "40"])
    metrics = json.loads((scored / "metrics.json").read_text())
    assert metrics["selection"]["dev_examples"] == 0 and metrics["selection"]["best"] is None
    predictions = read_jsonl(scored / "predictions" / "americasnli" / "test-aym.jsonl")
    assert len(predictions) == 40 and {row["prediction"] for row in predictions} <= set(NLI_LABELS)
    assert metrics["per_language"]["aym"]["test"]["accuracy"] == \
        100 * sum(row["prediction"] == row["label"] for row in predictions) / 40
