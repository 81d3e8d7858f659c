"""Everything a run will read, checked before its model loads: arguments, languages, splits, the model directory
and every local file (training, dev and each evaluation language), each validated against its kind's schema.
A mistake is an InputError (utils/args.py): one line naming the argument or file and what was expected, raised
before anything is written. run_pipeline.sh and scripts/sweep.sh run the same checks over a whole pipeline or
grid before its first stage (pipeline/preflight.py).

`planned`: encoder and language adapter directories that earlier stages of a pipeline will write (not there yet, and
not an error).
"""
import dataclasses
import functools
import logging
import re
from pathlib import Path

from engine.few_shot import read_shot_set, shortfall
from engine.training_set import has_language_configs, require_parses, resolve_augment, split_codes
from tasks import get_task, label_map_problem
from utils.hub_access import HUB_EXPORT_REVISIONS
from tasks.kinds import kind_of
from tasks.kind import Kind
from tasks.spec import SPLITS
from utils.args import InputError, RunOptions, check_output_dir, input_errors
from utils.data import load_extra_set, load_rows, load_translated_set, local_path

logger = logging.getLogger(__name__)

HUB_ID = re.compile(r"[\w.-]+(/[\w.-]+)?")  # "xlm-roberta-large", "FacebookAI/xlm-roberta-large"
CHECK_HUB = True  # hub models and datasets reachable (or cached offline); pipeline/preflight.py leaves it to the stage


def check_model(model_args, planned=()):
    """--model_name_or_path is a planned encoder, a directory with config.json and complete weight files, or a hub
    id the hub serves (under HF_HUB_OFFLINE=1: the cache holds); --tokenizer_name likewise."""
    path = str(model_args.model_name_or_path)
    if path in {str(p) for p in planned}:
        return
    if Path(path).is_dir():
        if not (Path(path) / "config.json").is_file():
            raise InputError(f"--model_name_or_path {path}: the directory has no config.json (expected an encoder "
                             f"directory, e.g. runs/mnli/encoder, or a hub id such as xlm-roberta-large)")
        check_weights("--model_name_or_path", path)
    elif Path(path).exists() or not HUB_ID.fullmatch(path):
        raise InputError(f"--model_name_or_path {path}: no such directory (expected an encoder directory with "
                         f"config.json, e.g. runs/mnli/encoder, or a hub id such as xlm-roberta-large)")
    else:
        check_hub_model("--model_name_or_path", path, model_args.cache_dir)
    tokenizer = model_args.tokenizer_name
    if tokenizer and Path(tokenizer).exists() and not Path(tokenizer).is_dir():
        raise InputError(f"--tokenizer_name {tokenizer}: expected a tokenizer directory or hub id")
    if tokenizer and not Path(tokenizer).exists() and HUB_ID.fullmatch(tokenizer):
        check_hub_model("--tokenizer_name", tokenizer, model_args.cache_dir, files=TOKENIZER_FILES)


def check_weights(argument, directory):
    """Every weight file of an encoder directory is complete (headers and sizes only, no tensor is read)."""
    from utils.weights import weight_problems
    with input_errors():
        problems = weight_problems(directory)
    if problems:
        file, problem = problems[0]
        raise InputError(f"{argument} {directory}: weight file {file} is {problem} (copy or download it again, or "
                         "re-save the encoder with save_pretrained)")


OFFLINE_HELP = "; on an offline cluster: {fill}, or pass {local}"
MODEL_ROUTES = dict(fill="download it once where the hub is reachable (hf download {id}, same HF_HOME) and run with "
                         "HF_HUB_OFFLINE=1", local="a local directory written by save_pretrained")
TOKENIZER_FILES = ("tokenizer_config.json", "tokenizer.json", "config.json")  # any one: the repo is cached
MODEL_FILES = ("config.json",)
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")


def check_cached_weights(argument, repo_id, snapshot, routes):
    """Offline, a cached model's snapshot holds its weights, complete (a download cut short leaves config.json)."""
    if not any((snapshot / name).is_file() for name in WEIGHT_FILES):
        raise InputError(f"{argument} {repo_id}: HF_HUB_OFFLINE=1 and the hub cache ({snapshot}) has its config but "
                         f"no weight file ({', '.join(WEIGHT_FILES)})" + OFFLINE_HELP.format(**routes))
    check_weights(argument, snapshot)


def check_hub_model(argument, repo_id, cache_dir=None, files=MODEL_FILES):
    """A hub model: in the hub cache under HF_HUB_OFFLINE=1, else served by the hub (one request, no retries:
    transformers would retry each file for ~30 s, then fail with tracebacks)."""
    from utils import hub_access
    if not CHECK_HUB:
        return
    cached = any(hub_access.cached_model(repo_id, cache_dir, name) for name in files)
    routes = {name: route.format(id=repo_id) for name, route in MODEL_ROUTES.items()}
    if hub_access.offline():
        if not cached:
            raise InputError(f"{argument} {repo_id}: HF_HUB_OFFLINE=1 and the hub cache "
                             f"({hub_access.model_cache_dir(cache_dir)}) has no copy" + OFFLINE_HELP.format(**routes))
        if files == MODEL_FILES:
            check_cached_weights(argument, repo_id, hub_access.cached_model(repo_id, cache_dir), routes)
        return
    problem = hub_access.unreachable(repo_id, "model")
    if problem and cached:  # transformers falls back to the cache (after its retries): a blip must not stop a sweep
        logger.warning("%s %s: the hub cannot be reached (%s); using the cached copy (HF_HUB_OFFLINE=1 skips the "
                       "retries)", argument, repo_id, problem)
    elif problem:
        raise InputError(f"{argument} {repo_id}: the hub cannot be reached ({problem})" + OFFLINE_HELP.format(**routes))


def check_hub_dataset(spec, cache_dir=None):
    """spec's hub dataset: in datasets' cache under HF_HUB_OFFLINE=1, else served by the hub. Not checked when
    the data is read elsewhere (a local mirror, XSTILTS_HUB_MIRROR)."""
    from utils import data, hub_access
    if not CHECK_HUB:
        return
    with input_errors():
        if data.hub_location(spec.hub_path)[0] != spec.hub_path:
            return
    routes = dict(fill="load it once where the hub is reachable (same HF_HOME) and run with HF_HUB_OFFLINE=1",
                  local=f"--data_dir DIR written by prepare_data.py --tasks {spec.data_task or spec.name} --out DIR "
                        "where the hub is reachable")
    if hub_access.offline():
        if not hub_access.cached_dataset(spec.hub_path, cache_dir):
            raise InputError(f"task {spec.name}: hub dataset {spec.hub_path}: HF_HUB_OFFLINE=1 and the datasets "
                             f"cache ({hub_access.dataset_cache_dir(cache_dir)}) has no copy"
                             + OFFLINE_HELP.format(**routes))
        return
    problem = _dataset_unreachable(spec.hub_path)
    if problem and hub_access.cached_dataset(spec.hub_path, cache_dir):  # datasets falls back to its cache
        logger.warning("task %s: hub dataset %s cannot be reached (%s); using the datasets cache (HF_HUB_OFFLINE=1 "
                       "skips the retries)", spec.name, spec.hub_path, problem)
    elif problem:
        raise InputError(f"task {spec.name}: hub dataset {spec.hub_path} cannot be reached ({problem})"
                         + OFFLINE_HELP.format(**routes))
    elif spec.hub_path in HUB_EXPORT_REVISIONS:  # a loading script: its Parquet export must hold the config
        check_hub_export(spec)


def check_hub_export(spec):
    """A loading-script dataset is read from its Parquet export (utils/data.hub_read): every config the task reads
    has a folder there (one listing request per config), else the task needs --data_dir, named now."""
    from utils import data
    revision = HUB_EXPORT_REVISIONS[spec.hub_path]
    for folder in sorted({spec.hub_config_for(lang) or "default" for lang in spec.languages}):
        problem = _export_missing(spec.hub_path, revision, folder)
        if problem:
            raise InputError(str(data.no_hub_route(spec.hub_path, folder, problem, [spec.name])))


@functools.lru_cache(maxsize=None)
def _export_missing(repo_id, revision, folder):
    from utils.hub_access import export_missing
    return export_missing(repo_id, revision, folder)


@functools.lru_cache(maxsize=None)
def _dataset_unreachable(repo_id):
    """One request per dataset and process (a run reads many splits and languages of one repository)."""
    from utils.hub_access import unreachable
    return unreachable(repo_id, "dataset")


def check_splits(eval_splits):
    bad = [split for split in eval_splits if split not in SPLITS]
    if bad or not eval_splits:
        raise InputError(f"--eval_splits {','.join(eval_splits)}: expected a comma list of {', '.join(SPLITS)}")


def check_data(spec, split, lang, data_args, cache_dir=None):
    """One split of one language is readable and valid: a local file (read and validated now; datasets caches
    it for the run), or a task the hub has (hub files are read when the run needs them)."""
    with input_errors():
        if data_args.data_dir:
            load_rows(spec, split, lang, data_args, kind_of(spec), cache_dir)
        elif spec.hub_path is None:
            raise InputError(f"task {spec.name!r} has no hub copy (its data is licensed); pass --data_dir with "
                             f"{local_path('DIR', spec.name, split, lang)} ("
                             + (spec.official_route or "prepare_data.py --from_raw converts the originals") + ")")
        elif lang in spec.hub_missing:
            raise InputError(hub_missing_message(spec, split, lang))
        else:  # (the splits the hub has: check_hub_splits, over all of a run's reads at once)
            check_hub_dataset(spec, cache_dir)


def _split_source(split, eval_splits) -> str:
    """The argument that makes a run read a split: --eval_splits, else --train_languages (training, dev set)."""
    if split in eval_splits:
        return f"--eval_splits {','.join(eval_splits)}"
    return "--train_languages" if split == "train" else "the dev set (--train_languages: its languages' dev sets)"


def hub_missing_message(spec, split, lang) -> str:
    return (f"--languages: {spec.name} {lang} is not in the hub copy {spec.hub_path} (it has XTREME's languages); "
            f"pass --data_dir with {local_path('DIR', spec.name, split, lang)} (prepare_data.py --from_raw converts "
            "XTREME-R's original files)")


def check_hub_splits(reads, data_args, eval_splits=()):
    """Every (task, split, language) read from the hub is there, from the registry alone (before any request): the
    language has a hub config (TaskSpec.hub_missing), and the config has the split (TaskSpec.hub_lang_splits:
    udpos Kazakh has train and test, Tagalog, Thai and Yoruba only test); else one line naming them all."""
    if data_args.data_dir:
        return
    missing = next(((spec, split, lang) for spec, split, lang in reads if spec.hub_path and lang in spec.hub_missing),
                   None)
    if missing:
        raise InputError(hub_missing_message(*missing))
    lacking = [(spec, split, lang) for spec, split, lang in reads
               if spec.hub_path and lang not in spec.hub_missing and not spec.hub_has_split(split, lang)]
    if not lacking:
        return
    sources = dict.fromkeys(_split_source(split, eval_splits) for _, split, _ in lacking)
    named = "; ".join(f"{spec.name} {split}-{lang} ({spec.hub_path} {spec.hub_config_for(lang)} has only "
                      f"{', '.join(spec.hub_lang_splits[lang])})" for spec, split, lang in lacking)
    raise InputError(f"{' and '.join(sources)}: the hub lacks {named}; leave these languages out (--languages, "
                     f"--train_languages), choose a split the hub has, or pass --data_dir with "
                     f"<task>/<split>-<lang>.jsonl files")


def check_arguments(spec, data_args):
    """The kind's own argument checks, where it has them (span QA: --doc_stride against the window size)."""
    with input_errors():
        kind_of(spec).check_arguments(spec, data_args)


def check_encoder(spec, model_args, data_args, planned=()):
    """The kind's checks of the encoder against the task, from its config alone (no weights): dual encoders'
    --embedding_pooling pooler on an encoder without a pooler. A planned encoder is checked by its base model's
    stage; a hub id whose config cannot be read now is left to the run."""
    kind, path = kind_of(spec), str(model_args.model_name_or_path)
    if type(kind).check_encoder is Kind.check_encoder or path in {str(p) for p in planned}:
        return  # the kind does not check encoders, or a stage before this one writes it
    from transformers import AutoConfig
    try:
        config = AutoConfig.from_pretrained(path, cache_dir=model_args.cache_dir,
                                            trust_remote_code=model_args.trust_remote_code)
    except (OSError, ValueError):
        return
    with input_errors():
        kind.check_encoder(spec, config, data_args)


def label_disagreement(spec, train_spec) -> str | None:
    """Why a target's labels are not its training task's (the same kind, the same names in the same order: its head
    is built from the training task's labels), or None where they agree."""
    if spec.kind != train_spec.kind:
        return (f"task {spec.name} ({spec.kind}) is trained on {train_spec.name}, a {train_spec.kind} task; "
                "expected one kind")
    if spec.label_map:  # its labels differ, mapped onto the training task's (the registry's label map)
        return label_map_problem(spec, train_spec)
    shown = [", ".join(s.labels) if s.labels is not None else "read from the training data" for s in (spec, train_spec)]
    labels = [None if s.labels is None else tuple(s.labels) for s in (spec, train_spec)]
    if labels[0] != labels[1]:
        return (f"task {spec.name}: its labels ({shown[0]}) are not those of its training task {train_spec.name} "
                f"({shown[1]}), in the same order; its head is built from {train_spec.name}'s labels")
    return None


def check_labels(spec, model_args, training_args, planned=()):
    """A target's labels are its training task's (label_disagreement). Evaluating a checkpoint's trained head (no
    --do_train) needs the head's labels (its id2label) to be the task's, in any order: predictions are decoded with
    the head's own. A planned encoder, or a config that cannot be read now, is left to the run."""
    from utils.modeling import checkpoint_head_labels
    train_spec = get_task(spec.train_task) if spec.is_target else spec
    problem = label_disagreement(spec, train_spec)
    if problem:
        raise InputError(problem)
    path = str(model_args.model_name_or_path)
    if training_args.do_train or train_spec.labels is None or path in {str(p) for p in planned} \
            or not kind_of(spec).LABELLED_HEAD:
        return
    try:
        own = checkpoint_head_labels(model_args)
    except (OSError, ValueError):
        return
    if own and set(own) != set(train_spec.labels):
        raise InputError(f"--model_name_or_path {path}: its head's labels ({', '.join(own)}) are not task "
                         f"{train_spec.name}'s ({', '.join(train_spec.labels)}); evaluate a checkpoint trained on "
                         f"{train_spec.name}, or train one (--do_train)")


def check_peft(options, model_args, planned=(), saves_encoder=False):
    """--peft and its options (a known method, a positive rank, target modules the encoder has), and an adapter
    folder given as --model_name_or_path (its base model there, the one it was trained on): utils/peft_setup.py,
    from configs alone. A planned encoder is checked when its stage has written it."""
    from utils import peft_setup
    if str(model_args.model_name_or_path) in {str(p) for p in planned}:
        return
    with input_errors():
        peft_setup.check_peft(options.peft, model_args, saves_encoder)
        if peft_setup.is_adapter_folder(model_args.model_name_or_path):  # the base model's files, as any model's
            base, _ = peft_setup.adapter_base(model_args.model_name_or_path)
    if peft_setup.is_adapter_folder(model_args.model_name_or_path):
        check_model(dataclasses.replace(model_args, model_name_or_path=base, tokenizer_name=None))


def language_adapter_plan(plan, options, model_args, folders=True):
    """--language_adapters: {language: utils.language_adapters.Choice} of English and every evaluated language of
    plan (logged), or None without the flag; a mistake is a ValueError (one line): the protocol's (a target run,
    --peft lora, English training data, no --few_shot) or the folders' (utils/language_adapters.py
    plan_adapters; folders=False: the protocol's alone, and None)."""
    peft = options.peft
    template = getattr(peft, "language_adapters", None)
    if not template:
        return None
    from utils import language_adapters, peft_setup
    if plan is None or not plan.zero_shot:
        raise ValueError(f"--language_adapters {template}: an option of run_target.py (a language adapter is "
                         "trained by run_intermediate.py --task mlm --mlm_corpus FILE --peft lora)")
    if peft.peft != "lora":
        raise ValueError(f"--language_adapters {template}: language adapters compose with a LoRA task adapter; add "
                         "--peft lora")
    if plan.do_train and list(plan.train_languages) != ["en"]:
        raise ValueError(f"--language_adapters {template}: the task adapter trains on English with the English "
                         f"adapter; --train_languages {','.join(plan.train_languages)} is not supported with it")
    if plan.few_shot:
        raise ValueError(f"--language_adapters {template}: --few_shot is not supported with language adapters")
    if not folders:
        return None
    base = peft_setup.base_identity(model_args, None)[0]
    return language_adapters.plan_adapters(template, plan.evaluated_languages, peft.language_adapter_fallback,
                                           base, model_args)


def check_language_adapters(plan, options, model_args, planned=(), resumes=None):
    """language_adapter_plan's checks, before the model loads (a planned encoder, or planned adapters: their folders
    are checked when their stages have written them); resumes: the run's output folder, whose interrupted run must
    find the adapters it started with (utils/language_adapters.py check_resumed)."""
    planned = {str(p) for p in planned}
    if str(model_args.model_name_or_path) in planned:
        return
    from utils.language_adapters import PLACEHOLDER, check_resumed
    template = getattr(options.peft, "language_adapters", None) or ""
    with input_errors():
        choices = language_adapter_plan(plan, options, model_args,
                                        folders=template.replace(PLACEHOLDER, "en") not in planned)
        if choices and resumes:
            check_resumed(choices, resumes, template)


def check_augment(options, spec=None, data_args=None):
    """--augment: codeswitch's dictionary of every language (--augment_languages, or those 'auto' chooses), or
    wordorder's --word_order. 'auto' is resolved here (engine/training_set.py resolve_augment) and kept on the
    arguments as augment_resolved, which run_config.json records. options: the run's utils.args.RunOptions;
    spec: the run's task (its evaluation languages)."""
    group = options.augment
    if group is None:
        return
    augment = group.augment
    if group.word_order and augment != "wordorder":
        raise InputError("--word_order is an option of --augment wordorder")
    if augment == "wordorder" and not group.word_order:
        raise InputError("--augment wordorder: --word_order is required (SOV, SVO, VSO, VOS, OVS, OSV or auto)")
    if not augment:
        return
    codes = split_codes(group.augment_languages)
    if augment == "codeswitch" and not codes:
        raise InputError("--augment codeswitch: --augment_languages is required (e.g. fi,sw, or auto)")
    with input_errors():
        group.augment_resolved = resolve_augment(group, spec, data_args)
    if augment == "codeswitch":
        for code in group.augment_resolved["languages"] if group.augment_resolved else codes:
            path = Path(group.dictionaries or ".") / f"en-{code}.txt"
            if not path.is_file():
                raise InputError(f"--dictionaries: {path} not found (expected a MUSE dictionary en-{code}.txt "
                                 "with 'source target' per line)")


def check_parsed(plan, data_args, options, cache_dir=None):
    """--augment wordorder: the training data of the run (its training task's) carries a parse."""
    if not plan.do_train or not options.augmenting or options.augmenting.augment != "wordorder":
        return
    train_spec = plan.train_task
    with input_errors():
        for lang in plan.train_languages:
            dataset = load_rows(train_spec, "train", lang, data_args, kind_of(train_spec), cache_dir) \
                if data_args.data_dir and train_spec.kind == "tagging" else None
            require_parses(train_spec, data_args, dataset, where=f"train-{lang}")


def check_extra_eval(plan, data_args):
    """Every --extra_eval file, read, its labels mapped and checked, and validated now (before the model loads)."""
    for _, directory, languages in plan.extra_sets:
        for lang in languages:
            with input_errors():
                load_extra_set(plan.task, directory, lang, kind_of(plan.task), plan.extra_label_map)


def check_translate_test(plan, data_args, cache_dir=None):
    """Every --translate_test file read now and matched by id to its language's test set (before the model loads)."""
    if not plan.translate_test:
        return
    directory, languages = plan.translate_test
    spec, kind = plan.task, kind_of(plan.task)
    for lang in languages:
        with input_errors():
            original = load_rows(spec, "test", lang, data_args, kind, cache_dir)
            load_translated_set(spec, directory, lang, kind, original)


def check_few_shot(plan, data_args, cache_dir=None):
    """--few_shot: every shot set can be had now (before the model loads): published sets read and their labels
    checked; drawn ones, the source split has K of each label or tag type (the largest K)."""
    few = plan.few_shot
    if few is None:
        return
    spec, kind = plan.task, kind_of(plan.task)
    names = spec.labels if kind.LABEL_FIELD == "label" else ()  # classification: every label needs K shots
    with input_errors():
        for lang in few.languages:
            if few.shots_dir:
                for k in few.ks:
                    for index in range(few.sets):
                        read_shot_set(spec, kind, few.shots_dir, k, lang, index)
                continue
            split = few.sources[lang]
            rows = load_rows(spec, split, lang, data_args, kind, cache_dir)
            problem = shortfall(kind, rows, max(few.ks), names or ())
            if problem:
                raise InputError(f"--few_shot {','.join(map(str, few.ks))}: {spec.name} {split}-{lang} has "
                                 f"{problem}; lower K or pass --shot_split / --shots")


def check_train_languages(plan, data_args):
    """Training in other languages than English reads per-language training sets: local files, or a hub copy with
    one config (or filter) per language."""
    if plan.do_train and not data_args.data_dir and list(plan.train_languages) != ["en"] \
            and not has_language_configs(plan.train_task):
        raise InputError(f"--train_languages {','.join(plan.train_languages)}: task {plan.train_task.name!r} has no "
                         f"per-language training data on the hub; pass --data_dir with "
                         f"{plan.train_task.name}/train-<lang>.jsonl files")


def check_reads(plan, data_args, cache_dir=None):
    """Every set the plan reads is there and valid (the hub's splits first, over all the reads at once)."""
    check_train_languages(plan, data_args)
    reads = plan.reads()
    check_hub_splits(reads, data_args, plan.eval_splits)
    for task, split, lang in reads:
        check_data(task, split, lang, data_args, cache_dir)


def check_run(plan, model_args, data_args, training_args, options, *, planned=()):
    """Every check of a run_task run (run_target.py, run_intermediate.py) of its plan (engine/plan.py)."""
    spec = plan.task
    check_output_dir(training_args.output_dir)
    check_splits(plan.eval_splits)
    check_model(model_args, planned)
    check_peft(options, model_args, planned, saves_encoder=not plan.zero_shot)
    check_language_adapters(plan, options, model_args, planned,
                            resumes=None if data_args.overwrite else training_args.output_dir)
    check_augment(options, spec if plan.zero_shot else None, data_args)  # run_intermediate.py: no evaluation languages
    check_arguments(spec, data_args)
    check_encoder(spec, model_args, data_args, planned)
    check_labels(spec, model_args, training_args, planned)
    check_parsed(plan, data_args, options, model_args.cache_dir)  # a fact of the data's source: before the hub is asked
    check_reads(plan, data_args, model_args.cache_dir)
    check_extra_eval(plan, data_args)
    check_translate_test(plan, data_args, model_args.cache_dir)
    check_few_shot(plan, data_args, model_args.cache_dir)


def check_multitask(plans, model_args, training_args, options, planned=()):
    """Every check of a multi-task run: each task's training and English dev (and evaluation) sets, the corpus.
    plans: [(the task's plan, its data arguments)]."""
    check_output_dir(training_args.output_dir)
    if plans:  # MLM alone (--task mlm) evaluates no split
        check_splits(plans[0][0].eval_splits)
    check_model(model_args, planned)
    check_peft(options, model_args, planned, saves_encoder=True)
    check_language_adapters(None, options, model_args, planned)
    check_augment(options)
    if options.multitask.mlm_corpus:  # its files, or a hub name with its namespace
        check_mlm_corpus(options.multitask.mlm_corpus)
    check_mlm_language(options.multitask)
    for plan, data_args in plans:
        check_arguments(plan.task, data_args)
        check_encoder(plan.task, model_args, data_args, planned)
        check_parsed(plan, data_args, options, model_args.cache_dir)
        check_reads(plan, data_args, model_args.cache_dir)


def check_mlm_corpus(source):
    """--mlm_corpus: local text files (at least one), or a hub dataset NAMESPACE/NAME[:CONFIG] (huggingface_hub
    refuses ids without a namespace: wikitext is Salesforce/wikitext)."""
    from tasks.mlm import corpus_files
    with input_errors():
        files = corpus_files(source)
    if files == []:
        raise InputError(f"--mlm_corpus: {source} has no files (expected text files, one sentence per line)")
    name = source.partition(":")[0]
    if files is None and not re.fullmatch(r"[\w.-]+/[\w.-]+", name):
        raise InputError(f"--mlm_corpus {source}: a hub dataset needs its namespace, NAMESPACE/NAME[:CONFIG] (e.g. "
                         "Salesforce/wikitext:wikitext-103-raw-v1), or give local text files")


def check_mlm_language(multi):
    """--mlm_language (the language of a language adapter's text): with --mlm_corpus, a code the language registry
    knows."""
    code = multi.mlm_language
    if code is None:
        return
    if not multi.mlm_corpus:
        raise InputError(f"--mlm_language {code}: the language of the --mlm_corpus text; give --mlm_corpus too")
    from utils.languages import language
    with input_errors():
        language(code)


def check_retrieval(spec, languages, model_args, data_args, planned=(), layer=None, output_dir=None):
    """Every check of a run_retrieval.py run: the model (and --layer within its depth), and each language's files
    (Tatoeba's test pairs; BUCC's validation and test sentences and gold pairs, validated as the run reads them)."""
    from tasks.retrieval import resolve_layer
    check_output_dir(output_dir)
    check_model(model_args, planned)
    check_peft(RunOptions(), model_args, planned)  # an adapter folder: its base model
    if layer is not None and (Path(model_args.model_name_or_path) / "config.json").is_file():
        from transformers import AutoConfig
        with input_errors():
            config = AutoConfig.from_pretrained(model_args.model_name_or_path,
                                                trust_remote_code=model_args.trust_remote_code)
            resolve_layer(layer, config.num_hidden_layers)
    kind = kind_of(spec)
    for lang, split in ((lang, split) for lang in languages for split in kind.EVAL_SPLITS):
        if data_args.data_dir:
            with input_errors():
                kind.read(spec, split, lang, data_args, model_args.cache_dir)
        else:
            check_data(spec, split, lang, data_args, model_args.cache_dir)
