"""Sentence retrieval with an encoder and no training: BUCC 2018 bitext mining and Tatoeba, as XTREME does them.

Embeddings: mean (or CLS) pooling of hidden_states[layer] (0 = embeddings), cached on disk. Search (tasks/mining.py):
exact cosine k-NN in chunk x chunk blocks; each block gives the row-wise AND the column-wise top-k, so both
directions cost one matrix product. BUCC, as XTREME's third_party/utils_retrieve.py: mining over the distinct
texts (ratio margin, k = 4 both ways, forward + backward candidates kept one-to-one), candidates mapped back to
sentence ids (those of a text that occurs more than once are dropped), scored against the gold id pairs; the
F1-optimal threshold (bucc_optimize) on dev is applied unchanged to test. Tatoeba: top-1 accuracy in XTREME's
direction (each English sentence retrieves its translation) and the reverse.
Schemas: tatoeba {"source", "target"}; bucc <split>-<lang>.{source,target}.jsonl {"id", "text"} and
<split>-<lang>.gold.jsonl {"source_id", "target_id"}.
"""
import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from abc import abstractmethod
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from tasks.mining import best_threshold, knn, knn_both, mine, prf  # noqa: F401 (also re-exported)
from tasks.kind import Kind
from utils.data import load_hub, read_jsonl, record_load
from utils.device import autocast, encoding_dtype, precision_key
from utils.heads import encoder_inputs
from utils.languages import LASER_TATOEBA  # LASER's 112 Tatoeba languages

logger = logging.getLogger(__name__)
POOLINGS = ("mean", "cls")


# ---------------------------------------------------------------- representation
def resolve_layer(layer, num_layers: int):
    """(hidden_states index, the rule that chose it). Default: 14 of 24 layers (XTREME, jiant), same depth else."""
    if layer is None:
        layer = 14 if num_layers == 24 else round(14 / 24 * num_layers)
        rule = ("default: layer 14 of 24 (XTREME/jiant for XLM-R large)" if num_layers == 24 else
                f"default: round(14/24 * {num_layers}) = {layer} (the relative depth of layer 14 of 24)")
    else:
        rule = "--layer"
    if not 0 <= layer <= num_layers:
        raise ValueError(f"--layer {layer}: the model has {num_layers} layers, so hidden_states indices run from "
                         f"0 (embeddings) to {num_layers}")
    return layer, rule


@contextmanager
def only_layers(model, layer: int):
    """Run just the first `layer` transformer layers where the model keeps them in encoder.layer (BERT, XLM-R)."""
    layers = getattr(getattr(model, "encoder", None), "layer", None)
    try:  # transformers records hidden_states with hooks installed at the first call: install them on every layer
        from transformers.utils.output_capturing import maybe_install_capturing_hooks
        maybe_install_capturing_hooks(model)
    except (ImportError, AttributeError, TypeError):
        layers = None  # unknown mechanism: run the whole model
    if not isinstance(layers, torch.nn.ModuleList) or layer >= len(layers):
        yield
        return
    model.encoder.layer = layers[:max(layer, 1)]  # hidden_states are recorded by the layers: keep one
    try:
        yield
    finally:
        model.encoder.layer = layers


def pool(hidden, attention_mask, pooling: str):
    if pooling == "cls":
        return hidden[:, 0]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # mean over every real token, specials included (XTREME)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)


def embed_sentences(model, tokenizer, sentences, layer, pooling, max_seq_length, batch_size, device):
    """(n, hidden) float32 embeddings, in input order; batches are sorted by length so padding is small (the same
    embeddings as unsorted batches, within float tolerance)."""
    from tqdm.auto import tqdm
    encoded = tokenizer(list(sentences), truncation=True, max_length=max_seq_length)
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in encoded]
    order = sorted(range(len(sentences)), key=lambda i: -len(encoded["input_ids"][i]))
    out = None
    with torch.inference_mode(), only_layers(model, layer):
        for start in tqdm(range(0, len(order), batch_size), desc="encoding", disable=len(order) <= batch_size):
            index = order[start:start + batch_size]
            batch = tokenizer.pad({k: [encoded[k][i] for i in index] for k in keys}, return_tensors="pt").to(device)
            inputs = encoder_inputs(model, batch["input_ids"], batch["attention_mask"], batch.get("token_type_ids"))
            hidden = model(**inputs, output_hidden_states=True).hidden_states[layer]
            pooled = pool(hidden, batch["attention_mask"], pooling).float().cpu()
            out = torch.empty(len(sentences), pooled.shape[1]) if out is None else out
            out[index] = pooled
    return out if out is not None else torch.empty(0, 0)


def model_fingerprint(path) -> str:
    """A hub id as it is; a local directory by its path and its files' sizes and modification times."""
    p = Path(path)
    if not p.is_dir():
        return str(path)
    files = sorted(f for f in p.iterdir() if f.is_file())
    return f"{p.resolve()}|" + "|".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)


class Encoder:
    """Sentence embeddings of one hidden layer, cached on disk by model, layer, pooling, length and input hash (and
    the precision, when not fp32: bf16 on a GPU by default, --encoding_precision fp32 for exact float32)."""

    def __init__(self, model_name_or_path, layer=None, pooling="mean", max_seq_length=512, batch_size=64,
                 tokenizer_name=None, cache_dir=None, embedding_cache_dir=None, trust_remote_code=False,
                 precision="auto", attn_implementation=None):
        from transformers import AutoTokenizer
        from utils.peft_setup import load_encoder
        if pooling not in POOLINGS:
            raise ValueError(f"--pooling {pooling!r}: expected one of {', '.join(POOLINGS)}")
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = encoding_dtype(self.device, precision)  # bf16 (fp16) autocast on a GPU; None: fp32
        attention = attn_implementation or ("sdpa" if self.device.type == "cuda" else None)  # utils/device.py
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_name or model_name_or_path, cache_dir=cache_dir,
                                                       trust_remote_code=trust_remote_code)
        self.model = load_encoder(model_name_or_path, cache_dir=cache_dir, trust_remote_code=trust_remote_code,
                                  **({"attn_implementation": attention} if attention else {}))  # adapters merged
        self.model = self.model.to(self.device).eval()
        self.layer, self.layer_rule = resolve_layer(layer, self.model.config.num_hidden_layers)
        limit = self.tokenizer.model_max_length
        if not 2 <= max_seq_length <= (limit if limit < 1e6 else max_seq_length):
            raise ValueError(f"--max_seq_length {max_seq_length}: expected 2 .. {limit} for this tokenizer")
        self.pooling, self.max_seq_length, self.batch_size = pooling, max_seq_length, batch_size
        self.key = {"model": model_fingerprint(model_name_or_path), "tokenizer": str(tokenizer_name),
                    "layer": self.layer, "pooling": pooling, "max_seq_length": max_seq_length,
                    **precision_key(self.device, self.dtype)}  # a bf16 cache is never read by an fp32 run
        self.cache_dir = Path(embedding_cache_dir or default_cache_dir())

    def settings(self) -> dict:
        """run_config.json's "device_settings": the device, the encoding precision and the attention used."""
        cuda = self.device.type == "cuda"
        return {"device": torch.cuda.get_device_name(self.device) if cuda else "cpu",
                "precision": precision_key(self.device, self.dtype).get("precision", "fp32"),
                "attn_implementation": getattr(self.model.config, "_attn_implementation", None)}

    def embed(self, sentences) -> torch.Tensor:
        def compute(texts):
            with autocast(self.device, self.dtype):  # bf16/fp16 on a GPU (--encoding_precision auto)
                return embed_sentences(self.model, self.tokenizer, texts, self.layer, self.pooling,
                                       self.max_seq_length, self.batch_size, self.device)
        return cached_embeddings(self.cache_dir, self.key, sentences, compute)


def default_cache_dir() -> Path:
    home = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
    return Path(home) / "xstilts" / "embeddings"


def cached_embeddings(cache_dir, key: dict, texts, compute) -> torch.Tensor:
    """compute(texts) -> (n, d) float32 embeddings, cached on disk as cache_dir/<hash of key and texts>.npy: `key`
    names everything else the embeddings depend on (model, layer, pooling, length). Written atomically."""
    text_hash = hashlib.sha256(json.dumps(list(texts), ensure_ascii=False).encode("utf-8")).hexdigest()
    name = hashlib.sha256(json.dumps({**key, "input": text_hash}, sort_keys=True).encode()).hexdigest()
    path = Path(cache_dir) / f"{name}.npy"
    if path.is_file():
        return torch.from_numpy(np.load(path))
    emb = compute(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(fd, "wb") as f:
        np.save(f, emb.numpy())
    os.replace(tmp, path)
    return emb


# ---------------------------------------------------------------- Tatoeba and BUCC scoring
def tatoeba_scores(source_emb, english_emb, chunk_size=8192, device=None, use_faiss=False):
    """Top-1 predictions and accuracies: XTREME's direction (English -> source) and the reverse."""
    (_, to_english), (_, to_source) = knn(source_emb, english_emb, 1, chunk_size, device, use_faiss)
    xtreme, reverse = to_source[:, 0], to_english[:, 0]
    gold = torch.arange(len(xtreme))
    metrics = {"accuracy": 100.0 * (xtreme == gold).sum().item() / len(gold),
               "accuracy_reverse": 100.0 * (reverse == gold).sum().item() / len(gold)}
    return metrics, xtreme.tolist(), reverse.tolist()


def candidates_threshold(candidates, gold) -> float:
    """XTREME's bucc_optimize over [(source id, target id, score)] and the gold id pairs (mining.best_threshold)."""
    scores = np.array([c[2] for c in candidates], dtype=float)
    correct = np.array([(c[0], c[1]) in gold for c in candidates], dtype=bool)
    return best_threshold(scores, correct, len(gold))


def unique_texts(texts):
    """(distinct texts in first-seen order, index of each input text among them)."""
    position = {}
    inverse = [position.setdefault(t, len(position)) for t in texts]
    return list(position), np.array(inverse, dtype=np.int64)


def sent2id(rows) -> dict:
    """XTREME's read_sent2id: stripped text -> sentence id, without every text that occurs more than once (under
    different ids; a row repeated with its own id, as the hub's gold-pair rows can be, counts once)."""
    ids = {}
    for sid, text in dict.fromkeys((r["id"], r["text"].strip()) for r in rows):
        ids.setdefault(text, []).append(sid)
    return {text: found[0] for text, found in ids.items() if len(found) == 1}


def bucc_candidates(encoder, parts, args, device=None):
    """Mine one split and map the mined text pairs back to sentence ids, as XTREME does (mine_bitext over the
    distinct texts, then read_candidate2score): a pair whose source or target text (stripped) occurs more than once
    is dropped, since its id is ambiguous; the highest score is kept per id pair. The gold set is every id pair of
    the gold file, also those of a repeated sentence (they count against recall).
    Returns (candidates [(source id, target id, score)] best first, gold {(source id, target id)})."""
    src_texts = unique_texts([r["text"] for r in parts["source"]])[0]
    tgt_texts = unique_texts([r["text"] for r in parts["target"]])[0]
    s, t, score = mine(encoder.embed(src_texts), encoder.embed(tgt_texts), args.margin_k, args.knn_chunk_size,
                       device, args.use_faiss)
    src_id, tgt_id = sent2id(parts["source"]), sent2id(parts["target"])
    best = {}  # insertion order = mined order, as XTREME's candidate2score dict
    for a, b, c in zip(s, t, score.tolist()):
        pair = (src_id.get(src_texts[a].strip()), tgt_id.get(tgt_texts[b].strip()))
        if None not in pair:
            best[pair] = max(c, best.get(pair, c))
    gold = {(g["source_id"], g["target_id"]) for g in parts["gold"]}
    return [(a, b, c) for (a, b), c in best.items()], gold


def bucc_scores(candidates, gold, threshold):
    """XTREME's bucc_extract + bucc_eval: the id pairs scoring >= threshold, their P/R/F1 against the gold id pairs
    (evaluate.py's bucc_f1), and prediction records {"id": source id, "prediction": target id, "score", "label":
    whether the pair is gold}."""
    chosen = [(a, b, c) for a, b, c in candidates if c >= threshold]
    correct = [(a, b) in gold for a, b, _ in chosen]
    metrics = {**prf(sum(correct), len(chosen), len(gold)), "threshold": threshold}
    records = [{"id": a, "prediction": b, "score": c, "label": ok} for (a, b, c), ok in zip(chosen, correct)]
    return metrics, records


# ---------------------------------------------------------------- data
def tatoeba_language(code: str) -> str:
    """An XTREME code (de) or a LASER code (deu) -> the code we use (XTREME's when it has one)."""
    from tasks import TATOEBA_NAMES
    code = {v: k for k, v in TATOEBA_NAMES.items()}.get(code, code)
    if code not in TATOEBA_NAMES and code not in LASER_TATOEBA:
        raise ValueError(f"--languages: {code!r} is not a Tatoeba language; expected an XTREME code "
                         f"({', '.join(TATOEBA_NAMES)}) or one of LASER's 112 codes ({', '.join(LASER_TATOEBA)})")
    return code


def _read_lines(path):
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\r\n") for line in f]
    if not lines:
        raise ValueError(f"{path}: the file is empty; expected one sentence per line")
    return lines


def tatoeba_pair(input_path, **_):
    """LASER's tatoeba.<xxx>-eng.<xxx> with tatoeba.<xxx>-eng.eng (either may be given): {"source", "target"}."""
    match = re.fullmatch(r"(tatoeba\.(\w+)-eng)\.(\w+)", Path(input_path).name)
    if not match:
        raise ValueError(f"{input_path}: expected a LASER file named tatoeba.<xxx>-eng.<xxx> or tatoeba.<xxx>-eng.eng")
    source = Path(input_path).with_name(f"{match[1]}.{match[2]}")
    english = Path(input_path).with_name(f"{match[1]}.eng")
    src, eng = _read_lines(source), _read_lines(english)
    if len(src) != len(eng):
        raise ValueError(f"{source} has {len(src)} lines but {english} has {len(eng)}; line i of one must be the "
                         "translation of line i of the other")
    return [{"source": s, "target": e} for s, e in zip(src, eng)]


def _read_bucc_sentences(path):
    rows, seen = [], set()
    for number, line in enumerate(_read_lines(path), 1):
        parts = line.split("\t", 1)
        if len(parts) != 2 or parts[0] in seen:
            problem = "a repeated id" if len(parts) == 2 else "no tab"
            raise ValueError(f"{path}:{number}: {problem}; expected '<unique id><TAB><sentence>'")
        seen.add(parts[0])
        rows.append({"id": parts[0], "text": parts[1]})
    return rows


def check_bucc(parts, where):
    """Non-empty parts and gold pairs that name known ids; `where` maps a part to its file name."""
    for name in ("source", "target", "gold"):
        if not parts[name]:
            raise ValueError(f"{where[name]}: no rows; expected at least one")
    known = {name: {r["id"] for r in parts[name]} for name in ("source", "target")}
    for number, pair in enumerate(parts["gold"], 1):
        for side in ("source", "target"):
            if pair[f"{side}_id"] not in known[side]:
                raise ValueError(f"{where['gold']}:{number}: {side} id {pair[f'{side}_id']!r} is not in "
                                 f"{where[side]}")
    return parts


def bucc_files(input_path, **_):
    """BUCC 2018 originals <lang>-en.<split>.{<lang>,en,gold} (give any one or the prefix): a dict of three parts,
    "source" and "target" [{"id", "text"}] and "gold" [{"source_id", "target_id"}]."""
    match = re.fullmatch(r"((\w+)-en\.\w+)(\.\w+)?", Path(input_path).name)
    if not match:
        raise ValueError(f"{input_path}: expected BUCC 2018 files named <lang>-en.<split>.<lang|en|gold>")
    prefix = Path(input_path).with_name(match[1])
    where = {"source": f"{prefix}.{match[2]}", "target": f"{prefix}.en", "gold": f"{prefix}.gold"}
    gold = []
    for number, line in enumerate(_read_lines(where["gold"]), 1):
        ids = line.split("\t")
        if len(ids) != 2:
            raise ValueError(f"{where['gold']}:{number}: expected '<source id><TAB><target id>'")
        gold.append({"source_id": ids[0], "target_id": ids[1]})
    parts = {"source": _read_bucc_sentences(where["source"]), "target": _read_bucc_sentences(where["target"]),
             "gold": gold}
    return check_bucc(parts, where)


def bucc_from_hub(spec, dataset):
    """The hub's gold pairs as {"source", "target", "gold"} datasets (the hub's bucc18 configs hold nothing else)."""
    import datasets
    cols = spec.hub_columns
    rows = dataset.to_dict()
    pairs = list(zip(*(rows[cols[f]] for f in ("source_id", "source", "target_id", "target"))))
    return {"source": datasets.Dataset.from_list([{"id": p[0], "text": p[1]} for p in pairs]),
            "target": datasets.Dataset.from_list([{"id": p[2], "text": p[3]} for p in pairs]),
            "gold": datasets.Dataset.from_list([{"source_id": p[0], "target_id": p[2]} for p in pairs])}


def bucc_local_paths(data_dir, split, lang) -> dict:
    return {part: Path(data_dir) / "bucc" / f"{split}-{lang}.{part}.jsonl" for part in ("source", "target", "gold")}


def load_bucc(spec, split, lang, data_args, cache_dir=None):
    """One BUCC split as {"source", "target", "gold"} lists: local files, or (incomplete) the hub's gold pairs."""
    if not data_args.data_dir:
        warnings.warn(f"bucc {lang} {split}: google/xtreme's bucc18 configs hold only the gold pairs, without the "
                      "non-parallel sentences, so mining them is far easier than BUCC 2018 and the F1 is not "
                      "comparable; for real figures convert the original files with prepare_data.py --from_raw "
                      "bucc and pass --data_dir")
        parts = bucc_from_hub(spec, load_hub(spec, split, lang, cache_dir))
        record_load(spec, split, lang, f"{spec.hub_path}:{spec.hub_config_for(lang)}:{split}", len(parts["gold"]), {},
                    published=True)  # run_config.json "data": not the official sets (TaskSpec.hub_differs)
        return check_bucc({k: v.to_list() for k, v in parts.items()}, {k: spec.hub_config_for(lang) for k in parts})
    where = bucc_local_paths(data_args.data_dir, split, lang)
    fields = {"source": ("id", "text"), "target": ("id", "text"), "gold": ("source_id", "target_id")}
    parts = {}
    for part, path in where.items():
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file; expected DIR/bucc/<split>-<lang>.{{source,target,gold}}"
                                    ".jsonl (prepare_data.py --from_raw bucc writes them)")
        parts[part] = read_jsonl(path)
        for number, row in enumerate(parts[part], 1):
            if any(not isinstance(row.get(f), str) for f in fields[part]):
                raise ValueError(f"{path}:{number}: expected string fields {', '.join(fields[part])}")
    return check_bucc(parts, where)


# ---------------------------------------------------------------- the kinds (tasks/bitext_search.py, bitext_mining.py)
class BitextKind(Kind):
    """A kind run by run_retrieval.py: an encoder evaluated as is (no training) on parallel sentences. Each kind
    owns its protocol: how the languages are named, how one language is scored, what metrics.json notes."""
    script = "run_retrieval.py"
    HUB_FIELDS = ()  # hub columns read under their schema names: none, hub_columns names all
    COST_SHAPE = "retrieval"
    EXTRA_EVAL = False
    PROTOCOL: str  # XTREME's name of the protocol, recorded in metrics.json ("retrieval")
    SUMMARY: tuple  # the metrics run_retrieval.py prints

    @abstractmethod
    def languages(self, spec, languages) -> list:
        """resolve_languages' codes -> the codes the data is read under; an unknown one is a ValueError."""

    EVAL_SPLITS: tuple  # the splits one language's evaluation reads

    @abstractmethod
    def read(self, spec, split, lang, data_args, cache_dir=None):
        """One split of one language, validated (the pre-flight reads every local one before the run)."""

    @abstractmethod
    def evaluate_language(self, spec, lang, encoder, data_args, args):
        """({split: metrics}, {split: prediction records}) of one language."""

    @abstractmethod
    def sentence_files(self, spec, data_dir, lang) -> list:
        """[(path, sentences per line, whether --max_eval_samples caps its lines)]: what one language encodes
        (pipeline/cost.py counts the lines)."""

    def setting(self, args) -> dict:
        """The protocol's settings recorded in run_config.json and metrics.json."""
        return {}

    def notes(self, data_args) -> dict:
        """What metrics.json notes about the scores."""
        return {}
