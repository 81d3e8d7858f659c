"""tasks/mining.py's screened top-k (segment maxima, then only the segments that can hold a query's best entries):
exact against a full stable sort, ties included, for blocks spanning many segments and a shorter last one."""
import numpy as np
import pytest
import torch

from tasks import mining


def ternary(n, d, seed):
    """Vectors of d entries with exactly four of them +-1: unit vectors after normalisation with entries +-0.5,
    so every cosine is a multiple of 1/4, exact in any summation order, and ties are everywhere."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, d), dtype=np.float32)
    for row in x:
        row[rng.choice(d, 4, replace=False)] = rng.choice([-1.0, 1.0], 4)
    return torch.from_numpy(x)


def stable_topk(sims, k):
    """Each row's k best columns: higher cosine first, equal cosines in column order."""
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(sims, order, 1), order


@pytest.mark.parametrize("n,m,chunk,k", [(300, 500, 200, 4), (130, 97, 1000, 20), (257, 300, 64, 1), (90, 700, 256, 7)])
def test_knn_both_equals_a_stable_full_sort_with_ties_everywhere(n, m, chunk, k):
    x, y = ternary(n, 6, n), ternary(m, 6, m)
    sims = (x.double() @ y.double().T).numpy() / 4  # exact: norms are 2
    (fv, fi), (bv, bi) = mining.knn_both(x, y, k, chunk_size=chunk)
    want_fv, want_fi = stable_topk(sims, k)
    want_bv, want_bi = stable_topk(sims.T, k)
    assert np.array_equal(fi.numpy(), want_fi) and np.array_equal(fv.numpy(), want_fv)
    assert np.array_equal(bi.numpy(), want_bi) and np.array_equal(bv.numpy(), want_bv)
    assert len(np.unique(sims)) < 10  # the case is one of ties


def test_update_topk_merges_a_block_into_running_neighbours_and_keeps_earlier_ties():
    run_v = torch.tensor([[0.9, 0.5], [0.2, 0.1]])
    run_i = torch.tensor([[3, 1], [0, 2]])
    block = torch.zeros(2, 70)  # two row segments (64 + a shorter one of 6)
    block[0, 5], block[0, 66], block[0, 67] = 0.5, 0.95, 0.5  # 0.5 ties the running 0.5: the earlier index stays
    block[1, 3], block[1, 69] = 0.15, 0.7
    mining._update_topk(run_v, run_i, block, offset=100, dim=1)
    assert torch.equal(run_v, torch.tensor([[0.95, 0.9], [0.7, 0.2]])) and run_i.tolist() == [[166, 3], [169, 0]]
    cols_v, cols_i = torch.full((70, 1), -np.inf), torch.full((70, 1), -1)
    mining._update_topk(cols_v, cols_i, block, offset=10, dim=0)  # the columns' best row, row offset 10
    assert cols_v[66].item() == pytest.approx(0.95) and cols_i[66].item() == 10
    assert cols_i[3].item() == 11 and cols_i[0].item() == 10  # a column of zeros: the first row
