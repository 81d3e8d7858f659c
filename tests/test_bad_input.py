"""Bad input through the real entry points (run_target.py, run_intermediate.py, run_retrieval.py): each mistake is
one line `<script>: error: ...` naming the argument or file, exit status 2, before the model loads and before
anything is written. And a hub that cannot be reached (an offline cluster): one line in seconds, with the routes
that work offline; HF_HUB_OFFLINE=1 with a filled cache keeps working."""
import logging
import os
import shutil
import subprocess
import sys
import time

import pytest
from huggingface_hub import constants

import run_intermediate
import run_retrieval
import run_target
from conftest import FAST, ROOT, write_jsonl
from engine import preflight
from tasks import get_task
from utils.hub_access import HUB_EXPORT_REVISIONS
from utils import hub_access
from utils.args import InputError, cli
from utils.hub_access import cached_dataset
from utils.weights import safetensors_problem, weight_problems

NOWHERE = "http://127.0.0.1:9"  # the discard port: a connection is refused at once, as on a cluster without a route
SCRIPTS = {"run_target.py": run_target, "run_intermediate.py": run_intermediate, "run_retrieval.py": run_retrieval}


def argv_for(script, model, output_dir, data_dir=None):
    task = {"run_target.py": ["--task", "xnli", "--languages", "de"], "run_intermediate.py": ["--task", "mnli"],
            "run_retrieval.py": ["--task", "tatoeba", "--languages", "de"]}[script]
    data = ["--data_dir", str(data_dir)] if data_dir else []
    return [*task, "--model_name_or_path", str(model), "--output_dir", str(output_dir), *data]


def files_under(root):
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def refused(capsys, script, argv, root):
    """The one error line of script on argv; asserts exit status 2 and that nothing under root changed."""
    before = files_under(root)
    capsys.readouterr()
    started = time.time()
    with pytest.raises(SystemExit) as exit_:
        cli(lambda: SCRIPTS[script].main(argv), script)
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2
    assert len(lines) == 1 and lines[0].startswith(f"{script}: error: "), lines
    assert files_under(root) == before
    assert time.time() - started < 20  # no retries against an unreachable hub
    return lines[0]


@pytest.fixture()
def data_dir(tiny_data_dir):
    write_jsonl(tiny_data_dir / "tatoeba" / "test-de.jsonl", [{"source": f"s{i}", "target": f"t{i}"} for i in range(4)])
    return tiny_data_dir


@pytest.fixture()
def no_hub(monkeypatch, tmp_path):
    """A hub that refuses connections, empty caches, the real hub loader (no mirror)."""
    monkeypatch.setattr(constants, "ENDPOINT", NOWHERE)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    import datasets
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf" / "datasets")
    monkeypatch.delenv("XSTILTS_HUB_MIRROR", raising=False)
    preflight._dataset_unreachable.cache_clear()
    yield tmp_path / "hf"
    preflight._dataset_unreachable.cache_clear()


@pytest.mark.parametrize("script", SCRIPTS)
def test_output_dir_that_is_a_file(script, tiny_model_dir, data_dir, tmp_path, capsys):
    target = tmp_path / "results.txt"
    target.write_text("keep me\n")
    line = refused(capsys, script, argv_for(script, tiny_model_dir, target, data_dir), tmp_path)
    assert f"--output_dir {target}: {target} is a file" in line
    line = refused(capsys, script, argv_for(script, tiny_model_dir, target / "run", data_dir), tmp_path)
    assert f"--output_dir {target / 'run'}: {target} is a file" in line
    assert target.read_text() == "keep me\n"


def broken_copy(tiny_model_dir, tmp_path, how):
    model = tmp_path / "encoder"
    shutil.copytree(tiny_model_dir, model)
    weights = model / "model.safetensors"
    data = weights.read_bytes()
    if how == "truncated":
        weights.write_bytes(data[:-100])
    else:  # a header length that points past the end of the file
        weights.write_bytes((len(data) * 2).to_bytes(8, "little") + data[8:])
    return model, weights


@pytest.mark.parametrize("script,how", [("run_target.py", "truncated"), ("run_intermediate.py", "corrupt"),
                                        ("run_retrieval.py", "truncated")])
def test_truncated_or_corrupt_weight_file(script, how, tiny_model_dir, data_dir, tmp_path, capsys):
    model, weights = broken_copy(tiny_model_dir, tmp_path, how)
    line = refused(capsys, script, argv_for(script, model, tmp_path / "out", data_dir), tmp_path)
    assert f"--model_name_or_path {model}: weight file {weights} is truncated or corrupt" in line


def test_weight_checks_read_headers_only(tiny_model_dir, tmp_path):
    assert weight_problems(tiny_model_dir) == []
    weights = tiny_model_dir / "model.safetensors"
    data = weights.read_bytes()
    cases = {"short": data[:5], "not_json": data[:8] + b"{" * (len(data) - 8),
             "extra": data + b"\0" * 4, "cut": data[:len(data) // 2]}
    for name, content in cases.items():
        (tmp_path / f"{name}.safetensors").write_bytes(content)
        assert safetensors_problem(tmp_path / f"{name}.safetensors"), name
    (tmp_path / "model.safetensors.index.json").write_text('{"weight_map": {"a": "model-00002.safetensors"}}')
    (tmp_path / "pytorch_model.bin").write_bytes(b"PK\x03\x04 cut")
    problems = {path.name: problem for path, problem in weight_problems(tmp_path)}
    assert problems["model-00002.safetensors"].startswith("missing")
    assert "torch.save" in problems["pytorch_model.bin"]
    assert set(cases) <= {name.split(".")[0] for name in problems}


@pytest.mark.parametrize("script", SCRIPTS)
def test_unreachable_hub_model(script, data_dir, tmp_path, no_hub, capsys):
    line = refused(capsys, script, argv_for(script, "xstilts-test/absent", tmp_path / "out", data_dir), tmp_path)
    assert line.startswith(f"{script}: error: --model_name_or_path xstilts-test/absent: the hub cannot be reached "
                           f"(no connection to {NOWHERE}")
    assert "HF_HUB_OFFLINE=1" in line and "save_pretrained" in line
    assert not (tmp_path / "out").exists()


def fill_hub_cache(hub_cache, repo_id, model_dir):
    """huggingface_hub's cache layout: models--<org>--<name>/refs/main -> snapshots/<commit>/<files>."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = hub_cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


def test_hub_model_offline_and_cached(data_dir, tiny_model_dir, tmp_path, no_hub, monkeypatch, capsys, caplog):
    argv = argv_for("run_target.py", "xstilts-test/tiny", tmp_path / "out", data_dir)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    line = refused(capsys, "run_target.py", argv, tmp_path)
    assert f"--model_name_or_path xstilts-test/tiny: HF_HUB_OFFLINE=1 and the hub cache ({no_hub / 'hub'}) has no " \
           "copy" in line
    config_only = tmp_path / "config_only"
    config_only.mkdir()
    shutil.copy(tiny_model_dir / "config.json", config_only)
    fill_hub_cache(no_hub / "hub", "xstilts-test/cut-short", config_only)  # a download cut short
    line = refused(capsys, "run_target.py", argv_for("run_target.py", "xstilts-test/cut-short", tmp_path / "out",
                                                     data_dir), tmp_path)
    assert "xstilts-test/cut-short: HF_HUB_OFFLINE=1 and the hub cache" in line and "no weight file" in line
    fill_hub_cache(no_hub / "hub", "xstilts-test/tiny", tiny_model_dir)
    preflight.check_hub_model("--model_name_or_path", "xstilts-test/tiny")  # offline, cached whole: accepted
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # cached, the hub down: transformers uses the cache
    with caplog.at_level(logging.WARNING, logger="engine.preflight"):
        preflight.check_hub_model("--model_name_or_path", "xstilts-test/tiny")  # a hub blip must not stop a sweep
    assert "the hub cannot be reached" in caplog.text and "using the cached copy" in caplog.text


def test_loading_script_dataset_without_its_export_is_named_before_the_run(no_hub, monkeypatch):
    """A loading-script dataset (read from its Parquet export) whose export lacks the config's folder: the task
    that needs --data_dir is named by the pre-flight, in one line."""
    monkeypatch.setattr(hub_access, "unreachable", lambda *args, **kwargs: None)  # the hub answers
    asked = []
    monkeypatch.setattr(hub_access, "export_missing", lambda *args: asked.append(args) or "EntryNotFoundError")
    preflight._export_missing.cache_clear()
    with pytest.raises(InputError) as error:
        preflight.check_hub_dataset(get_task("cosmosqa"))
    preflight._export_missing.cache_clear()
    assert asked == [("allenai/cosmos_qa", HUB_EXPORT_REVISIONS["allenai/cosmos_qa"], "default")]
    message = str(error.value)
    assert "\n" not in message and "task cosmosqa needs --data_dir" in message and "prepare_data.py" in message


@pytest.mark.parametrize("script", SCRIPTS)
def test_unreachable_hub_dataset(script, tiny_model_dir, tmp_path, no_hub, capsys):
    line = refused(capsys, script, argv_for(script, tiny_model_dir, tmp_path / "out"), tmp_path)
    assert "hub dataset" in line and f"cannot be reached (no connection to {NOWHERE}" in line
    assert "HF_HUB_OFFLINE=1" in line and "prepare_data.py --tasks" in line


def test_hub_dataset_offline(tiny_model_dir, tmp_path, no_hub, monkeypatch, capsys):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    line = refused(capsys, "run_target.py", argv_for("run_target.py", tiny_model_dir, tmp_path / "out"), tmp_path)
    assert f"task mnli: hub dataset nyu-mll/glue: HF_HUB_OFFLINE=1 and the datasets cache ({no_hub / 'datasets'}) " \
           "has no copy" in line  # the training set, the first thing the run reads
    assert not cached_dataset("google/xtreme")
    (no_hub / "datasets" / "google___xtreme" / "XNLI" / "0.0.0" / "abc").mkdir(parents=True)  # datasets' layout
    assert cached_dataset("google/xtreme") and not cached_dataset("nyu-mll/glue")
    preflight.check_hub_dataset(run_target.get_task("xnli"))  # cached: accepted offline


def test_offline_with_filled_cache_runs(tiny_model_dir, data_dir, tmp_path):
    """HF_HUB_OFFLINE=1, the model only in the hub cache (HF_HOME), no route to the hub: the run trains."""
    fill_hub_cache(tmp_path / "hf" / "hub", "xstilts-test/tiny", tiny_model_dir)
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": NOWHERE,
           "TOKENIZERS_PARALLELISM": "false"}
    env.pop("XSTILTS_HUB_MIRROR", None)
    argv = [*argv_for("run_target.py", "xstilts-test/tiny", tmp_path / "out", data_dir), *FAST, "--max_steps", "2"]
    result = subprocess.run([sys.executable, str(ROOT / "run_target.py"), *argv], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out" / "DONE").is_file() and (tmp_path / "out" / "metrics.json").is_file()
