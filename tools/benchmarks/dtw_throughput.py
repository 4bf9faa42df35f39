# isort: skip_file
# Copyright (c) vpd_mm contributors. All rights reserved.
"""DTW throughput on all query x candidate pairs: ours vs dtw-python vs dtaidistance.

    python tools/benchmarks/dtw_throughput.py [--queries 300 --candidates 300]
        [--min-len 40 --max-len 60] [--dim 64] [--subset 10] [--threads N] [--seed 0]

On the same random feature sequences (lengths uniform in [min-len, max-len]), prints pairs/s:
- ``ours``: ``dtw_cost_matrix`` over all Q x C pairs, both methods: ``gemm`` (the default:
  float32 BLAS frame costs per block + numba DP parallel over pairs) and ``direct`` (frame costs
  inside the numba DP), timed after a warm-up call so that the JIT compilation (printed
  separately) is excluded;
- ``dtw-python``: a Python loop of one ``dtw.dtw(a, b, dist_method='euclidean',
  step_pattern='symmetric1')`` per pair (what the authors' release does), timed on Q x
  ``--subset`` pairs and EXTRAPOLATED to Q x C; its ``distance / (N + M)`` is checked
  against ours on those pairs (max abs diff printed);
- ``dtaidistance``: its C ``dtw_ndim.distance_matrix_fast`` on all Q x C pairs. It scores a
  path by sqrt(sum of squared frame differences), a different cost: speed only, no check.
"""
import argparse
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import vpd_mm  # noqa: E402,F401
import numba  # noqa: E402
from vpd_mm.evaluation.functional.dtw import dtw_cost_matrix  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--queries', type=int, default=300)
    parser.add_argument('--candidates', type=int, default=300)
    parser.add_argument('--min-len', type=int, default=40)
    parser.add_argument('--max-len', type=int, default=60)
    parser.add_argument('--dim', type=int, default=64)
    parser.add_argument(
        '--subset',
        type=int,
        default=30,
        help='candidates per query timed for dtw-python (then extrapolated)')
    parser.add_argument('--threads', type=int, default=None, help='numba threads (default all)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--skip-dtaidistance', action='store_true')
    return parser.parse_args()


def make_data(num: int, args: argparse.Namespace, rng: np.random.Generator) -> list:
    return [
        rng.normal(size=(int(rng.integers(args.min_len, args.max_len + 1)),
                         args.dim)).astype(np.float32) for _ in range(num)
    ]


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    queries, candidates = make_data(args.queries, args, rng), make_data(args.candidates, args, rng)
    num_pairs = args.queries * args.candidates
    threads = args.threads or numba.get_num_threads()
    print(f'{args.queries} x {args.candidates} = {num_pairs} pairs, lengths '
          f'{args.min_len}-{args.max_len}, d = {args.dim}, numba threads = {threads}')
    rows = []

    # Ours. The first call compiles (or loads numba's on-disk cache).
    for method in ('gemm', 'direct'):
        t0 = time.perf_counter()
        dtw_cost_matrix(queries[:2], candidates[:2], num_threads=args.threads, method=method)
        print(f'ours ({method}): first call (JIT compile or cache load) '
              f'{time.perf_counter() - t0:.2f} s')
    results = {}
    for method in ('gemm', 'direct'):
        t0 = time.perf_counter()
        results[method] = dtw_cost_matrix(
            queries, candidates, num_threads=args.threads, method=method)
        t_ours = time.perf_counter() - t0
        rows.append((f'ours ({method}, all pairs)', num_pairs / t_ours,
                     f'{t_ours:.2f} s measured'))
    ours = results['gemm']
    print(f'ours gemm vs direct: max abs diff '
          f'{np.abs(results["gemm"] - results["direct"]).max():.2e}')

    # dtw-python, one call per pair, on a subset.
    import dtw
    sub = candidates[:args.subset]
    ref = np.empty((args.queries, len(sub)))
    t0 = time.perf_counter()
    for i, a in enumerate(queries):
        for j, b in enumerate(sub):
            ref[i, j] = dtw.dtw(
                a.astype(np.float64),
                b.astype(np.float64),
                dist_method='euclidean',
                step_pattern='symmetric1',
                distance_only=True).distance / (
                    len(a) + len(b))
    t_ref = time.perf_counter() - t0
    rate_ref = ref.size / t_ref
    rows.append(('dtw-python (per-pair loop)', rate_ref,
                 f'{t_ref:.2f} s on {ref.size} pairs; {num_pairs / rate_ref:.1f} s EXTRAPOLATED'))
    diff = np.abs(ours[:, :len(sub)] - ref).max()

    if not args.skip_dtaidistance:
        from dtaidistance import dtw_ndim
        both = [s.astype(np.float64) for s in queries + candidates]
        t0 = time.perf_counter()
        # block: only the query rows x candidate columns of the full matrix.
        dtw_ndim.distance_matrix_fast(
            both, block=((0, args.queries), (args.queries, len(both))), compact=True, parallel=True)
        t_dtai = time.perf_counter() - t0
        rows.append(('dtaidistance (C, parallel)', num_pairs / t_dtai,
                     f'{t_dtai:.2f} s measured; a different cost (sqrt of summed squares): '
                     'speed only'))

    print(f'\n{"method":<28} {"pairs/s":>12} {"ours is x faster":>17}  notes')
    for name, rate, note in rows:
        print(f'{name:<28} {rate:>12.0f} {rows[0][1] / rate:>17.1f}  {note}')
    print(f'\nours vs dtw-python on the {ref.size} timed pairs: max abs diff {diff:.2e} '
          f'(costs {ref.min():.3f}..{ref.max():.3f})')


if __name__ == '__main__':
    main()
