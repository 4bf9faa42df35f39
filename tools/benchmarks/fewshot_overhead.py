# isort: skip_file
# Copyright (c) vpd_mm contributors. All rights reserved.
"""Fixed cost of one few-shot run: runs of 1 optimizer step vs runs of the config's steps.

    python tools/benchmarks/fewshot_overhead.py
        [--config work_dirs/synthetic_benchmark/configs/bigru_2dvpd_sports.py]
        [--runs 5] [--full-runs 2] [--threads 1] [--out work_dirs/benchmarks/fewshot.json]

``tools/fewshot.py``'s protocol (``run_fewshot_protocol``, one process, ``--threads`` torch
threads) on k = 4 subsets of the config's data: first one untimed run (imports, first builds),
then ``--runs`` runs of ONE step each (what a run costs besides training: config, runner,
datasets, checkpoint, test) and ``--full-runs`` runs of the config's ``fewshot.steps``; the
seconds are each run's own (``timing.json``). The default config is the one ``make demo`` writes
for the 2D-VPD features (exit code 2 when it is absent).
"""
import argparse
import datetime
import json
import os
import os.path as osp
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402

import vpd_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402

from vpd_mm.apis.fewshot import fewshot_settings, run_fewshot_protocol  # noqa: E402
from vpd_mm.utils.io import dump_json_atomic  # noqa: E402
from vpd_mm.utils.machine import machine_description  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=osp.join(ROOT, 'work_dirs', 'synthetic_benchmark',
                                                     'configs', 'bigru_2dvpd_sports.py'))
    parser.add_argument('--runs', type=int, default=5, help='timed runs of one step')
    parser.add_argument('--full-runs', type=int, default=2,
                        help="timed runs of the config's fewshot.steps")
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--out', default=osp.join(ROOT, 'work_dirs', 'benchmarks',
                                                  'fewshot_overhead.json'))
    return parser.parse_args()


def timed_runs(config: str, subsets: int, steps, threads: int, work_dir: str) -> list:
    """Seconds of each run of ``subsets`` k = 4 runs."""
    rows = run_fewshot_protocol([config], [4], subsets, work_dir=work_dir, steps=steps,
                                threads=threads, log=lambda line: None)
    seconds = []
    for r in rows:
        run_dir = osp.join(work_dir, r['config'], f'k{r["shots"]}', f'subset{r["subset"]}')
        with open(osp.join(run_dir, 'timing.json')) as f:
            seconds.append(json.load(f)['seconds'])
    return seconds


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.config):
        print(f'no few-shot config: {args.config} does not exist (run `make demo` first)')
        sys.exit(2)
    args.out = osp.abspath(args.out)
    os.chdir(ROOT)
    steps = int(fewshot_settings(Config.fromfile(args.config))['steps'])
    with tempfile.TemporaryDirectory() as tmp:
        warm = timed_runs(args.config, 1, 1, args.threads, osp.join(tmp, 'warm'))
        one = timed_runs(args.config, args.runs, 1, args.threads, osp.join(tmp, 'one'))[-args.runs:]
        full = timed_runs(args.config, args.full_runs, None, args.threads,
                          osp.join(tmp, 'full')) if args.full_runs else []
    figures = {'first run of the process (1 step)': warm[0],
               'a run of 1 step (median)': float(np.median(one))}
    if full:
        figures[f'a run of {steps} steps (median)'] = float(np.median(full))
    ratios = {}
    if full:
        ratios[f'1-step run / {steps}-step run (the fixed share)'] = (
            figures['a run of 1 step (median)'] / figures[f'a run of {steps} steps (median)'])
    setting = (f'{osp.relpath(args.config, ROOT)}, k = 4, {args.threads} torch thread(s), '
               f'{args.runs} runs of 1 step, {args.full_runs} of {steps}')
    print(setting)
    for name, value in figures.items():
        print(f'{name:>36}: {value:6.2f} s')
    for name, value in ratios.items():
        print(f'{name}: {value:.3f}')
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    dump_json_atomic(dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_description(), command='python ' + ' '.join(sys.argv), setting=setting,
        seconds={k: round(v, 3) for k, v in figures.items()},
        runs_of_one_step=[round(s, 3) for s in one],
        runs_of_full_steps=[round(s, 3) for s in full],
        ratios={k: round(v, 3) for k, v in ratios.items()}), args.out, indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
