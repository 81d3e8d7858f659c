"""Retrieval (BUCC 2018 mining, Tatoeba): k-NN, margin mining, threshold search, data readers, run_retrieval.py."""
import json
import random
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import ROOT, make_sentence, write_jsonl
from tasks import get_task
from tasks.kinds import kind_of
from tasks import retrieval as R
from utils.results import read_json

sys.path.insert(0, str(ROOT))
import run_retrieval  # noqa: E402

QUIET = ["--embedding_cache_dir"]


# ---------------------------------------------------------------- k-NN
@pytest.mark.parametrize("n,m,k,chunk", [(50, 70, 4, 16), (33, 5, 4, 2), (7, 90, 1, 8), (64, 64, 3, 64)])
def test_knn_both_equals_full_matrix_topk(n, m, k, chunk):
    torch.manual_seed(n)
    x, y = torch.randn(n, 12), torch.randn(m, 12)
    (fv, fi), (bv, bi) = R.knn_both(x, y, k, chunk)
    sims = F.normalize(x, dim=1) @ F.normalize(y, dim=1).T
    rv, ri = sims.topk(min(k, m), dim=1)
    cv, ci = sims.topk(min(k, n), dim=0)
    assert torch.allclose(fv, rv, atol=1e-6) and torch.equal(fi, ri)
    assert torch.allclose(bv, cv.T, atol=1e-6) and torch.equal(bi, ci.T)


def test_knn_ties_keep_the_lowest_index_across_blocks():
    y = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # duplicates in other blocks
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    (fv, fi), (bv, bi) = R.knn_both(x, y, 1, chunk_size=2)
    assert fi[:, 0].tolist() == [1, 0] and fv[:, 0].tolist() == [1.0, 1.0]
    (_, fi3), _ = R.knn_both(x, y, 3, chunk_size=2)
    assert fi3[0].tolist() == [1, 3, 4]  # all tied at 1.0: index order


def test_tatoeba_scores_known_answers_with_ties_and_duplicates():
    eye = torch.eye(4)
    source = eye.clone()
    english = torch.stack([eye[0], eye[1], eye[3], eye[3]])  # English 2 duplicates English 3
    metrics, xtreme, reverse = R.tatoeba_scores(source, english, chunk_size=3)
    assert xtreme == [0, 1, 3, 3]  # English -> source (XTREME's direction)
    assert reverse == [0, 1, 0, 2]  # source 2 ties with everything (cos 0): index 0; source 3: tie -> 2
    assert metrics == {"accuracy": 75.0, "accuracy_reverse": 50.0}


def test_use_faiss_without_faiss_falls_back_to_the_exact_search(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    x, y = torch.randn(9, 4), torch.randn(6, 4)
    with pytest.warns(UserWarning, match="faiss is not installed"):
        got = R.knn(x, y, 2, chunk_size=4, use_faiss=True)
    want = R.knn_both(x, y, 2, chunk_size=4)
    assert all(torch.equal(a, b) for pair in zip(got, want) for a, b in zip(*pair))


# ---------------------------------------------------------------- margin mining and the threshold
def brute_force_mine(x, y, k, positive=True):
    """mine_bitext (retrieval 'max', ratio margin) from the full similarity matrix; it writes scores > 0 only."""
    sims = (F.normalize(x, dim=1) @ F.normalize(y, dim=1).T).numpy()
    fmean = -np.sort(-sims, axis=1)[:, :k].mean(1)
    bmean = -np.sort(-sims, axis=0)[:k].mean(0)
    margin = sims / ((fmean[:, None] + bmean[None, :]) / 2)
    candidates = {}
    for i, j in [(i, int(np.argmax(np.where(sims[i] >= np.sort(sims[i])[-k], margin[i], -np.inf))))
                 for i in range(len(x))] + [(int(np.argmax(np.where(sims[:, j] >= np.sort(sims[:, j])[-k],
                                                                      margin[:, j], -np.inf))), j)
                                           for j in range(len(y))]:
        candidates[(i, j)] = margin[i, j]
    pairs, seen_i, seen_j = [], set(), set()
    for (i, j), score in sorted(candidates.items(), key=lambda item: -item[1]):
        if i not in seen_i and j not in seen_j:
            seen_i.add(i)
            seen_j.add(j)
            if score > 0 or not positive:
                pairs.append((i, j))
    return pairs


def test_mine_equals_the_ratio_margin_definition_and_is_one_to_one():
    torch.manual_seed(0)
    x = torch.randn(40, 8)
    y = torch.cat([x[:25] + 0.4 * torch.randn(25, 8), torch.randn(20, 8)])
    src, tgt, score = R.mine(x, y, k=4, chunk_size=7)
    assert list(zip(src.tolist(), tgt.tolist())) == brute_force_mine(x, y, 4)
    assert len(set(src)) == len(src) and len(set(tgt)) == len(tgt)
    assert np.all(np.diff(score) <= 0)
    assert sum(int(s == t) for s, t in zip(src, tgt) if s < 25) >= 23  # the planted pairs are found


def test_mine_keeps_only_positive_scores_as_mine_bitext_writes_them():
    torch.manual_seed(84)  # 2-d vectors: one one-to-one candidate has a negative ratio margin
    x, y = torch.randn(6, 2), torch.randn(9, 2)
    src, tgt, score = R.mine(x, y, k=4, chunk_size=4)
    assert list(zip(src.tolist(), tgt.tolist())) == brute_force_mine(x, y, 4)
    assert len(brute_force_mine(x, y, 4, positive=False)) == len(src) + 1 and score.min() > 0


def xtreme_bucc_optimize(candidate2score, gold):
    """XTREME's bucc_optimize loop (third_party/utils_retrieve.py) restated over {(src id, tgt id): score} and a set
    of id pairs; where XTREME would read items[i + 1] past the end (the best prefix is everything), the last score."""
    items = sorted(candidate2score.items(), key=lambda item: -item[1])
    threshold, best_f1, n_correct = 0, 0, 0
    for i, (pair, score) in enumerate(items):
        n_correct += pair in gold
        if n_correct > 0:
            precision, recall = n_correct / (i + 1), n_correct / len(gold)
            f1 = 2 * precision * recall / (precision + recall)
            if f1 > best_f1:
                best_f1 = f1
                threshold = (score + items[i + 1][1]) / 2 if i + 1 < len(items) else score
    return threshold


def test_best_threshold_is_xtremes_bucc_optimize():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    correct = np.array([1, 1, 0, 1, 0])  # prefix F1 2c/(n+4): 2/5, 4/6, 4/7, 6/8, 6/9
    assert R.best_threshold(scores, correct, n_gold=4) == (0.6 + 0.5) / 2
    tied = np.array([0.9, 0.8, 0.8, 0.8])  # best prefix: 2 (F1 1); the next score ties, so the cut is the tie
    assert R.best_threshold(tied, np.array([1, 1, 0, 0]), n_gold=2) == 0.8
    assert R.best_threshold(np.array([0.9, 0.7, 0.7, 0.1]), np.array([1, 0, 1, 0]), 2) == (0.7 + 0.1) / 2
    assert R.best_threshold(np.array([0.5, 0.9]), np.array([1, 0]), 1) == 0.5  # sorted first; best = the last
    assert R.best_threshold(scores, np.zeros(5), n_gold=3) == 0.0  # nothing right: XTREME's initial 0
    assert R.best_threshold(np.array([]), np.array([]), n_gold=3) == 0.0
    assert R.prf(3, 4, 6) == pytest.approx({"precision": 75.0, "recall": 50.0, "f1": 60.0})
    rng = np.random.default_rng(0)
    for trial in range(300):  # ties (scores drawn from few values), misses, and equal-F1 prefixes
        n = int(rng.integers(1, 12))
        scores = rng.integers(1, 6, n) / 4
        correct = rng.random(n) < 0.5
        n_gold = int(correct.sum() + rng.integers(0, 4))
        candidates = {(f"s{i}", f"t{i}"): float(c) for i, c in enumerate(scores)}
        gold = {(f"s{i}", f"t{i}") for i in np.flatnonzero(correct)} | {(f"x{i}", "t") for i in
                                                                       range(n_gold - int(correct.sum()))}
        if not gold:
            continue
        want = xtreme_bucc_optimize(candidates, gold)
        assert R.best_threshold(scores, correct, n_gold) == want
        assert R.candidates_threshold([(a, b, c) for (a, b), c in candidates.items()], gold) == want


class LookupEncoder:
    """A stand-in encoder: each text's embedding is given."""
    def __init__(self, table):
        self.table = table
        self.calls = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return torch.stack([torch.tensor(self.table[t], dtype=torch.float) for t in texts])


def xtreme_bucc_eval(mined, parts, threshold=None):
    """XTREME's read_sent2id + read_candidate2score + bucc_optimize/bucc_extract + bucc_eval, restated over mined
    [(score, source text, target text)] and our parts; returns (candidate2score, metrics)."""
    def sent2id(rows):
        ids, repeated = {}, set()
        for row in rows:
            text = row["text"].strip()
            if text in ids:
                repeated.add(text)
            else:
                ids[text] = row["id"]
        return {t: i for t, i in ids.items() if t not in repeated}
    src, tgt = sent2id(parts["source"]), sent2id(parts["target"])
    candidate2score = {}
    for score, s, t in mined:
        if s.strip() in src and t.strip() in tgt:
            pair = (src[s.strip()], tgt[t.strip()])
            candidate2score[pair] = max(score, candidate2score.get(pair, score))
    gold = {(g["source_id"], g["target_id"]) for g in parts["gold"]}
    if threshold is None:
        threshold = xtreme_bucc_optimize(candidate2score, gold)
    bitexts = [pair for pair, score in candidate2score.items() if score >= threshold]
    n_correct = len(gold.intersection(bitexts))
    p, r = (n_correct / len(bitexts), n_correct / len(gold)) if n_correct else (0, 0)
    return candidate2score, {"precision": 100 * p, "recall": 100 * r,
                             "f1": 100 * (2 * p * r / (p + r) if n_correct else 0), "threshold": threshold}


def test_bucc_counts_gold_and_predicted_pairs_by_id():
    candidates = [("s1", "t1", 0.9), ("s2", "t2", 0.8), ("s3", "t9", 0.7), ("s4", "t4", 0.6)]
    gold = {("s1", "t1"), ("s2", "t2"), ("s4", "t4"), ("s5", "t5")}
    metrics, records = R.bucc_scores(candidates, gold, 0.75)  # predicted: s1-t1, s2-t2 (both right) of 4 gold
    assert metrics == pytest.approx({"precision": 100.0, "recall": 50.0, "f1": 200 / 3, "threshold": 0.75})
    assert records == [{"id": "s1", "prediction": "t1", "score": 0.9, "label": True},
                       {"id": "s2", "prediction": "t2", "score": 0.8, "label": True}]
    metrics, records = R.bucc_scores(candidates, gold, 0.65)  # 3 predicted, 2 right
    assert metrics["precision"] == pytest.approx(200 / 3) and metrics["recall"] == 50.0
    assert [r["label"] for r in records] == [True, True, False]
    assert R.bucc_scores(candidates, gold, 1.0)[0]["f1"] == 0.0 and R.bucc_scores([], gold, 0.0)[1] == []


def test_sent2id_drops_every_repeated_text_as_xtreme():
    rows = [{"id": "1", "text": "a"}, {"id": "2", "text": "b "}, {"id": "3", "text": "a"}, {"id": "4", "text": "b"},
            {"id": "5", "text": " c"}, {"id": "5", "text": " c"}]  # 'b ' and 'b' are one stripped text
    assert R.sent2id(rows) == {"c": "5"}  # the row repeated under its own id (hub rows) is one sentence


def test_bucc_duplicate_source_text_is_dropped_but_its_gold_pair_counts():
    table = {"a": [1, 0, 0], "b": [0, 1, 0], "A": [1, .1, 0], "B": [0, 1, .1], "Z": [.5, .5, .5]}
    parts = {"source": [{"id": "s1", "text": "a"}, {"id": "s2", "text": "b"}, {"id": "s3", "text": "a"}],
             "target": [{"id": "t1", "text": "A"}, {"id": "t2", "text": "B"}, {"id": "t3", "text": "Z"}],
             "gold": [{"source_id": "s3", "target_id": "t1"}, {"source_id": "s2", "target_id": "t2"}]}
    args = SimpleNamespace(margin_k=2, knn_chunk_size=2, use_faiss=False)
    encoder = LookupEncoder(table)
    candidates, gold = R.bucc_candidates(encoder, parts, args)
    assert encoder.calls == [["a", "b"], ["A", "B", "Z"]]  # mined over the distinct texts, as mine_bitext
    src, tgt, score = R.mine(encoder.embed(["a", "b"]), encoder.embed(["A", "B", "Z"]), 2, 2)
    assert list(zip(src.tolist(), tgt.tolist())) == [(1, 1), (0, 0)]  # b-B, then a-A; Z's partners are taken
    assert candidates == [("s2", "t2", float(score[0]))]  # 'a' is s1 and s3: XTREME drops the pair
    assert gold == {("s3", "t1"), ("s2", "t2")}
    threshold = R.candidates_threshold(candidates, gold)
    assert threshold == float(score[0])  # the best prefix is the whole list
    metrics, records = R.bucc_scores(candidates, gold, threshold)
    assert metrics == pytest.approx({"precision": 100.0, "recall": 50.0, "f1": 200 / 3, "threshold": threshold})
    assert records == [{"id": "s2", "prediction": "t2", "score": float(score[0]), "label": True}]
    mined = [(float(c), ["a", "b"][i], ["A", "B", "Z"][j]) for i, j, c in zip(src, tgt, score)]
    reference_candidates, reference = xtreme_bucc_eval(mined, parts)
    assert reference_candidates == {(a, b): c for a, b, c in candidates} and metrics == reference


# ---------------------------------------------------------------- layer, readers, bad input
def test_default_layer_rule_and_bad_layer():
    assert R.resolve_layer(None, 24) == (14, "default: layer 14 of 24 (XTREME/jiant for XLM-R large)")
    assert R.resolve_layer(None, 12)[0] == 7 and R.resolve_layer(None, 2)[0] == 1
    assert R.resolve_layer(3, 12) == (3, "--layer")
    for bad in (13, -1):
        with pytest.raises(ValueError, match=f"--layer {bad}: the model has 12 layers"):
            R.resolve_layer(bad, 12)


def test_tatoeba_raw_pair_and_bad_files(tmp_path):
    (tmp_path / "tatoeba.deu-eng.deu").write_text("Hallo\nDanke\n", encoding="utf-8")
    (tmp_path / "tatoeba.deu-eng.eng").write_text("Hello\nThanks\n", encoding="utf-8")
    rows = kind_of("bitext_search").RAW_FORMATS["tatoeba"](str(tmp_path / "tatoeba.deu-eng.eng"))
    assert rows == [{"source": "Hallo", "target": "Hello"}, {"source": "Danke", "target": "Thanks"}]
    (tmp_path / "tatoeba.deu-eng.eng").write_text("Hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"tatoeba\.deu-eng\.deu has 2 lines but .*tatoeba\.deu-eng\.eng has 1"):
        R.tatoeba_pair(str(tmp_path / "tatoeba.deu-eng.deu"))
    (tmp_path / "tatoeba.deu-eng.eng").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match=r"tatoeba\.deu-eng\.eng: the file is empty"):
        R.tatoeba_pair(str(tmp_path / "tatoeba.deu-eng.deu"))
    assert R.tatoeba_language("deu") == "de" and R.tatoeba_language("ast") == "ast"
    with pytest.raises(ValueError, match="'xyz' is not a Tatoeba language"):
        R.tatoeba_language("xyz")


def write_bucc_raw(directory, gold="de-1\ten-2\n", source="de-1\tHallo Welt\nde-2\tGuten Tag\n"):
    (directory / "de-en.sample.de").write_text(source, encoding="utf-8")
    (directory / "de-en.sample.en").write_text("en-1\tGood day\nen-2\tHello world\n", encoding="utf-8")
    (directory / "de-en.sample.gold").write_text(gold, encoding="utf-8")
    return directory / "de-en.sample.gold"


def test_bucc_raw_files_and_bad_input(tmp_path):
    parts = kind_of("bitext_mining").RAW_FORMATS["bucc"](str(write_bucc_raw(tmp_path)))
    assert parts["source"][1] == {"id": "de-2", "text": "Guten Tag"}
    assert parts["gold"] == [{"source_id": "de-1", "target_id": "en-2"}]
    write_bucc_raw(tmp_path, gold="de-1\ten-2\nde-9\ten-1\n")
    with pytest.raises(ValueError, match=r"de-en\.sample\.gold:2: source id 'de-9' is not in .*de-en\.sample\.de"):
        R.bucc_files(str(tmp_path / "de-en.sample"))
    write_bucc_raw(tmp_path, gold="")
    with pytest.raises(ValueError, match=r"de-en\.sample\.gold: the file is empty"):
        R.bucc_files(str(tmp_path / "de-en.sample.de"))
    write_bucc_raw(tmp_path, source="de-1 no tab\n")
    with pytest.raises(ValueError, match=r"de-en\.sample\.de:1: no tab"):
        R.bucc_files(str(tmp_path / "de-en.sample.de"))


def test_from_hub_maps_the_xtreme_columns():
    import datasets
    hub = datasets.Dataset.from_dict({"source_sentence": ["Hallo\n"], "target_sentence": ["Hello\n"],
                                      "source_lang": ["deu"], "target_lang": ["eng"]})
    assert kind_of("bitext_search").from_hub(get_task("tatoeba"), hub, "de").to_list() == [{"source": "Hallo", "target": "Hello"}]
    hub = datasets.Dataset.from_dict({"source_sentence": ["Hallo"], "target_sentence": ["Hello"],
                                      "source_lang": ["de-000001"], "target_lang": ["en-000042"]})
    parts = kind_of("bitext_mining").from_hub(get_task("bucc"), hub, "de")
    assert parts["gold"].to_list() == [{"source_id": "de-000001", "target_id": "en-000042"}]
    assert parts["target"].to_list() == [{"id": "en-000042", "text": "Hello"}]


# ---------------------------------------------------------------- encoder (tiny model)
def test_only_layers_gives_the_full_models_hidden_state(tiny_model_dir):
    from transformers import AutoModel, AutoTokenizer
    model, tok = AutoModel.from_pretrained(tiny_model_dir).eval(), AutoTokenizer.from_pretrained(tiny_model_dir)
    sentences = ["the cat sees the dog.", "a big red house"]
    for layer in (0, 1, 2):
        fast = R.embed_sentences(model, tok, sentences, layer, "mean", 512, 8, "cpu")
        batch = tok(sentences, padding=True, return_tensors="pt")
        with torch.no_grad():
            full = model(**batch, output_hidden_states=True).hidden_states[layer]
        assert torch.allclose(fast, R.pool(full, batch["attention_mask"], "mean"), atol=1e-5)
    assert len(model.encoder.layer) == 2  # restored


def test_embedding_cache_is_keyed_by_layer_and_input(tiny_model_dir, tmp_path, monkeypatch):
    calls = []
    real = R.embed_sentences
    monkeypatch.setattr(R, "embed_sentences", lambda *a: calls.append(a[3]) or real(*a))
    encoder = R.Encoder(str(tiny_model_dir), layer=1, embedding_cache_dir=str(tmp_path))
    first = encoder.embed(["a cat.", "a dog."])
    assert torch.equal(encoder.embed(["a cat.", "a dog."]), first) and calls == [1]
    encoder.embed(["a cat."])
    R.Encoder(str(tiny_model_dir), layer=2, embedding_cache_dir=str(tmp_path)).embed(["a cat.", "a dog."])
    assert calls == [1, 1, 2] and len(list(tmp_path.glob("*.npy"))) == 3


# ---------------------------------------------------------------- run_retrieval.py end to end (tiny model)
def tiny_tatoeba(data_dir, lang, n=12, seed=0):
    rng = random.Random(seed)
    sentences = list(dict.fromkeys(make_sentence(rng) for _ in range(n)))
    return write_jsonl(data_dir / "tatoeba" / f"test-{lang}.jsonl", [{"source": s, "target": s} for s in sentences])


def tiny_bucc(data_dir, split, lang, seed, duplicate=False):
    """14 source and 18 target sentences, 8 gold pairs (identical texts); duplicate: the source sentence of gold pair
    0 occurs again under another id."""
    rng = random.Random(seed)
    texts = list(dict.fromkeys(make_sentence(rng) for _ in range(30)))
    source = [{"id": f"{lang}-{i}", "text": t} for i, t in enumerate(texts[:14])]
    source += [{"id": f"{lang}-dup", "text": texts[0]}] if duplicate else []
    target = [{"id": f"en-{i}", "text": t} for i, t in enumerate(texts[:8] + texts[14:24])]
    gold = [{"source_id": f"{lang}-{i}", "target_id": f"en-{i}"} for i in range(8)]
    for part, rows in zip(("source", "target", "gold"), (source, target, gold)):
        write_jsonl(R.bucc_local_paths(data_dir, split, lang)[part], rows)
    return {"source": source, "target": target, "gold": gold}


def run(tiny_model_dir, tmp_path, task, *extra):
    argv = ["--task", task, "--model_name_or_path", str(tiny_model_dir), "--output_dir", str(tmp_path / "out"),
            "--data_dir", str(tmp_path / "data"), "--embedding_cache_dir", str(tmp_path / "cache"), *extra]
    return run_retrieval.main(argv)


def test_run_retrieval_tatoeba_end_to_end(tiny_model_dir, tmp_path, caplog):
    tiny_tatoeba(tmp_path / "data", "de")
    tiny_tatoeba(tmp_path / "data", "ast", seed=1)
    document = run(tiny_model_dir, tmp_path, "tatoeba", "--languages", "deu,ast")
    out = tmp_path / "out"
    metrics = read_json(out / "metrics.json")
    assert metrics["per_language"]["de"]["test"] == {"accuracy": 100.0, "accuracy_reverse": 100.0}  # same texts
    assert (metrics["layer"], metrics["pooling"], metrics["max_seq_length"]) == (1, "mean", 512)
    assert "round(14/24 * 2) = 1" in metrics["layer_rule"] and metrics["model"] == str(tiny_model_dir)
    assert read_json(out / "run_config.json")["arguments"]["pooling"] == "mean"
    first = json.loads((out / "predictions" / "tatoeba" / "test-ast.jsonl").read_text().splitlines()[0])
    assert first == {"id": 0, "prediction": 0, "prediction_reverse": 0, "label": 0}
    assert (out / "DONE").exists() and document["average"]["test"]["accuracy"] == 100.0
    with caplog.at_level("INFO"):  # finished: skipped, and its results returned as every run's are
        assert run(tiny_model_dir, tmp_path, "tatoeba", "--languages", "deu,ast") == metrics
    assert "skipping it" in caplog.text
    again = run(tiny_model_dir, tmp_path, "tatoeba", "--languages", "de", "--overwrite", "--max_eval_samples", "5")
    assert len((out / "predictions" / "tatoeba" / "test-de.jsonl").read_text().splitlines()) == 5
    assert list(again["per_language"]) == ["de"]
    assert not (out / "predictions" / "tatoeba" / "test-ast.jsonl").exists()  # --overwrite cleared the old results


def test_run_retrieval_bucc_end_to_end(tiny_model_dir, tmp_path, monkeypatch):
    parts = {"validation": tiny_bucc(tmp_path / "data", "validation", "de", 1, duplicate=True),
             "test": tiny_bucc(tmp_path / "data", "test", "de", 2)}
    seen, real = [], R.bucc_candidates
    monkeypatch.setattr(R, "bucc_candidates", lambda *a: seen.append(real(*a)) or seen[-1])  # records its answers
    document = run(tiny_model_dir, tmp_path, "bucc", "--languages", "de")
    scores = document["per_language"]["de"]
    assert len(seen) == 2 and scores["test"]["threshold"] == scores["validation"]["threshold"]  # dev's, unchanged
    assert scores["validation"]["threshold"] == xtreme_bucc_optimize({(a, b): c for a, b, c in seen[0][0]},
                                                                     seen[0][1])
    assert scores["validation"]["gold_pairs"] == scores["test"]["gold_pairs"] == 8
    # identical texts have cosine 1 and the highest margins: the 7 gold pairs without the repeated sentence are the
    # best candidates; de-0's text is also de-dup's, so its gold pair is never predicted and costs recall
    ids = [{r["id"] for r in parts["validation"][side]} for side in ("source", "target")]
    assert all(a in ids[0] - {"de-0", "de-dup"} and b in ids[1] - {"en-0"} for a, b, _ in seen[0][0])
    assert {k: scores["validation"][k] for k in ("precision", "recall", "f1")} == pytest.approx(
        {"precision": 100.0, "recall": 87.5, "f1": 1400 / 15})
    assert scores["test"]["f1"] == 100.0
    for split, (candidates, gold) in zip(("validation", "test"), seen):
        rows = [json.loads(r) for r in
                (tmp_path / "out" / "predictions" / "bucc" / f"{split}-de.jsonl").read_text().splitlines()]
        predicted = {(r["id"], r["prediction"]) for r in rows}
        assert predicted == {(a, b) for a, b, c in candidates if c >= scores[split]["threshold"]} and rows
        assert gold == {(g["source_id"], g["target_id"]) for g in parts[split]["gold"]}
        n_correct = len(predicted & gold)  # XTREME's evaluate.py bucc_f1 on the id pairs
        assert scores[split]["precision"] == pytest.approx(100 * n_correct / len(predicted))
        assert scores[split]["recall"] == pytest.approx(100 * n_correct / len(gold))
        assert all(r["label"] == ((r["id"], r["prediction"]) in gold) for r in rows)
    assert document["margin_k"] == 4 and document["data_source"] == "local files"


def test_bucc_from_the_hub_warns_that_it_is_incomplete(tiny_model_dir, tmp_path, monkeypatch):
    from hub_replica import hub_repo, use_mirror  # the hub's layout and exact features, only these rows
    texts = [make_sentence(random.Random(i)) for i in range(6)]
    pairs = [{"source_sentence": t, "target_sentence": t, "source_lang": f"fr-{i}", "target_lang": f"en-{i}"}
             for i, t in enumerate(texts)]
    use_mirror(monkeypatch, hub_repo(tmp_path / "hub", "google/xtreme", {("bucc18.fr", "validation"): pairs,
                                                                          ("bucc18.fr", "test"): pairs}))
    with pytest.warns(UserWarning, match="hold only the gold pairs"):
        document = run_retrieval.main(["--task", "bucc", "--languages", "fr", "--model_name_or_path",
                                       str(tiny_model_dir), "--output_dir", str(tmp_path / "out"),
                                       "--embedding_cache_dir", str(tmp_path / "cache")])
    assert document["data_source"].startswith("hub gold pairs only")


def test_arguments_reach_the_embedding_code(tiny_model_dir, tmp_path, monkeypatch):
    """--layer, --pooling, --max_seq_length and the model each reach embed_sentences and change the output."""
    tiny_tatoeba(tmp_path / "data", "de", n=6)
    seen, real = [], R.embed_sentences

    def spy(model, tokenizer, sentences, layer, pooling, max_seq_length, batch_size, device):
        out = real(model, tokenizer, sentences, layer, pooling, max_seq_length, batch_size, device)
        seen.append((model.name_or_path, layer, pooling, max_seq_length, out))
        return out
    monkeypatch.setattr(R, "embed_sentences", spy)
    other = tmp_path / "other_model"
    from conftest import build_tiny_model
    build_tiny_model(other)
    with torch.no_grad():  # a second model: same tokenizer, different weights
        from transformers import AutoModel
        model = AutoModel.from_pretrained(other)
        for p in model.parameters():
            p.mul_(1.5)
        model.save_pretrained(other)
    settings = [("base", []), ("layer", ["--layer", "2"]), ("pooling", ["--pooling", "cls"]),
                ("length", ["--max_seq_length", "4"]), ("model", [])]
    for name, flags in settings:
        model_dir = other if name == "model" else tiny_model_dir
        run_retrieval.main(["--task", "tatoeba", "--languages", "de", "--model_name_or_path", str(model_dir),
                            "--output_dir", str(tmp_path / name), "--data_dir", str(tmp_path / "data"),
                            "--embedding_cache_dir", str(tmp_path / "cache"), *flags])
    source = seen  # one call per run: the target texts equal the source texts, so they come from the cache
    assert len(seen) == len(settings)
    assert [s[1:4] for s in source] == [(1, "mean", 512), (2, "mean", 512), (1, "cls", 512), (1, "mean", 4),
                                        (1, "mean", 512)]
    assert source[4][0] == str(other) and source[0][0] == str(tiny_model_dir)
    for changed in source[1:]:
        assert not torch.allclose(changed[4], source[0][4])


def test_layer_beyond_the_model_is_a_clear_error(tiny_model_dir, tmp_path):
    tiny_tatoeba(tmp_path / "data", "de", n=4)
    with pytest.raises(ValueError, match="--layer 3: the model has 2 layers"):
        run(tiny_model_dir, tmp_path, "tatoeba", "--languages", "de", "--layer", "3")
    with pytest.raises(ValueError, match=r"bucc/validation-de\.source\.jsonl: no such file"):
        run(tiny_model_dir, tmp_path, "bucc", "--languages", "de")
    assert not (tmp_path / "out").exists()  # both found before the model loaded, nothing written


# ---------------------------------------------------------------- real model, real LASER Tatoeba files
REAL_LANGS = {"de": "deu", "fr": "fra", "es": "spa", "ru": "rus", "zh": "cmn"}
REAL_SENTENCES = 300  # the first 300 pairs of each language (of 1,000), to stay within a few minutes on 2 cores


@pytest.mark.slow
def test_real_model_tatoeba_accuracy_and_layers(real_model_dir, shared_data, tmp_path):
    for lang, code in REAL_LANGS.items():
        rows = R.tatoeba_pair(str(shared_data / "tatoeba" / f"tatoeba.{code}-eng.{code}"))[:REAL_SENTENCES]
        write_jsonl(tmp_path / "data" / "tatoeba" / f"test-{lang}.jsonl", rows)
    common = ["--task", "tatoeba", "--model_name_or_path", str(real_model_dir), "--data_dir", str(tmp_path / "data"),
              "--embedding_cache_dir", str(tmp_path / "cache"), "--batch_size", "32"]
    default = run_retrieval.main(common + ["--output_dir", str(tmp_path / "default"),
                                           "--languages", ",".join(REAL_LANGS)])
    scores = {lang: s["test"]["accuracy"] for lang, s in default["per_language"].items()}
    print("real model, layer", default["layer"], default["pooling"], default["per_language"], default["average"])
    assert default["layer"] == 7 and default["pooling"] == "mean"
    assert min(scores.values()) >= 75 and default["average"]["test"]["accuracy"] >= 85
    shallow = run_retrieval.main(common + ["--output_dir", str(tmp_path / "layer1"), "--languages", "de,ru",
                                           "--layer", "1"])
    low = {lang: s["test"]["accuracy"] for lang, s in shallow["per_language"].items()}
    print("layer 1:", shallow["per_language"])
    assert shallow["layer"] == 1 and all(low[lang] < scores[lang] - 10 for lang in low)
