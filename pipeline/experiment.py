"""Experiments as files: variants (intermediate configurations) x targets x seeds x base models.

An experiment file is JSON (the format of the scripts' own config files). Top-level fields:

    description, question       free text (printed, and kept in the plan)
    variants                    [{...}, ...]: one intermediate configuration each (below); the one named
                                "baseline" (no intermediate training) is what the report measures gains against
    targets                     ["xnli", "panx", "tatoeba", ...] (or "xnli,panx")
    models                      base models (hub ids or paths), default ["xlm-roberta-large"]
    seeds                       [1, 2, 3], default [1]
    languages                   evaluation languages for every target (e.g. "xtreme_r"; default: the task's)
    data_dir                    the local data layout (DIR/<task>/<split>-<lang>.jsonl)
    trainer_flags               flags for every training stage (e.g. ["--bf16"])
    target_flags                flags for every target stage: a list, or {"panx": [...]} per target
    retrieval_flags             flags for the retrieval stages (bucc, tatoeba)
    extra_eval                  {"panx": {"europeana_nl": "DIR"}}: run_target.py --extra_eval NAME=DIR per target
    language_adapters           {"corpora": {"en": FILE, "fi": FILE, ...}, "flags": [...]}: text per language (English
                                required) for the language adapters of the variants that ask for them (below)
    mini                        the same experiment in miniature (below)

A variant: "name" (a folder name; required, unique), "description", and
    task | tasks                the intermediate task, or several (multi-task; a list or "all"); neither = no
                                intermediate training
    model                       this variant's base model (instead of the experiment's models)
    any option of run_intermediate.py's MultiTaskArguments or AugmentArguments, or train_languages, e.g.
                                "train_languages": "en,de,fr", "mlm_corpus": "corpora/", "mlm_weight": 0.2,
                                "augment": "codeswitch", "augment_languages": "auto", "dictionaries": "muse/",
                                "task_kind"/"train_file"/... for "task": "custom"
    intermediate_flags, target_flags    more flags for this variant's intermediate / target stages
    language_adapters           true: MAD-X with LoRA. The variant's job first trains a language adapter per language
                                of the experiment's "language_adapters" (an MLM LoRA run on its text, with its "flags",
                                in <variant>/lang/<language>/), and its trained targets compose them (run_target.py
                                --peft lora --language_adapters; pipeline/stages.py)

"mini" overrides any top-level field (its "variants" is {variant name: fields to change, or null to drop it}),
and may list "prepare" ([format, input, task, split, lang] conversions of original files by prepare_data.py
--from_raw into {data}) and "corpora" ([{"file": NAME, "from": JSONL, "field": "tokens"}]: a text corpus, one
example per line, for --mlm_corpus). A "prepare" entry may name a sixth element, the folder to write into
(default {data}). In every string, {shared} is ../shared (or $XSTILTS_SHARED), {data} the miniature's data folder
(<output_dir>/mini_data), {real_model} the real model ../shared/tools/real-model builds, and {random_model} that
model's architecture and tokenizer with freshly initialised weights (seed 0; built once into {data}), the stand-in
for a second base model where no other is available offline.

    python scripts/experiment.py experiments/q1_domain_shift.json --output_dir runs [--mini]   # the plan
    bash scripts/sweep.sh --experiment experiments/q1_domain_shift.json --output_dir runs [--mini] [--dry_run]

Each (model, seed, variant) is one job of scripts/sweep.sh (pipeline/jobs.py): its intermediate stage, then every
target; its folder is pipeline/layout.py's and each stage records --variant, so scripts/report.py compares the variants
as it compares intermediate tasks. Errors (an unknown field, an unknown task, two variants with one name) name the
file and the field, and stop everything before any run.
"""
import argparse
import dataclasses
import functools
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from pipeline.jobs import experiment_jobs
from tasks import TASKS
from tasks.kinds import kind_of
from tasks.kind import TrainedKind
from utils.args import AugmentArguments, InputError, MultiTaskArguments

ROOT = Path(__file__).resolve().parents[1]
TOP_FIELDS = ("description", "question", "variants", "targets", "models", "seeds", "languages", "data_dir",
              "trainer_flags", "target_flags", "retrieval_flags", "extra_eval", "language_adapters", "mini")
MINI_FIELDS = tuple(f for f in TOP_FIELDS if f != "mini") + ("prepare", "corpora", "note")
OPTION_FIELDS = tuple(dict.fromkeys(
    ["train_languages"] + [f.name for group in (MultiTaskArguments, AugmentArguments)
                           for f in dataclasses.fields(group) if f.init and f.name != "tasks"]))
VARIANT_FIELDS = ("name", "description", "task", "tasks", "model", "intermediate_flags", "target_flags",
                  "language_adapters") + OPTION_FIELDS
BASELINE = "baseline"


@dataclasses.dataclass
class Variant:
    name: str
    intermediate: str = "none"          # run_pipeline.sh --intermediate: a task, a comma list, "all" or "none"
    model: str | None = None
    intermediate_flags: list = dataclasses.field(default_factory=list)
    target_flags: list = dataclasses.field(default_factory=list)
    description: str = ""
    language_adapters: bool = False     # trains and composes the experiment's language adapters


@dataclasses.dataclass
class Experiment:
    path: str
    description: str
    variants: list
    targets: list
    models: list
    seeds: list
    languages: str | None = None
    data_dir: str | None = None
    trainer_flags: list = dataclasses.field(default_factory=list)
    target_flags: dict = dataclasses.field(default_factory=dict)   # target -> flags ("*": every target)
    retrieval_flags: list = dataclasses.field(default_factory=list)
    extra_eval: dict = dataclasses.field(default_factory=dict)
    language_corpora: dict = dataclasses.field(default_factory=dict)     # language -> text for its adapter
    language_adapter_flags: list = dataclasses.field(default_factory=list)
    prepare: list = dataclasses.field(default_factory=list)
    corpora: list = dataclasses.field(default_factory=list)
    shrunk: list = dataclasses.field(default_factory=list)          # --mini: what it changed, for the log


# ---------------------------------------------------------------- reading and checking
def read_file(path) -> dict:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such experiment file") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: expected a JSON object with 'variants' and 'targets'")
    return doc


def check_fields(doc, allowed, where):
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    unknown = [key for key in doc if key not in allowed]
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(allowed)})")


def as_list(value, where, split=","):
    """A list field: a JSON list, or a string split on commas (flags: split like a shell)."""
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value) if split == "shell" else [item.strip() for item in value.split(split) if item.strip()]
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        return [str(item) for item in value]
    raise InputError(f"{where}: expected a list (or a comma-separated string), got {value!r}")


def substitute(value, names: dict):
    """{shared}, {data}, {real_model} in every string of a JSON value (real_model is built only when used)."""
    if isinstance(value, str):
        for key, resolve in names.items():
            if "{" + key + "}" in value:
                value = value.replace("{" + key + "}", resolve())
        return value
    if isinstance(value, list):
        return [substitute(item, names) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, names) for key, item in value.items()}
    return value


def trainable_tasks():
    return sorted(name for name, spec in TASKS.items() if isinstance(kind_of(spec), TrainedKind))


def is_target(spec) -> bool:
    """A target of a pipeline: a task trained from another's English data, or an encoder evaluated as it is."""
    return spec.is_target or not isinstance(kind_of(spec), TrainedKind)


def check_task(name, where):
    if name == "custom" or (name in TASKS and isinstance(kind_of(TASKS[name]), TrainedKind)):
        return name
    raise InputError(f"{where}: unknown or untrainable task {name!r} (known: custom, {', '.join(trainable_tasks())})")


def option_flags(doc) -> list:
    """A variant's option fields -> run_intermediate.py flags (lists joined by commas, booleans as true/false)."""
    flags = []
    for key in OPTION_FIELDS:
        if key in doc and doc[key] is not None:
            value = doc[key]
            value = ",".join(map(str, value)) if isinstance(value, list) else \
                str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{key}", value]
    return flags


def parse_variant(doc, where) -> Variant:
    name = doc.get("name") if isinstance(doc, dict) else None
    check_fields(doc, VARIANT_FIELDS, f"{where} ({name!r})" if isinstance(name, str) else where)
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "._+-" for c in name) or name[0] in ".-":
        raise InputError(f"{where}: 'name' must be a folder name (letters, digits, . _ + -), got {name!r}")
    where = f"{where} ({name!r})"
    if "task" in doc and "tasks" in doc:
        raise InputError(f"{where}: give 'task' or 'tasks', not both")
    variant = Variant(name, model=doc.get("model"), description=doc.get("description", ""),
                      intermediate_flags=as_list(doc.get("intermediate_flags"), f"{where}: intermediate_flags", "shell"),
                      target_flags=as_list(doc.get("target_flags"), f"{where}: target_flags", "shell"))
    if doc.get("task"):
        variant.intermediate = check_task(doc["task"], f"{where}: task")
    elif doc.get("tasks"):
        tasks = as_list(doc["tasks"], f"{where}: tasks")
        variant.intermediate = "all" if tasks == ["all"] else ",".join(check_task(t, f"{where}: tasks") for t in tasks)
        if len(tasks) == 1 and tasks != ["all"]:
            variant.intermediate_flags += ["--tasks", tasks[0]]  # one task through the multi-task path, as asked
            variant.intermediate = tasks[0]
    options = option_flags(doc)
    if options and variant.intermediate == "none":
        raise InputError(f"{where}: {options[0]} needs intermediate training: give 'task' or 'tasks'")
    if name == BASELINE and variant.intermediate != "none":
        raise InputError(f"{where}: the variant named 'baseline' is the reference without intermediate training; "
                         f"give this one another name")
    variant.intermediate_flags = options + variant.intermediate_flags
    variant.language_adapters = doc.get("language_adapters", False)
    if not isinstance(variant.language_adapters, bool):
        raise InputError(f"{where}: language_adapters: expected true or false, got {variant.language_adapters!r}")
    for flag in variant.intermediate_flags + variant.target_flags:
        if " " in flag:
            raise InputError(f"{where}: {flag!r}: flags and paths must not contain spaces (the pipeline splits "
                             f"its flag strings on whitespace)")
    return variant


def parse_language_adapters(doc, where) -> tuple[dict, list]:
    """The "language_adapters" field: ({language: its text file}, the adapter stages' flags). The files themselves
    are checked by the sweep's pre-flight (each adapter stage's --mlm_corpus), as every other file is."""
    if doc is None:
        return {}, []
    check_fields(doc, ("corpora", "flags"), where)
    corpora = doc.get("corpora")
    if not isinstance(corpora, dict) or not corpora:
        raise InputError(f"{where}: 'corpora' must be {{\"en\": FILE, \"de\": FILE, ...}} (the text of each "
                         f"language's adapter), got {corpora!r}")
    if "en" not in corpora:
        raise InputError(f"{where}/corpora: no English text ('en'): the task adapter trains with the English "
                         f"language adapter")
    from utils.languages import language
    for lang, text in corpora.items():
        try:
            language(lang)
        except ValueError as error:
            raise InputError(f"{where}/corpora: {error}") from None
        if not isinstance(text, str) or not text or any(c in text for c in " ,="):
            raise InputError(f"{where}/corpora/{lang}: expected a file path without spaces, commas or '=', "
                             f"got {text!r}")
    return dict(corpora), as_list(doc.get("flags"), f"{where}/flags", "shell")


def apply_mini(doc, path) -> tuple[dict, list]:
    """The experiment with its "mini" section applied; and a description of each change."""
    mini = doc.get("mini")
    if mini is None:
        raise InputError(f"{path}: --mini: this experiment has no 'mini' section")
    check_fields(mini, MINI_FIELDS, f"{path}: mini")
    merged, changes = {key: value for key, value in doc.items() if key != "mini"}, []
    for key, value in mini.items():
        if key == "variants":
            check_fields(value, [v.get("name") for v in doc.get("variants", []) if isinstance(v, dict)],
                         f"{path}: mini/variants")
            variants = []
            for variant in doc.get("variants", []):
                change = value.get(variant.get("name"), {})
                if change is None:
                    changes.append(f"variant {variant['name']}: left out")
                    continue
                check_fields(change, VARIANT_FIELDS, f"{path}: mini/variants/{variant['name']}")
                variants.append({**variant, **change})
                if change:
                    changes.append(f"variant {variant['name']}: {json.dumps(change)}")
            merged["variants"] = variants
        elif key != "note":
            if key == "targets":  # per-target settings of the targets the miniature leaves out go too
                kept = as_list(value, f"{path}: mini/targets")
                for per_target in ("target_flags", "extra_eval"):
                    if isinstance(merged.get(per_target), dict) and per_target not in mini:
                        merged[per_target] = {t: v for t, v in merged[per_target].items() if t in kept or t == "*"}
            if key not in ("prepare", "corpora"):
                changes.append(f"{key}: {json.dumps(doc.get(key))} -> {json.dumps(value)}")
            merged[key] = value
    if mini.get("note"):
        changes.insert(0, str(mini["note"]))
    return merged, changes


def load(path, mini=False, output_dir="runs", shared=None) -> Experiment:
    """Read, check and resolve an experiment file (with its "mini" section applied when mini)."""
    doc = read_file(path)
    check_fields(doc, TOP_FIELDS, str(path))
    changes = []
    if mini:
        doc, changes = apply_mini(doc, path)
    else:
        doc = {key: value for key, value in doc.items() if key != "mini"}
    shared = Path(shared or os.environ.get("XSTILTS_SHARED") or ROOT.parent / "shared")
    data = Path(output_dir).resolve() / "mini_data"
    doc = substitute(doc, {"shared": lambda: str(shared), "data": lambda: str(data),
                           "real_model": lambda: real_model(shared),
                           "random_model": lambda: random_model(real_model(shared), data / "random_init_model")})
    variants_doc = doc.get("variants")
    if not isinstance(variants_doc, list) or not variants_doc:
        raise InputError(f"{path}: 'variants' must be a non-empty list of objects")
    variants = [parse_variant(v, f"{path}: variants[{i}]") for i, v in enumerate(variants_doc)]
    names = [v.name for v in variants]
    for name in names:
        if names.count(name) > 1:
            raise InputError(f"{path}: variants: two variants are named {name!r}")
    targets = as_list(doc.get("targets"), f"{path}: targets")
    if not targets:
        raise InputError(f"{path}: 'targets' is required (e.g. [\"xnli\", \"panx\"])")
    for target in targets:
        if target not in TASKS or not is_target(TASKS[target]):
            known = sorted(name for name, spec in TASKS.items() if is_target(spec))
            raise InputError(f"{path}: targets: unknown target task {target!r} (known: {', '.join(known)})")
    seeds = doc.get("seeds", [1])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise InputError(f"{path}: 'seeds' must be a list of integers, got {seeds!r}")
    target_flags = doc.get("target_flags") or {}
    if not isinstance(target_flags, dict):
        target_flags = {"*": target_flags}
    target_flags = {task: as_list(flags, f"{path}: target_flags/{task}", "shell") for task, flags in target_flags.items()}
    extra_eval = doc.get("extra_eval") or {}
    check_fields(extra_eval, targets, f"{path}: extra_eval")
    for task, sets in extra_eval.items():
        if not isinstance(sets, dict) or not sets:
            raise InputError(f"{path}: extra_eval/{task}: expected {{\"NAME\": \"DIR\"}}, got {sets!r}")
    for task in target_flags:
        if task != "*" and task not in targets:
            raise InputError(f"{path}: target_flags: {task!r} is not one of the targets ({', '.join(targets)})")
    models = as_list(doc.get("models", ["xlm-roberta-large"]), f"{path}: models")
    corpora, adapter_flags = parse_language_adapters(doc.get("language_adapters"), f"{path}: language_adapters")
    for variant in variants:
        if variant.language_adapters and not corpora:
            raise InputError(f"{path}: variants ({variant.name!r}): language_adapters: the experiment has no "
                             f"'language_adapters' (the text of each language: {{\"corpora\": {{\"en\": FILE, ...}}}})")
    return Experiment(str(path), doc.get("description", ""), variants, targets, models, seeds,
                      languages=doc.get("languages"), data_dir=doc.get("data_dir"),
                      trainer_flags=as_list(doc.get("trainer_flags"), f"{path}: trainer_flags", "shell"),
                      target_flags=target_flags,
                      retrieval_flags=as_list(doc.get("retrieval_flags"), f"{path}: retrieval_flags", "shell"),
                      extra_eval=extra_eval, language_corpora=corpora, language_adapter_flags=adapter_flags,
                      prepare=doc.get("prepare", []), corpora=doc.get("corpora", []),
                      shrunk=changes)


@functools.lru_cache(maxsize=None)
def real_model(shared: Path) -> str:
    tool = shared / "tools" / "real-model"
    if not tool.is_file():
        raise InputError(f"{{real_model}}: {tool} not found (the miniature needs ../shared beside the project)")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(tool)], capture_output=True, text=True, env=env)
    if result.returncode != 0 or not result.stdout.strip():
        raise InputError(f"{{real_model}}: {tool} failed: {result.stderr.strip()[-300:]}")
    return result.stdout.strip().splitlines()[-1]


def random_model(source: str, target: Path) -> str:
    """source's architecture and tokenizer with freshly initialised weights (seed 0), written once to target."""
    if not (target / "config.json").is_file():
        import torch
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        torch.manual_seed(0)
        model = AutoModel.from_config(AutoConfig.from_pretrained(source))
        staging = target.with_name(target.name + ".tmp")
        model.save_pretrained(staging)
        AutoTokenizer.from_pretrained(source).save_pretrained(staging)
        staging.replace(target)
        print(f"[experiment] {target}: {source}'s architecture with random weights", file=sys.stderr)
    return str(target)


def prepare_data(experiment: Experiment, output_dir):
    """The miniature's data: original files converted by prepare_data.py, text corpora; once (a READY marker)."""
    if not (experiment.prepare or experiment.corpora):
        return
    data = Path(output_dir).resolve() / "mini_data"
    marker = data / "READY"
    if marker.is_file():
        return
    import prepare_data as converter
    for i, job in enumerate(experiment.prepare):
        if not (isinstance(job, list) and len(job) in (5, 6)):
            raise InputError(f"{experiment.path}: mini/prepare[{i}]: expected [format, input, task, split, lang] "
                             f"or [format, input, task, split, lang, output folder]")
        fmt, source, task, split, lang, folder = (job + [str(data)])[:6]
        print(f"[experiment] prepare: {fmt} {source} -> {folder}/{task}/{split}-{lang}.jsonl", file=sys.stderr)
        converter.main(["--from_raw", fmt, "--input", source, "--task", task, "--split", split, "--lang", lang,
                        "--out", folder])
    for i, corpus in enumerate(experiment.corpora):
        check_fields(corpus, ("file", "from", "field"), f"{experiment.path}: mini/corpora[{i}]")
        write_corpus(Path(corpus["from"]), data / corpus["file"], corpus.get("field", "tokens"))
    marker.write_text("ready\n")


def write_corpus(source: Path, target: Path, field: str):
    """A text corpus (one example per line) from a JSONL file's field (a token list is joined by spaces)."""
    from utils.data import read_jsonl
    from utils.results import write_text_atomic
    lines = []
    for row in read_jsonl(source):
        value = row.get(field)
        lines.append(" ".join(value) if isinstance(value, list) else str(value))
    write_text_atomic(target, "\n".join(lines) + "\n")
    print(f"[experiment] corpus: {len(lines)} lines of {source} ({field}) -> {target}", file=sys.stderr)


def describe(experiment: Experiment, job_list, mini: bool) -> str:
    lines = [f"experiment {experiment.path}{' (mini)' if mini else ''}: {experiment.description}".rstrip(": ")]
    for change in experiment.shrunk:
        lines.append(f"  mini: {change}")
    variants = [f"{v.name} ({v.intermediate}{', language adapters' if v.language_adapters else ''})"
                for v in experiment.variants]
    lines.append(f"  variants: {', '.join(variants)}")
    if experiment.language_corpora:
        lines.append(f"  language adapters: {', '.join(experiment.language_corpora)}")
    lines.append(f"  targets: {', '.join(experiment.targets)}; models: {', '.join(experiment.models)}; "
                 f"seeds: {', '.join(map(str, experiment.seeds))}; {len(job_list)} jobs")
    return "\n".join(lines)


def main(argv=None):
    """Print an experiment's plan: what it runs and its jobs' pipelines."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="the experiment file (JSON)")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--mini", action="store_true", help="the experiment's miniature ('mini' section)")
    args = parser.parse_args(argv)
    try:
        experiment = load(args.experiment, args.mini, args.output_dir)
        job_list = experiment_jobs(experiment, args.output_dir)
    except InputError as error:
        print(f"experiment.py: error: {error}", file=sys.stderr)
        raise SystemExit(2)
    print(describe(experiment, job_list, args.mini))
    for job in job_list:
        print(f"  {job.name}: run_pipeline.sh {shlex.join(job.pipeline_args)}"
              + (f" -- {shlex.join(job.trainer_flags)}" if job.trainer_flags else ""))
