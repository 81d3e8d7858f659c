#!/usr/bin/env python
"""Time and peak memory of BUCC-style margin mining (exact two-way k-NN + ratio margin + one-to-one candidates)
on synthetic embeddings, against torch's plain matmul peak measured in the same process.

    python benchmarks/bench_mining.py                       # 20k, 50k, 100k sentences per side, 768-d
    python benchmarks/bench_mining.py --sizes 2000,5000 --chunk_size 2048   # quick

Each size runs in a fresh subprocess so its peak memory (RSS; GPU: max allocated) is its own. "extra MiB" is the
peak minus the memory held once the two embedding matrices exist: what mining itself needs. A product of n x m x d
is 2nmd FLOPs; mining computes it once (both directions come from each block), so its GFLOP/s against the
matmul peak says how close it is to the matmul bound.
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def matmul_peak(chunk, dim, device, repeats=4):
    """Best GFLOP/s of a plain (chunk x dim) @ (dim x chunk) product, the block shape mining uses."""
    import torch
    a, b = torch.randn(chunk, dim, device=device), torch.randn(chunk, dim, device=device)
    best = float("inf")
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        a @ b.T
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * chunk * chunk * dim / best / 1e9


def sync(device):
    import torch
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def one_size(n, dim, chunk, k, device, seed=0):
    """Mine n x n synthetic embeddings (half of them planted translation pairs); figures as a dict."""
    import torch
    from tasks.mining import mine
    torch.manual_seed(seed)
    x = torch.nn.functional.normalize(torch.randn(n, dim), dim=1)
    y = torch.nn.functional.normalize(torch.randn(n, dim), dim=1)
    y[: n // 2] = torch.nn.functional.normalize(x[: n // 2] + 0.8 * torch.randn(n // 2, dim) / dim ** 0.5, dim=1)
    peak = matmul_peak(min(chunk, n), dim, device)
    base = rss_mib()
    if str(device).startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    sync(device)
    start = time.perf_counter()
    src, tgt, _ = mine(x, y, k=k, chunk_size=chunk, device=device)
    sync(device)
    seconds = time.perf_counter() - start
    found = int(((src == tgt) & (src < n // 2)).sum())
    gflops = 2 * n * n * dim / seconds / 1e9
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = torch.cuda.max_memory_allocated() / 2**20 if str(device).startswith("cuda") else None
    return {"n": n, "seconds": round(seconds, 2), "gflops": round(gflops, 1), "matmul_peak_gflops": round(peak, 1),
            "of_peak": round(gflops / peak, 3), "matmul_bound_seconds": round(2 * n * n * dim / peak / 1e9, 2),
            "peak_rss_mib": round(peak_rss), "extra_mib": round(peak_rss - base), "gpu_peak_mib": gpu and round(gpu),
            "planted_pairs_found": found, "planted_pairs": n // 2}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,50000,100000", help="sentences per side, comma-separated")
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--chunk_size", type=int, default=8192, help="rows and columns per similarity block")
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child process: one size
    args = parser.parse_args()
    import torch
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.one:
        print(json.dumps(one_size(args.one, args.dim, args.chunk_size, args.k, device)))
        return
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        cmd = [sys.executable, __file__, "--one", str(n), "--dim", str(args.dim), "--chunk_size",
               str(args.chunk_size), "--k", str(args.k), "--device", device]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"size {n} failed:\n{done.stderr[-2000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print_table(rows, args, device, torch.get_num_threads())
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "device": device, "rows": rows}, indent=2))


def print_table(rows, args, device, threads):
    print(f"\nmining, {args.dim}-d, k={args.k}, chunk {args.chunk_size}, device {device}, torch threads {threads}")
    print("| n per side | seconds | x time vs previous (n^2 ratio) | GFLOP/s | matmul peak GFLOP/s | of peak "
          "| matmul-bound s | peak RSS MiB | extra MiB | GPU peak MiB | planted found |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for prev, row in zip([None] + rows[:-1], rows):
        growth = (f"{row['seconds'] / prev['seconds']:.2f} ({(row['n'] / prev['n']) ** 2:.2f})" if prev else "-")
        print(f"| {row['n']:,} | {row['seconds']} | {growth} | {row['gflops']} | {row['matmul_peak_gflops']} | "
              f"{row['of_peak']:.0%} | {row['matmul_bound_seconds']} | {row['peak_rss_mib']} | {row['extra_mib']} | "
              f"{row['gpu_peak_mib'] or '-'} | {row['planted_pairs_found']}/{row['planted_pairs']} |", flush=True)


if __name__ == "__main__":
    main()
