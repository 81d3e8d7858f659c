"""What a run reads, derived once from its arguments: the task and the task it trains on, the training languages,
the dev set that selects the checkpoint, the evaluation splits and languages, the --extra_eval sets and the
--translate_test set. The
pre-flight checks the plan's reads, the runner reads them, and pipeline/cost.py counts them."""
from dataclasses import dataclass, field
from pathlib import Path

from engine.few_shot import few_shot_plan
from engine.training_set import training_languages
from tasks import get_task, resolve_languages
from tasks.kinds import kind_of
from tasks.spec import SPLITS
from utils.args import InputError, extra_eval_sets, input_errors, split_list
from utils.data import parse_label_map


@dataclass(frozen=True)
class RunPlan:
    task: object                               # the TaskSpec evaluated
    train_task: object                         # the TaskSpec trained on: a target's English task, else task
    zero_shot: bool                            # every language of a target task (run_target.py); else English
    do_train: bool
    train_languages: tuple[str, ...]           # training sets read (--train_languages, default English)
    selection_languages: tuple[str, ...]       # dev sets that select the checkpoint (none without training)
    selection_limit: int | None                # dev examples per selection language (None: all)
    languages: tuple[str, ...]                 # evaluation languages
    eval_splits: tuple[str, ...]
    extra_sets: tuple = ()                     # --extra_eval: (NAME, DIR, languages that have DIR's test file)
    extra_label_map: dict = field(default_factory=dict)  # --extra_eval_label_map, parsed
    translate_test: tuple = ()                 # --translate_test: (DIR, languages that have DIR's test file)
    few_shot: object = None                    # --few_shot: engine/few_shot.py FewShotPlan

    @property
    def evaluated_languages(self) -> tuple[str, ...]:
        """Every language an evaluated set is in: the evaluation languages, then the --extra_eval sets' others."""
        return tuple(dict.fromkeys([*self.languages, *(lang for _, _, langs in self.extra_sets for lang in langs)]))

    @property
    def eval_task(self):
        """The task whose sets are evaluated: the target's own (zero-shot), else the training task's English."""
        return self.task if self.zero_shot else self.train_task

    def reads(self) -> list:
        """[(task spec, split, language)] the run reads, in the order it reads them, each once."""
        reads = [(self.train_task, "train", lang) for lang in self.train_languages] if self.do_train else []
        reads += [(self.train_task, "validation", lang) for lang in self.selection_languages]
        reads += [(self.eval_task, split, lang) for lang in self.languages for split in self.eval_splits]
        if self.translate_test:  # the original test sets: the translations' gold labels
            reads += [(self.eval_task, "test", lang) for lang in self.translate_test[1]]
        if self.few_shot:  # the splits shots are drawn from and the epoch chosen on, each language's test set
            reads += [(self.eval_task, split, lang) for lang, split in self.few_shot.sources.items()]
            reads += [(self.eval_task, split, lang) for lang, split in self.few_shot.selection.items() if split]
            reads += [(self.eval_task, "test", lang) for lang in self.few_shot.languages]
        return list({(task.name, split, lang): (task, split, lang) for task, split, lang in reads}.values())


def default_split(zero_shot) -> str:
    """The evaluation split without --eval_splits: a target's test sets (run_target.py), else the dev set."""
    return "test" if zero_shot else "validation"


def plan_run(spec, data_args, options=None, *, do_train, zero_shot, selection=None) -> RunPlan:
    """The plan of a run of spec: zero_shot, every language of a target task (run_target.py), else English only
    (run_intermediate.py); selection: the dev languages that select the checkpoint, when not the run's
    (multi-task: English); options: the run's utils.args.RunOptions (its --extra_eval sets). A mistake in what it
    names (a language, an --extra_eval folder) is an InputError."""
    zero_shot = zero_shot and spec.is_target
    train_languages = training_languages(data_args)
    with input_errors():
        languages = resolve_languages(spec, data_args.languages) if zero_shot else ["en"]
    domain = options.domain if options is not None else None
    extra_sets, label_map = extra_eval_plan(spec, languages, domain) if zero_shot and domain else ((), {})
    translated = translate_test_plan(spec, languages, domain.translate_test) if zero_shot and domain else ()
    eval_splits = tuple(split_list(data_args.eval_splits, [default_split(zero_shot)]))
    with input_errors():
        few_shot = few_shot_plan(spec, languages, options.few_shot, data_args, eval_splits, train_languages) \
            if zero_shot and options is not None else None
    return RunPlan(task=spec, train_task=get_task(spec.train_task) if spec.is_target else spec, zero_shot=zero_shot,
                   do_train=do_train, train_languages=tuple(train_languages),
                   selection_languages=tuple(selection or selection_languages(train_languages)) if do_train else (),
                   selection_limit=selection_limit(data_args), languages=tuple(languages),
                   eval_splits=eval_splits, extra_sets=tuple(extra_sets), extra_label_map=label_map,
                   translate_test=translated, few_shot=few_shot)


def selection_languages(train_languages) -> list[str]:
    """The languages whose dev sets select the checkpoint: English, or the training languages without it."""
    return ["en"] if "en" in train_languages else list(train_languages)


def selection_limit(data_args):
    """Dev examples per language that select the checkpoint: --selection_examples (the recipe's 500; 0 = all),
    within --max_eval_samples."""
    limits = [n for n in (data_args.selection_examples, data_args.max_eval_samples) if n]
    return min(limits) if limits else None


def extra_eval_plan(spec, languages, domain):
    """--extra_eval NAME=DIR (DomainArguments, run_target.py) -> ([(NAME, DIR, languages)], label map): the
    evaluation languages whose DIR/<task>/test-<lang>.jsonl exists, at least one per set."""
    sets = extra_eval_sets(domain.extra_eval, reserved=SPLITS)
    value = domain.extra_eval_label_map
    if not sets:
        if value:
            raise InputError("--extra_eval_label_map maps the labels of --extra_eval sets; no --extra_eval given")
        return [], {}
    if not kind_of(spec).EXTRA_EVAL:
        raise InputError(f"--extra_eval: task {spec.name!r} ({spec.kind}) is evaluated against a candidate pool; "
                         "extra test sets are for classification, multiple-choice, span QA and tagging tasks")
    with input_errors():
        mapping = parse_label_map(value, spec, kind_of(spec))
    plan = []
    for name, directory in sets.items():
        folder = Path(directory) / (spec.data_task or spec.name)
        found = [lang for lang in languages if (folder / f"test-{lang}.jsonl").is_file()]
        if not found:
            shown = ", ".join(languages[:12]) + (", ..." if len(languages) > 12 else "")
            raise InputError(f"--extra_eval {name}={directory}: no test file of an evaluation language in {folder} "
                             f"(expected test-<lang>.jsonl, <lang> one of {shown})")
        plan.append((name, directory, tuple(found)))
    return plan, mapping


def translate_test_plan(spec, languages, directory) -> tuple:
    """--translate_test DIR -> (DIR, the evaluation languages whose DIR/<task>/test-<lang>.jsonl exists), at least
    one; () without the flag."""
    if not directory:
        return ()
    if kind_of(spec).TRANSLATE_TEST_GOLD is None:
        raise InputError(f"--translate_test: task {spec.name!r} ({spec.kind}) cannot be scored on translations of its "
                         "test sets; translate-test is for classification and multiple-choice tasks")
    if not Path(directory).is_dir():
        raise InputError(f"--translate_test {directory}: no such folder; translate-test reads local files "
                         f"DIR/{spec.data_task or spec.name}/test-<lang>.jsonl (published translations such as "
                         "juletxara/xnli_mt come with a loading script, which datasets no longer runs: convert them "
                         "into this layout first)")
    folder = Path(directory) / (spec.data_task or spec.name)
    found = tuple(lang for lang in languages if (folder / f"test-{lang}.jsonl").is_file())
    if not found:
        shown = ", ".join(languages[:12]) + (", ..." if len(languages) > 12 else "")
        raise InputError(f"--translate_test {directory}: no translated test file of an evaluation language in "
                         f"{folder} (expected test-<lang>.jsonl, <lang> one of {shown})")
    return directory, found
