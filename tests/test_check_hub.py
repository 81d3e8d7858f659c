"""scripts/check_hub.py's logic against the hub replicas (tests/hub_replica.py): exact ones, ones made to differ."""
import sys

import pytest
from conftest import ROOT

import hub_replica
from hub_replica import hub, mirror, use_mirror  # noqa: F401 (fixtures)

sys.path.insert(0, str(ROOT / "scripts"))
import check_hub  # noqa: E402

pytestmark = pytest.mark.skipif(not hub_replica.SCHEMAS.is_file(), reason=f"{hub_replica.SCHEMAS} is absent")


def statuses(records):
    return {(r["hub_id"], r["config"], r["split"]): (r["status"], r["detail"]) for r in records}


def test_plan_names_the_splits_each_run_reads():
    plan = check_hub.plan(["xnli", "udpos", "anli", "bucc", "squad", "squad_retrieval"])
    assert ("google/xtreme", "XNLI", "train") not in plan  # XNLI trains on MNLI
    assert {s for (_, c, s) in plan if c == "XNLI"} == {"validation", "test"}
    assert {s for (_, c, s) in plan if c == "udpos.Thai"} == {"test"}  # hub_lang_splits: only test
    assert {s for (_, c, s) in plan if c == "udpos.Kazakh"} == {"train", "test"}
    assert {s for (h, _, s) in plan if h == "facebook/anli"} == {f"{p}_r{i}" for p in ("train", "dev", "test")
                                                                 for i in (1, 2, 3)}
    assert {s for (_, c, s) in plan if c == "bucc18.de"} == {"validation", "test"}  # retrieval: no training
    assert plan["rajpurkar/squad", None, "train"] == ["squad", "squad_retrieval"]


def test_expected_columns_follow_the_registry():
    assert check_hub.expected_columns(check_hub.get_task("copa")) == {"premise": [], "question": [], "choice1": [],
                                                                       "choice2": [], "label": []}
    assert check_hub.expected_columns(check_hub.get_task("commonsenseqa"))["choices"] == ["text"]
    assert set(check_hub.expected_columns(check_hub.get_task("tydiqa"))) == {"id", "context", "question", "answers"}


def test_exact_replicas_are_ok(hub):
    records = check_hub.check(["mnli", "xnli", "commonsenseqa", "socialiqa", "tydiqa", "bucc", "copa"])
    found = statuses(records)
    script_ids = {r["id"] for r in hub_replica.load_schemas() if r["format"] == "script"}
    for (hub_id, config, split), (status, detail) in found.items():
        assert status == ("script-only" if hub_id in script_ids else "ok"), (hub_id, config, split, detail)
    assert found["allenai/social_i_qa", "(default)", "train"][0] == "script-only"


def test_replicas_made_to_differ(tmp_path, monkeypatch, capsys):
    """A ClassLabel in another order, a split and a column the hub lacks, a script without an export."""
    records = hub_replica.load_schemas()
    glue = [r for r in records if r["id"] == "nyu-mll/glue"]
    glue = [{**r, "features": {**r["features"], "label": {"ClassLabel": ["neutral", "entailment", "contradiction"]}}}
            if r["config"] == "mnli" else r for r in glue]
    hub_replica.build_parquet_repo(tmp_path, "nyu-mll/glue", glue, rows=2)
    xquad_r = [{**r, "features": {("passage" if k == "context" else k): v for k, v in r["features"].items()}}
               if r["config"] == "de" else r for r in records if r["id"] == "google-research-datasets/xquad_r"]
    hub_replica.build_parquet_repo(tmp_path, "google-research-datasets/xquad_r", xquad_r, rows=2)
    paws = [r for r in records if r["config"].startswith("PAWS-X.")]
    hub_replica.build_parquet_repo(tmp_path, "google/xtreme", paws, rows=2,
                                   skip={("google/xtreme", "PAWS-X.fr", "test")})
    cosmos = [r for r in records if r["id"] == "allenai/cosmos_qa"]
    hub_replica.build_script_repo(tmp_path, "allenai/cosmos_qa", cosmos, rows=2, export=False)
    use_mirror(monkeypatch, tmp_path)
    found = statuses(check_hub.check(["mnli", "qqp", "lareqa", "pawsx", "cosmosqa"]))
    status, detail = found["nyu-mll/glue", "mnli", "train"]
    assert status == "differs" and "['neutral', 'entailment', 'contradiction']" in detail
    assert found["nyu-mll/glue", "qqp", "train"][0] == "ok"
    assert found["google-research-datasets/xquad_r", "de", "validation"] == \
        ("missing", "column 'context' (task lareqa); columns: id, passage, question, answers")
    assert found["google-research-datasets/xquad_r", "en", "validation"][0] == "ok"
    assert found["google/xtreme", "PAWS-X.fr", "test"][0] == "missing"
    assert "no split 'test'" in found["google/xtreme", "PAWS-X.fr", "test"][1]
    assert found["google/xtreme", "PAWS-X.fr", "train"][0] == "ok"
    assert found["allenai/cosmos_qa", "(default)", "train"][0] == "missing"
    assert check_hub.main(["--tasks", "mnli"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["tasks", "hub_id", "config", "split", "status", "detail"]
    assert out.rstrip().splitlines()[-1] == "ok 0  missing 0  differs 3  script-only 0"  # train + two dev splits


def test_unknown_or_local_task_is_an_error(capsys):
    for name in ("nosuchtask", "ccg"):
        with pytest.raises(SystemExit):
            check_hub.main(["--tasks", name])
        assert f"--tasks: {name} is not a registry task with a hub copy" in capsys.readouterr().err


@pytest.mark.slow
def test_every_registry_triple_on_the_replicas(hub, capsys):
    """The whole table on the exact replicas: every (hub id, config, split) ok, the loading scripts script-only."""
    assert check_hub.main([]) == 0
    table = capsys.readouterr().out
    print(table)
    script_ids = {r["id"] for r in hub_replica.load_schemas() if r["format"] == "script"}
    rows = [line.split() for line in table.splitlines()[1:-2]]
    assert rows and all(row[4] == ("script-only" if row[1] in script_ids else "ok") for row in rows)
