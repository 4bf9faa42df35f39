# isort: skip_file
# Copyright (c) vpd_mm contributors. All rights reserved.
"""DTW throughput on all query x candidate pairs: ours vs dtw-python vs dtaidistance.

    python tools/benchmarks/dtw_throughput.py [--queries 300 --candidates 300]
        [--min-len 40 --max-len 60] [--dim 64] [--calls 8] [--rounds 4] [--warmup 3]
        [--subset 30]
        [--threads N] [--long 100 200 300] [--torch-queries 20] [--device cuda] [--seed 0]
        [--out work_dirs/benchmarks/dtw_throughput.json]

On the same random float32 feature sequences (lengths uniform in [min-len, max-len]), in one
run, in pairs per second:
- ``ours (<step pattern>)``: ``dtw_cost_matrix`` over all Q x C pairs, after a warm-up call
  that compiles or loads the numba code (timed separately) and ``--warmup`` seconds of untimed
  full-size calls (at least one per pattern): steady-state figures. ``--rounds`` rounds, each
  of two protocols: ``--calls`` calls of a pattern back to back (as a user calls it), then of
  the next pattern and of every noise probe (below); and ``interleaved``: the calls of every
  pattern and probe in turn, call by call (a call then follows other work and a round spans
  the machine's drift over ~15 s: a stricter figure). Median and best over the back-to-back
  calls; the spread (max - min) / median of each round (``round_spreads``) and their median
  (``spread``); the same under ``interleaved``;
- ``ours (<step pattern>, NUM x NUM, lengths A-B)``: the same on ``--long`` sequences (best of
  3 calls), with DP cells per second (``cells_per_s``, also on the main workload: the sum of
  N x M over the pairs per second of the best call);
- ``frame costs only``: one float32 matrix product of all query frames with all candidate
  frames (numpy's BLAS, all threads), no DP: a bound on any exact Euclidean DTW;
- ``dtw-python``: a Python loop of one ``dtw.dtw(a, b, dist_method='euclidean',
  step_pattern=...)`` per pair (what the authors' release does), timed on Q x ``--subset``
  pairs and EXTRAPOLATED to Q x C; its normalised cost (symmetricP2: ``normalizedDistance``,
  ``inf`` where it finds no path; symmetric1: ``distance / (N + M)``) is compared with ours on
  those pairs (largest relative difference, and whether the infinite pairs agree);
- ``torch (<step pattern>, <device>)``: ``dtw_cost_matrix_torch`` (frame-cost GEMM +
  anti-diagonal wavefront DP batched over pairs; CUDA when available, else the CPU) on
  ``--torch-queries`` x C pairs (all Q x C on a GPU), after one untimed call of the same size,
  compared with ours (largest absolute difference, infinite pairs);
- ``dtaidistance``: its parallel C ``dtw_ndim.distance_matrix_fast`` on all Q x C pairs. It
  scores a path by sqrt(sum of squared frame differences), a different cost: speed only.
``pairs_per_cpu_s`` (ours): pairs per second of the process's CPU time, less sensitive to other
jobs on a shared machine (times the threads: what an idle machine would give, at best);
``cpu_spread``: the spread of the CPU seconds of a call, and ``busy``: CPU seconds per second
per thread. ``busy`` near 1 says no thread slept; it cannot tell slower instructions from a
vCPU the hypervisor took away (a VM without steal accounting counts that as CPU time) or from
OpenMP's spin-wait at the end of the loop;
``major_page_faults``: pages read back from disk during our timed calls (the OS had dropped
them: a slow call that faulted waited for the disk);
``steal_seconds``: the time the hypervisor ran other guests on this machine's vCPUs during our
timed calls (``steal`` of /proc/stat, in 10 ms ticks; None where the kernel does not count
it), and ``slowest_calls``: the 3 slowest calls' wall seconds, CPU seconds and steal: a slow
call with more CPU seconds and no steal ran slower instructions (another tenant's work on the
same physical core, cache or memory), not fewer of them.
``machine noise floor``: a fixed amount of work on the same threads, about as long as one of
our calls, timed like ours (both protocols) in the same rounds: its spread is the machine's
(other jobs, frequency changes), a floor under the spread of ours in the same run. Four
kinds: a dependent chain (latency-bound, blind to another tenant's use of the vector units);
independent vector multiply-adds (throughput-bound, like our products and DP), both in the L1
cache; repeated sums over a buffer the size of the gallery (bound by the shared L3 cache and
memory, like our reads of the candidates' frames); and our small BLAS products alone (one
query's frames times one group's, the sizes of our calls, in the L2 cache): the part of our
work no DP can avoid.
Memory: the peak of numpy/Python allocations during one call (tracemalloc) and the numba
per-task buffers (not traced; computed), against the gallery's float32 size.

Ratios are between figures of this run. Everything goes to ``--out`` (JSON: date, CPU name,
threads, machine, command, load average before and after, every figure, the ratios). On a
machine shared with other jobs the figures are low and spread: the load averages say so.
"""
import argparse
import datetime
import os
import os.path as osp
import sys
import resource
import time
import tracemalloc
from typing import Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402

import vpd_mm  # noqa: E402,F401
import numba  # noqa: E402
import torch  # noqa: E402
from vpd_mm.ops import dtw_kernels  # noqa: E402
from vpd_mm.ops.dtw import (TILE_ELEMS, DTWCandidates, _blas_controller,  # noqa: E402
                            dtw_cost_matrix)
from vpd_mm.ops.dtw_torch import default_device, dtw_cost_matrix_torch  # noqa: E402
from vpd_mm.utils.io import dump_json_atomic  # noqa: E402
from vpd_mm.utils.machine import machine_description  # noqa: E402

PATTERNS = ('symmetric1', 'symmetricP2', 'symmetric2')
PROTOCOLS = ('back-to-back', 'interleaved')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--queries', type=int, default=300)
    parser.add_argument('--candidates', type=int, default=300)
    parser.add_argument('--min-len', type=int, default=40)
    parser.add_argument('--max-len', type=int, default=60)
    parser.add_argument('--dim', type=int, default=64)
    parser.add_argument('--calls', type=int, default=8,
                        help='timed calls of ours per pattern in a round')
    parser.add_argument('--rounds', type=int, default=4,
                        help='rounds of --calls calls (the spread of each round is reported)')
    parser.add_argument('--warmup', type=float, default=3.0,
                        help='seconds of untimed full-size calls before timing ours')
    parser.add_argument(
        '--subset',
        type=int,
        default=30,
        help='candidates per query timed for dtw-python (then extrapolated)')
    parser.add_argument('--threads', type=int, default=None, help='numba threads (default all)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--skip-dtaidistance', action='store_true')
    parser.add_argument('--long', type=int, nargs=3, default=[100, 200, 300],
                        metavar=('NUM', 'MIN_LEN', 'MAX_LEN'),
                        help='a second workload of long sequences: NUM x NUM pairs of lengths '
                        'MIN_LEN-MAX_LEN (NUM 0: skip it)')
    parser.add_argument('--torch-queries', type=int, default=20,
                        help='queries timed for the torch path on the CPU (all on a GPU; '
                        '0: skip it)')
    parser.add_argument('--device', default=None,
                        help='torch path device (default: cuda when available, else cpu)')
    parser.add_argument('--out', default=osp.join(ROOT, 'work_dirs', 'benchmarks',
                                                  'dtw_throughput.json'))
    return parser.parse_args()


def make_data(num: int, args: argparse.Namespace, rng: np.random.Generator) -> list:
    return [
        rng.normal(size=(int(rng.integers(args.min_len, args.max_len + 1)),
                         args.dim)).astype(np.float32) for _ in range(num)
    ]


def spread(times) -> float:
    """(slowest - fastest) / median of a list of call times."""
    t = np.asarray(times)
    return float((t.max() - t.min()) / np.median(t))


def rounds_summary(rounds: list, num_pairs: Optional[int] = None) -> dict:
    """Figures of ``rounds`` [round][call] seconds: pairs/s over all calls (median, best), the
    spread of each round of calls and their median (``spread``), and every call's seconds."""
    out = {}
    if num_pairs is not None:
        t = np.concatenate(rounds)
        out.update(pairs_per_s=round(num_pairs / float(np.median(t))),
                   best_pairs_per_s=round(num_pairs / float(t.min())))
    spreads = [spread(r) for r in rounds]
    out.update(spread=round(float(np.median(spreads)), 4),
               round_spreads=[round(x, 4) for x in spreads],
               seconds=[[round(float(x), 4) for x in r] for r in rounds])
    return out


def summary(times: list, num_pairs: int) -> dict:
    t = np.asarray(times)
    med = float(np.median(t))
    return dict(pairs_per_s=round(num_pairs / med), best_pairs_per_s=round(num_pairs / t.min()),
                spread=round(spread(t), 4),
                seconds=[round(float(x), 4) for x in t])


@numba.njit(parallel=True, cache=True)
def fixed_chain(workers: int, steps: int) -> np.ndarray:
    """A dependent multiply-add chain per worker (latency-bound: the FPU mostly idle, no
    memory traffic): the same work every call, so its spread is the machine's."""
    out = np.empty(workers)
    for t in numba.prange(workers):
        s = 0.0
        for _ in range(steps):
            s = s * 0.999999 + 1.0
        out[t] = s
    return out


@numba.njit(parallel=True, cache=True, fastmath=True)
def fixed_fma(workers: int, steps: int, coef: np.ndarray) -> np.ndarray:
    """256 independent float32 multiply-add chains per worker on L1-resident data
    (throughput-bound, vectorised, like our products and DP): the same work every call, so its
    spread is the machine's, e.g. another tenant's vector work on the same physical core."""
    out = np.empty(workers)
    for t in numba.prange(workers):
        acc = np.zeros(256, np.float32)
        for _ in range(steps):
            for k in range(256):
                acc[k] = acc[k] * coef[k] + coef[k + 256]
        out[t] = acc.sum()
    return out


@numba.njit(parallel=True, cache=True, fastmath=True)
def fixed_stream(workers: int, steps: int, buf: np.ndarray) -> np.ndarray:
    """Every worker sums a shared float32 buffer the size of the gallery, ``steps`` times
    (bound by reads from the shared L3 cache and memory, as our reads of the candidates'
    frames are): the same work every call, so its spread is the machine's memory side, e.g.
    another tenant's traffic in the L3 cache or on the memory bus."""
    out = np.empty(workers)
    for t in numba.prange(workers):
        acc = np.float32(0.0)
        for _ in range(steps):
            for k in range(buf.shape[0]):
                acc += buf[k]
        out[t] = acc
    return out


@numba.njit(parallel=True, cache=True)
def fixed_products(workers: int, steps: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every worker computes ``steps`` float32 products ``a @ b.T`` with the BLAS (one query's
    frames [N, d] with one group's [M * 16, d]: the products of our calls, same sizes, same
    BLAS calls, in the L2 cache): the same work every call, so its spread is the machine's for
    the part of our work that no DP can avoid."""
    out = np.empty(workers)
    for t in numba.prange(workers):
        tile = np.empty((a.shape[0], b.shape[0]), np.float32)
        for _ in range(steps):
            np.dot(a, b.T, tile)
        out[t] = tile[0, 0]
    return out


FMA_COEF = np.concatenate([np.full(256, 0.9999, np.float32), np.full(256, 0.5, np.float32)])
STREAM_BUF = np.zeros(0, np.float32)  # set in main() to the gallery's size
PRODUCT_A = PRODUCT_B = np.zeros((1, 1), np.float32)  # set in main(): a query, a group
NOISE_PROBES = {
    'machine noise floor (dependent arithmetic, same threads)':
    lambda workers, steps: fixed_chain(workers, steps),
    'machine noise floor (vector FMA throughput, same threads)':
    lambda workers, steps: fixed_fma(workers, steps, FMA_COEF),
    'machine noise floor (streaming reads of a gallery-sized buffer, same threads)':
    lambda workers, steps: fixed_stream(workers, steps, STREAM_BUF),
    'machine noise floor (our small BLAS products alone, same threads)':
    lambda workers, steps: fixed_products(workers, steps, PRODUCT_A, PRODUCT_B),
}


def noise_floor_call(probe, steps: int, threads: int) -> float:
    """Seconds of one fixed-work call on ``threads`` threads, one worker each (as in
    ``dtw_cost_matrix``)."""
    old = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        # as in dtw_cost_matrix: one worker per thread, the BLAS single-threaded inside them
        with _blas_controller().limit(limits=1, user_api='blas'), numba.parallel_chunksize(1):
            t0 = time.perf_counter()
            probe(threads, steps)
            return time.perf_counter() - t0
    finally:
        numba.set_num_threads(old)


def steal_ticks() -> Optional[int]:
    """The machine's stolen time so far (``steal`` of /proc/stat's ``cpu`` line, in USER_HZ
    ticks), or None where it is not counted."""
    try:
        with open('/proc/stat') as f:
            fields = f.readline().split()
        return int(fields[8]) if fields[0] == 'cpu' and len(fields) > 8 else None
    except (OSError, ValueError):
        return None


def dtw_python_costs(queries: list, cands: list, pattern: str) -> np.ndarray:
    import dtw
    out = np.empty((len(queries), len(cands)))
    for i, a in enumerate(queries):
        for j, b in enumerate(cands):
            try:
                al = dtw.dtw(a.astype(np.float64), b.astype(np.float64), dist_method='euclidean',
                             step_pattern=pattern, distance_only=True)
                out[i, j] = (al.distance / (len(a) + len(b))
                             if pattern == 'symmetric1' else al.normalizedDistance)
            except ValueError:  # "No warping path found compatible with the local constraints"
                out[i, j] = np.inf
    return out


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), or the platform's word for it."""
    import platform
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def time_torch(queries: list, candidates: list, args: argparse.Namespace, ours: dict,
               results: dict, checks: dict) -> None:
    """The torch path, timed (best of 2 after a warm-up) and compared with ours."""
    device = torch.device(args.device) if args.device else default_device()
    num_q = len(queries) if device.type == 'cuda' else min(args.torch_queries, len(queries))
    qs = queries[:num_q]
    for pattern in ('symmetric1', 'symmetricP2'):
        dtw_cost_matrix_torch(qs, candidates, pattern, device=device)  # warm-up, full size
        times = []
        for _ in range(2):
            if device.type == 'cuda':
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            got = dtw_cost_matrix_torch(qs, candidates, pattern, device=device)
            times.append(time.perf_counter() - t0)
        name = f'torch ({pattern}, {device.type})'
        results[name] = summary(times, num_q * len(candidates))
        results[name]['note'] = f'{num_q} x {len(candidates)} pairs'
        want = ours[pattern][:num_q]
        fin = np.isfinite(want)
        checks[name] = dict(
            pairs=int(want.size), infinite_agree=bool((np.isinf(got) == ~fin).all()),
            max_abs_diff_vs_ours=float(np.abs(got[fin] - want[fin]).max()) if fin.any() else 0.0)
        print(f'{name}: {results[name]["pairs_per_s"]} pairs/s; vs ours {checks[name]}',
              flush=True)


def main() -> None:
    global STREAM_BUF, PRODUCT_A, PRODUCT_B
    args = parse_args()
    load_before = os.getloadavg()
    rng = np.random.default_rng(args.seed)
    queries, candidates = make_data(args.queries, args, rng), make_data(args.candidates, args, rng)
    num_pairs = args.queries * args.candidates
    STREAM_BUF = np.concatenate(candidates).ravel()  # float32, the gallery's size
    # one query of the longest length times one group of 16 candidates of the longest length
    PRODUCT_A = rng.normal(size=(args.max_len, args.dim)).astype(np.float32)
    PRODUCT_B = rng.normal(size=(args.max_len * dtw_kernels.LANES, args.dim)).astype(np.float32)
    threads = args.threads or numba.get_num_threads()
    workload = (f'{args.queries} x {args.candidates} = {num_pairs} pairs, lengths '
                f'{args.min_len}-{args.max_len}, d = {args.dim}, float32')
    print(f'{workload}; numba threads = {threads}; load average {load_before}', flush=True)
    record = dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        cpu=cpu_name(), cpu_cores=len(os.sched_getaffinity(0)), threads=threads,
        gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        machine=machine_description(), command='python ' + ' '.join(sys.argv),
        workload=workload, numba_threads=threads, torch_threads=torch.get_num_threads(),
        load_average_before=load_before)
    results, checks = {}, {}

    # Ours. The first call compiles (or loads numba's on-disk cache).
    t0 = time.perf_counter()
    for pattern in PATTERNS:
        dtw_cost_matrix(queries[:2], candidates[:2], num_threads=args.threads,
                        step_pattern=pattern)
    record['first_call_seconds'] = round(time.perf_counter() - t0, 2)
    print(f'ours: first calls (JIT compile or cache load) {record["first_call_seconds"]} s',
          flush=True)
    # Untimed full-size calls, the patterns in turn, for at least --warmup seconds: the timed
    # calls find the code compiled, the thread pool started and the memory mapped.
    t0, warm_calls = time.perf_counter(), 0
    while warm_calls < len(PATTERNS) or time.perf_counter() - t0 < args.warmup:
        dtw_cost_matrix(queries, candidates, num_threads=args.threads,
                        step_pattern=PATTERNS[warm_calls % len(PATTERNS)])
        warm_calls += 1
    call_seconds = (time.perf_counter() - t0) / warm_calls
    record['warmup_calls'] = warm_calls
    # The machine's own spread: fixed work lasting about as long as one of our calls, on the
    # same threads, timed like ours (another job on the machine shows here).
    steps = {}
    for name, probe in NOISE_PROBES.items():
        noise_floor_call(probe, 1000, threads)  # compile or load
        steps[name] = (1_000_000 if 'dependent' in name else
                       10 if 'streaming' in name else 100 if 'products' in name else 10_000)
        for _ in range(2):  # scale the steps to one call's time (twice: the first trial is short)
            trial_seconds = min(noise_floor_call(probe, steps[name], threads) for _ in range(3))
            steps[name] = max(1, int(steps[name] * call_seconds / trial_seconds))
    # Two protocols, --rounds rounds each: 'back-to-back' (each workload's --calls calls in a
    # row, as a user calls it: the spread) and 'interleaved' (the calls of every
    # workload in turn, call by call: every call sees the others' caches and the machine's
    # drift over a whole round, a stricter figure). [protocol][workload][round][call] seconds.
    times = {proto: {w: [[] for _ in range(args.rounds)] for w in (*NOISE_PROBES, *PATTERNS)}
             for proto in PROTOCOLS}
    wall_times = {p: [] for p in PATTERNS}  # in the order of the calls, with cpu_times
    cpu_times = {p: [] for p in PATTERNS}
    major_faults = {p: 0 for p in PATTERNS}
    steals = {p: [] for p in PATTERNS}
    ours = {}

    def timed(workload: str) -> float:
        if workload in NOISE_PROBES:
            return noise_floor_call(NOISE_PROBES[workload], steps[workload], threads)
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
        s0 = steal_ticks()
        t0, c0 = time.perf_counter(), time.process_time()
        ours[workload] = dtw_cost_matrix(
            queries, candidates, num_threads=args.threads, step_pattern=workload)
        wall = time.perf_counter() - t0
        wall_times[workload].append(wall)
        cpu_times[workload].append(time.process_time() - c0)
        s1 = steal_ticks()
        steals[workload].append(None if s0 is None or s1 is None else s1 - s0)
        major_faults[workload] += resource.getrusage(resource.RUSAGE_SELF).ru_majflt - f0
        return wall

    for rnd in range(args.rounds):
        for proto, rounds in times.items():
            if proto == 'back-to-back':
                for workload, calls in rounds.items():
                    calls[rnd].extend(timed(workload) for _ in range(args.calls))
            else:
                for _ in range(args.calls):
                    for workload, calls in rounds.items():
                        calls[rnd].append(timed(workload))
    for pattern in PATTERNS:
        res = results[f'ours ({pattern})'] = rounds_summary(times['back-to-back'][pattern],
                                                            num_pairs)
        res['interleaved'] = rounds_summary(times['interleaved'][pattern], num_pairs)
        # (below: over the calls of both protocols, in the order they ran)
        wall = np.asarray(wall_times[pattern])
        # pairs per second of this process's CPU time (all its threads): less sensitive to
        # other jobs on the machine than the wall-clock figure; x threads = an idle machine's
        cpu = np.asarray(cpu_times[pattern])
        res['pairs_per_cpu_s'] = round(num_pairs / float(np.median(cpu)))
        # CPU seconds per call: busy < 1 would show threads sleeping; ~1 can still hide a
        # vCPU taken away by the hypervisor or OpenMP's spin-wait (see the module docstring)
        res['cpu_spread'] = round(float((cpu.max() - cpu.min()) / np.median(cpu)), 4)
        res['busy'] = round(float(np.median(cpu / wall)) / threads, 3)
        # pages read back from disk during our calls (code or data the OS had dropped)
        res['major_page_faults'] = int(major_faults[pattern])
        # hypervisor steal during our calls, and the slowest calls with their CPU time
        tick = 1 / os.sysconf('SC_CLK_TCK')
        stolen = steals[pattern]
        res['steal_seconds'] = (None if None in stolen else round(sum(stolen) * tick, 2))
        res['slowest_calls'] = [
            dict(wall=round(float(wall[i]), 4), cpu=round(float(cpu[i]), 4),
                 steal=None if stolen[i] is None else round(stolen[i] * tick, 2))
            for i in np.argsort(wall)[::-1][:3]
        ]
    for name in NOISE_PROBES:
        res = results[name] = rounds_summary(times['back-to-back'][name])
        res['interleaved'] = rounds_summary(times['interleaved'][name])
        res['note'] = 'the same work every call, timed like ours: its spread is the machine\'s'

    # Long sequences (e.g. whole FineGym routines' segments): the same dimension, best of 3
    # after one untimed call; DP cells per second show whether the per-cell speed holds.
    if args.long[0] > 0:
        num, lo, hi = args.long
        long_q = [rng.normal(size=(int(rng.integers(lo, hi + 1)), args.dim)).astype(np.float32)
                  for _ in range(2 * num)]
        long_q, long_c = long_q[:num], long_q[num:]
        cells = float(np.outer([len(q) for q in long_q], [len(c) for c in long_c]).sum())
        short_cells = float(np.outer([len(q) for q in queries],
                                     [len(c) for c in candidates]).sum())
        for pattern in ('symmetric1', 'symmetricP2'):
            dtw_cost_matrix(long_q, long_c, num_threads=args.threads, step_pattern=pattern)
            t = []
            for _ in range(3):
                t0 = time.perf_counter()
                dtw_cost_matrix(long_q, long_c, num_threads=args.threads, step_pattern=pattern)
                t.append(time.perf_counter() - t0)
            name = f'ours ({pattern}, {num} x {num}, lengths {lo}-{hi})'
            results[name] = summary(t, num * num)
            results[name]['cells_per_s'] = round(cells / min(t))
            short = results[f'ours ({pattern})']
            short['cells_per_s'] = round(short_cells * short['best_pairs_per_s'] / num_pairs)
            print(f'{name}: {results[name]["best_pairs_per_s"]} pairs/s (best of 3), '
                  f'{cells / min(t) / 1e6:.0f} M cells/s against '
                  f'{short["cells_per_s"] / 1e6:.0f} M on the main workload', flush=True)

    # Memory of one call: numpy/Python allocations traced; numba's per-task buffers computed.
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    dtw_cost_matrix(queries, candidates, num_threads=args.threads, step_pattern='symmetricP2')
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    gallery = sum(c.nbytes for c in candidates)
    packed = DTWCandidates(candidates)
    max_m = int(np.diff(packed.group_col).max()) // dtw_kernels.LANES
    ring = 7 * (dtw_kernels.PAD + max_m) * dtw_kernels.LANES * 4
    tile_rows = min(args.max_len, max(1, TILE_ELEMS // (max_m * dtw_kernels.LANES)))
    per_task = tile_rows * max_m * dtw_kernels.LANES * 4 + ring
    record['memory'] = dict(
        gallery_float32_bytes=gallery, packed_gallery_bytes=packed.frames.nbytes,
        output_bytes=num_pairs * 8, traced_peak_bytes=peak,
        numba_buffers_bytes=threads * per_task,
        peak_over_gallery=round((peak + threads * per_task) / gallery, 2))
    print(f'memory: traced peak {peak / 2**20:.1f} MiB + numba buffers '
          f'{threads * per_task / 2**20:.2f} MiB; gallery {gallery / 2**20:.1f} MiB '
          f'(ratio {record["memory"]["peak_over_gallery"]}, output '
          f'{num_pairs * 8 / 2**20:.1f} MiB included)', flush=True)

    # The bound: frame costs only, one float32 GEMM of all frames.
    xa, ya = np.concatenate(queries), np.concatenate(candidates)
    t0, warm = time.perf_counter(), 0
    while warm < 2 or time.perf_counter() - t0 < 0.5:  # the BLAS's threads start, pages mapped
        xa @ ya.T
        warm += 1
    gemm = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        xa @ ya.T
        gemm.append(time.perf_counter() - t0)
    results['frame costs only (one float32 GEMM, no DP)'] = summary(gemm, num_pairs)
    del xa, ya

    # dtw-python, one call per pair, on a subset (extrapolated), checked against ours.
    sub = candidates[:args.subset]
    sub_pairs = args.queries * len(sub)
    for pattern in ('symmetric1', 'symmetricP2'):
        t0 = time.perf_counter()
        ref = dtw_python_costs(queries, sub, pattern)
        t_ref = time.perf_counter() - t0
        results[f'dtw-python ({pattern}, per-pair loop)'] = dict(
            pairs_per_s=round(sub_pairs / t_ref), seconds=[round(t_ref, 2)],
            note=f'{sub_pairs} pairs timed, extrapolated')
        mine = ours[pattern][:, :len(sub)]
        fin = np.isfinite(ref)
        checks[pattern] = dict(
            pairs=int(ref.size), infinite_in_reference=int((~fin).sum()),
            infinite_agree=bool((np.isinf(mine) == ~fin).all()),
            max_rel_diff=float(np.max(np.abs(mine[fin] / ref[fin] - 1))) if fin.any() else 0.0,
            max_abs_diff=float(np.max(np.abs(mine[fin] - ref[fin]))) if fin.any() else 0.0)
        print(f'dtw-python ({pattern}): {sub_pairs / t_ref:.0f} pairs/s; vs ours '
              f'{checks[pattern]}', flush=True)

    torch_checks: dict = {}
    if args.torch_queries > 0:
        time_torch(queries, candidates, args, ours, results, torch_checks)

    if not args.skip_dtaidistance:
        from dtaidistance import dtw_ndim
        both = [s.astype(np.float64) for s in queries + candidates]
        dtai = []
        for _ in range(3):
            t0 = time.perf_counter()
            # block: only the query rows x candidate columns of the full matrix.
            dtw_ndim.distance_matrix_fast(
                both, block=((0, args.queries), (args.queries, len(both))), compact=True,
                parallel=True)
            dtai.append(time.perf_counter() - t0)
        results['dtaidistance (C, parallel; another cost)'] = summary(dtai, num_pairs)

    ratios = {}
    for pattern in ('symmetric1', 'symmetricP2'):
        mine = results[f'ours ({pattern})']['pairs_per_s']
        ratios[f'ours ({pattern}) / dtw-python ({pattern})'] = round(
            mine / results[f'dtw-python ({pattern}, per-pair loop)']['pairs_per_s'], 1)
        if not args.skip_dtaidistance:
            ratios[f'ours ({pattern}) / dtaidistance'] = round(
                mine / results['dtaidistance (C, parallel; another cost)']['pairs_per_s'], 2)
        ratios[f'ours ({pattern}) / frame costs only'] = round(
            mine / results['frame costs only (one float32 GEMM, no DP)']['pairs_per_s'], 3)
        for name in [n for n in results if n.startswith(f'torch ({pattern},')]:
            ratios[f'{name} / dtw-python ({pattern})'] = round(
                results[name]['pairs_per_s'] /
                results[f'dtw-python ({pattern}, per-pair loop)']['pairs_per_s'], 1)
    record.update(results=results, ratios=ratios, exactness_vs_dtw_python=checks,
                  exactness_torch_vs_ours=torch_checks,
                  load_average_after=os.getloadavg())

    print(f'\n{"method":<46} {"pairs/s":>10} {"best":>10} {"spread":>7}')
    for name, r in results.items():
        spread = f'{100 * r["spread"]:.1f}%' if 'spread' in r else '-'
        print(f'{name:<46} {r.get("pairs_per_s", "-"):>10} {r.get("best_pairs_per_s", "-"):>10} '
              f'{spread:>7}')
    for name, r in results.items():
        if len(r.get('round_spreads', ())) > 1:
            print(f'{name}: spread per round of {args.calls} calls back to back ' +
                  ', '.join(f'{100 * x:.1f}%' for x in r['round_spreads']) + '; interleaved ' +
                  ', '.join(f'{100 * x:.1f}%' for x in r['interleaved']['round_spreads']))
    for name, value in ratios.items():
        print(f'{name}: {value}')
    print(f'load average after: {record["load_average_after"]}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    dump_json_atomic(record, args.out, indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
