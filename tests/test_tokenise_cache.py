"""Tokenised once across a grid (utils/caching.py, engine/runner.py TaskData.features): two jobs sharing one datasets
cache tokenise once (the second waits on the lock, then reads the file); a second run_target.py run with another
encoder of the same tokenizer reads the cache; a change of what shapes the features is tokenised anew."""
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import FAST, ROOT, nli_rows, write_jsonl

JOB = textwrap.dedent('''
    import hashlib, json, os, sys, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import tasks.classification as C
    from tasks import get_task
    from engine.runner import TaskData
    from utils.args import DataArguments, ModelArguments, XTrainingArguments
    from utils.modeling import load_tokenizer
    model_dir, data_dir, work, name = sys.argv[1:5]
    real = C.KIND.preprocess

    def counted(*args, **kwargs):
        function = real(*args, **kwargs)
        def tokenise(batch):
            with open(Path(work) / "tokenised.log", "a") as log:
                log.write(name + "\\n")
            time.sleep(3)  # long enough for the other job to reach the cache while this one writes it
            return function(batch)
        return tokenise
    C.KIND.preprocess = counted  # the kind object the engine calls
    model_args = ModelArguments(model_dir)
    data = TaskData(get_task("mnli"), load_tokenizer(model_args), DataArguments(task="xnli", data_dir=data_dir),
                    model_args, XTrainingArguments(output_dir=str(Path(work) / name), use_cpu=True))
    examples = data.examples("train", "en")
    (Path(work) / f"ready-{{name}}").touch()  # both jobs start tokenising together
    deadline = time.time() + 300
    while len(list(Path(work).glob("ready-*"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    features = data.features(examples, is_train=True)
    digest = hashlib.sha256(json.dumps(features.select_columns(["input_ids", "labels"])[:]).encode()).hexdigest()
    print(json.dumps({{"fingerprint": features._fingerprint, "digest": digest, "rows": len(features)}}))
''')


def test_two_jobs_sharing_a_cache_tokenise_once(tiny_model_dir, tmp_path):
    data = tmp_path / "data"
    write_jsonl(data / "mnli" / "train-en.jsonl", nli_rows(40, 1))
    other = tmp_path / "other_encoder"  # another intermediate task's encoder: a copy of the same tokenizer
    shutil.copytree(tiny_model_dir, other)
    script = tmp_path / "job.py"
    script.write_text(JOB.format(root=str(ROOT)))
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "cache"), "TOKENIZERS_PARALLELISM": "false"}
    jobs = [subprocess.Popen([sys.executable, str(script), str(model), str(data), str(tmp_path), name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for name, model in (("a", tiny_model_dir), ("b", other))]
    results = []
    for job in jobs:
        out, err = job.communicate(timeout=600)
        assert job.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert len((tmp_path / "tokenised.log").read_text().split()) == 1  # one job tokenised, the other read its file
    assert results[0] == results[1] and results[0]["rows"] == 40
    assert len(list((tmp_path / "cache").rglob(f"cache-{results[0]['fingerprint']}*.arrow"))) == 1


def test_a_second_target_run_reads_the_cache(tiny_model_dir, tiny_data_dir, tmp_path, monkeypatch):
    import run_target
    import tasks.classification as C
    calls, real = [], C.KIND.preprocess

    def counted(spec, tokenizer, data_args, is_train, labels=None):
        function = real(spec, tokenizer, data_args, is_train, labels=labels)
        return lambda batch: calls.append(spec.name) or function(batch)
    monkeypatch.setattr(C.KIND, "preprocess", counted)
    other = tmp_path / "other_encoder"
    shutil.copytree(tiny_model_dir, other)
    common = ["--task", "xnli", "--data_dir", str(tiny_data_dir), "--languages", "de", *FAST]
    run_target.main([*common, "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "first")])
    assert sorted(set(calls)) == ["mnli", "xnli"]  # MNLI train and dev, XNLI de: tokenised
    calls.clear()
    run_target.main([*common, "--model_name_or_path", str(other), "--output_dir", str(tmp_path / "second")])
    assert calls == []  # every set read from the cache
    run_target.main([*common, "--model_name_or_path", str(other), "--output_dir", str(tmp_path / "third"),
                     "--max_seq_length", "16"])
    assert sorted(set(calls)) == ["mnli", "xnli"]  # another length: tokenised again
    read = lambda run: [json.loads(line) for line in  # noqa: E731
                        (tmp_path / run / "predictions" / "xnli" / "test-de.jsonl").read_text().splitlines()]
    assert [r["id"] for r in read("second")] == [r["id"] for r in read("first")]


def test_fingerprint_names_what_shapes_the_features(tiny_model_dir, tmp_path):
    import datasets
    from dataclasses import replace
    from tasks import classification, get_task, tagging
    from utils.args import DataArguments, ModelArguments
    from utils.caching import features_fingerprint
    from utils.modeling import load_tokenizer
    tokenizer = load_tokenizer(ModelArguments(str(tiny_model_dir)))
    examples = datasets.Dataset.from_list(nli_rows(4, 0))
    spec, args = get_task("mnli"), DataArguments(task="xnli")
    base = features_fingerprint(examples, classification.KIND, spec, tokenizer, args, False)
    same = [replace(args, languages="de", overwrite=True, max_eval_samples=3, task="pawsx", data_dir="elsewhere")]
    assert all(features_fingerprint(examples, classification.KIND, spec, tokenizer, a, False) == base for a in same)
    changed = [features_fingerprint(examples, classification.KIND, spec, tokenizer, replace(args, max_seq_length=16), False),
               features_fingerprint(examples, classification.KIND, spec, tokenizer, args, True),
               features_fingerprint(examples, tagging.KIND, spec, tokenizer, args, False),
               features_fingerprint(examples, classification.KIND, get_task("qqp"), tokenizer, args, False),
               features_fingerprint(examples.select([0, 1]), classification.KIND, spec, tokenizer, args, False)]
    tokenizer.add_tokens(["newword"])
    changed.append(features_fingerprint(examples, classification.KIND, spec, tokenizer, args, False))
    assert len(set(changed + [base])) == len(changed) + 1


def test_only_the_kind_module_source_is_the_code_key(tmp_path, monkeypatch):
    """Editing the registry or the engine beside a kind module keeps its cache; editing the module does not."""
    import importlib.util
    import sys
    from utils.caching import code_fingerprint
    package = tmp_path / "mytasks"
    package.mkdir()
    (package / "__init__.py").write_text("TASKS = {}\n")
    (package / "runner.py").write_text("def run():\n    pass\n")
    module_path = package / "mykind.py"
    module_path.write_text("class MyKind:\n    name = 'mykind'\n\n\nKIND = MyKind()\n")
    spec = importlib.util.spec_from_file_location("mytasks_mykind", module_path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mytasks_mykind", module)
    spec.loader.exec_module(module)
    base = code_fingerprint(module.KIND)
    (package / "__init__.py").write_text("TASKS = {'another': 'task'}\n")
    (package / "runner.py").write_text("def run():\n    return 1\n")
    assert code_fingerprint(module.KIND) == base
    module_path.write_text(module_path.read_text() + "# preprocessing changed\n")
    assert code_fingerprint(module.KIND) != base


@pytest.mark.parametrize("in_memory", [True, False])
def test_the_lock_sits_beside_the_cache_file(tmp_path, in_memory):
    import datasets
    from contextlib import nullcontext
    from utils.caching import cache_lock
    if in_memory:
        assert isinstance(cache_lock(datasets.Dataset.from_list([{"a": 1}]), "f" * 16), nullcontext)
        return
    path = write_jsonl(tmp_path / "rows.jsonl", [{"a": 1}])
    examples = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    lock = cache_lock(examples, "0123456789abcdef")
    folder = os.path.dirname(examples.cache_files[0]["filename"])
    assert lock.lock_file == os.path.join(folder, "xstilts-tokenise-0123456789abcdef.lock")


def test_the_kind_options_are_the_key_and_only_the_kinds_own(tiny_model_dir):
    """A kind's own options (tasks/kind.py OPTIONS) shape its features, so they are in its key; another kind's
    options and the data arguments preprocessing does not read are not."""
    import datasets
    from dataclasses import replace
    from tasks import classification, get_task, span_qa, tagging
    from utils.args import DataArguments, ModelArguments
    from utils.caching import features_fingerprint
    from utils.modeling import load_tokenizer
    tokenizer = load_tokenizer(ModelArguments(str(tiny_model_dir)))
    examples = datasets.Dataset.from_list(nli_rows(4, 0))
    args = DataArguments(task="xquad")
    qa = get_task("xquad")
    base = features_fingerprint(examples, span_qa.KIND, qa, tokenizer, args, False)
    same = [replace(args, variant="v", train_languages="de", eval_splits="test", encoding_precision="fp32"),
            replace(args, kind_options=(span_qa.SpanQAOptions(),)),  # the defaults, given
            replace(args, kind_options=(tagging.TaggingOptions(label_first_char_piece=True),))]
    assert all(features_fingerprint(examples, span_qa.KIND, qa, tokenizer, a, False) == base for a in same)
    assert features_fingerprint(examples, span_qa.KIND, qa, tokenizer,
                                replace(args, kind_options=(span_qa.SpanQAOptions(doc_stride=64),)), False) != base
    spec = get_task("mnli")  # a kind without options: every kind's options leave its key alone
    assert features_fingerprint(examples, classification.KIND, spec, tokenizer, same[2], False) == \
        features_fingerprint(examples, classification.KIND, spec, tokenizer, args, False)
