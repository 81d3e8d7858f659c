#!/usr/bin/env python
"""Time and peak memory of dual-encoder pool search (tasks/mining.knn_top: exact cosine top-20 of every query over
a candidate pool, one chunk x chunk block at a time) on a Mewsli-X-sized synthetic pool: 1M candidates x 384-d.

    python benchmarks/bench_pool_search.py --threads 1                  # 10,000 queries, chunks 2048 and 8192
    python benchmarks/bench_pool_search.py --queries 500 --pool 200000   # quick

Each chunk size runs in a fresh subprocess so its peak memory (RSS; GPU: max allocated) is its own. "extra MiB" is
the peak minus the memory held once the pool and the queries exist: what the search itself needs. It must stay
within --budget_mib whatever the pool size (the full query x pool score matrix is printed for comparison). Every
query is a noisy copy of a planted pool row, which must come out first.
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


def one_run(pool_size, queries, dim, chunk, k, device, seed=0):
    """Search `queries` noisy copies of pool rows in a random pool; figures as a dict."""
    import torch
    from tasks.mining import knn_top
    torch.manual_seed(seed)
    pool = torch.randn(pool_size, dim)
    planted = torch.randperm(pool_size)[:queries]
    x = pool[planted] + 0.5 * torch.randn(queries, dim)
    base = rss_mib()
    if str(device).startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    _, ids = knn_top(x, pool, k, chunk_size=chunk, device=device)
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gpu = torch.cuda.max_memory_allocated() / 2**20 if str(device).startswith("cuda") else None
    flops = 2 * queries * pool_size * dim
    return {"chunk": chunk, "seconds": round(seconds, 1), "gflops": round(flops / seconds / 1e9, 1),
            "queries_per_s": round(queries / seconds, 1), "pool_mib": round(pool_size * dim * 4 / 2**20),
            "peak_rss_mib": round(peak), "extra_mib": round(peak - base), "gpu_peak_mib": gpu and round(gpu),
            "block_mib": round(min(chunk, queries) * chunk * 4 / 2**20, 1),
            "planted_first": int((ids[:, 0] == planted).sum()), "queries": queries}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=1_000_000, help="candidates in the pool")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--chunks", default="2048,8192", help="chunk sizes, comma-separated")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--budget_mib", type=int, default=1024, help="the most the search may add to memory")
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's; on a "
                        "shared machine, fewer threads than busy cores avoids stalls)")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child process: one chunk size
    args = parser.parse_args()
    import torch
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.one:
        print(json.dumps(one_run(args.pool, args.queries, args.dim, args.one, args.k, device)))
        return
    full = args.queries * args.pool * 4 / 2**20
    print(f"\npool search: {args.pool:,} x {args.dim}-d pool, {args.queries:,} queries, top-{args.k}, device {device}, "
          f"torch threads {torch.get_num_threads()}; the full score matrix would be {full:,.0f} MiB; budget "
          f"{args.budget_mib} MiB")
    print("| chunk | seconds | GFLOP/s | queries/s | pool MiB | peak RSS MiB | extra MiB | block MiB | GPU peak MiB "
          "| planted first | within budget |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for chunk in [int(c) for c in args.chunks.split(",")]:
        cmd = [sys.executable, __file__, "--one", str(chunk), "--pool", str(args.pool), "--queries", str(args.queries),
               "--dim", str(args.dim), "--k", str(args.k), "--device", device,
               "--threads", str(torch.get_num_threads())]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"chunk {chunk} failed:\n{done.stderr[-2000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        ok = row["extra_mib"] <= args.budget_mib and row["planted_first"] == row["queries"]
        failed |= not ok
        print(f"| {chunk:,} | {row['seconds']} | {row['gflops']} | {row['queries_per_s']} | {row['pool_mib']:,} | "
              f"{row['peak_rss_mib']:,} | {row['extra_mib']} | {row['block_mib']} | {row['gpu_peak_mib'] or '-'} | "
              f"{row['planted_first']}/{row['queries']} | {'yes' if ok else 'NO'} |", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
