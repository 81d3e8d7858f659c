"""Exact cosine k-NN in both directions from one matrix product per block, ratio-margin mining and the
F1-optimal threshold: the model-free half of sentence retrieval (tasks/retrieval.py uses it). Mining and the
threshold follow XTREME's third_party/utils_retrieve.py (mine_bitext with its defaults, bucc_optimize).

A block of chunk_size x chunk_size similarities is computed once; its row-wise top-k updates the sources' running
neighbours and its column-wise top-k the targets', so memory is bounded by one block and never n x m.
"""
import warnings

import numpy as np
import torch
import torch.nn.functional as F


def _update_topk(run_v, run_i, block, offset: int):
    """Merge a block (rows = queries, columns = candidates offset..) into the running top-k, in place.
    Only rows whose block maximum beats their current k-th value are touched, so a later block's tie never
    displaces an earlier column: equal scores keep the lower index (within a block too, see _block_topk)."""
    k = run_v.shape[1]
    rows = (block.amax(dim=1) > run_v[:, -1]).nonzero().squeeze(1)
    if len(rows) == 0:
        return
    many = 2 * len(rows) > len(block)  # then selecting all rows beats gathering them (costly for columns)
    sub = block if many else block.index_select(0, rows)
    v, i = _block_topk(sub, min(k, sub.shape[1]))
    if many and len(rows) < len(block):
        v, i = v[rows], i[rows]
    v, i = torch.cat([run_v[rows], v], 1), torch.cat([run_i[rows], i + offset], 1)
    v, order = v.sort(dim=1, descending=True, stable=True)
    run_v[rows], run_i[rows] = v[:, :k], i.gather(1, order)[:, :k]


def _block_topk(block, k: int):
    """Row-wise top-k of a block, best first, equal values in column order. torch's topk leaves the order of ties
    open, and which tied columns it keeps at the k-th place: rows whose (k+1)-th value equals their k-th (rare) are
    ranked by a stable sort instead."""
    if k == 1:
        return block.max(dim=1, keepdim=True)  # the first maximum
    v, i = block.topk(min(k + 1, block.shape[1]), dim=1)
    straddle = (v[:, k] == v[:, k - 1]).nonzero().squeeze(1) if v.shape[1] > k else torch.empty(0, dtype=torch.long)
    v, i = v[:, :k], i[:, :k]
    if len(straddle):
        sv, si = block[straddle].sort(dim=1, descending=True, stable=True)
        v[straddle], i[straddle] = sv[:, :k], si[:, :k]
    i, order = i.sort(dim=1)
    v, best = v.gather(1, order).sort(dim=1, descending=True, stable=True)
    return v, i.gather(1, best)


def _search(x, y, k: int, chunk_size: int, device, backward: bool):
    """Exact cosine top-k of y for each row of x (and, if backward, of x for each row of y), one chunk_size x
    chunk_size block at a time; rows are normalised chunk by chunk, so memory beyond the inputs and outputs is one
    block (never n x m, nor a normalised copy of an input)."""
    device = torch.device(device) if device else x.device
    y = y.to(device)
    n, m = len(x), len(y)
    fv, fi = torch.full((n, min(k, m)), -np.inf), torch.full((n, min(k, m)), -1, dtype=torch.long)
    if backward:
        bv = torch.full((m, min(k, n)), -np.inf, device=device)
        bi = torch.full((m, min(k, n)), -1, dtype=torch.long, device=device)
    for xs in range(0, n, chunk_size):
        xc = F.normalize(x[xs:xs + chunk_size].to(device).float(), dim=1)
        rv, ri = fv[xs:xs + chunk_size].to(device), fi[xs:xs + chunk_size].to(device)
        for ys in range(0, m, chunk_size):
            block = xc @ F.normalize(y[ys:ys + chunk_size].float(), dim=1).T
            _update_topk(rv, ri, block, ys)
            if backward:
                _update_topk(bv[ys:ys + chunk_size], bi[ys:ys + chunk_size], block.T, xs)
        fv[xs:xs + chunk_size], fi[xs:xs + chunk_size] = rv.cpu(), ri.cpu()
    return (fv, fi), ((bv.cpu(), bi.cpu()) if backward else None)


def knn_both(x, y, k: int, chunk_size: int = 8192, device=None):
    """Cosine top-k of y for every row of x, and of x for every row of y: ((n, k) sims, ids), ((m, k) sims, ids).
    Memory beyond the inputs and outputs: one chunk_size x chunk_size block (never n x m)."""
    return _search(x, y, k, chunk_size, device, backward=True)


def knn_top(x, y, k: int, chunk_size: int = 8192, device=None):
    """Cosine top-k of y for every row of x only ((n, k) sims, ids, best first; ties: lower index first), in the
    memory of knn_both's forward half: a pool of candidates searched by queries (dual-encoder retrieval)."""
    return _search(x, y, k, chunk_size, device, backward=False)[0]


def knn(x, y, k, chunk_size=8192, device=None, use_faiss=False):
    """knn_both, or two faiss flat searches when asked for and installed."""
    if use_faiss:
        try:
            import faiss
        except ImportError:
            warnings.warn("--use_faiss: faiss is not installed; using the exact torch search")
        else:
            x, y = (F.normalize(t.float(), dim=1).numpy() for t in (x, y))
            def search(base, queries):
                index = faiss.IndexFlatIP(base.shape[1])
                index.add(base)
                return tuple(map(torch.from_numpy, index.search(queries, min(k, len(base)))))
            return search(y, x), search(x, y)
    return knn_both(x, y, k, chunk_size, device)


def mine(x, y, k=4, chunk_size=8192, device=None, use_faiss=False):
    """XTREME's mine_bitext (mode 'mine', retrieval 'max', margin 'ratio', neighborhood k, threshold 0).

    Each side's k-NN (k = min(k, size of the other side)) gives its mean similarity; a pair scores
    cos / ((mean of the source + mean of the target) / 2). Every source row proposes its best-scoring forward
    neighbour and every target row its best backward one (ties: the first neighbour); the 2 (n + m) candidates are
    taken best first, one-to-one greedily (a pair whose source or target is already taken is skipped), and only
    scores > 0 are kept. Equal scores keep the forward-then-backward order (XTREME's unstable np.argsort leaves it
    undefined). Returns numpy (source index, target index, score), best first."""
    (fv, fi), (bv, bi) = knn(x, y, k, chunk_size, device, use_faiss)
    fmean, bmean = fv.mean(1), bv.mean(1)
    fscore = fv / ((fmean[:, None] + bmean[fi]) / 2)
    bscore = bv / ((bmean[:, None] + fmean[bi]) / 2)
    n, m = len(x), len(y)
    src = torch.cat([torch.arange(n), bi[torch.arange(m), bscore.argmax(1)]]).numpy()
    tgt = torch.cat([fi[torch.arange(n), fscore.argmax(1)], torch.arange(m)]).numpy()
    score = torch.cat([fscore.amax(1), bscore.amax(1)]).numpy()
    keep, seen_src, seen_tgt = [], set(), set()
    for c in np.argsort(-score, kind="stable"):
        if src[c] not in seen_src and tgt[c] not in seen_tgt:
            seen_src.add(src[c])
            seen_tgt.add(tgt[c])
            if score[c] > 0:  # mine_bitext writes only scores above its threshold, 0
                keep.append(c)
    keep = np.array(keep, dtype=np.int64)
    return src[keep], tgt[keep], score[keep]


def best_threshold(scores, correct, n_gold: int) -> float:
    """XTREME's bucc_optimize: over the candidates sorted by score (stable, best first), the first prefix with the
    highest F1 (P = correct / prefix length, R = correct / n_gold, computed as XTREME does) sets the threshold
    midway between its last score and the next one, equal scores included (predicting score >= threshold then
    takes the whole tie). No correct candidate: 0 (every mined score is > 0, so all are predicted). The best
    prefix is the whole list: its last score (where XTREME's items[i + 1] raises IndexError)."""
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    s, hits = scores[order], np.cumsum(np.asarray(correct, dtype=np.int64)[order])
    if len(s) == 0 or n_gold <= 0 or hits[-1] == 0:
        return 0.0
    precision = hits / np.arange(1, len(s) + 1)
    recall = hits / n_gold
    with np.errstate(invalid="ignore"):
        f1 = np.where(hits > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1))  # the first maximum, as XTREME's `if f1 > best_f1`
    return float((s[best] + s[best + 1]) / 2) if best + 1 < len(s) else float(s[best])


def prf(n_correct, n_predicted, n_gold) -> dict:
    """Precision, recall and F1 in percent, as XTREME's bucc_eval and evaluate.py's bucc_f1 compute them."""
    p = n_correct / n_predicted if n_predicted else 0.0
    r = n_correct / n_gold if n_gold else 0.0
    return {"precision": 100 * p, "recall": 100 * r, "f1": 100 * (2 * p * r / (p + r) if p + r else 0.0)}
