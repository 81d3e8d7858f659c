#!/usr/bin/env python
"""Export one configuration of the runs as the prediction folder XTREME's evaluate.py reads, and zip it.

    python scripts/export_submission.py RUNS_DIR --benchmark xtreme|xtreme_r --out DIR
        [--model M] [--intermediate I] [--seed S] [--best_per_target] [--allow_partial] [--overwrite] [--zip PATH]

Runs are read as report.py reads them (reporting/runs.py). A configuration is a base model, an intermediate
task and a seed: a field the runs hold one value of needs no flag; several values are an error listing them,
unless --best_per_target picks, per target, the configuration with the best English dev score (its metrics.json
per_language/en/validation), or, when some candidate has none, the best mean over languages of the test score.

Every task of the benchmark (TaskSpec.benchmarks) with its languages (tasks.resolve_languages) is written as
DIR/<task>/test-<lang>.<ext> (google-research/xtreme evaluate.py: READER_FUNCTION, get_suffix, evaluate()),
from <run>/predictions/<task>/test-<lang>.jsonl, in the records' order (the order of the test files):

  classification  .tsv    the predicted label, one per line             read_label, accuracy (by line)
  tagging         .tsv    one tag per line, a blank line after each     read_tag, seqeval f1 (by line)
                          sentence
  span QA         .json   {question id: answer text}                    read_squad, squad/mlqa eval (by id)
  Tatoeba         .tsv    index of the retrieved sentence, one a line   read_label, accuracy (by line)
  BUCC            .tsv    source id <TAB> target id, the mined pairs    read_label, bucc_f1 (a set of pairs)
  XCOPA           .jsonl  {"label": choice index}, one a line           read_xcopa, accuracy (by line)
  Mewsli-X        .json   {query id: [candidate ids, best first]}       read_squad, mewslix map@20 (by id)
  LAReQA          .json   as Mewsli-X (evaluate.py lists no LAReQA language and has no reader for it)

A missing task or language is an error (leaderboards reject incomplete submissions) unless --allow_partial. The
folder is built beside DIR and moved into place (a non-empty DIR needs --overwrite), then zipped into DIR.zip
(--zip PATH) with the task folders at the top of the archive.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: reporting/, tasks/, utils/
from reporting.runs import BENCHMARKS, benchmark_languages, collect, headline, read_object  # noqa: E402
from reporting.stats import mean  # noqa: E402
from tasks import TASKS  # noqa: E402
from tasks.kinds import kind_of  # noqa: E402
from utils.args import InputError, cli, input_errors  # noqa: E402
from utils.data import iter_jsonl  # noqa: E402
from utils.results import write_text_atomic  # noqa: E402

NAME = "export_submission.py"
ALIASES = {"xtreme-r": "xtreme_r"}  # --benchmark spellings beside reporting.runs.BENCHMARKS
EVALUATE_PY_TASKS = {"pawsx", "xnli", "panx", "udpos", "bucc2018", "tatoeba", "xquad", "mlqa", "tydiqa", "xcopa",
                     "mewslix", "lareqa"}  # XTREME_TASK2LANGS and XTREME_R_TASK2LANGS
NOTES = {"lareqa": "evaluate.py has no LAReQA reader (XTREME_R_TASK2LANGS['lareqa'] is empty): written like "
                   "Mewsli-X, {question id: [candidate ids, best first]}; a label folder with lareqa/ too makes "
                   "evaluate.py stop on its overall score (KeyError 'avg_metric')"}
CONFIG_FIELDS = (("model", "base_model"), ("intermediate", "intermediate"), ("seed", "seed"))


# ---------------------------------------------------------------- record -> line converters, one per format
def _fail(where, n, expected, got):
    raise InputError(f"{where} line {n}: expected {expected}, got {json.dumps(got, ensure_ascii=False)[:80]}")


def _one_line(value, where, n, what="a non-empty string on one line"):
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip() \
            or str(value) != str(value).strip() or any(c in str(value) for c in "\t\r\n"):
        _fail(where, n, what, value)
    return str(value)


def _index(value, where, n):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, n, "a non-negative integer index in 'prediction'", value)
    return value


def labels_file(records, where):
    return "".join(_one_line(r["prediction"], where, n, "a label in 'prediction'") + "\n" for n, r in records)


def tags_file(records, where):
    lines = []
    for n, r in records:
        tags, gold = r["prediction"], r.get("label")
        if not isinstance(tags, list):
            _fail(where, n, "a list of tags in 'prediction'", tags)
        if isinstance(gold, list) and len(gold) != len(tags):
            _fail(where, n, f"{len(gold)} tags in 'prediction' (one per token of 'label')", len(tags))
        lines += [_one_line(tag, where, n, "tags without spaces") + "\n" for tag in tags] + ["\n"]
    return "".join(lines)


def _by_id(records, where, value):
    answers = {}
    for n, r in records:
        key = _one_line(r.get("id"), where, n, "an 'id'")
        if key in answers or key == "data":  # read_squad would take {"data": ...} for a SQuAD file
            _fail(where, n, "unique ids other than 'data'", key)
        answers[key] = value(r["prediction"], n)
    return json.dumps(answers, ensure_ascii=False, indent=1) + "\n"


def answers_file(records, where):
    def answer(text, n):
        return text if isinstance(text, str) else _fail(where, n, "an answer text in 'prediction'", text)
    return _by_id(records, where, answer)


def ranked_file(records, where):
    def ranking(ids, n):
        if not isinstance(ids, list):
            _fail(where, n, "a list of candidate ids in 'prediction'", ids)
        return [_one_line(i, where, n, "candidate ids") for i in ids]
    return _by_id(records, where, ranking)


def indices_file(records, where):
    for position, (n, r) in enumerate(records):
        if r.get("id") != position:  # line i of the gold file is sentence i
            _fail(where, n, f"the records in the order of their ids (id {position})", r.get("id"))
    return "".join(f"{_index(r['prediction'], where, n)}\n" for n, r in records)


def pairs_file(records, where):
    return "".join(f"{_one_line(r.get('id'), where, n, 'a source id')}\t"
                   f"{_one_line(r['prediction'], where, n, 'a target id')}\n" for n, r in records)


def choices_file(records, where):
    return "".join(json.dumps({"label": _index(r["prediction"], where, n)}) + "\n" for n, r in records)


# format: (file extension, converter, whether an empty predictions file is valid)
FORMATS = {"labels": ("tsv", labels_file, False), "tags": ("tsv", tags_file, False),
           "answers": ("json", answers_file, False), "indices": ("tsv", indices_file, False),
           "pairs": ("tsv", pairs_file, True), "choices": ("jsonl", choices_file, False),
           "ranked": ("json", ranked_file, False)}
def submission_format(spec) -> str:
    """The task's kind's format (Kind.SUBMISSION_FORMAT)."""
    format_ = kind_of(spec).SUBMISSION_FORMAT
    if format_ is None:
        raise InputError(f"task {spec.name!r}: no XTREME submission format for kind {spec.kind!r}")
    return format_


def xtreme_name(spec) -> str:
    name = spec.xtreme_name or spec.name  # the registry's name for evaluate.py's folder, if not ours
    if name not in EVALUATE_PY_TASKS:
        raise InputError(f"task {spec.name!r}: no folder of XTREME's evaluate.py is named {name!r}")
    return name


def read_records(path: Path):
    """[(line number, record)] of a predictions file; every record a JSON object with a 'prediction'."""
    records = []
    with input_errors():
        for n, record in iter_jsonl(path):
            if "prediction" not in record:
                _fail(path, n, "a JSON object with a 'prediction'", record)
            records.append((n, record))
    return records


def convert(path: Path, spec) -> str:
    _, converter, empty_ok = FORMATS[submission_format(spec)]
    records = read_records(path)
    if not records and not empty_ok:
        raise InputError(f"{path}: no predictions")
    return converter(records, path)


# ---------------------------------------------------------------- which runs
def benchmark_tasks(benchmark):
    return {name: spec for name, spec in TASKS.items() if benchmark in spec.benchmarks}


def narrow(candidates, args):
    """Apply --model/--intermediate/--seed; a field left with several values is ambiguous unless
    --best_per_target."""
    for flag, attr in CONFIG_FIELDS:
        wanted = getattr(args, flag)
        if wanted is not None:
            values = sorted({str(getattr(run, attr)) for run in candidates})
            candidates = [run for run in candidates if str(getattr(run, attr)) == str(wanted)]
            if not candidates:
                raise InputError(f"--{flag} {wanted}: no finished {args.benchmark} run has it "
                                 f"(found: {', '.join(values)})")
    ambiguous = [f"--{flag} ({', '.join(values)})" for flag, attr in CONFIG_FIELDS
                 if len(values := sorted({str(getattr(run, attr)) for run in candidates})) > 1]
    if ambiguous and not args.best_per_target:
        raise InputError(f"the runs hold several configurations: choose {'; '.join(ambiguous)}, "
                         "or pass --best_per_target")
    return candidates


def dev_scores(root, run) -> dict:
    """The run's English dev scores by source: "selection" (the score that selected its checkpoint, metrics.json
    selection.best, keyed with its metric) and "validation" (its evaluated English dev split's headline)."""
    metrics, found = read_object(root / run.path / "metrics.json"), {}
    selection = metrics.get("selection")
    if isinstance(selection, dict) and isinstance(selection.get("best"), (int, float)) \
            and selection.get("metric") not in (None, "loss", "eval_loss"):
        found[("selection", selection["metric"])] = float(selection["best"])
    scores = metrics.get("per_language", {}).get("en", {}).get("validation")
    if isinstance(scores, dict):
        found[("validation", metrics.get("metric"))] = headline(scores, metrics.get("metric"))
    return found


def best_run(root, runs, languages):
    """The run with the best English dev score, from one source all candidates share (the selecting score, else
    the evaluated dev split), or the best test mean over the languages when they share none."""
    dev = [dev_scores(root, run) for run in runs]
    shared = [source for source in (dev[0] if dev else {}) if all(source in d for d in dev)]
    if shared:
        source = shared[0]
        scores, criterion = [d[source] for d in dev], f"English dev score ({source[0]}: {source[1]})"
    else:
        scores = [mean(run.scores[lang] for lang in languages if lang in run.scores) for run in runs]
        criterion = "mean test score over languages (no English dev score all configurations share)"
    scored = [(s, -i, run) for i, (s, run) in enumerate(zip(scores, runs)) if s is not None]
    if not scored:
        return runs[0], f"no score to compare {len(runs)} configurations: the first taken"
    score, _, run = max(scored)
    return run, f"best {criterion}: {score:.2f} of {len(runs)} configurations"


def choose(root, runs, tasks, languages, args):
    """{task: (run, how it was chosen)} for the benchmark's tasks that have a finished run."""
    candidates = narrow([run for run in runs if run.status == "finished" and run.is_target and run.task in tasks],
                        args)
    if not candidates:
        raise InputError(f"{root}: no finished run of a {args.benchmark} task ({', '.join(tasks)})")
    chosen = {}
    for task in tasks:
        found = sorted((run for run in candidates if run.task == task),
                       key=lambda run: (run.base_model, run.intermediate, str(run.seed)))
        if len(found) == 1:
            chosen[task] = (found[0], "")
        elif found:
            chosen[task] = best_run(root, found, languages[task])
    return chosen


def truncated(root, run):
    arguments = read_object(root / run.path / "run_config.json", optional=True).get("arguments") or {}
    limit = arguments.get("max_eval_samples")
    return f"{run.path}: made with --max_eval_samples {limit} (a submission needs whole test sets)" if limit else None


# ---------------------------------------------------------------- writing
def check_outputs(out: Path, archive: Path, root: Path, overwrite: bool):
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    if out.resolve() == root.resolve() or out.resolve() in root.resolve().parents:
        raise InputError(f"--out {out}: would hold RUNS_DIR {root}")
    if out.resolve() in archive.resolve().parents:
        raise InputError(f"--zip {archive}: must not lie inside --out {out}")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise InputError(f"--out {out}: exists and is not empty (pass --overwrite to replace it)")
        strays = [p.name for p in out.iterdir() if not (p.is_dir() and p.name in EVALUATE_PY_TASKS)]
        if strays:
            raise InputError(f"--out {out}: not a submission folder (holds {', '.join(sorted(strays)[:5])}); "
                             "not replacing it")
    if archive.exists() and not overwrite:
        raise InputError(f"--zip {archive}: exists (pass --overwrite to replace it)")


def write_folder(out: Path, files: dict):
    """Write every file into a temporary folder beside `out`, then move it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    umask = os.umask(0)
    os.umask(umask)
    try:
        for relative, text in files.items():
            write_text_atomic(tmp / relative, text)
        os.chmod(tmp, 0o777 & ~umask)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_zip(folder: Path, archive: Path):
    archive.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=archive.parent, prefix=f".{archive.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                z.write(path, path.relative_to(folder).as_posix())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, archive)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- main
def describe(run):
    return f"{run.path} (model {run.base_model}, intermediate {run.intermediate}, seed {run.seed})"


def export(args):
    root, out = Path(args.runs_dir), Path(args.out)
    archive = Path(args.zip) if args.zip else out.with_name(out.name + ".zip")
    if not root.is_dir():
        raise InputError(f"RUNS_DIR {root}: not a folder")
    check_outputs(out, archive, root, args.overwrite)
    tasks = benchmark_tasks(args.benchmark)
    languages = {task: benchmark_languages(spec, args.benchmark) for task, spec in tasks.items()}
    runs = collect(root, out, "test")
    chosen = choose(root, runs, tasks, languages, args)
    files, missing, lines = {}, [], []
    for task, spec in tasks.items():
        if task not in chosen:
            missing.append(f"{task} (no finished run)")
            continue
        run, how = chosen[task]
        folder, (ext, _, _) = xtreme_name(spec), FORMATS[submission_format(spec)]
        problem = truncated(root, run)
        if problem:
            missing.append(problem)
        absent = []
        for lang in languages[task]:
            path = root / run.path / "predictions" / task / f"test-{lang}.jsonl"
            if path.is_file():
                files[f"{folder}/test-{lang}.{ext}"] = convert(path, spec)
            else:
                absent.append(lang)
        if absent:
            missing.append(f"{task} {', '.join(absent)} (no test-<lang>.jsonl in {root / run.path}/predictions/{task})")
        written = len(languages[task]) - len(absent)
        lines.append(f"  {folder:<9} {written:>2}/{len(languages[task])} languages from {describe(run)}"
                     + (f"; {how}" if how else "") + (f"; note: {NOTES[folder]}" if folder in NOTES else ""))
    if missing and not args.allow_partial:
        raise InputError(f"incomplete {args.benchmark} submission: {'; '.join(missing)} "
                         "(pass --allow_partial to export the rest)")
    if not files:
        raise InputError(f"{root}: nothing to export for {args.benchmark}")
    write_folder(out, files)
    write_zip(out, archive)
    print(f"{NAME}: {args.benchmark}: {len(files)} files in {out} and {archive}")
    print("\n".join(lines))
    if missing:
        print(f"incomplete (--allow_partial): {'; '.join(missing)}. evaluate.py raises FileNotFoundError on a task "
              "folder that lacks a language, and gives no overall score without every task")
    return {"files": sorted(files), "missing": missing,
            "chosen": {task: str(root / run.path) for task, (run, _) in chosen.items()}}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs_dir", help="folder holding the runs (searched recursively, as report.py does)")
    parser.add_argument("--benchmark", required=True, choices=sorted([*BENCHMARKS, *ALIASES]))
    parser.add_argument("--out", required=True, help="the prediction folder to write")
    parser.add_argument("--zip", help="the archive to write (default: OUT.zip)")
    parser.add_argument("--model", help="base model of the configuration (as report.py names it)")
    parser.add_argument("--intermediate", help="intermediate task of the configuration (baseline: none)")
    parser.add_argument("--seed", help="seed of the configuration")
    parser.add_argument("--best_per_target", action="store_true",
                        help="per target, the configuration with the best English dev score (else test mean)")
    parser.add_argument("--allow_partial", action="store_true", help="export even if tasks or languages are missing")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out and an existing --zip")
    args = parser.parse_args(argv)
    args.benchmark = ALIASES.get(args.benchmark, args.benchmark)
    if args.intermediate is not None and args.intermediate.lower() in ("none", ""):
        args.intermediate = "baseline"
    return args


def main(argv=None):
    args = parse_args(argv)
    with input_errors():  # unreadable run files: one line naming the file
        return export(args)


if __name__ == "__main__":
    cli(main, NAME)
