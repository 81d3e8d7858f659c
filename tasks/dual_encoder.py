"""Dual encoders: language-agnostic retrieval from a candidate pool, XTREME-R's LAReQA and Mewsli-X.

As XTREME-R's baselines (third_party/bert.py BertForRetrieval, run_retrieval_qa.py, run_retrieval_el.py,
evaluate_retrieval.py): queries and candidates go through ONE encoder (shared weights); a text's vector is the
model's pooler output on the first token (dense + tanh over the last layer) where the architecture has a pooler
(BERT, XLM-R, RemBERT), else the first token's last hidden state (CLS: what the pooler itself reads, and what
DeBERTa-v2, ELECTRA, DistilBERT and ModernBERT's own classification heads pool); --embedding_pooling
pooler|cls|mean chooses (pooler on an encoder without one is a pre-flight error). The vector is L2-normalised, so
scores are cosine similarities. Training: softmax cross-entropy of each query over the
candidates of its batch (in-batch negatives; the pair's own candidate is the target), logits = cosine x a learned
scale initialised at 100. Evaluation: each query ranks the whole pool by exact cosine k-NN (tasks/mining.knn_top,
chunked; ties: the earlier candidate first); mAP@20 = XTREME-R's average_precision_at_k (utils_lareqa.py): the
precision at each rank <= 20 that holds a relevant candidate, summed, over min(relevant, 20), averaged over queries.
Mewsli-X has one gold entity per mention, so it is its MRR@20 (utils_mewslix.py).

Schemas (tasks/dual_encoder_data.py): training pairs {"id", "query", "candidate", "candidate_id" (optional)}, or
SQuAD rows for a task whose data_task is a span QA task (squad_retrieval); a target's queries {"id", "query",
"label": [candidate ids]} against DIR/<task>/candidates.jsonl {"id", "text", "context" (optional), "lang"}.
Pool and query encodings are cached on disk (tasks/retrieval.cached_embeddings) by the encoder's weights.
"""
import hashlib
import logging
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import datasets
import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModel, DataCollatorWithPadding, PreTrainedModel, default_data_collator
from transformers.utils import ModelOutput

from tasks import get_task, span_qa
from tasks.dual_encoder_data import RAW_FORMATS
from tasks.dual_encoder_data import candidate_text, lareqa_split, paragraphs_of_rows, squad_pairs
from tasks.kind import TrainedKind
from tasks.mining import knn_top
from tasks.retrieval import cached_embeddings, default_cache_dir, pool
from utils.args import InputError
from utils.data import HUB_MIRROR, fail_at, line_of, load_hub_rows, load_local, load_rows, require_columns
from utils.device import autocast, encoding_dtype, precision_key
from utils.heads import encoder_inputs
from utils.modeling import has_pooler

logger = logging.getLogger(__name__)
K = 20                  # mAP@20: XTREME-R scores the top 20 of each query
POOLINGS = ("pooler", "cls", "mean")
LOGIT_SCALE = 100.0     # BertForRetrieval's logit_scale, a parameter initialised at 100
QUERY_FIELDS, PAIR_FIELDS, POOL_FIELDS = ("id", "query", "label"), ("id", "query", "candidate"), ("id", "text")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


# ---- the model --------------------------------------------------------------------------------------------------
@dataclass
class DualEncoderOptions:
    """The dual encoders' own options (tasks/kind.py OPTIONS): how a text becomes one vector."""
    embedding_pooling: str | None = field(default=None, metadata={
        "help": "Dual-encoder tasks: how a text becomes one vector: pooler (XTREME-R's: the model's pooler on the "
                "first token), cls (the first token's last hidden state) or mean (the mean of the last hidden "
                "states, e.g. for sentence encoders such as e5). Default: pooler where the architecture has one, "
                "else cls (DeBERTa-v2, ModernBERT, ELECTRA, DistilBERT, EuroBERT).",
        "choices": ["pooler", "cls", "mean"]})


def run_pooling(spec, data_args):
    """The pooling the run asks for: --embedding_pooling, else the task's registry entry (None: resolve_pooling's
    default)."""
    return KIND.options(data_args).embedding_pooling or spec.pooling


@dataclass
class DualEncoderOutput(ModelOutput):
    loss: torch.Tensor | None = None
    query_embeddings: torch.Tensor | None = None
    candidate_embeddings: torch.Tensor | None = None


def resolve_pooling(pooling, encoder) -> tuple[str, str]:
    """(pooling, the rule that chose it): the one asked for (--embedding_pooling or the task's), else the pooler
    where the encoder has one, else CLS."""
    name = type(encoder).__name__
    if pooling is None and getattr(encoder, "pooler", None) is not None:
        return "pooler", f"default: {name} has a pooler (XTREME-R's pooling)"
    if pooling is None:
        return "cls", f"default: {name} has no pooler, so its first token's last hidden state (CLS)"
    if pooling not in POOLINGS:
        raise ValueError(f"pooling {pooling!r}: expected one of {', '.join(POOLINGS)}")
    if pooling == "pooler" and getattr(encoder, "pooler", None) is None:
        raise ValueError(f"--embedding_pooling pooler: {name} has no pooler; expected cls or mean")
    return pooling, "asked for (--embedding_pooling or the task's registry entry)"


class DualEncoder(PreTrainedModel):
    """One encoder for queries and candidates; `base_model` is the encoder (what utils/modeling.save_encoder saves).
    pooling: None = the encoder's pooler where it has one, else CLS (resolve_pooling)."""
    base_model_prefix = "encoder"
    head_source = "toolkit (tasks/dual_encoder.py)"
    _supports_sdpa = _supports_flash_attn = _supports_flex_attn = _supports_attention_backend = True

    def __init__(self, encoder, pooling=None):
        super().__init__(encoder.config)
        self.pooling, self.pooling_rule = resolve_pooling(pooling, encoder)
        self.encoder = encoder
        self.logit_scale = torch.nn.Parameter(torch.tensor(LOGIT_SCALE))

    @classmethod
    def from_pretrained(cls, path, *args, pooling=None, output_loading_info=False, **kwargs):
        """The encoder of `path` (AutoModel) in a DualEncoder; loading info with the encoder's key prefix."""
        encoder, info = AutoModel.from_pretrained(path, *args, output_loading_info=True, **kwargs)
        model = cls(encoder, pooling)
        if model.pooling == "pooler" and any(".pooler." in f".{key}" for key in info.get("missing_keys", ())):
            # an encoder saved from a head without a pooler (transformers' XLM-R/BERT task heads drop it)
            model.pooling_rule += "; its weights are new (the checkpoint has none) and train with the rest"
            logger.warning("%s has no pooler weights: the dual encoder's pooler starts fresh (--embedding_pooling "
                           "cls pools without one)", path)
        logger.info("Embedding pooling: %s (%s)", model.pooling, model.pooling_rule)
        for name in ("missing_keys", "unexpected_keys"):
            info[name] = [f"{cls.base_model_prefix}.{key}" for key in info.get(name, ())]
        return (model, info) if output_loading_info else model

    def embed(self, input_ids, attention_mask, token_type_ids=None):
        output = self.encoder(**encoder_inputs(self.encoder, input_ids, attention_mask, token_type_ids))
        if self.pooling == "pooler":
            vector = output.pooler_output
        else:
            vector = pool(output.last_hidden_state, attention_mask, self.pooling)
        return F.normalize(vector.float(), dim=-1)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, candidate_input_ids=None,
                candidate_attention_mask=None, candidate_token_type_ids=None, labels=None):
        """Embeddings; with candidates also the in-batch loss. `labels` (each pair's candidate key) only lets the
        Trainer gather them for checkpoint selection: the loss's targets are the diagonal, as XTREME-R's."""
        query = self.embed(input_ids, attention_mask, token_type_ids)
        if candidate_input_ids is None:
            return DualEncoderOutput(query_embeddings=query)
        candidate = self.embed(candidate_input_ids, candidate_attention_mask, candidate_token_type_ids)
        logits = self.logit_scale * query @ candidate.T
        loss = F.cross_entropy(logits, torch.arange(len(query), device=logits.device))
        return DualEncoderOutput(loss=loss, query_embeddings=query, candidate_embeddings=candidate)


def model_class(spec, data_args):
    """What utils/modeling.load_with_new_head loads into: a DualEncoder with the run's pooling (None: the
    encoder's pooler where it has one, else CLS)."""
    pooling = run_pooling(spec, data_args)
    return SimpleNamespace(from_pretrained=partial(DualEncoder.from_pretrained, pooling=pooling))


def check_encoder(spec, config, data_args):
    """Pre-flight (engine/preflight.py), from the encoder's config alone: a pooling it lacks is an InputError."""
    if run_pooling(spec, data_args) == "pooler" and has_pooler(config) is False:
        raise InputError(f"--embedding_pooling pooler: {config.model_type} encoders have no pooler; expected cls or "
                         "mean (or leave it out: the pooler where the encoder has one, else CLS)")


# ---- data -------------------------------------------------------------------------------------------------------
def _data_kind(spec):
    """The kind whose rows a task's data are: a task with a data_task reads SQuAD-style span-QA rows (squad_retrieval:
    SQuAD's), None for its own."""
    if not spec.data_task:
        return None
    if get_task(spec.data_task).kind != span_qa.KIND.name:
        raise ValueError(f"task {spec.name}: data_task {spec.data_task!r} is not a span-QA task (a dual encoder "
                         "reads its queries and candidates from span-QA rows)")
    return span_qa.KIND


def from_hub(spec, dataset, lang):
    if spec.data_task:  # another kind's rows (squad_retrieval: SQuAD's), turned into pairs by preprocess
        return _data_kind(spec).from_hub(spec, dataset, lang)
    raise ValueError(f"task {spec.name!r}: its hub copy is read whole (the pool holds every language), as "
                     "run_target.py does; for the local layout convert the original files (prepare_data.py "
                     "--from_raw xquad_r or mewslix)")


def _read_pool(path):
    """The pool file of a query file's folder: (rows, {id: row}); unique string ids, at least one row."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such file; expected the candidate pool, one {{'id', 'text'}} per "
                                f"line (prepare_data.py --from_raw xquad_r or mewslix writes it)")
    stamp = (str(path), Path(path).stat().st_mtime_ns)
    if _POOLS.get("stamp") != stamp:
        rows = load_local(path)
        require_columns(rows, path, POOL_FIELDS)
        _require_strings(rows, path, POOL_FIELDS)
        index = {}
        for row, cid in enumerate(rows["id"]):
            if index.setdefault(cid, row) != row:
                fail_at(path, row, f"duplicate candidate id {cid!r} (also on line {line_of(path, index[cid])}); "
                                   "expected unique ids")
        _POOLS.update(stamp=stamp, pool=(rows, index))
    return _POOLS["pool"]


_POOLS = {}  # the last pool read (validating every language's queries reads it once)


def _require_strings(dataset, path, fields):
    for name in fields:
        if getattr(dataset.features[name], "dtype", None) != "string":
            fail_at(path, 0, f"field {name!r} must be a string; expected fields {', '.join(fields)}")


def repair(spec, dataset, path, published):
    """Rows of another kind (squad_retrieval: SQuAD's) are repaired as that kind repairs them (utils/data.load_rows)."""
    return _data_kind(spec).repair(spec, dataset, path, published) if spec.data_task else (dataset, {})


def validate(spec, dataset, path):
    if spec.data_task:
        return _data_kind(spec).validate(spec, dataset, path)
    fields = QUERY_FIELDS if spec.is_target else PAIR_FIELDS
    require_columns(dataset, path, fields)
    _require_strings(dataset, path, fields[:-1] if spec.is_target else fields)
    seen = {}
    for row, query_id in enumerate(dataset["id"]):
        if seen.setdefault(query_id, row) != row:
            fail_at(path, row, f"duplicate id {query_id!r} (also on line {line_of(path, seen[query_id])})")
    if not spec.is_target:
        return
    pool_path = Path(str(path)).parent / "candidates.jsonl"
    index = _read_pool(pool_path)[1] if Path(str(path)).is_file() else None
    for row, label in enumerate(dataset["label"]):
        if not isinstance(label, list) or not label or not all(isinstance(x, str) for x in label):
            fail_at(path, row, f"expected 'label': a non-empty list of candidate ids, got {label!r}")
        missing = [x for x in label if index is not None and x not in index]
        if missing:
            fail_at(path, row, f"gold candidate id {missing[0]!r} is not in {pool_path}; expected the ids of "
                               "relevant candidates of the pool")


_HUB = {}  # (task, split, where the hub copy is read) -> (pool rows, {lang: query rows}), built once from every
# language of the hub copy


def eval_split(spec, split, lang, data_args, cache_dir=None):
    """(query rows, pool ids, pool texts) of one language of a target: the local files, or the hub copy (read
    whole: its pool holds every language)."""
    if data_args.data_dir:
        queries = load_rows(spec, split, lang, data_args, KIND, cache_dir).to_list()
        pool_rows = _read_pool(Path(data_args.data_dir) / spec.name / "candidates.jsonl")[0]
        contexts = pool_rows["context"] if "context" in pool_rows.column_names else [None] * len(pool_rows)
        return queries, pool_rows["id"], [candidate_text(t, c) for t, c in zip(pool_rows["text"], contexts)]
    key = (spec.name, split, os.environ.get(HUB_MIRROR), cache_dir)  # another offline copy of the hub: read again
    if key not in _HUB:
        qa = span_qa.KIND  # the hub copy is SQuAD rows: answer offsets re-aligned, recorded
        paragraphs = {code: paragraphs_of_rows(load_hub_rows(spec, split, code, qa, cache_dir))
                      for code in spec.languages}
        _HUB[key] = lareqa_split(paragraphs)
    pool_rows, queries = _HUB[key]
    return queries.get(lang, []), [r["id"] for r in pool_rows], [candidate_text(r["text"], r["context"])
                                                                 for r in pool_rows]


def pairs(spec, batch):
    """(ids, queries, candidate texts, candidate ids) of training-set rows (pairs, or SQuAD rows)."""
    if spec.data_task:
        ids, queries, candidates = squad_pairs(batch["id"], batch["context"], batch["question"], batch["answers"])
        return ids, queries, candidates, ["c" + _digest(text) for text in candidates]
    given = batch.get("candidate_id") or [None] * len(batch["id"])
    return (batch["id"], batch["query"], batch["candidate"],
            [cid if cid is not None else "c" + _digest(text) for cid, text in zip(given, batch["candidate"])])


def _digest(text) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def lengths(spec, data_args):
    """(query, candidate) token limits: the task's; --max_seq_length sets the candidates' and caps the queries'."""
    candidate = data_args.max_seq_length or spec.max_seq_length
    return min(spec.query_length or candidate, candidate), candidate


def preprocess(spec, tokenizer, data_args, is_train, labels=None):
    query_length, candidate_length = lengths(spec, data_args)
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        ids, queries, candidates, candidate_ids = pairs(spec, batch)
        features = dict(tokenizer(queries, truncation=True, max_length=query_length, padding=padding))
        encoded = tokenizer(candidates, truncation=True, max_length=candidate_length, padding=padding)
        features.update({f"candidate_{name}": values for name, values in encoded.items()})
        features["labels"] = [int(_digest(cid), 16) >> 1 for cid in candidate_ids]  # a number per candidate
        features["example_id"], features["candidate_id"] = list(ids), candidate_ids
        return features

    return tokenize


def data_collator(spec, tokenizer, data_args):
    """Pads the queries and the candidates separately (dynamically unless pad_to_max_length)."""
    pad = default_data_collator if data_args.pad_to_max_length else DataCollatorWithPadding(tokenizer)

    def collate(features):
        batch = pad([{k: f[k] for k in INPUTS if k in f} for f in features])
        if "candidate_input_ids" in features[0]:
            side = pad([{k: f[f"candidate_{k}"] for k in INPUTS if f"candidate_{k}" in f} for f in features])
            batch.update({f"candidate_{k}": v for k, v in side.items()})
        if "labels" in features[0]:
            batch["labels"] = torch.tensor([f["labels"] for f in features])
        return batch

    return collate


# ---- evaluation -------------------------------------------------------------------------------------------------
def rank(query_emb, pool_emb, pool_ids, device=None) -> list[list]:
    """The top-K pool ids of each query, best first (exact cosine; equal scores: the earlier candidate first)."""
    _, top = knn_top(torch.as_tensor(query_emb), torch.as_tensor(pool_emb), K, device=device)
    return [[pool_ids[j] for j in row] for row in top.tolist()]


def postprocess(spec, predictions, examples, features, data_args, labels=None):
    """Checkpoint selection on a set of pairs: each query ranks the set's distinct candidates."""
    queries, candidates = (np.asarray(p, dtype=np.float32) for p in predictions[:2])
    first = {}
    for row, cid in enumerate(features["candidate_id"]):
        first.setdefault(cid, row)
    top = rank(queries, candidates[list(first.values())], list(first))
    return [{"id": i, "prediction": p, "label": [cid]}
            for i, cid, p in zip(features["example_id"], features["candidate_id"], top)]


def task_model(trainer, spec):
    """The dual encoder of `spec`: the trainer's model, or its head in a multi-task model (utils/multitask.py
    MultiTaskModel: one head per task over the shared encoder)."""
    heads = getattr(trainer.model, "heads", None)
    return heads[spec.name] if heads is not None and spec.name in heads else trainer.model


def encode(trainer, texts, max_length, dtype=None, model=None):
    """(n, d) embeddings of texts with `model` (default: the trainer's), longest first (little padding), in input
    order; dtype: autocast to bf16/fp16 (utils/device.encoding_dtype), None for fp32.

    A plain no-grad loop writing each batch into one preallocated CPU tensor: Trainer.predict would concatenate
    its growing outputs at every step, quadratic in a pool of a million candidates. Every process of a
    distributed run encodes every text (the search needs the whole pool on each)."""
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm
    tokenizer, model, args = trainer.processing_class, model or trainer.model, trainer.args

    def tokenize(batch):
        encoded = tokenizer(batch["text"], truncation=True, max_length=max_length)
        return {**encoded, "length": [len(ids) for ids in encoded["input_ids"]]}

    features = datasets.Dataset.from_dict({"text": list(texts)}).map(tokenize, batched=True, remove_columns="text")
    order = np.argsort(-np.asarray(features["length"]), kind="stable")
    features = features.select(order).remove_columns("length")
    loader = DataLoader(features, batch_size=args.per_device_eval_batch_size,  # padded per batch, whatever the
                        collate_fn=DataCollatorWithPadding(tokenizer))  # training collator (--pad_to_max_length)
    embeddings, start = None, 0
    model.eval()
    with torch.inference_mode(), autocast(args.device, dtype):
        for batch in tqdm(loader, desc="encoding", disable=len(loader) <= 1 or not trainer.is_world_process_zero()):
            batch = {k: v.to(args.device) for k, v in batch.items() if k != "labels"}
            vectors = model(**batch).query_embeddings.float().cpu()
            if embeddings is None:
                embeddings = torch.empty(len(texts), vectors.shape[1])
            embeddings[torch.from_numpy(order[start:start + len(vectors)])] = vectors
            start += len(vectors)
    return embeddings


def weights_fingerprint(model) -> str:
    """A hash of the encoder's weights: what its embeddings depend on besides pooling and length."""
    digest = hashlib.blake2b(digest_size=16)
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def evaluate(trainer, data, split, lang, limit=None):
    """runner.evaluate_language's hook: the queries of one language against the pool; one record per query,
    {"id", "prediction": the top-20 candidate ids, best first, "label": the relevant ids}. A pair set (an English
    dev set of a training task) is scored against its own distinct candidates."""
    spec, data_args = data.spec, data.data_args
    if spec.is_target:
        queries, pool_ids, pool_texts = eval_split(spec, split, lang, data_args, data.model_args.cache_dir)
        queries = queries[:limit] if limit else queries
    else:
        ids, texts, candidates, cids = pairs(spec, data.examples(split, lang, limit)[:])
        queries = [{"id": i, "query": q, "label": [c]} for i, q, c in zip(ids, texts, cids)]
        distinct = dict(zip(cids, candidates))
        pool_ids, pool_texts = list(distinct), list(distinct.values())
    if not queries:
        return []
    model, tokenizer = task_model(trainer, spec), trainer.processing_class
    if getattr(model, "_fingerprint", (None,))[0] != trainer.state.global_step:  # once per evaluation pass
        model._fingerprint = (trainer.state.global_step, weights_fingerprint(model.base_model))
    dtype = encoding_dtype(trainer.args.device, getattr(data_args, "encoding_precision", "auto"), trainer.args)
    key = {"model": model._fingerprint[1], "pooling": model.pooling,
           "tokenizer": f"{tokenizer.name_or_path}:{len(tokenizer)}", **precision_key(trainer.args.device, dtype)}
    query_length, candidate_length = lengths(spec, data_args)

    def embed(texts, max_length):
        return cached_embeddings(default_cache_dir(), {**key, "max_length": max_length}, texts,
                                 lambda todo: encode(trainer, todo, max_length, dtype, model))

    pool_emb = embed(pool_texts, candidate_length)
    query_emb = embed([q["query"] for q in queries], query_length)
    top = rank(query_emb, pool_emb, pool_ids, trainer.args.device)
    return [{"id": q["id"], "prediction": p, "label": list(q["label"])} for q, p in zip(queries, top)]


def average_precision(predicted, relevant, k=K) -> float:
    """AP@k as XTREME-R's average_precision_at_k: sum over the ranks r <= k holding a relevant candidate (each
    counted once) of (relevant found so far) / r, over min(number relevant, k)."""
    relevant, seen, hits, total = set(relevant), set(), 0, 0.0
    for position, cid in enumerate(predicted[:k], 1):
        if cid in relevant and cid not in seen:
            hits += 1
            total += hits / position
        seen.add(cid)
    return total / min(len(relevant), k) if relevant else 0.0


def compute_metrics(spec, records, lang):
    """mAP@20 in percent (Mewsli-X: its MRR@20, one gold entity per mention)."""
    scores = [average_precision(r["prediction"], r["label"]) for r in records]
    return {"map@20": 100 * float(np.mean(scores)) if scores else 0.0}


# ---- per-example statistics (reporting/stats.py bootstraps the metric over test examples) ----
def example_statistics(spec, records, lang):
    """(ids, stats): one row per query, [its AP@20] (0..1)."""
    scores = [average_precision(r["prediction"], r["label"]) for r in records]
    return [r["id"] for r in records], np.array(scores, dtype=float)[:, None]


def metric_from_statistics(spec, sums, n):
    """mAP@20 (percent) from statistics summed over n queries; vectorised over leading axes."""
    return 100.0 * np.asarray(sums, dtype=float)[..., 0] / max(n, 1)


class DualEncoderKind(TrainedKind):
    name = "dual_encoder"
    FIELDS = PAIR_FIELDS  # a training task's; a target's queries: QUERY_FIELDS, its pool: POOL_FIELDS
    HUB_FIELDS = ("id", "context", "question", "answers")  # SQuAD-shaped hub copies (SQuAD, XQuAD-R), as span QA
    RAW_FORMATS = RAW_FORMATS
    SUBMISSION_FORMAT = "ranked"  # LAReQA and Mewsli-X rank a pool of candidates
    COST_SHAPE = "dual_encoder"
    EXTRA_EVAL = False  # its queries are scored against a candidate pool
    OPTIONS = DualEncoderOptions
    repair = staticmethod(repair)
    check_encoder = staticmethod(check_encoder)
    evaluate = staticmethod(evaluate)
    from_hub = staticmethod(from_hub)
    validate = staticmethod(validate)
    model_class = staticmethod(model_class)
    preprocess = staticmethod(preprocess)
    data_collator = staticmethod(data_collator)
    postprocess = staticmethod(postprocess)
    compute_metrics = staticmethod(compute_metrics)
    example_statistics = staticmethod(example_statistics)
    metric_from_statistics = staticmethod(metric_from_statistics)


KIND = DualEncoderKind()
