#!/usr/bin/env python
"""Time and peak memory of BUCC-style margin mining (exact two-way k-NN + ratio margin + one-to-one candidates)
on synthetic embeddings, against torch's matmul peak measured in the same process and, given its code, against
XTREME's own mining (its faiss path) on the same embeddings.

    python benchmarks/bench_mining.py                       # 20k, 50k, 100k sentences per side, 768-d
    python benchmarks/bench_mining.py --sizes 2000,5000 --chunk_size 2048   # quick
    python benchmarks/bench_mining.py --sizes 20000,50000 --repeat 3 --xtreme_repo ~/xtreme   # with the anchor

Each size (and each repeat) runs in a fresh subprocess so its peak memory (RSS; GPU: max allocated) is its own;
--repeat R gives each figure's minimum and median over R runs, and the load average is printed, as other jobs
on the machine slow every figure down. "extra MiB" is the peak minus the memory held once the two embedding
matrices exist: what mining itself needs. A product of n x m x d is 2nmd FLOPs; mining computes it once (both
directions come from each block), so its GFLOP/s against the matmul peak (the best of plain chunk x chunk
products, written to a new tensor or into an existing one) says how close it is to the matmul bound.

--xtreme_repo PATH: a checkout of google-research/xtreme (its code is not a dependency, and needs faiss:
pip install faiss-cpu). Its third_party/utils_retrieve.py mine_bitext (mode mine, retrieval max, margin ratio,
k 4, CPU: faiss IndexFlatIP searched in each direction) mines the same embeddings, written as sentence files;
"anchor kNN s" is the time of its two faiss searches alone, "anchor s" all of mine_bitext. The candidates and
both directions' neighbours are compared with ours: pairs, neighbours and scores (max difference).
"""
import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def matmul_peak(chunk, dim, device, repeats=4):
    """Best GFLOP/s of a (chunk x dim) @ (dim x chunk) product, the block shape mining uses, written to a new
    tensor or into an existing one (mining reuses one buffer; a new tensor also pays for its fresh pages)."""
    import torch
    a, b = torch.randn(chunk, dim, device=device), torch.randn(chunk, dim, device=device)
    out = torch.empty(chunk, chunk, device=device)
    best = float("inf")
    for _ in range(repeats):
        for product in (lambda: a @ b.T, lambda: torch.matmul(a, b.T, out=out)):
            sync(device)
            start = time.perf_counter()
            product()
            sync(device)
            best = min(best, time.perf_counter() - start)
    return 2 * chunk * chunk * dim / best / 1e9


def sync(device):
    import torch
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def embeddings(n, dim, seed=0):
    """n x n unit vectors, the first half of y planted translations of x's first half."""
    import torch
    torch.manual_seed(seed)
    x = torch.nn.functional.normalize(torch.randn(n, dim), dim=1)
    y = torch.nn.functional.normalize(torch.randn(n, dim), dim=1)
    y[: n // 2] = torch.nn.functional.normalize(x[: n // 2] + 0.8 * torch.randn(n // 2, dim) / dim ** 0.5, dim=1)
    return x, y


def one_size(n, dim, chunk, k, device, save=None):
    """Mine n x n synthetic embeddings with tasks.mining.mine; figures as a dict (save: its kNN and candidates)."""
    import numpy as np
    import torch
    from tasks import mining
    x, y = embeddings(n, dim)
    peak = matmul_peak(min(chunk, n), dim, device)
    base = rss_mib()
    if str(device).startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    found_knn, knn = [], mining.knn
    mining.knn = lambda *a, **kw: found_knn.append(knn(*a, **kw)) or found_knn[-1]  # keeps its neighbours
    sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    src, tgt, score = mining.mine(x, y, k=k, chunk_size=chunk, device=device)
    sync(device)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if save:
        (fv, fi), (bv, bi) = found_knn[0]
        np.savez(save, src=src, tgt=tgt, score=score, fv=fv.numpy(), fi=fi.numpy(), bv=bv.numpy(), bi=bi.numpy())
    found = int(((src == tgt) & (src < n // 2)).sum())
    gflops = 2 * n * n * dim / seconds / 1e9
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = torch.cuda.max_memory_allocated() / 2**20 if str(device).startswith("cuda") else None
    return {"n": n, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "gflops": round(gflops, 1),
            "matmul_peak_gflops": round(peak, 1),
            "of_peak": round(gflops / peak, 3), "matmul_bound_seconds": round(2 * n * n * dim / peak / 1e9, 2),
            "peak_rss_mib": round(peak_rss), "extra_mib": round(peak_rss - base), "gpu_peak_mib": gpu and round(gpu),
            "planted_pairs_found": found, "planted_pairs": n // 2}


def load_anchor(repo):
    """XTREME's third_party/utils_retrieve.py as a module (it imports faiss)."""
    path = Path(repo) / "third_party" / "utils_retrieve.py"
    if not path.is_file():
        sys.exit(f"--xtreme_repo {repo}: no {path.relative_to(repo)} (expected a google-research/xtreme checkout)")
    spec = importlib.util.spec_from_file_location("xtreme_utils_retrieve", path)
    module = importlib.util.module_from_spec(spec)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # its `retrieval is not 'bwd'`
            spec.loader.exec_module(module)
    except ImportError as error:
        sys.exit(f"--xtreme_repo: {path} needs {error.name} (pip install faiss-cpu): {error}")
    return module


def anchor_size(n, dim, k, repo, save=None):
    """XTREME's mine_bitext on the same embeddings (sentence files s<i> / t<j>); its time, and its kNN time."""
    import contextlib
    import io
    import numpy as np
    anchor = load_anchor(repo)
    x, y = (t.numpy().copy() for t in embeddings(n, dim))
    searches, knn = [], anchor.knn

    def timed_knn(*args, **kwargs):
        start = time.perf_counter()
        result = knn(*args, **kwargs)
        searches.append((time.perf_counter() - start, result))
        return result
    anchor.knn = timed_knn
    with tempfile.TemporaryDirectory() as tmp:
        src_file, trg_file, out_file = (Path(tmp) / name for name in ("src.txt", "trg.txt", "out.tsv"))
        src_file.write_text("".join(f"s{i}\n" for i in range(n)))
        trg_file.write_text("".join(f"t{j}\n" for j in range(n)))
        start, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):  # its progress lines
            anchor.mine_bitext(x, y, str(src_file), str(trg_file), str(out_file), neighborhood=k)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        lines = [line.split("\t") for line in out_file.read_text().splitlines()]
    if save:
        (fv, fi), (bv, bi) = searches[0][1], searches[1][1]
        np.savez(save, src=np.array([int(s[1][1:]) for s in lines]), tgt=np.array([int(s[2][1:]) for s in lines]),
                 score=np.array([float(s[0]) for s in lines]), fv=fv, fi=fi, bv=bv, bi=bi)
    return {"n": n, "anchor_seconds": round(seconds, 2), "anchor_cpu_seconds": round(cpu, 2),
            "anchor_knn_seconds": round(sum(s for s, _ in searches), 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def compare(ours, anchor):
    """Ours against the anchor's saved results: candidate pairs, both directions' neighbours, score differences."""
    import numpy as np
    a, b = np.load(ours), np.load(anchor)
    pairs_a = dict(zip(zip(a["src"].tolist(), a["tgt"].tolist()), a["score"].tolist()))
    pairs_b = dict(zip(zip(b["src"].tolist(), b["tgt"].tolist()), b["score"].tolist()))
    shared = pairs_a.keys() & pairs_b.keys()
    return {"candidates": len(pairs_a), "anchor_candidates": len(pairs_b),
            "candidates_differing": len(pairs_a.keys() ^ pairs_b.keys()),
            "max_score_difference": max((abs(pairs_a[p] - pairs_b[p]) for p in shared), default=0.0),
            "neighbours_differing": int((a["fi"] != b["fi"]).sum() + (a["bi"] != b["bi"]).sum()),
            "max_similarity_difference": float(max(np.abs(a["fv"] - b["fv"]).max(), np.abs(a["bv"] - b["bv"]).max()))}


def child(args, flag, n, device, save):
    cmd = [sys.executable, __file__, flag, str(n), "--dim", str(args.dim), "--chunk_size", str(args.chunk_size),
           "--k", str(args.k), "--device", device, "--save", save]
    if args.xtreme_repo:
        cmd += ["--xtreme_repo", args.xtreme_repo]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"size {n} ({flag}) failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarise(runs, key):
    values = [r[key] for r in runs]
    return min(values), round(statistics.median(values), 2)


def measure(n, args, device, tmp):
    """One size, args.repeat times (ours, then the anchor's, alternating): the table's row."""
    ours, anchors = [], []
    for r in range(args.repeat):
        ours.append(child(args, "--one", n, device, f"{tmp}/ours.npz"))
        if args.xtreme_repo:
            anchors.append(child(args, "--anchor", n, device, f"{tmp}/anchor.npz"))
    row = dict(ours[0], runs=[r["seconds"] for r in ours], cpu_runs=[r["cpu_seconds"] for r in ours])
    row["seconds"], row["median_seconds"] = summarise(ours, "seconds")
    row["matmul_peak_gflops"] = max(r["matmul_peak_gflops"] for r in ours)
    row["gflops"] = round(2 * n * n * args.dim / row["seconds"] / 1e9, 1)
    row["of_peak"] = round(row["gflops"] / row["matmul_peak_gflops"], 3)
    row["matmul_bound_seconds"] = round(2 * n * n * args.dim / row["matmul_peak_gflops"] / 1e9, 2)
    if anchors:
        row["anchor_seconds"], row["anchor_median_seconds"] = summarise(anchors, "anchor_seconds")
        row["anchor_knn_seconds"], row["anchor_knn_median_seconds"] = summarise(anchors, "anchor_knn_seconds")
        row["anchor_runs"] = [r["anchor_seconds"] for r in anchors]
        row["anchor_cpu_runs"] = [r["anchor_cpu_seconds"] for r in anchors]
        row["anchor_peak_rss_mib"] = anchors[0]["peak_rss_mib"]
        row.update(compare(f"{tmp}/ours.npz", f"{tmp}/anchor.npz"))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,50000,100000", help="sentences per side, comma-separated")
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--chunk_size", type=int, default=8192, help="rows and columns per similarity block")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size: minimum and median are reported")
    parser.add_argument("--xtreme_repo", default=None, help="a google-research/xtreme checkout: run its mining too")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child process: one size
    parser.add_argument("--anchor", type=int, default=None, help=argparse.SUPPRESS)  # child: the anchor, one size
    parser.add_argument("--save", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.xtreme_repo and not args.one:
        load_anchor(args.xtreme_repo)  # a wrong path or a missing faiss: said before anything runs
    import torch
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.one:
        print(json.dumps(one_size(args.one, args.dim, args.chunk_size, args.k, device, args.save)))
        return
    if args.anchor:
        print(json.dumps(anchor_size(args.anchor, args.dim, args.k, args.xtreme_repo, args.save)))
        return
    rows, load = [], os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            rows.append(measure(n, args, device, tmp))
            print_table(rows, args, device, torch.get_num_threads(), load)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "device": device, "load_average_before": load,
                                               "load_average_after": os.getloadavg(), "rows": rows}, indent=2))


def print_table(rows, args, device, threads, load):
    print(f"\nmining, {args.dim}-d, k={args.k}, chunk {args.chunk_size}, device {device}, torch threads {threads}, "
          f"{args.repeat} run(s) per figure: minimum (median); load average before {load[0]:.2f}, "
          f"now {os.getloadavg()[0]:.2f}")
    anchor = "xtreme_repo" in vars(args) and args.xtreme_repo
    extra = (" anchor s | anchor kNN s | anchor s / ours | anchor kNN s / ours | candidates, neighbours differing |"
             " max score diff |") if anchor else ""
    print("| n per side | seconds | x time vs previous (n^2 ratio) | GFLOP/s | matmul peak GFLOP/s | of peak "
          "| matmul-bound s | peak RSS MiB | extra MiB | GPU peak MiB | planted found |" + extra)
    print("|---" * (11 + (6 if anchor else 0)) + "|")
    for prev, row in zip([None] + rows[:-1], rows):
        growth = (f"{row['seconds'] / prev['seconds']:.2f} ({(row['n'] / prev['n']) ** 2:.2f})" if prev else "-")
        line = (f"| {row['n']:,} | {row['seconds']} ({row['median_seconds']}) | {growth} | {row['gflops']} | "
                f"{row['matmul_peak_gflops']} | {row['of_peak']:.0%} | {row['matmul_bound_seconds']} | "
                f"{row['peak_rss_mib']} | {row['extra_mib']} | {row['gpu_peak_mib'] or '-'} | "
                f"{row['planted_pairs_found']}/{row['planted_pairs']} |")
        if anchor:
            line += (f" {row['anchor_seconds']} ({row['anchor_median_seconds']}) | {row['anchor_knn_seconds']} "
                     f"({row['anchor_knn_median_seconds']}) | {row['anchor_seconds'] / row['seconds']:.2f}x "
                     f"({row['anchor_median_seconds'] / row['median_seconds']:.2f}x) | "
                     f"{row['anchor_knn_seconds'] / row['seconds']:.2f}x "
                     f"({row['anchor_knn_median_seconds'] / row['median_seconds']:.2f}x) | "
                     f"{row['candidates_differing']}, {row['neighbours_differing']} | "
                     f"{max(row['max_score_difference'], row['max_similarity_difference']):.1e} |")
        print(line, flush=True)


if __name__ == "__main__":
    main()
