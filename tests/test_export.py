"""scripts/export_submission.py: run folders -> XTREME's prediction folder, checked by round trips.

Fixture runs are written by hand (predictions, metrics.json computed by the project's own metric code, DONE), with
gold files in XTREME's label format beside them. The exported folder is then scored by an independent reader of
XTREME's formats written here from google-research/xtreme evaluate.py (read_label, read_tag, read_squad,
read_xcopa; accuracy, seqeval F1, bucc_f1, SQuAD/MLQA EM and F1, Mewsli-X MRR@20, LAReQA mAP@20), and every
number must equal the run's metrics.json.
"""
import json
import random
import re
import string
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import torch
from seqeval.metrics import f1_score, precision_score, recall_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import export_submission as X  # noqa: E402
from tasks import TASKS, resolve_languages  # noqa: E402
from tasks.kinds import kind_of  # noqa: E402
from tasks import retrieval as R  # noqa: E402
from tasks.spec import TaskSpec  # noqa: E402
from tasks.tagging import chunk_scores, is_iob, xtreme_chunks  # noqa: E402
from utils.args import InputError  # noqa: E402
from utils.results import mark_done, metrics_document, write_json_atomic, write_jsonl_atomic  # noqa: E402

# evaluate.py's XTREME_TASK2LANGS and XTREME_R_TASK2LANGS (google-research/xtreme, 838c13b): the files expected
XTREME_LANGS = {
    "pawsx": "de,en,es,fr,ja,ko,zh", "xnli": "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh",
    "panx": "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,"
            "zh,kk,tr,et,fi,hu",
    "udpos": "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh",
    "bucc2018": "de,fr,ru,zh",
    "tatoeba": "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,"
               "et,fi,hu",
    "xquad": "en,es,de,el,ru,tr,ar,vi,th,zh,hi", "mlqa": "en,es,de,ar,hi,vi,zh", "tydiqa": "en,ar,bn,fi,id,ko,ru,sw,te",
}
XTREME_R_ADDED = {"panx": ",qu,pl,uk,az,lt,pa,gu,ro", "udpos": ",lt,pl,uk,wo,ro", "tatoeba": ",az,lt,pl,uk,ro",
                  "xquad": ",ro"}
XTREME_R_LANGS = {**{t: XTREME_LANGS[t] + XTREME_R_ADDED.get(t, "") for t in
                     ("xnli", "panx", "udpos", "tatoeba", "xquad", "mlqa", "tydiqa")},
                  "xcopa": "et,ht,id,it,qu,sw,ta,th,tr,vi,zh", "mewslix": "ar,de,en,es,fa,ja,pl,ro,ta,tr,uk"}
CONFIG = ("xlm-roberta-large", "mnli", 1)


# ---------------------------------------------------------------- an independent reader of XTREME's formats
def suffix(task):
    """evaluate.py's get_suffix (LAReQA, which it does not read, is exported as JSON like Mewsli-X)."""
    return "json" if task in ("xquad", "mlqa", "tydiqa", "mewslix", "lareqa") else "jsonl" if task == "xcopa" else "tsv"


def read_lines(path):
    return [line.strip() for line in open(path, encoding="utf-8")]


def read_blocks(path):
    blocks, block = [], []
    for line in read_lines(path):
        if line:
            block.append(line)
        else:
            blocks.append(block)
            block = []
    return blocks + [block] if block else blocks


def read_dataset(path):
    doc = json.load(open(path, encoding="utf-8"))
    return doc["data"] if "data" in doc else doc


def read_choice_labels(path):
    return [json.loads(line)["label"] for line in open(path, encoding="utf-8")]


def accuracy(gold, predicted, lang):
    assert len(gold) == len(predicted)
    return {"accuracy": 100 * sum(g == p for g, p in zip(gold, predicted)) / len(predicted)}


def tag_f1(gold, predicted, lang):
    assert len(gold) == len(predicted)
    if is_iob({tag for sentence in gold for tag in sentence}):  # PAN-X: seqeval's entity F1
        return {"f1": 100 * f1_score(gold, predicted), "precision": 100 * precision_score(gold, predicted),
                "recall": 100 * recall_score(gold, predicted)}
    return chunk_scores(xtreme_chunks(gold), xtreme_chunks(predicted))  # UDPOS: seqeval 0.0.12's chunks


def pairs_f1(gold, predicted, lang):
    gold, predicted = {tuple(g.split("\t")) for g in gold}, {tuple(p.split("\t")) for p in predicted}
    n = len(gold & predicted)
    p, r = (n / len(predicted), n / len(gold)) if n else (0, 0)
    return {"f1": 100 * (2 * p * r / (p + r) if n else 0), "precision": 100 * p, "recall": 100 * r}


@lru_cache(maxsize=1)
def unicode_punctuation():
    return {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")} | set(
        string.punctuation)


MLQA_ARTICLES = {"en": r"\b(a|an|the)\b", "es": r"\b(un|una|unos|unas|el|la|los|las)\b",
                 "de": r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b",
                 "vi": r"\b(của|là|cái|chiếc|những)\b", "ar": r"\sال^|ال"}


def squad_normal(text, lang=None):
    text = "".join(c for c in text.lower() if c not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def mlqa_normal(text, lang):
    text = "".join(c for c in text.lower() if c not in unicode_punctuation())
    text = re.sub(MLQA_ARTICLES[lang], " ", text) if lang in MLQA_ARTICLES else text
    if lang != "zh":
        return " ".join(text.split())
    tokens, run = [], ""
    for c in text:  # MLQA's mixed segmentation: CJK characters (and punctuation) one by one
        if re.search(r"[\u4e00-\u9fa5]", c) or c in unicode_punctuation():
            tokens, run = tokens + run.split() + [c], ""
        else:
            run += c
    return " ".join(t for t in tokens + run.split() if t.strip())


def qa_scores(normal):
    def score(dataset, predictions, lang):
        em = f1 = total = 0
        for qa in (qa for article in dataset for paragraph in article["paragraphs"] for qa in paragraph["qas"]):
            total += 1
            if qa["id"] not in predictions:
                continue
            prediction = normal(predictions[qa["id"]], lang).split()
            best_em = best_f1 = 0
            for answer in qa["answers"]:
                gold = normal(answer["text"], lang).split()
                same = sum((Counter(prediction) & Counter(gold)).values())
                best_em = max(best_em, float(prediction == gold))
                best_f1 = max(best_f1, 0 if not same else 2 * same / (len(prediction) + len(gold)))
            em, f1 = em + best_em, f1 + best_f1
        return {"exact_match": 100 * em / total, "f1": 100 * f1 / total}
    return score


def mrr20(gold, predictions, lang):
    ranks = [1 / (predictions.get(q, [])[:20].index(g[0]) + 1) if g[0] in predictions.get(q, [])[:20] else 0
             for q, g in gold.items()]
    return {"map@20": 100 * sum(ranks) / len(ranks)}


def map20(gold, predictions, lang):
    scores = []
    for q, relevant in gold.items():
        ranked, hits, total = predictions.get(q, [])[:20], 0, 0.0
        for i, candidate in enumerate(ranked):
            if candidate in relevant and candidate not in ranked[:i]:
                hits += 1
                total += hits / (i + 1)
        scores.append(total / min(len(relevant), 20))
    return {"map@20": 100 * sum(scores) / len(scores)}


SCORERS = {"pawsx": (read_lines, accuracy), "xnli": (read_lines, accuracy), "panx": (read_blocks, tag_f1),
           "udpos": (read_blocks, tag_f1), "bucc2018": (read_lines, pairs_f1), "tatoeba": (read_lines, accuracy),
           "xquad": (read_dataset, qa_scores(squad_normal)), "mlqa": (read_dataset, qa_scores(mlqa_normal)),
           "tydiqa": (read_dataset, qa_scores(squad_normal)), "xcopa": (read_choice_labels, accuracy),
           "mewslix": (read_dataset, mrr20), "lareqa": (read_dataset, map20)}


def score_file(task, lang, pred_dir, gold_dir):
    read, metric = SCORERS[task]
    name = f"test-{lang}.{suffix(task)}"
    return metric(read(gold_dir / task / name), read(pred_dir / task / name), lang)


# ---------------------------------------------------------------- fixture runs: records, gold text, metrics
def labels_case(spec, lang, rng):
    gold = [rng.choice(spec.labels) for _ in range(9)]
    records = [{"id": f"{lang}-{i}", "prediction": g if rng.random() < 0.6 else rng.choice(spec.labels), "label": g}
               for i, g in enumerate(gold)]
    return records, "".join(g + "\n" for g in gold), None


def tags_case(spec, lang, rng):
    gold = [[rng.choice(spec.labels) for _ in range(rng.randint(1, 7))] for _ in range(6)]
    records = [{"id": f"{lang}-{i}", "prediction": [t if rng.random() < 0.7 else rng.choice(spec.labels) for t in g],
                "label": g} for i, g in enumerate(gold)]
    return records, "\n\n".join("\n".join(g) for g in gold) + "\n", None  # as XTREME's files: no last blank line


PHRASES = ("the Cat", "Paris.", "a dog runs", "Berlin", "der große Hund", "北京大学的学生", "los niños",
           "1,200 km", "Anna's book", "của tôi")


def answers_case(spec, lang, rng):
    records, qas = [], []
    for i in range(6):
        golds = rng.sample(PHRASES, rng.choice((1, 2)))
        prediction = rng.choice([golds[0], golds[0].upper() + "!", "The " + golds[0], golds[0].split()[0],
                                 rng.choice(PHRASES), ""])
        context = " ".join(golds)
        records.append({"id": f"{lang}-q{i}", "prediction": prediction, "label": golds})
        qas.append({"id": f"{lang}-q{i}", "question": "?", "answers": [{"text": g, "answer_start": context.find(g)}
                                                                       for g in golds]})
    paragraphs = [{"context": " ".join(a["text"] for a in qa["answers"]), "qas": [qa]} for qa in reversed(qas)]
    return records, json.dumps({"version": "1.1", "data": [{"title": lang, "paragraphs": paragraphs}]}), None


def choices_case(spec, lang, rng):
    gold = [rng.randint(0, 1) for _ in range(8)]
    records = [{"id": f"{lang}-{i}", "prediction": g if rng.random() < 0.6 else 1 - g, "label": g}
               for i, g in enumerate(gold)]
    rows = [{"premise": "p", "choice1": "a", "choice2": "b", "question": "cause", "idx": i, "label": g}
            for i, g in enumerate(gold)]
    return records, "".join(json.dumps(row) + "\n" for row in rows), None


def indices_case(spec, lang, rng):
    torch.manual_seed(rng.randint(0, 10**6))
    source = torch.randn(12, 8)
    metrics, xtreme, reverse = R.tatoeba_scores(source, source + 1.2 * torch.randn(12, 8))
    records = [{"id": i, "prediction": p, "prediction_reverse": r, "label": i}
               for i, (p, r) in enumerate(zip(xtreme, reverse))]
    return records, "".join(f"{i}\n" for i in range(12)), metrics


def pairs_case(spec, lang, rng):
    source, target = [f"{lang}-{i:06d}" for i in range(10)], [f"en-{i:06d}" for i in range(10)]
    gold = {(s, target[(3 * i) % 10]) for i, s in enumerate(source[:8])}
    candidates = {}
    for i, s in enumerate(source):
        t = target[(3 * i) % 10] if rng.random() < 0.7 else rng.choice(target)
        candidates[(s, t)] = round(rng.uniform(0.3, 1.0), 3)
    metrics, records = R.bucc_scores([(s, t, c) for (s, t), c in candidates.items()], gold, 0.5)
    return records, "".join(f"{s}\t{t}\n" for s, t in sorted(gold)), metrics


# hand-computed mAP@20: (ranks of the relevant candidates) per query, and the mean in percent
RANKED = {"mewslix": ([(1,), (2,), (4,), (), (25,)], 100 * (1 + 1 / 2 + 1 / 4) / 5),
          "lareqa": ([(1, 3), (2,), (), (1,)], 100 * ((1 + 2 / 3) / 2 + 1 / 2 + 1) / 4)}


def ranked_case(spec, lang, rng):
    cases, expected = RANKED[X.xtreme_name(spec)]
    records, gold = [], {}
    for i, ranks in enumerate(cases):
        relevant = [f"Q{i}r{j}" for j in range(len(ranks) or 1)]
        ranking = [f"Q{i}x{j}" for j in range(30)]
        for rank, candidate in zip(ranks, relevant):
            ranking[rank - 1] = candidate
        records.append({"id": f"{lang}-m{i}", "prediction": ranking[:max(20, max(ranks, default=0))],
                        "label": relevant})
        gold[f"{lang}-m{i}"] = relevant
    return records, json.dumps(gold), {spec.metric: expected}


CASES = {"labels": labels_case, "tags": tags_case, "answers": answers_case, "choices": choices_case,
         "indices": indices_case, "pairs": pairs_case, "ranked": ranked_case}


def make_run(root, task, config=CONFIG, gold_dir=None, languages=None, dev=None, benchmark="xtreme"):
    """One finished run of `task` in sweep.sh's layout; its gold files into gold_dir (XTREME's layout)."""
    spec = TASKS[task]
    model, intermediate, seed = config
    run = root / model / f"seed{seed}" / intermediate / task
    rng = random.Random(f"{task}{config}")
    per_language = {}
    langs = languages or resolve_languages(spec, None if benchmark == "xtreme" else "xtreme_r")
    for lang in langs:
        records, gold, metrics = CASES[X.submission_format(spec)](spec, lang, rng)
        write_jsonl_atomic(run / "predictions" / task / f"test-{lang}.jsonl", records)
        per_language[lang] = {"test": metrics or kind_of(spec).compute_metrics(spec, records, lang)}
        if gold_dir:
            folder = X.xtreme_name(spec)
            (gold_dir / folder).mkdir(parents=True, exist_ok=True)
            (gold_dir / folder / f"test-{lang}.{suffix(folder)}").write_text(gold, encoding="utf-8")
    if dev is not None:
        per_language.setdefault("en", {})["validation"] = {spec.metric: dev, "exact_match": dev}
    write_json_atomic(run / "metrics.json", metrics_document(task, spec.metric, per_language))
    write_json_atomic(run / "run_config.json", {"task": task, "base_model": model, "intermediate_task": intermediate,
                                                "seed": seed, "arguments": {"seed": seed}})
    mark_done(run)
    return run


def benchmark_runs(root, benchmark, config=CONFIG, gold_dir=None):
    return {task: make_run(root, task, config, gold_dir, benchmark=benchmark)
            for task in X.benchmark_tasks(benchmark)}


@pytest.fixture
def pools(monkeypatch):
    """Mewsli-X and LAReQA: the registry's entries when present, else stand-ins of the same shape."""
    for name, langs in (("mewslix", XTREME_R_LANGS["mewslix"]), ("lareqa", "ar,de,el,en,es,hi,ru,th,tr,vi,zh")):
        if not any(X.xtreme_name(s) == name for s in TASKS.values() if "xtreme_r" in s.benchmarks):
            monkeypatch.setitem(TASKS, name, TaskSpec(name, "dual_encoder", "map@20", languages=tuple(langs.split(",")),
                                                      category="retrieval", benchmarks=("xtreme_r",)))


def export(root, out, *flags, benchmark="xtreme"):
    return X.main([str(root), "--benchmark", benchmark, "--out", str(out), *flags])


def files_of(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def check_round_trip(tmp_path, benchmark):
    root, gold, out = tmp_path / "runs", tmp_path / "gold", tmp_path / "submission"
    runs = benchmark_runs(root, benchmark, gold_dir=gold)
    result = export(root, out, benchmark=benchmark)
    assert files_of(out) == files_of(gold) == result["files"] and not result["missing"]
    assert sorted(zipfile.ZipFile(tmp_path / "submission.zip").namelist()) == files_of(out)
    for task, run in runs.items():
        spec = TASKS[task]
        folder = X.xtreme_name(spec)
        per_language = json.loads((run / "metrics.json").read_text())["per_language"]
        for lang in resolve_languages(spec, None if benchmark == "xtreme" else "xtreme_r"):
            ours = per_language[lang]["test"]
            for name, value in score_file(folder, lang, out, gold).items():
                assert value == pytest.approx(ours[spec.metric if name == "map@20" else name]), (task, lang, name)
    return out


def expected_files(task2langs):
    return sorted(f"{task}/test-{lang}.{suffix(task)}" for task, langs in task2langs.items()
                  for lang in langs.split(","))


# ---------------------------------------------------------------- tests
def test_xtreme_round_trip_scores_every_file_as_its_run_did(tmp_path):
    out = check_round_trip(tmp_path, "xtreme")
    assert files_of(out) == expected_files(XTREME_LANGS)  # evaluate.py's nine tasks and their languages, exactly


def test_xtreme_r_round_trip_with_retrieval_pools(tmp_path, pools):
    out = check_round_trip(tmp_path, "xtreme_r")
    ours = {X.xtreme_name(spec) for spec in X.benchmark_tasks("xtreme_r").values()}
    assert {"pawsx", "bucc2018"}.isdisjoint(ours) and {"xcopa", "mewslix", "lareqa"} <= ours
    xcopa = [json.loads(line) for line in open(next(tmp_path.glob("runs/*/*/*/xcopa/predictions/xcopa/test-et.jsonl")))]
    assert (out / "xcopa/test-et.jsonl").read_text() == "".join(f'{{"label": {r["prediction"]}}}\n' for r in xcopa)
    listed = {task: langs for task, langs in XTREME_R_LANGS.items() if task in ours}
    assert [f for f in files_of(out) if not f.startswith("lareqa/")] == expected_files(listed)


def test_formats_line_by_line(tmp_path):
    """The exact bytes of each line-aligned format, and QA answers keyed by id."""
    root, out = tmp_path / "runs", tmp_path / "sub"
    benchmark_runs(root, "xtreme")
    write_jsonl_atomic(root / "xlm-roberta-large/seed1/mnli/udpos/predictions/udpos/test-de.jsonl",
                       [{"id": "a", "prediction": ["DET", "NOUN"], "label": ["DET", "NOUN"]},
                        {"id": "b", "prediction": ["PUNCT"], "label": ["PUNCT"]}])
    write_jsonl_atomic(root / "xlm-roberta-large/seed1/mnli/bucc/predictions/bucc/test-de.jsonl",
                       [{"id": "de-000001", "prediction": "en-000009", "score": 1.2, "label": True}])
    export(root, out)
    assert (out / "udpos/test-de.tsv").read_text() == "DET\nNOUN\n\nPUNCT\n\n"
    assert read_blocks(out / "udpos/test-de.tsv") == [["DET", "NOUN"], ["PUNCT"]]
    assert (out / "bucc2018/test-de.tsv").read_text() == "de-000001\ten-000009\n"
    def records(task):
        path = root / f"xlm-roberta-large/seed1/mnli/{task}/predictions/{task}/test-de.jsonl"
        return [json.loads(line) for line in open(path)]
    assert read_lines(out / "xnli/test-de.tsv") == [r["prediction"] for r in records("xnli")]
    assert read_lines(out / "tatoeba/test-de.tsv") == [str(r["prediction"]) for r in records("tatoeba")]
    assert json.loads((out / "mlqa/test-de.json").read_text()) == {r["id"]: r["prediction"] for r in records("mlqa")}


def test_missing_language_and_task_are_errors_unless_allow_partial(tmp_path, capsys):
    root, out = tmp_path / "runs", tmp_path / "sub"
    runs = benchmark_runs(root, "xtreme")
    (runs["panx"] / "predictions/panx/test-sw.jsonl").unlink()
    for path in sorted(runs["bucc"].rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    runs["bucc"].rmdir()
    with pytest.raises(InputError, match=r"incomplete xtreme submission: panx sw \(no test-<lang>.jsonl in .*/panx\).*"
                                         r"bucc \(no finished run\).*--allow_partial"):
        export(root, out)
    assert not out.exists() and not (tmp_path / "sub.zip").exists()
    result = export(root, out, "--allow_partial")
    assert "panx/test-sw.tsv" not in result["files"] and "panx/test-de.tsv" in result["files"]
    assert not (out / "bucc2018").exists() and (out / "tatoeba").is_dir()
    printed = capsys.readouterr().out
    assert "incomplete (--allow_partial): panx sw (" in printed and "; bucc (no finished run)" in printed


def test_existing_output_needs_overwrite_and_is_replaced_whole(tmp_path):
    root, out = tmp_path / "runs", tmp_path / "sub"
    benchmark_runs(root, "xtreme")
    export(root, out)
    (out / "xnli" / "stale.tsv").write_text("old")
    with pytest.raises(InputError, match="--out .*sub: exists and is not empty .*--overwrite"):
        export(root, out)
    export(root, out, "--overwrite")
    assert not (out / "xnli" / "stale.tsv").exists() and (out / "xnli" / "test-de.tsv").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder or archive left
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.tex").write_text("keep")
    with pytest.raises(InputError, match="not a submission folder"):
        export(root, other, "--overwrite", "--zip", str(tmp_path / "notes.zip"))
    assert (other / "thesis.tex").read_text() == "keep"
    zipped = tmp_path / "elsewhere" / "mine.zip"
    export(root, tmp_path / "sub2", "--zip", str(zipped))
    assert zipfile.ZipFile(zipped).namelist() and not (tmp_path / "sub2.zip").exists()


def test_configuration_choice_flags_and_ambiguity(tmp_path):
    root = tmp_path / "runs"
    benchmark_runs(root, "xtreme")
    benchmark_runs(root, "xtreme", config=("xlm-roberta-large", "none", 1))
    benchmark_runs(root, "xtreme", config=("xlm-roberta-large", "none", 2))
    with pytest.raises(InputError, match=r"several configurations: choose --intermediate \(baseline, mnli\); "
                                         r"--seed \(1, 2\), or pass --best_per_target"):
        export(root, tmp_path / "a")
    with pytest.raises(InputError, match=r"--seed \(1, 2\)"):
        export(root, tmp_path / "a", "--intermediate", "none")
    result = export(root, tmp_path / "a", "--intermediate", "none", "--seed", "2")
    assert all("seed2/none" in p for p in result["chosen"].values())
    make_run(root, "xnli", ("xlm-roberta-base", "squad", 1))
    with pytest.raises(InputError, match=r"choose --model \(xlm-roberta-base, xlm-roberta-large\); --intermediate"):
        export(root, tmp_path / "b")
    result = export(root, tmp_path / "b", "--intermediate", "mnli")  # only large has mnli, only seed 1: no flags
    assert all("xlm-roberta-large/seed1/mnli" in p for p in result["chosen"].values())
    with pytest.raises(InputError, match=r"--intermediate hellaswag: no finished xtreme run has it "
                                         r"\(found: baseline, mnli, squad\)"):
        export(root, tmp_path / "c", "--intermediate", "hellaswag")
    with pytest.raises(InputError, match=r"--model mbert: .*found: xlm-roberta-base, xlm-roberta-large"):
        export(root, tmp_path / "c", "--model", "mbert", "--intermediate", "mnli")


def test_best_per_target_on_english_dev_else_test_mean(tmp_path, capsys):
    root = tmp_path / "runs"
    low, high = ("xlm-roberta-large", "mnli", 1), ("xlm-roberta-large", "squad", 1)
    for task in X.benchmark_tasks("xtreme"):
        make_run(root, task, low, dev=90.0 if task == "xnli" else None)
        make_run(root, task, high, dev=80.0 if task == "xnli" else None)
    high_test = {}
    for config in (low, high):  # tatoeba has no dev: the better test mean wins
        run = root / config[0] / "seed1" / config[1] / "tatoeba"
        per_language = json.loads((run / "metrics.json").read_text())["per_language"]
        high_test[config] = sum(v["test"]["accuracy"] for v in per_language.values()) / len(per_language)
    result = export(root, tmp_path / "sub", "--best_per_target")
    assert "/mnli/xnli" in result["chosen"]["xnli"]  # English dev 90 > 80
    assert f"/{max(high_test, key=high_test.get)[1]}/tatoeba" in result["chosen"]["tatoeba"]
    printed = capsys.readouterr().out
    assert "xnli" in printed and "best English dev score (validation: accuracy): 90.00 of 2 configurations" in printed
    assert "best mean test score over languages (no English dev score all configurations share)" in printed


def test_best_per_target_compares_one_source_of_dev_scores(tmp_path):
    """A selecting score (metrics.json selection) and an evaluated dev split are different numbers (QA: avg vs
    F1): configurations are compared on a source they all have."""
    root = tmp_path / "runs"
    a, b = ("xlm-roberta-large", "mnli", 1), ("xlm-roberta-large", "squad", 1)
    for config, dev, best in ((a, 70.0, 60.0), (b, 65.0, None)):
        make_run(root, "xquad", config, dev=dev)
        if best is not None:
            path = root / config[0] / "seed1" / config[1] / "xquad" / "metrics.json"
            metrics = json.loads(path.read_text())
            path.write_text(json.dumps({**metrics, "selection": {"metric": "avg", "best": best}}))
    runs = [run for run in X.collect(root, tmp_path / "none", "test") if run.task == "xquad"]
    assert len(runs) == 2
    run, how = X.best_run(root, runs, ["de"])
    assert "/mnli/" in str(run.path) and "validation" in how


@pytest.mark.parametrize("task,record,expected", [
    ("udpos", {"id": "x", "prediction": ["NOUN"], "label": ["NOUN", "VERB"]}, r"line 1: expected 2 tags"),
    ("tatoeba", {"id": 3, "prediction": 0, "label": 3}, r"line 1: expected the records in the order of their ids"),
    ("xnli", {"id": "x", "prediction": "neutral\nx", "label": "neutral"}, r"line 1: expected a label"),
    ("mlqa", {"id": "x", "label": ["a"]}, r"line 1: expected a JSON object with a 'prediction'"),
])
def test_bad_records_name_the_file_and_line(tmp_path, task, record, expected):
    root = tmp_path / "runs"
    runs = benchmark_runs(root, "xtreme")
    path = runs[task] / "predictions" / task / "test-de.jsonl"
    write_jsonl_atomic(path, [record])
    with pytest.raises(InputError, match=re.escape(str(path)) + " " + expected):
        export(root, tmp_path / "sub")
    assert not (tmp_path / "sub").exists()


def test_truncated_test_sets_are_refused(tmp_path):
    root = tmp_path / "runs"
    runs = benchmark_runs(root, "xtreme")
    config = json.loads((runs["xnli"] / "run_config.json").read_text())
    config["arguments"]["max_eval_samples"] = 5
    write_json_atomic(runs["xnli"] / "run_config.json", config)
    with pytest.raises(InputError, match=r"xnli: made with --max_eval_samples 5"):
        export(root, tmp_path / "sub")


def test_cli_errors_are_one_line_with_status_2(tmp_path):
    root = tmp_path / "runs"
    make_run(root, "xnli")
    make_run(root, "xnli", ("xlm-roberta-large", "none", 1))
    result = subprocess.run([sys.executable, str(ROOT / "scripts/export_submission.py"), str(root), "--benchmark",
                             "xtreme", "--out", str(tmp_path / "sub")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("export_submission.py: error: the runs hold several configurations: "
                                    "choose --intermediate (baseline, mnli)")
