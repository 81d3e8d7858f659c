"""Few-shot target-language training (run_target.py --few_shot K; Lauscher et al. 2020, Zhao et al. 2021).

After English training, the selected model continues on K labelled examples ("shots") of each evaluation language,
one short run per (K, language, shot set), each starting again from the English model and evaluated on the
language's test set. What K counts is the kind's (tasks/kind.py SHOTS). Shots are read from published shot sets
(fsxlt/buckets' layout) or drawn deterministically from the language's training split (else its validation split),
never from the evaluated split. Each set's scores are the split `fewshot<K>-<set>`'s predictions; metrics.json gives
the mean over the sets as the split `fewshot<K>` and every set's scores under "few_shot".
"""
import logging
import math
import random
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import datasets

from engine.training_set import has_language_configs
from tasks.kinds import kind_of
from utils.args import InputError
from utils.data import is_iob, local_path
from utils.languages import language
from utils.results import few_shot_split
from utils.trainer import KeepBestInMemory, Trainer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FewShotPlan:
    ks: tuple[int, ...]
    sets: int
    languages: tuple[str, ...]  # the evaluation languages that get shots (not the training languages)
    sources: dict               # language -> the split drawn shots come from (unused with published shot sets)
    selection: dict             # language -> the split choosing the epoch (validation), or None (last epoch)
    shots_dir: str | None       # published shot sets (fsxlt/buckets), else drawn
    arguments: object           # utils.args.FewShotArguments (the recipe)


def parse_ks(value) -> tuple[int, ...]:
    try:
        ks = tuple(int(k) for k in str(value).split(",") if k.strip())
    except ValueError:
        ks = ()
    if not ks or min(ks) < 1:
        raise InputError(f"--few_shot {value}: expected K or a comma list of K, each a positive integer (1,2,4,8)")
    return tuple(dict.fromkeys(ks))


def few_shot_plan(spec, languages, arguments, data_args, eval_splits, train_languages=("en",)) -> FewShotPlan | None:
    """--few_shot K (utils.args.FewShotArguments) -> the plan of the few-shot runs, None without the flag."""
    if arguments is None or not arguments.few_shot:
        return None
    ks, kind = parse_ks(arguments.few_shot), kind_of(spec)
    if kind.SHOTS is None:
        raise InputError(f"--few_shot: task {spec.name!r} ({spec.kind}) has no few-shot training; it is for "
                         "classification, multiple-choice, tagging and span QA targets")
    if arguments.shot_sets < 1:
        raise InputError(f"--shot_sets {arguments.shot_sets}: expected at least 1")
    if arguments.shots and SHOT_FILES.get(kind.SHOTS, (None, None))[1] not in kind.RAW_FORMATS:
        raise InputError(f"--shots: published shot sets (fsxlt/buckets) are for classification and tagging tasks, "
                         f"not {spec.name!r} ({spec.kind}); leave --shots out to draw the shots")
    if arguments.shots and arguments.shot_split:
        raise InputError("--shot_split: the shots of --shots are the published ones; give one of the two")
    if arguments.shot_split and not readable(spec, arguments.shot_split, None, data_args, eval_splits):
        raise InputError(f"--shot_split {arguments.shot_split}: the shots cannot come from an evaluated split "
                         f"(--eval_splits {','.join(eval_splits)})")
    targets = tuple(lang for lang in languages if lang not in train_languages)
    sources = {} if arguments.shots else \
        {lang: arguments.shot_split or shot_source(spec, lang, data_args, eval_splits) for lang in targets}
    selection = {lang: dev_split(spec, lang, arguments, data_args, eval_splits) for lang in targets}
    root = str(bucket_root(arguments.shots, spec)) if arguments.shots else None
    return FewShotPlan(ks, arguments.shot_sets, targets, sources, selection, root, arguments)


def readable(spec, split, lang, data_args, eval_splits) -> bool:
    """Whether the run can read split for lang without touching an evaluated split: a local file that exists, or a
    hub split the registry knows (official sizes; a language a per-language size list leaves out: the hub's
    per-language configs) that is not the hub split an evaluated split reads (XQuAD's test is the hub's validation)."""
    if data_args.data_dir:
        return split not in eval_splits and (lang is None or local_path(
            data_args.data_dir, spec.data_task or spec.name, split, lang).is_file())
    if spec.hub_split(split) in {spec.hub_split(evaluated) for evaluated in eval_splits}:
        return False
    sizes = spec.official_sizes.get(split)
    if lang is None or sizes is None:
        return sizes is not None
    known = not isinstance(sizes, dict) or lang in sizes or has_language_configs(spec)
    return known and spec.hub_has_split(split, lang)


def shot_source(spec, lang, data_args, eval_splits) -> str:
    """The split drawn shots come from: the language's training split where it has one, else its validation
    split (readable)."""
    for split in ("train", "validation"):
        if readable(spec, split, lang, data_args, eval_splits):
            return split
    raise InputError(f"--few_shot: task {spec.name!r} has no training or validation split for {lang} to draw shots "
                     f"from (besides the evaluated {','.join(eval_splits)}); pass --shots DIR or --data_dir with "
                     f"{local_path('DIR', spec.data_task or spec.name, 'train', lang)}")


def dev_split(spec, lang, arguments, data_args, eval_splits) -> str | None:
    """--few_shot_selection dev: the validation split of lang, which must be readable (else an error naming
    --few_shot_selection last); None for last."""
    if arguments.few_shot_selection != "dev":
        return None
    if readable(spec, "validation", lang, data_args, eval_splits):
        return "validation"
    raise InputError(f"--few_shot_selection dev: task {spec.name!r} has no validation split for {lang} besides the "
                     f"evaluated {','.join(eval_splits)} to choose the epoch on; pass --few_shot_selection last "
                     f"or --data_dir with {local_path('DIR', spec.data_task or spec.name, 'validation', lang)}")


# ---- drawn shots --------------------------------------------------------------------------------------------------
CLASS_FIELD = "label"  # the gold field of the per_class kinds (classification, multiple choice)


def tag_types(tags) -> list:
    """The tag types a sentence counts for (per_tag): entity types of its B- tags (IOB), else its tags but O."""
    if is_iob(set(tags)):
        return [tag[2:] for tag in tags if tag.startswith("B-")]
    return [tag for tag in tags if tag != "O"]


def shortfall(kind, examples, k, labels=()) -> str | None:
    """Why K shots cannot be drawn from examples (the class or tag type and its count), or None. labels: the
    classes that must each have K (a label with no example at all included)."""
    if kind.SHOTS == "examples":
        return None if len(examples) >= k else f"{len(examples)} examples, fewer than K={k}"
    if kind.SHOTS == "per_class":
        counts = Counter({str(label): 0 for label in labels})
        counts.update(str(label) for label in examples[CLASS_FIELD])
    else:
        counts = Counter(t for tags in examples[kind.LABEL_FIELD] for t in tag_types(tags))
    short = sorted((n, str(name)) for name, n in counts.items() if n < k)
    if short:
        n, name = short[0]
        what = "label" if kind.SHOTS == "per_class" else "tag type"
        return f"the {what} {name!r} has {n} examples, fewer than K={k}"
    return None


def draw_shots(kind, examples, k, seed_text) -> list[int]:
    """The rows of K shots drawn from examples (deterministic in seed_text), in their order in examples."""
    order = list(range(len(examples)))
    random.Random(seed_text).shuffle(order)
    if kind.SHOTS == "examples":
        return sorted(order[:k])
    if kind.SHOTS == "per_class":
        labels, taken, chosen = [str(v) for v in examples[CLASS_FIELD]], Counter(), []
        for row in order:
            taken[labels[row]] += 1
            if taken[labels[row]] <= k:
                chosen.append(row)
        return sorted(chosen)
    rows, needed = examples[kind.LABEL_FIELD], Counter()
    for tags in rows:
        needed.update({t: 0 for t in tag_types(tags)})
    chosen = []
    for row in order:  # a sentence is taken while it brings a type that still lacks occurrences
        types = tag_types(rows[row])
        if any(needed[t] < k for t in types):
            chosen.append(row)
            needed.update(types)
        if all(n >= k for n in needed.values()):
            break
    return sorted(chosen)


# ---- published shot sets (fsxlt/buckets) --------------------------------------------------------------------------
SHOT_FILES = {"per_class": ("sampled.json", "fsxlt_sampled"), "per_tag": ("train.tsv", "conll")}  # file, RAW_FORMATS


def bucket_root(directory, spec) -> Path:
    """The task's folder of a buckets checkout: DIR itself (DIR/<K>-shots/...) or DIR/<task>."""
    directory = Path(directory)
    for folder in (directory, directory / (spec.data_task or spec.name)):
        if any(folder.glob("*-shots")):
            return folder
    raise InputError(f"--shots {directory}: no <K>-shots folders in it or in {directory / spec.name} (expected "
                     "fsxlt/buckets' layout: <task>/<K>-shots/<language>/<i>-th/sampled.json or train.tsv)")


def bucket_folder(root, k, lang, index) -> Path:
    """<root>/<K>-shots/<language>/<index>-th; the language folder is named by its code (PAN-X, UD-POS) or its
    English name in lower case (XNLI, PAWS-X: german)."""
    for name in (lang, language(lang).name.lower()):
        folder = Path(root) / f"{k}-shots" / name / f"{index}-th"
        if folder.is_dir():
            return folder
    raise InputError(f"--shots {root}: no shot set {index} of K={k} for {lang} (expected {root}/{k}-shots/"
                     f"{lang} or {language(lang).name.lower()}/{index}-th)")


def read_shot_set(spec, kind, root, k, lang, index) -> list[dict]:
    """One published shot set as rows of the task's schema, read by the kind's converter of the file's format
    (SHOT_FILES); [] for an empty set (some published files are)."""
    name, fmt = SHOT_FILES[kind.SHOTS]
    path = bucket_folder(root, k, lang, index) / name
    if not path.is_file():
        raise InputError(f"{path}: no such file (a {spec.kind} shot set is {name})")
    convert = kind.RAW_FORMATS[fmt]
    rows = list(convert(path, spec=spec, cut=False)) if path.stat().st_size else []
    labels = set(spec.labels or ())
    bad = next((label for row in rows for label in (row["tags"] if "tags" in row else [row["label"]])
                if labels and label not in labels), None)
    if bad is not None:
        raise InputError(f"{path}: label {bad!r} is not a label of task {spec.name!r} ({', '.join(spec.labels)})")
    return rows


# ---- the runs -----------------------------------------------------------------------------------------------------
class FewShotTestData:
    """The language's test set, evaluated as the split fewshot<K>-<set> (engine/runner.py evaluate_language)."""

    def __init__(self, data):
        self.data = data
        self.spec, self.kind, self.labels, self.data_args = data.spec, data.kind, data.labels, data.data_args

    def examples(self, split, lang, limit=None):
        return self.data.examples("test", lang, limit)

    def features(self, examples, is_train):
        return self.data.features(examples, is_train)


def shots_of(plan, data, k, lang, index, seed) -> datasets.Dataset | None:
    """The shots of one set (None: an empty published set, skipped)."""
    if plan.shots_dir:
        rows = read_shot_set(data.spec, data.kind, plan.shots_dir, k, lang, index)
        return datasets.Dataset.from_list(rows) if rows else None
    pool = data.examples(plan.sources[lang], lang)
    return pool.select(draw_shots(data.kind, pool, k, f"{seed}:{data.spec.name}:{lang}:{k}:{index}"))


def text_key(kind, row) -> str:
    """A row's text with all whitespace removed: published shots are pre-tokenised ("erklärt , die")."""
    parts = [row.get(field) for field in kind.TEXT_FIELDS]
    return "".join("".join(map(str, part)) if isinstance(part, list) else str(part or "") for part in parts
                   ).translate({ord(c): None for c in " \t\n\u00a0"})


def selection_set(plan, data, lang, shots, limit):
    """The language's dev examples that choose the epoch, the shots left out (by text, and by id when they were
    drawn from that split), its first `limit`; None for --few_shot_selection last."""
    if plan.selection.get(lang) is None:
        return None
    dev = data.examples(plan.selection[lang], lang)
    ids = set(shots["id"]) if plan.sources.get(lang) == plan.selection[lang] else set()
    texts = {text_key(data.kind, row) for row in shots}
    kept = [n for n, row in enumerate(dev) if row["id"] not in ids and text_key(data.kind, row) not in texts]
    if not kept:
        raise InputError(f"--few_shot_selection dev: {data.spec.name} validation-{lang} has no examples besides the "
                         "shots to choose the epoch on; pass --few_shot_selection last")
    return dev.select(kept[:limit] if limit else kept)


def few_shot_arguments(training_args, arguments, out, selecting):
    """The training arguments of one few-shot run: the recipe's learning rate (constant), batch (over every
    process) and epochs, the epoch kept in memory (utils.trainer.KeepBestInMemory), nothing saved or logged to
    experiment trackers (one run per shot set)."""
    per_device = max(1, math.ceil(arguments.few_shot_batch_size / max(training_args.world_size, 1)))
    return replace(training_args, output_dir=str(out), learning_rate=arguments.few_shot_learning_rate,
                   num_train_epochs=arguments.few_shot_epochs, max_steps=-1, per_device_train_batch_size=per_device,
                   gradient_accumulation_steps=1, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
                   eval_strategy="epoch" if selecting else "no", save_strategy="no", load_best_model_at_end=False,
                   logging_steps=1, early_stopping_patience=None, effective_batch_size=None, report_to="none")


def run_few_shot(run, eval_data, per_language, evaluate_language) -> dict:
    """Every few-shot run of the plan (task_run: engine/runner.py TaskRun after its zero-shot evaluation): adds the
    mean over shot sets as per_language[lang]["fewshot<K>"] and returns {K: {lang: [each set's metrics]}}.
    A set whose predictions file exists (an interrupted run) is read, not trained again."""
    plan, model = run.plan.few_shot, run.trainer.model
    english = {name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()}
    test_data, limit = FewShotTestData(eval_data), run.data_args.max_eval_samples
    results = {}
    for k in plan.ks:
        for lang in plan.languages:
            scores = []
            for index in range(plan.sets):
                name = f"{few_shot_split(k)}-{index}"
                if not (Path(run.out) / "predictions" / eval_data.spec.name / f"{name}-{lang}.jsonl").is_file():
                    shots = shots_of(plan, eval_data, k, lang, index, run.training_args.seed)
                    if shots is None:
                        logger.warning("%s K=%d %s set %d: the published shot set is empty; skipped",
                                       eval_data.spec.name, k, lang, index)
                        continue
                    model.load_state_dict(english)
                    trainer = few_shot_trainer(run, eval_data, shots, lang, Path(run.out) / "few_shot" / name)
                    trainer.train()
                scores.append(evaluate_language(run.trainer, test_data, name, lang, run.out, limit))
            if scores:
                results.setdefault(str(k), {})[lang] = scores
                per_language.setdefault(lang, {})[few_shot_split(k)] = mean_metrics(scores)
    model.load_state_dict(english)
    return results


def few_shot_trainer(run, data, shots, lang, out):
    """A Trainer continuing the English model on the shots, its epoch chosen on the language's dev set."""
    arguments = run.plan.few_shot.arguments
    dev = selection_set(run.plan.few_shot, data, lang, shots, run.plan.selection_limit)
    dev_features = data.features(dev, is_train=False) if dev is not None else None
    metric = data.spec.selection_metric
    labels = data.labels

    def selection_metrics(prediction):
        records = data.kind.postprocess(data.spec, prediction.predictions, dev, dev_features, data.data_args,
                                        labels=labels)
        return data.kind.compute_metrics(data.spec, records, lang)

    args = few_shot_arguments(run.training_args, arguments, out, dev is not None)
    callbacks = [KeepBestInMemory(metric, arguments.few_shot_patience)] if dev is not None else []
    return Trainer(model=run.trainer.model, args=args, processing_class=run.tokenizer,
                   train_dataset=data.features(shots, True), eval_dataset=dev_features,
                   data_collator=data.kind.data_collator(data.spec, run.tokenizer, data.data_args),
                   compute_metrics=selection_metrics if dev is not None else None, callbacks=callbacks)


def mean_metrics(scores) -> dict:
    """The mean of each numeric metric over the shot sets, with their number."""
    names = [name for name, value in scores[0].items() if isinstance(value, (int, float))]
    return {**{name: sum(s[name] for s in scores) / len(scores) for name in names}, "shot_sets": len(scores)}
