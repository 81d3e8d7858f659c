#!/usr/bin/env python
"""Write the local data layout (DIR/<task>/<split>-<lang>.jsonl, DESIGN.md) for offline clusters.

From the hub (the real `datasets.load_dataset` paths of each task's registry entry):
    python prepare_data.py --tasks mnli,xnli,pawsx --out DIR [--languages de,fr] [--splits validation,test]
From the original public formats (each kind module's RAW_FORMATS):
    python prepare_data.py --from_raw xnli_tsv --input dev.txt --task xnli --split validation --lang de --out DIR
    python prepare_data.py --list_formats
"""
import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tasks/ and utils/ live beside this script

from tasks import TASKS, get_task, resolve_languages, task_code  # noqa: E402
from tasks.kinds import KINDS, kind_of  # noqa: E402
from tasks.kind import TrainedKind  # noqa: E402
from tasks.spec import SPLITS  # noqa: E402
from utils.data import load_hub, load_local, local_path  # noqa: E402
from utils.results import write_jsonl_atomic  # noqa: E402

logger = logging.getLogger("prepare_data")


def raw_formats() -> dict:
    """Every converter of every kind with local files (Kind.RAW_FORMATS): format name -> (kind name, function)."""
    return {name: (kind.name, fn) for kind in KINDS.values() if kind.HAS_FILES for name, fn in kind.RAW_FORMATS.items()}


def write_rows(out, task, split, lang, rows):
    """Write converted rows; a converter may return {suffix: rows} for multi-file layouts (BUCC: <split>-<lang>.
    <suffix>.jsonl), or {file name: rows} for files it names itself (LAReQA, Mewsli-X: candidates.jsonl and a
    <split>-<lang>.jsonl per language)."""
    if isinstance(rows, dict):
        paths = []
        for suffix, part in rows.items():
            if not suffix.endswith(".jsonl") and not lang:
                raise SystemExit("--from_raw needs --lang for this format")
            name = suffix if suffix.endswith(".jsonl") else f"{split}-{lang}.{suffix}.jsonl"
            path = Path(out) / task / name
            write_jsonl_atomic(path, list(part))
            paths.append(path)
        return paths
    if not lang:
        raise SystemExit("--from_raw needs --lang for this format")
    path = local_path(out, task, split, lang)
    rows = list(rows)
    if not rows:
        raise ValueError(f"nothing to write for {task} {split}-{lang}: the input has no examples")
    write_jsonl_atomic(path, rows)
    return [path]


def convert_raw(args):
    formats = raw_formats()
    if args.from_raw not in formats:
        raise SystemExit(f"--from_raw {args.from_raw}: unknown format; known: {', '.join(sorted(formats))}")
    if not (args.input and args.task and args.split):
        raise SystemExit("--from_raw needs --input, --task, --split and (for one language's file) --lang")
    if not Path(args.input).exists():
        raise SystemExit(f"--input {args.input}: no such file or directory")
    spec = get_task(args.task)
    if args.lang and "," not in args.lang:  # the task's own code of the language (eng_Latn -> SIB-200's en)
        args.lang = task_code(args.lang, spec.languages) or args.lang
    kind, convert = formats[args.from_raw]
    task = spec.data_task or spec.name
    rows = convert(args.input, split=args.split, lang=args.lang, spec=spec)
    paths = write_rows(args.out, task, args.split, args.lang, rows)
    if kind == spec.kind and paths == [local_path(args.out, task, args.split, args.lang)]:  # check it (schema)
        keeps_tags = getattr(convert, "keeps_unknown_tags", False)  # listed, left for --extra_eval_label_map
        kind_of(spec).validate(replace(spec, labels=None) if keeps_tags else spec, load_local(paths[0]), paths[0])
    print("\n".join(str(p) for p in paths))


def hub_splits(spec, lang):
    """Which splits to export: targets have per-language evaluation sets; training tasks have all three; a task
    that is not trained (retrieval), the splits its registry entry names."""
    if not isinstance(kind_of(spec), TrainedKind):
        return [s for s in SPLITS if s in spec.hub_splits]
    if spec.is_target and spec.train_task != spec.name:
        return ["validation", "test"]
    return list(SPLITS) if lang == "en" else ["validation", "test"]


def export_hub(args):
    for name in args.tasks.split(","):
        spec = get_task(name.strip())
        kind = kind_of(spec)
        trained = isinstance(kind, TrainedKind)
        languages = resolve_languages(spec, args.languages) if spec.is_target or not trained else ["en"]
        for lang in languages:
            for split in args.splits.split(",") if args.splits else hub_splits(spec, lang):
                if not spec.hub_has_split(split, lang):  # the registry knows (udpos Thai: test only)
                    logger.warning("%s %s-%s: the hub copy (%s) has no %s split; skipped", spec.name, split, lang,
                                   spec.hub_config_for(lang), split)
                    continue
                try:
                    hub = load_hub(spec, split, lang)
                except ValueError as error:  # a split the hub does not have for this language
                    logger.warning("%s %s-%s: not on the hub (%s); skipped", spec.name, split, lang, error)
                    continue
                rows = kind.from_hub(spec, hub, lang)
                for path in write_rows(args.out, spec.data_task or spec.name, split, lang, rows):
                    logger.info("wrote %s", path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", help="comma list of registry tasks to export from the hub")
    parser.add_argument("--out", help="output DIR of the local layout")
    parser.add_argument("--languages", help="comma list (default: every language of each task)")
    parser.add_argument("--splits", help="comma list (default: all the task has)")
    parser.add_argument("--from_raw", help="convert an original file of this format instead of using the hub")
    parser.add_argument("--input", help="--from_raw: the original file (or folder)")
    parser.add_argument("--task", help="--from_raw: the task the rows belong to")
    parser.add_argument("--split", choices=SPLITS, help="--from_raw: the split")
    parser.add_argument("--lang", help="--from_raw: the language code (formats that hold several languages, "
                        "xquad_r and mewslix: all of them, or those of this comma list for xquad_r)")
    parser.add_argument("--list_formats", action="store_true", help="list the --from_raw formats")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S", level=logging.INFO)
    if args.list_formats:
        print("\n".join(f"{name} ({kind})" for name, (kind, _) in sorted(raw_formats().items())))
    elif not args.out:
        parser.error("--out is required")
    elif args.from_raw:
        convert_raw(args)
    elif args.tasks:
        export_hub(args)
    else:
        parser.error(f"give --tasks (from the hub; known: {', '.join(sorted(TASKS))}) or --from_raw")


if __name__ == "__main__":
    main()
