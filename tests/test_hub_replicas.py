"""The hub's datasets as published, replicated locally (tests/hub_replica.py, from ../shared/hub/schemas.json) and
read through the same `datasets.load_dataset` route as the hub, only the location differing (XSTILTS_HUB_MIRROR)."""
import json
import re

import datasets
import pytest
from conftest import FAST

import hub_replica
from hub_replica import hub, mirror, use_mirror  # noqa: F401 (fixtures)
from tasks import TASKS, get_task
from tasks.kinds import kind_of
from utils import data as data_utils
from utils.args import DataArguments

pytestmark = pytest.mark.skipif(not hub_replica.SCHEMAS.is_file(), reason=f"{hub_replica.SCHEMAS} is absent")
HUB_TASKS = [name for name, spec in TASKS.items()  # (a target trained on local files only, Belebele, needs them)
             if spec.hub_path and (not spec.is_target or TASKS[spec.train_task].hub_path)]


def assert_exact(directory, records):
    """Each (hub id, config, split) loads from its replica with exactly the recorded features, in field order."""
    for record in records:
        path = directory / record["id"]
        if record["format"] == "script":  # datasets refuses the repository itself, as it does the hub's
            with pytest.raises(RuntimeError, match=data_utils.SCRIPT_REFUSED):
                datasets.load_dataset(str(path), split="train")
            loaded = datasets.load_dataset(str(directory / f"{record['id']}@refs%2Fconvert%2Fparquet"),
                                           data_dir=record["config"], streaming=True)
        else:
            loaded = datasets.load_dataset(str(path), record["config"], streaming=True)
        assert set(loaded) == set(record["splits"]), record["config"]
        for split in loaded.values():
            assert split.features == hub_replica.features_of(record), record["config"]
            assert list(next(iter(split))) == list(record["features"])


def test_replicas_are_exact(hub):
    """One config of each family (XNLI, PAWS-X.de, udpos.Afrikaans, ..., each other repository's first)."""
    families = {}
    for record in hub_replica.load_schemas():
        families.setdefault((record["id"], record["config"].split(".")[0]), record)
    assert_exact(hub, families.values())


@pytest.mark.slow
def test_every_replica_is_exact(hub):
    records = hub_replica.load_schemas()
    assert len(records) == 172  # ../shared/hub/README.md: one record per (hub id, config) the registry names
    assert_exact(hub, records)


def test_xquad_replica_is_stripped_as_the_hub_copy(shared_data):
    """The replica's misaligned answers per language are the counts schemas.json records for the hub copy."""
    for record in hub_replica.load_schemas():
        if record["config"].startswith("XQuAD."):
            quirk = next(q for q in record["quirks"] if q.startswith("misaligned answers"))
            expected, total = map(int, re.search(r"json: (\d+) of (\d+)", quirk).groups())
            rows = hub_replica.xquad_hub_rows(record["config"].split(".")[1], shared_data / "xquad")
            assert (sum(map(hub_replica.misaligned, rows)), len(rows)) == (expected, total), record["config"]
            assert all(row["context"] == row["context"].strip() for row in rows)


def test_mirror_names_a_missing_folder(tmp_path, monkeypatch):
    use_mirror(monkeypatch, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"no folder glue for hub dataset nyu-mll/glue"):
        data_utils.load_hub(get_task("mnli"), "train", "en")


def test_loading_script_dataset_reads_its_parquet_export(hub, caplog):
    rows = data_utils.load_rows(get_task("socialiqa"), "train", "en", DataArguments(), kind_of("multiple_choice"))
    assert len(rows) == hub_replica.ROWS and "refs/convert/parquet (a ref, not a pinned commit)" in caplog.text


def test_multi_config_export_selects_the_config_folder(tmp_path, monkeypatch):
    """A multi-config repository published as a script: its export has no README, so datasets sees one config
    'default' and `copa` by name fails (as on the hub); its folder (data_dir) selects it."""
    copa = next(r for r in hub_replica.load_schemas() if r["config"] == "copa")
    other = {**copa, "config": "cb", "features": {"premise": "string", "hypothesis": "string", "label": "int32"}}
    hub_replica.build_script_repo(tmp_path, "aps/super_glue", [other, copa], rows=4)
    export = tmp_path / "aps" / "super_glue@refs%2Fconvert%2Fparquet"
    with pytest.raises(ValueError, match="'copa' not found"):
        datasets.load_dataset(str(export), "copa", split="train")
    use_mirror(monkeypatch, tmp_path)
    rows = data_utils.load_hub(get_task("copa"), "train", "en")
    assert rows.column_names == list(copa["features"]) and len(rows) == 4


def test_no_route_names_the_task_and_data_dir(tmp_path, monkeypatch):
    cosmos = next(r for r in hub_replica.load_schemas() if r["id"] == "allenai/cosmos_qa")
    hub_replica.build_script_repo(tmp_path, cosmos["id"], [cosmos], rows=2, export=False)
    use_mirror(monkeypatch, tmp_path)
    with pytest.raises(ValueError) as error:
        data_utils.load_hub(get_task("cosmosqa"), "train", "en")
    message = str(error.value)
    assert "\n" not in message
    assert "task cosmosqa needs --data_dir DIR with DIR/cosmosqa/<split>-<lang>.jsonl" in message
    assert "prepare_data.py --tasks cosmosqa" in message


def test_a_column_or_split_the_replica_lacks_fails(tmp_path, monkeypatch):
    """Replicas are exact, so code reading a column or split the hub copy lacks fails here, not on a user's run."""
    glue = [r for r in hub_replica.load_schemas() if r["id"] == "nyu-mll/glue"]
    changed = [{**r, "features": {k: v for k, v in r["features"].items() if k != "hypothesis"}} for r in glue]
    hub_replica.build_parquet_repo(tmp_path, "nyu-mll/glue", changed, rows=3,
                                   skip={("nyu-mll/glue", "qqp", "validation")})
    use_mirror(monkeypatch, tmp_path)
    with pytest.raises((KeyError, ValueError), match="hypothesis"):
        data_utils.load_rows(get_task("mnli"), "train", "en", DataArguments(), kind_of("classification"))
    with pytest.raises(ValueError, match="Unknown split \"validation\""):  # qqp's test set is the hub's validation
        data_utils.load_rows(get_task("qqp"), "test", "en", DataArguments(), kind_of("classification"))


# ---- every registry task with a hub copy, from its replica, through the scripts -------------------------------

def script_run(name, model, out, languages):
    """(script module, argv) that runs task `name` as a user would, from the hub (no --data_dir)."""
    import run_intermediate
    import run_retrieval
    import run_target
    spec = get_task(name)
    lang_flags = ["--languages", ",".join(languages)] if languages else []
    if kind_of(spec).script == "run_retrieval.py":
        return run_retrieval, ["--task", name, "--model_name_or_path", str(model), "--output_dir", str(out),
                               "--max_seq_length", "32", "--batch_size", "8", *lang_flags]
    size = ["--max_seq_length", "64"] + (["--doc_stride", "24", "--max_query_length", "16"]
                                         if spec.kind == "span_qa" else [])
    flags = ["--model_name_or_path", str(model), "--output_dir", str(out), *size, *FAST, "--max_steps", "2",
             "--eval_steps", "2", "--save_steps", "2", "--max_eval_samples", "4"]
    if spec.is_target:
        return run_target, ["--task", name, *lang_flags, *flags]
    return run_intermediate, ["--task", name, *flags]


def run_from_replica(name, tiny_model_dir, tmp_path, languages):
    module, argv = script_run(name, tiny_model_dir, tmp_path / name, languages)
    module.main(argv)
    metrics = json.loads((tmp_path / name / "metrics.json").read_text())
    assert metrics["per_language"], name
    return metrics


@pytest.mark.parametrize("name", HUB_TASKS)
def test_task_runs_from_its_replica(name, hub, tiny_model_dir, tmp_path):
    spec = get_task(name)
    languages = [lang for lang in spec.languages if lang not in spec.hub_missing][:2] if spec.is_target or \
        kind_of(spec).script == "run_retrieval.py" else None
    metrics = run_from_replica(name, tiny_model_dir, tmp_path, languages)
    assert set(metrics["per_language"]) == set(languages or ["en"])


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in HUB_TASKS if len(get_task(n).languages) > 2])
def test_every_config_runs_from_its_replica(name, hub, tiny_model_dir, tmp_path):
    spec = get_task(name)
    languages = [lang for lang in spec.languages if lang not in spec.hub_missing]
    metrics = run_from_replica(name, tiny_model_dir, tmp_path, languages)
    assert set(metrics["per_language"]) == set(languages)
