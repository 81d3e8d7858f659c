"""Atomic result files, done-markers, run locks and the metrics layout shared by every run."""
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

DONE = "DONE"
_UMASK = os.umask(0)
os.umask(_UMASK)


def _atomic_write(path, write):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path, text: str):
    _atomic_write(path, lambda f: f.write(text))


def write_json_atomic(path, obj):
    _atomic_write(path, lambda f: (json.dump(obj, f, indent=2, ensure_ascii=False, default=str), f.write("\n")))


def write_jsonl_atomic(path, rows):
    def write(f):
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    _atomic_write(path, write)


def read_json(path):
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


def is_done(output_dir) -> bool:
    return (Path(output_dir) / DONE).is_file()


def mark_done(output_dir):
    write_text_atomic(Path(output_dir) / DONE, "")


@contextmanager
def run_lock(output_dir):
    """Hold <output_dir>/.lock for the run, so two processes never write the same run at once."""
    from filelock import FileLock, Timeout
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(Path(output_dir) / ".lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RuntimeError(f"{output_dir} is locked by another running process (remove {output_dir}/.lock "
                           "only if you are sure no run is using it)") from None
    try:
        yield
    finally:
        lock.release()


def _mean(values):
    return round(sum(values) / len(values), 4) if values else None


def average_metrics(per_language: dict) -> dict:
    """{"de": {"test": {"accuracy": 81.0}}, ...} -> {"test": {"accuracy": mean over languages}}."""
    average = {}
    splits = {split for scores in per_language.values() for split in scores}
    for split in sorted(splits):
        names = {name for scores in per_language.values() for name in scores.get(split, {})}
        average[split] = {name: _mean([scores[split][name] for scores in per_language.values()
                                       if name in scores.get(split, {})]) for name in sorted(names)}
    return average


TRANSLATE_TEST = "translate_test"  # the split of run_target.py --translate_test's scores (engine/plan.py)
FEW_SHOT_SPLIT = re.compile(r"fewshot(\d+)")  # the split of --few_shot K's mean over shot sets (engine/few_shot.py)


def few_shot_split(k) -> str:
    return f"fewshot{k}"


def is_setting(name: str) -> bool:
    """A metrics.json split that is a transfer setting beside zero-shot (--translate_test, --few_shot K), not an
    --extra_eval set (whose names cannot take these forms)."""
    return name == TRANSLATE_TEST or FEW_SHOT_SPLIT.fullmatch(name) is not None


def metrics_document(task: str, metric: str, per_language: dict, **extra) -> dict:
    """The metrics.json layout of DESIGN.md: scores in percent per language and split, plus their average."""
    return {"task": task, "metric": metric, "per_language": per_language,
            "average": average_metrics(per_language), **extra}


def run_config(*argument_groups, **fields) -> dict:
    """run_config.json: every argument, package versions, the code's git commit and the start time."""
    import dataclasses
    import importlib.metadata
    import subprocess
    import time
    arguments = {}
    for group in argument_groups:
        arguments.update({k: v for k, v in dataclasses.asdict(group).items()
                          if not k.startswith("_") and k != "kind_options"})  # recorded as the option groups
    versions = {}
    for package in ("torch", "transformers", "datasets", "accelerate", "tokenizers", "peft"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                                capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {**fields, "arguments": arguments, "seed": arguments.get("seed"), "versions": versions,
            "git_commit": commit, "start_time": time.strftime("%Y-%m-%dT%H:%M:%S")}


def last_complete_checkpoint(output_dir, remove_partial=True):
    """The newest Trainer checkpoint that was completely written (its trainer_state.json, saved last, parses).
    Newer checkpoints cut short by a kill are removed (by the main process), so the run resumes from the last
    good one."""
    import re
    import shutil
    folders = [p for p in Path(output_dir).glob("checkpoint-*") if p.is_dir() and re.fullmatch(r"checkpoint-\d+", p.name)]
    for folder in sorted(folders, key=lambda p: int(p.name.split("-")[1]), reverse=True):
        try:
            json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
            return str(folder)
        except (OSError, ValueError):
            if remove_partial:
                shutil.rmtree(folder, ignore_errors=True)
    return None
