"""Exact cosine k-NN in both directions from one matrix product per block, ratio-margin mining and the
F1-optimal threshold: the model-free half of sentence retrieval (tasks/retrieval.py uses it). Mining and the
threshold follow XTREME's third_party/utils_retrieve.py (mine_bitext with its defaults, bucc_optimize).

A block of chunk_size x chunk_size similarities is computed once, into one reused buffer; its row-wise top-k
updates the sources' running neighbours and its column-wise top-k the targets', so memory is bounded by one block
and never n x m. Each direction reads the block once more, for the maxima of short segments (64 entries of a row,
32 of a column; no transpose, no sort of the block): only the few segments whose maximum can reach a query's top-k
are read again and merged, on one thread (_update_topk).
"""
import warnings
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F


# Block entries per screening segment, along each direction: a query's k best entries of a block lie in the
# segments holding its k largest segment maxima, so only those segments are read again (a few percent of the block).
ROW_SEGMENT, COLUMN_SEGMENT = 64, 32


def _update_topk(run_v, run_i, block, offset: int, dim: int = 1):
    """Merge the block's best entries along dim (dim=1: rows are queries, columns candidates offset..; dim=0: the
    transpose, without transposing) into the queries' running top-k, in place. Best first; equal scores keep the
    lower index: a candidate must beat a query's running k-th value (earlier blocks hold lower indices), and within
    a block ties are taken in index order.

    Exact, and one pass over the block: the k-th largest of a query's segment maxima is at most its k-th best
    entry, so only entries at or above it (and above the running k-th) can enter, and they lie in the segments
    whose maximum reaches it."""
    length = block.shape[dim]
    size = min(ROW_SEGMENT if dim == 1 else COLUMN_SEGMENT, length)
    full = length // size * size
    if full < length:  # the last, shorter segment: merged after the others, as its indices are higher
        _update_topk(run_v, run_i, block[:, :full] if dim == 1 else block[:full], offset, dim)
        rest = block[:, full:] if dim == 1 else block[full:]
        return _update_topk(run_v, run_i, rest, offset + full, dim)
    if dim == 1:
        segments = block.view(len(block), -1, size)  # (queries, segments, size)
        seg_max = segments.amax(2)
    else:
        segments = block.view(-1, size, block.shape[1])  # (segments, size, queries)
        seg_max = segments.amax(1).T.contiguous()
    with _one_thread(block.device):
        _merge(run_v, run_i, segments, seg_max, offset, dim)


@contextmanager
def _one_thread(device):
    """On CPU, torch ops run on one thread inside: the merge's ops are small (tens of thousands of entries), so a
    second thread's wake-up costs more than its share of the work, and on a machine other jobs keep busy, waiting
    for it costs 10-100x the op itself (measured: a 66k-entry gather 7 ms on two threads, 0.14 ms on one)."""
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _merge(run_v, run_i, segments, seg_max, offset: int, dim: int):
    """_update_topk's second half: the entries of the segments that can enter, merged into the running top-k."""
    k, size = run_v.shape[1], segments.shape[2 if dim == 1 else 1]
    floor = torch.nextafter(run_v[:, -1], run_v.new_tensor(np.inf))  # strictly above the running k-th
    if seg_max.shape[1] >= k:
        floor = torch.maximum(floor, seg_max.topk(k, dim=1).values[:, -1])
    q, s = (seg_max >= floor[:, None]).nonzero(as_tuple=True)  # ordered by query, then segment
    if len(q) == 0:
        return
    v = segments[q, s] if dim == 1 else segments[s, :, q]  # (candidate segments, size)
    p, j = (v >= floor[q][:, None]).nonzero(as_tuple=True)
    q, v, i = q[p], v[p, j], s[p] * size + j + offset  # per query in index order
    touched = torch.unique_consecutive(q)
    q = torch.cat([touched.repeat_interleave(k), q])  # the running entries first: they hold the lower indices
    v, i = torch.cat([run_v[touched].reshape(-1), v]), torch.cat([run_i[touched].reshape(-1), i])
    order = v.sort(descending=True, stable=True).indices
    order = order[q[order].sort(stable=True).indices]  # by query, then score, then index
    q, v, i = q[order], v[order], i[order]
    counts = torch.unique_consecutive(q, return_counts=True)[1]
    rank = torch.arange(len(q), device=q.device) - (torch.cumsum(counts, 0) - counts).repeat_interleave(counts)
    first = rank < k
    run_v[q[first], rank[first]], run_i[q[first], rank[first]] = v[first], i[first]


@torch.no_grad()
def _search(x, y, k: int, chunk_size: int, device, backward: bool):
    """Exact cosine top-k of y for each row of x (and, if backward, of x for each row of y), one chunk_size x
    chunk_size block at a time, written into one reused buffer; rows are normalised chunk by chunk, so memory beyond
    the inputs and outputs is one block (never n x m, nor a normalised copy of an input)."""
    device = torch.device(device) if device else x.device
    y = y.to(device)
    n, m = len(x), len(y)
    fv, fi = torch.full((n, min(k, m)), -np.inf), torch.full((n, min(k, m)), -1, dtype=torch.long)
    if backward:
        bv = torch.full((m, min(k, n)), -np.inf, device=device)
        bi = torch.full((m, min(k, n)), -1, dtype=torch.long, device=device)
    buffer = torch.empty(min(chunk_size, n) * min(chunk_size, m), device=device)
    for xs in range(0, n, chunk_size):
        xc = F.normalize(x[xs:xs + chunk_size].to(device).float(), dim=1)
        rv, ri = fv[xs:xs + chunk_size].to(device), fi[xs:xs + chunk_size].to(device)
        for ys in range(0, m, chunk_size):
            yc = F.normalize(y[ys:ys + chunk_size].float(), dim=1)
            block = torch.matmul(xc, yc.T, out=buffer[:len(xc) * len(yc)].view(len(xc), len(yc)))
            _update_topk(rv, ri, block, ys, dim=1)
            if backward:
                _update_topk(bv[ys:ys + chunk_size], bi[ys:ys + chunk_size], block, xs, dim=0)
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
    order = np.argsort(-score, kind="stable")
    keep, taken_src, taken_tgt = [], [False] * n, [False] * m
    for c, s, t, value in zip(order.tolist(), src[order].tolist(), tgt[order].tolist(), score[order].tolist()):
        if not value > 0:  # mine_bitext writes only scores above its threshold, 0 (the rest are lower, or NaN)
            break
        if not taken_src[s] and not taken_tgt[t]:
            taken_src[s] = taken_tgt[t] = True
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
