# Copyright (c) vpd_mm contributors. All rights reserved.
"""Run every benchmark of tools/benchmarks/ in one go and write the figures to docs/.

    python tools/benchmarks/run_all.py [--quick] [--only dtw train_toy ...]
        [--out docs/benchmarks.md] [--json docs/benchmarks.json]
    make bench        # the same, full size

Each benchmark runs as its own process (``python tools/benchmarks/<script> ... --out JSON``),
one after the other, and writes its figures as JSON; this script collects them into
``docs/benchmarks.md`` (tables) and ``docs/benchmarks.json`` (everything) with the date, the
CPU, its cores, the torch threads, the load average before and after, the commit, and every
figure and ratio measured in this run. Benchmarks on the demo's prepared data (distillation
and feature dumping on ``data/sports/``, few-shot runs on its features) are skipped with a
note when ``make demo`` has not run yet. ``--quick`` runs every benchmark at a small size to
check the machinery in a minute or two: its figures are NOT measurements and the files say
so. The full run takes about 3 minutes on a 2-core CPU: run it on a quiet machine.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BENCH = 'tools/benchmarks'
DEMO_POSE_PKL = 'data/sports/annotations/sports_pose.pkl'
DEMO_FEWSHOT_CONFIG = 'work_dirs/synthetic_benchmark/configs/bigru_2dvpd_sports.py'

#: name -> (title, script, arguments, quick arguments, a file it needs or None)
COMPONENTS = {
    'dtw': ('DTW all-pairs throughput (vs dtw-python and dtaidistance)', 'dtw_throughput.py',
            [], ['--queries', '40', '--candidates', '40', '--calls', '2', '--rounds', '2',
                 '--subset', '4', '--warmup', '0', '--long', '4', '20', '30'],
            None),
    'train_toy': ('Distillation training throughput, toy corpus (configs/vpd/2dvpd_tiny_cpu.py)',
                  'train_throughput.py', ['--config', 'configs/vpd/2dvpd_tiny_cpu.py'],
                  ['--iters', '2', '--warmup', '1'], None),
    'train_demo': ("Distillation training throughput on the demo's prepared data "
                   '(configs/vpd/2dvpd_sports_cpu.py)', 'train_throughput.py',
                   ['--config', 'configs/vpd/2dvpd_sports_cpu.py', '--data', 'config'],
                   ['--iters', '2', '--warmup', '1'], DEMO_POSE_PKL),
    'dump_features': ("Feature dumping (tools/test.py --dump-features --all-videos) on the demo's "
                      'prepared data', 'dump_features.py', [],
                      ['--frames', '256', '--workers', '0', '--iters', '1'], DEMO_POSE_PKL),
    'fewshot': ("Few-shot runs (BiGRU) on the demo's features: fixed overhead per run",
                'fewshot_overhead.py', [], ['--runs', '2', '--full-runs', '0'],
                DEMO_FEWSHOT_CONFIG),
    'prepare': ('Data-preparation stages (one thread, random detector and pose weights)',
                'prepare_stages.py', [], ['--frames', '16', '--repeats', '1'], None),
}
#: components whose argument list takes --amp (bfloat16 autocast where the CPU has it)
AMP_COMPONENTS = ('train_demo', 'dump_features')
META_KEYS = ('created', 'machine', 'command')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='small sizes, to check the machinery (the figures are not '
                        'measurements)')
    parser.add_argument('--only', nargs='+', choices=sorted(COMPONENTS),
                        help='run only these benchmarks')
    parser.add_argument('--out', default=osp.join(ROOT, 'docs', 'benchmarks.md'))
    parser.add_argument('--json', default=None,
                        help='default: --out with the extension .json')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'benchmarks', 'all'),
                        help="the benchmarks' own JSON files and logs")
    return parser.parse_args(argv)


def cpu_info() -> dict:
    """CPU model name, usable cores, torch threads, OMP_NUM_THREADS."""
    name = ''
    try:
        with open('/proc/cpuinfo') as f:
            name = next((line.split(':', 1)[1].strip() for line in f
                         if line.startswith('model name')), '')
    except OSError:
        pass
    import platform

    import torch
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    return dict(cpu=name or platform.processor() or platform.machine(), cores=cores,
                logical_cpus=os.cpu_count(), torch_threads=torch.get_num_threads(),
                omp_num_threads=os.environ.get('OMP_NUM_THREADS'), torch=torch.__version__,
                python=platform.python_version())


def git_commit() -> Optional[str]:
    try:
        head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + (' (with uncommitted changes)' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return None


def load_average() -> Optional[List[float]]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def run_component(name: str, quick: bool, amp: bool, work_dir: str) -> dict:
    """Run one benchmark; its record: status (ok / skipped / failed), seconds, note, figures."""
    title, script, argv, quick_argv, needs = COMPONENTS[name]
    out = osp.join(work_dir, f'{name}.json')
    cmd = [sys.executable, osp.join(BENCH, script)] + argv + (quick_argv if quick else [])
    cmd += (['--amp'] if amp and name in AMP_COMPONENTS else []) + ['--out', out]
    shown = 'python ' + ' '.join(cmd[1:-2])
    record = dict(name=name, title=title, command=shown)
    if needs is not None and not osp.isfile(osp.join(ROOT, needs)):
        record.update(status='skipped', note=f'{needs} does not exist: run `make demo` first '
                      '(the benchmark needs its prepared data)')
        print(f'[bench] {name}: skipped ({record["note"]})', flush=True)
        return record
    if osp.isfile(out):
        os.remove(out)
    print(f'[bench] {name}: $ {shown}', flush=True)
    start = time.perf_counter()
    log_path = osp.join(work_dir, f'{name}.log')
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    record['seconds'] = round(time.perf_counter() - start, 1)
    if proc.returncode == 0 and osp.isfile(out):
        with open(out) as f:
            record['result'] = json.load(f)
        record['status'] = 'ok'
    else:
        with open(log_path) as f:
            tail = f.read().strip().splitlines()[-3:]
        record.update(status='skipped' if proc.returncode == 2 else 'failed',
                      note=f'exit code {proc.returncode}: ' + ' / '.join(tail) +
                      f' (log: {osp.relpath(log_path, ROOT)})')
    print(f'[bench] {name}: {record["status"]} in {record.get("seconds", 0):.0f} s', flush=True)
    return record


def flatten(obj, prefix: str = '') -> Dict[str, object]:
    """Leaves of nested dicts as ``a / b / c`` -> value (lists kept whole; a dict with
    ``per_s`` and ``unit``, a timed stage, becomes its rate)."""
    out: Dict[str, object] = {}
    if isinstance(obj, dict) and 'per_s' in obj and 'unit' in obj:  # a stage: its rate only
        out[f'{prefix} ({obj["unit"]}/s)'] = obj['per_s']
    elif isinstance(obj, dict):
        for key, value in obj.items():
            out.update(flatten(value, f'{prefix} / {key}' if prefix else str(key)))
    else:
        out[prefix] = obj
    return out


def _fmt(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f'{value:,.3g}' if abs(value) < 10 else f'{value:,.1f}'
    if isinstance(value, int):
        return f'{value:,}'
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return text.replace('|', '\\|')


def markdown(report: dict) -> str:
    env = report['environment']
    lines = ['# Benchmarks', '']
    if report['quick']:
        lines += ['> **QUICK RUN (`--quick`): small sizes to check the machinery. These figures '
                  'are NOT measurements; run `make bench` on a quiet machine for them.**', '']
    lines += [
        f'Written by `{report["command"]}` (`make bench`); every figure below was measured in '
        'this one run, on this machine, one benchmark after the other. Ratios are between '
        'figures of the same run.', '',
        '| | |', '|---|---|',
        f'| date (UTC) | {report["created"]} |',
        f'| CPU | {env["cpu"]} |',
        f'| cores (usable / logical) | {env["cores"]} / {env["logical_cpus"]} |',
        f'| torch threads | {env["torch_threads"]} (OMP_NUM_THREADS='
        f'{env["omp_num_threads"] or "unset"}) |',
        f'| bfloat16 autocast (`--amp` runs) | {"yes" if report["amp"] else "no (float32)"} |',
        f'| load average before / after (1, 5, 15 min) | {report["load_before"]} / '
        f'{report["load_after"]} |',
        f'| commit | {report["commit"]} |',
        f'| Python, torch | {env["python"]}, {env["torch"]} |',
        f'| total time | {report["seconds"]:.0f} s |', '']
    for rec in report['benchmarks']:
        lines += [f'## {rec["title"]}', '', f'`{rec["command"]}`', '']
        if rec['status'] != 'ok':
            lines += [f'**{rec["status"]}**: {rec["note"]}', '']
            continue
        result = {k: v for k, v in rec['result'].items() if k not in META_KEYS}
        ratios = result.pop('ratios', None)
        lines += [f'{rec["seconds"]:.0f} s.', '', '| figure | value |', '|---|---|']
        lines += [f'| {key} | {_fmt(value)} |' for key, value in flatten(result).items()]
        if ratios:
            lines += ['', '| ratio | value |', '|---|---|']
            lines += [f'| {key} | {_fmt(value)} |' for key, value in flatten(ratios).items()]
        lines.append('')
    return '\n'.join(lines)


def write_text_atomic(text: str, path: str) -> None:
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from vpd_mm.utils.machine import bf16_autocast_supported
    json_path = args.json or osp.splitext(args.out)[0] + '.json'
    os.makedirs(args.work_dir, exist_ok=True)
    amp = bf16_autocast_supported()
    start = time.perf_counter()
    report = dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        command='python tools/benchmarks/run_all.py' + (' --quick' if args.quick else '') +
        (' --only ' + ' '.join(args.only) if args.only else ''),
        quick=args.quick, amp=amp, environment=cpu_info(), commit=git_commit(),
        load_before=load_average())
    names = args.only or list(COMPONENTS)
    report['benchmarks'] = [run_component(n, args.quick, amp, args.work_dir) for n in names]
    report.update(load_after=load_average(), seconds=round(time.perf_counter() - start, 1))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    write_text_atomic(markdown(report), args.out)
    from vpd_mm.utils.io import dump_json_atomic
    dump_json_atomic(report, json_path, indent=1)
    print(f'wrote {args.out} and {json_path} in {report["seconds"]:.0f} s')
    failed = [r['name'] for r in report['benchmarks'] if r['status'] == 'failed']
    if failed:
        raise SystemExit(f'failed: {", ".join(failed)} (see their logs in {args.work_dir})')
    return report


if __name__ == '__main__':
    main()
