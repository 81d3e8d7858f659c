"""Local replicas of the hub's datasets as published (facts from ../shared/hub/schemas.json).

`xquad_hub_rows(lang)` gives google/xtreme's `XQuAD.<lang>` rows as its loading script produced them from the
original files: context, question and each answer text `.strip()`ped, `answer_start` kept as in the file.

`build_replicas(DIR)` writes every (hub id, config) of schemas.json as the hub repository is laid out: README.md
whose YAML `configs:` maps each config's splits to <config>/<split>-00000-of-00001.parquet, Parquet files with the
exact features (names, dtypes, ClassLabel order, nested fields in order) and a few rows (XQuAD's from the original
files, the others synthetic). A repository published as a loading script gets <name>.py beside a README without
configs (datasets >= 4 refuses it) and its Parquet export in DIR/owner/name@refs%2Fconvert%2Fparquet/<config>/
<split>/0000.parquet (no README). `hub_repo(DIR, hub id, {(config, split): rows})` writes given rows the same way.
The runs read them through utils/data.py's XSTILTS_HUB_MIRROR=DIR (fixtures `hub`, `use_mirror`).
"""
import json
import os
import random
from pathlib import Path
from urllib.parse import quote

import datasets
import pyarrow.parquet as pq
import pytest

SHARED = Path(os.environ.get("XSTILTS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
XQUAD_DIR = SHARED / "data" / "xquad"


def xquad_hub_rows(lang, xquad_dir=XQUAD_DIR):
    """google/xtreme `XQuAD.<lang>` validation rows, in file order, with the hub's features
    (id, context, question, answers={answer_start, text})."""
    data = json.loads((Path(xquad_dir) / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
    return [{"id": qa["id"], "context": paragraph["context"].strip(), "question": qa["question"].strip(),
             "answers": {"answer_start": [a["answer_start"] for a in qa["answers"]],
                         "text": [a["text"].strip() for a in qa["answers"]]}}
            for article in data for paragraph in article["paragraphs"] for qa in paragraph["qas"]]


def misaligned(row):
    """How many of a row's answers no longer sit at their answer_start."""
    context, answers = row["context"], row["answers"]
    pairs = zip(answers["answer_start"], answers["text"])
    return sum(context[start:start + len(text)] != text for start, text in pairs)


# ---- replicas of the hub's repositories, built from schemas.json ----------------------------------------------
SCHEMAS = SHARED / "hub" / "schemas.json"
EXPORT = "refs/convert/parquet"
ROWS = 6  # rows per split
WORDS = "the cat sees a red house near the old river and Anna walks with John to Paris".split()
NLI = ("entailment", "neutral", "contradiction")
TYDIQA_PREFIXES = ("arabic", "bengali", "english", "finnish", "indonesian", "korean", "russian", "swahili", "telugu")
XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
SHARED_CONFIGS = {("google/xtreme", "XNLI"): XNLI_LANGUAGES, ("google/xtreme", "tydiqa"): TYDIQA_PREFIXES}
# string labels as each repository writes them (schemas.json quirks): the values a replica row may carry
STRING_LABELS = {"PAWS-X": ("0", "1"), "Rowan/hellaswag": ("0", "1", "2", "3"), "allenai/social_i_qa": ("1", "2", "3")}


def load_schemas(path=SCHEMAS) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def added_records() -> list[dict]:
    """Records of the hub copies schemas.json has none of (the targets beyond XTREME-R), written from their cards and
    original releases: NOT verified against the hub (each record's quirks say so)."""
    from tasks import NLI_LABELS, SIB200_LABELS, get_task
    sib200, americasnli = get_task("sib200"), get_task("americasnli")
    unverified = ["not in schemas.json: features inferred from the original release's files and the card, not "
                  "verified against the hub"]
    sib = [{"id": sib200.hub_path, "config": sib200.hub_config_for(lang), "format": "parquet",
            "parquet_export_only": None, "splits": {"train": 701, "validation": 99, "test": 204},
            "features": {"index_id": "int64", "category": "string", "text": "string"},
            "values": {"category": list(SIB200_LABELS)}, "quirks": unverified, "sources": []}
           for lang in sib200.languages]
    nli = [{"id": americasnli.hub_path, "config": americasnli.hub_config_for(lang), "format": "parquet",
            "parquet_export_only": None, "splits": {"validation": None, "test": None},
            "features": {"language": "string", "premise": "string", "hypothesis": "string",
                         "label": {"ClassLabel": list(NLI_LABELS)}},
            "values": {"language": [lang]}, "quirks": unverified, "sources": []}
           for lang in americasnli.languages]
    belebele = get_task("belebele")
    mc = [{"id": belebele.hub_path, "config": belebele.hub_config_for(lang), "format": "parquet",
           "parquet_export_only": None, "splits": {"test": 900},
           "features": {"link": "string", "question_number": "int64", "flores_passage": "string",
                        "question": "string", "mc_answer1": "string", "mc_answer2": "string",
                        "mc_answer3": "string", "mc_answer4": "string", "correct_answer_num": "string",
                        "dialect": "string", "ds": "string"},
           "values": {"correct_answer_num": list(belebele.labels), "dialect": [lang]}, "quirks": unverified,
           "sources": []}
          for lang in belebele.languages]
    return sib + nli + mc


def feature(description):
    """schemas.json's feature notation -> a datasets feature (field order kept)."""
    if isinstance(description, str):
        return datasets.Value(description)
    (kind, inner), = description.items()
    if kind == "ClassLabel":
        return datasets.ClassLabel(names=list(inner))
    if kind == "Sequence":
        return datasets.List(feature(inner))
    return {name: feature(value) for name, value in inner.items()}  # struct


def features_of(record) -> datasets.Features:
    return datasets.Features({name: feature(value) for name, value in record["features"].items()})


def _sentence(rng, n=8):
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def _answers(context, rng, order):
    """An answer struct (fields in the repository's order) whose text occurs at answer_start."""
    words = context.rstrip(".").split()
    text = rng.choice(words)
    start = context.index(text)
    values = {"answer_start": [start], "text": [text]}
    return {name: values[name] for name in order}


def _value(name, feat, record, i, rng, row):
    """A plausible value of column `name` for row i (the column's meaning where schemas.json gives one)."""
    family = record["config"].split(".")[0]
    if isinstance(feat, datasets.ClassLabel):
        return i % feat.num_classes
    if isinstance(feat, dict):  # answers {answer_start, text} or commonsense_qa's choices {label, text}
        if name == "answers":
            context = max((v for v in row.values() if isinstance(v, str)), key=len)  # "context" unless renamed
            return _answers(context, rng, list(feat))
        labels = "ABCDE"
        return {"label": list(labels), "text": [f"{_sentence(rng, 3)} {c}" for c in labels]}
    if isinstance(feat, datasets.List):
        if name == "tokens":
            return _sentence(rng, rng.randint(3, 9)).rstrip(".").split()
        if isinstance(feat.feature, datasets.ClassLabel):
            return [(i + j) % feat.feature.num_classes for j in range(len(row["tokens"]))]
        if name == "langs":
            return [record["config"].split(".")[-1]] * len(row["tokens"])
        return [_sentence(rng, 4) for _ in range(4)]  # hellaswag endings
    if feat.dtype == "bool":
        return False
    if feat.dtype in ("int32", "int64"):
        return {"label": i % (4 if "answer3" in record["features"] else 2)}.get(name, i)
    return _string(name, record, family, i, rng, row)


def _string(name, record, family, i, rng, row):
    if name == "gold_label":
        return NLI[i % 3]
    if name == "language":
        return XNLI_LANGUAGES[i % len(XNLI_LANGUAGES)]
    if name in record.get("values", {}):  # a string column whose values a record lists (added_records)
        return record["values"][name][i % len(record["values"][name])]
    if name in ("label", "answerKey"):
        values = STRING_LABELS.get(family) or STRING_LABELS.get(record["id"]) or "ABCDE"
        return values[i % len(values)]
    if name == "id":
        prefix = TYDIQA_PREFIXES[i % len(TYDIQA_PREFIXES)] + "-" if record["config"] == "tydiqa" else ""
        return f"{prefix}{record['config']}-{i}"
    if name in ("source_lang", "target_lang"):  # bucc18: sentence ids; tatoeba: a cache fragment and "eng"
        return f"{record['config'].split('.')[-1] if name == 'source_lang' else 'en'}-{i:06d}"
    if name in ("source_sentence", "target_sentence"):
        return _sentence(rng) + ("\n" if family == "tatoeba" else "")
    if name == "context":
        return " ".join(_sentence(rng) for _ in range(3))
    if name == "question":
        return "who " + _sentence(rng, 4).replace(".", "?")
    return _sentence(rng)


def synthetic_rows(record, split, n=ROWS) -> list[dict]:
    """n rows; n per language where one config holds every language (XNLI's column, TyDiQA's id prefix)."""
    rng = random.Random(f"{record['id']}:{record['config']}:{split}")
    features = features_of(record)
    rows = []
    for i in range(n * len(SHARED_CONFIGS.get((record["id"], record["config"]), "x"))):
        row = {}
        order = sorted(features, key=lambda name: name in ("answers", "pos_tags", "ner_tags", "langs"))
        for name in order:  # answers and tags after the context and tokens they point into
            row[name] = _value(name, features[name], record, i, rng, row)
        rows.append({name: row[name] for name in features})
    return rows


def replica_rows(record, split, n=ROWS) -> list[dict]:
    """google/xtreme's XQuAD rows come from the original files, stripped as the hub's were; others are synthetic."""
    if record["id"] == "google/xtreme" and record["config"].startswith("XQuAD."):
        return xquad_hub_rows(record["config"].split(".")[1])[:n]
    return synthetic_rows(record, split, n)


def _folder(config):
    return "data" if config == "default" else config


def write_parquet(rows, features, path):
    columns = {name for row in rows for name in row}
    if columns != set(features):
        raise ValueError(f"{path.name}: rows do not have the hub's columns: extra {sorted(columns - set(features))}, "
                         f"missing {sorted(set(features) - columns)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(datasets.Dataset.from_list(rows, features=features).data.table, path)  # features in metadata


def build_replicas(directory, records=None, rows=ROWS, skip=()) -> dict:
    """Every (hub id, config) of schemas.json as a repository under directory/owner/name; `skip` leaves out the
    (hub id, config, split) triples named. Returns {hub id: [configs]}."""
    directory, repos = Path(directory), {}
    for record in records or load_schemas() + added_records():
        repos.setdefault(record["id"], []).append(record)
    for hub_id, configs in repos.items():
        script = any(r["format"] == "script" for r in configs)
        (build_script_repo if script else build_parquet_repo)(directory, hub_id, configs, rows, skip)
    return {hub_id: [r["config"] for r in configs] for hub_id, configs in repos.items()}


def build_parquet_repo(directory, hub_id, records, rows, skip=(), tables=None):
    """tables: {(config, split): rows} written instead of synthetic ones."""
    repo, tables = Path(directory) / hub_id, tables or {}
    yaml = ["---", "configs:"]
    for record in records:
        splits = [s for s in record["splits"] if (hub_id, record["config"], s) not in skip]
        yaml += [f"- config_name: {record['config']}", "  data_files:"]
        for split in splits:
            name = f"{_folder(record['config'])}/{split}-00000-of-00001.parquet"
            data = tables.get((record["config"], split)) or replica_rows(record, split, rows)
            write_parquet(data, features_of(record), repo / name)
            yaml += [f"  - split: {split}", f"    path: {_folder(record['config'])}/{split}-*"]
    (repo / "README.md").write_text("\n".join(yaml + ["---", f"Replica of {hub_id} (tests/hub_replica.py)", ""]),
                                    encoding="utf-8")


def hub_repo(directory, hub_id, tables) -> Path:
    """A replica of hub_id holding only the given rows, {(config, split): rows}, with schemas.json's exact features
    (a row with a column the hub lacks, or a value of the wrong type, fails here). Returns directory."""
    records = [r for r in load_schemas() + added_records()
               if r["id"] == hub_id and any(c == r["config"] for c, _ in tables)]
    skip = {(hub_id, r["config"], s) for r in records for s in r["splits"] if (r["config"], s) not in tables}
    build_parquet_repo(Path(directory), hub_id, records, ROWS, skip, tables)
    return Path(directory)


def build_script_repo(directory, hub_id, records, rows, skip=(), export=True):
    """main: README + <name>.py (datasets >= 4 refuses it); the export: <config>/<split>/0000.parquet, no README."""
    repo = directory / hub_id
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "README.md").write_text(f"Replica of {hub_id}: a loading-script repository\n", encoding="utf-8")
    (repo / f"{hub_id.split('/')[1]}.py").write_text("# the loading script (never run)\n", encoding="utf-8")
    if not export:
        return
    exported = directory / f"{hub_id}@{quote(EXPORT, safe='')}"
    for record in records:
        for split in record["splits"]:
            if (hub_id, record["config"], split) not in skip:
                write_parquet(replica_rows(record, split, rows), features_of(record),
                              exported / record["config"] / split / "0000.parquet")


# ---- fixtures: the replicas as the hub (XSTILTS_HUB_MIRROR) ----

@pytest.fixture(scope="session")
def mirror(tmp_path_factory):
    datasets.disable_progress_bars()
    directory = tmp_path_factory.mktemp("hub")
    build_replicas(directory)
    return directory


def use_mirror(monkeypatch, directory):
    """Read the hub from directory, with a datasets cache of its own (datasets keys a local folder's cache by its
    name and config, so two replicas of one repository would otherwise share it)."""
    monkeypatch.setenv("XSTILTS_HUB_MIRROR", str(directory))  # utils.data.HUB_MIRROR
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(directory / ".cache"))
    return directory


@pytest.fixture
def hub(mirror, monkeypatch):
    return use_mirror(monkeypatch, mirror)
