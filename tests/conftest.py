"""Shared test fixtures: the tiny model (tests/builders.py), the real model, the real data, tiny task data."""
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

# pytest-xdist (scripts/test.sh runs the suite on one worker per core): each worker's torch, and the scripts it
# starts, get the cores / workers threads. torch's default, one thread per core in every process, makes the workers'
# threads wait on each other (on 2 busy cores a real-model training step took 24 s instead of 4).
if os.environ.get("PYTEST_XDIST_WORKER_COUNT") and "OMP_NUM_THREADS" not in os.environ:
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

from builders import FAST, ROOT, SHARED, WORDS, build_tiny_model, make_sentence, nli_rows, write_jsonl  # noqa: F401

sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture(scope="session")
def real_model_dir(tmp_path_factory):
    """The real multilingual encoder from ../shared/tools/real-model (built once, cached); skips without it. With
    pytest-xdist each worker asks for it: a lock in the run's common temporary folder makes one build it while
    the others wait, then verify the cached copy."""
    from filelock import FileLock
    tool = SHARED / "tools" / "real-model"
    if not tool.exists():
        pytest.skip(f"{tool} is absent: the real-model tests need ../shared beside the repository")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    with FileLock(str(tmp_path_factory.getbasetemp().parent / "real-model.lock")):
        result = subprocess.run([str(tool)], capture_output=True, text=True, env=env, timeout=900)
    if result.returncode:
        pytest.skip(f"{tool} could not build the real model: {result.stderr[-500:]}")
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def shared_data():
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent: real-data tests need ../shared/data beside the repository")
    return data


@pytest.fixture()
def tiny_data_dir(tmp_path):
    """A local layout with MNLI (train/validation en), XNLI (test de, fr) and PAWS-X (train/validation/test)."""
    d = tmp_path / "data"
    write_jsonl(d / "mnli" / "train-en.jsonl", nli_rows(48, 1))
    write_jsonl(d / "mnli" / "validation-en.jsonl", nli_rows(12, 2))
    for lang, seed in (("de", 3), ("fr", 4)):
        write_jsonl(d / "xnli" / f"test-{lang}.jsonl", nli_rows(9, seed, prefix=f"{lang}-"))
    rng = random.Random(5)
    for split, n in (("train", 40), ("validation", 10)):
        rows = []
        for i in range(n):
            a = make_sentence(rng)
            rows.append({"id": f"p{i}", "text_a": a, "text_b": a if i % 2 else make_sentence(rng), "label": str(i % 2)})
        write_jsonl(d / "pawsx" / f"{split}-en.jsonl", rows)
        write_jsonl(d / "pawsx" / f"test-de.jsonl", rows[:8])
    return d


def pytest_collection_modifyitems(items):
    """The slow tests first (each keeps its place among them): on pytest-xdist's work-stealing scheduler
    (scripts/test.sh) the real-model tests, minutes each, start at once and the fast ones fill the other workers'
    time, instead of one worker ending the run alone on a long test collected late."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# CI (.ci/run sets XSTILTS_REQUIRE_SHARED=1): with ../shared present, a skipped test means a real-data or
# real-model test did not run (the model could not be built, a file is missing), which must fail the run.
_SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _SKIPPED.append((report.nodeid, report.longrepr[2] if isinstance(report.longrepr, tuple) else ""))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # with pytest-xdist the controller, which receives every worker's reports, decides
    if os.environ.get("XSTILTS_REQUIRE_SHARED") == "1" and SHARED.is_dir() and _SKIPPED:
        for nodeid, reason in _SKIPPED:
            print(f"\nskipped with {SHARED} present: {nodeid}: {reason}", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module of tiny-model runs (they gain nothing from more on a shared machine):
    pytestmark = pytest.mark.usefixtures("one_torch_thread")."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
