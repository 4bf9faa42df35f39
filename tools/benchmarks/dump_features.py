# Copyright (c) vpd_mm contributors. All rights reserved.
"""Feature dumping speed: ``tools/test.py --dump-features --all-videos`` vs the model alone.

    python tools/benchmarks/dump_features.py [--config configs/vpd/2dvpd_sports_cpu.py]
        [--checkpoint CKPT] [--frames 4096] [--workers 0 1] [--amp] [--iters 5]
        [--out work_dirs/benchmarks/dump_features.json]

On the config's own prepared data (for the default config the demo's ``data/sports/``, written by
``make demo``; the script exits with code 2 and says so when it is absent), in one run and in
frames per second (a frame: both flip views embedded, as the dump does):

- ``model-only``: the student's ``test_step`` (preprocessing, both views, pose decoding) on one
  batch of the config's test batch size held in memory, repeated ``--iters`` times;
- ``loader-only``: one pass of that runner's test loader (reading and decoding the crops,
  packing, collating), no model;
- ``end-to-end (N workers)``: ``runner.test()`` of the runner that ``tools/test.py CONFIG CKPT
  --dump-features DIR --all-videos [--amp]`` builds (the same argument parsing and config
  merge, the first ``--frames`` frames of the annotation file), with N loader workers, for
  each N of ``--workers``; the runner's build and checkpoint loading are timed apart;

and the ratios ``end-to-end / model-only`` (1: the dump runs at the model's own speed) and
``loader-only / model-only`` (the loader's headroom: with loader and model taking turns on the
same cores, end-to-end is about ``1 / (1 / model + 1 / loader)``).
``--checkpoint`` defaults to the demo's last checkpoint (``work_dirs/synthetic_benchmark/2dvpd``)
and to random weights without one: the speed does not depend on the weights. The numbers, the
date and the machine go to ``--out``.
"""
import argparse
import datetime
import glob
import os
import os.path as osp
import sys
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.amp import autocast

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.test_setup import configure_test, load_test_checkpoint
from vpd_mm.utils.io import dump_json_atomic
from vpd_mm.utils.launch import set_work_dir
from vpd_mm.utils.machine import machine_description

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CKPT_DIR = osp.join(ROOT, 'work_dirs', 'synthetic_benchmark', '2dvpd')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=osp.join(ROOT, 'configs/vpd/2dvpd_sports_cpu.py'))
    parser.add_argument('--checkpoint', help='default: the demo\'s last one, else random weights')
    parser.add_argument('--frames', type=int, default=4096,
                        help='first frames of the annotation file (0: all)')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 1],
                        help='loader workers of the end-to-end runs')
    parser.add_argument('--amp', action='store_true',
                        help='as tools/test.py --amp (bfloat16 autocast on a CPU)')
    parser.add_argument('--iters', type=int, default=5, help='timed model-only batches')
    parser.add_argument('--out', default=osp.join(ROOT, 'work_dirs', 'benchmarks',
                                                  'dump_features.json'))
    return parser.parse_args()


def default_checkpoint() -> str:
    found = sorted(glob.glob(osp.join(DEMO_CKPT_DIR, 'iter_*.pth')), key=osp.getmtime)
    return found[-1] if found else ''


def build_runner(args: argparse.Namespace, checkpoint: str, out_dir: str,
                 workers: int) -> Runner:
    """The runner of ``tools/test.py CONFIG CKPT --dump-features OUT --all-videos [--amp]``
    (the tool's config changes: ``vpd_mm.evaluation.test_setup.configure_test``), with
    ``workers`` loader workers and the first ``--frames`` frames."""
    cfg = Config.fromfile(args.config)
    set_work_dir(cfg, osp.join(out_dir, 'log'), args.config)
    configure_test(cfg, checkpoint or None, all_videos=True,
                   dump_features=osp.join(out_dir, 'features'), amp=args.amp)
    options = {'test_dataloader.num_workers': workers,
               'test_dataloader.persistent_workers': workers > 0}
    if args.frames:
        options['test_dataloader.dataset.indices'] = args.frames
    cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    if checkpoint:  # strictly, as tools/test.py
        load_test_checkpoint(runner, checkpoint, args.config)
    return runner


def model_only(runner: Runner, amp: bool, iters: int) -> float:
    """Frames/s of ``test_step`` on one batch of the test loader held in memory."""
    batch = next(iter(runner.test_dataloader))
    model = runner.model
    model.eval()
    with torch.no_grad(), autocast(enabled=amp):
        model.test_step(batch)  # warm-up
        start = time.perf_counter()
        for _ in range(iters):
            model.test_step(batch)
        seconds = time.perf_counter() - start
    return len(batch['inputs']) * iters / seconds


def loader_only(runner: Runner) -> float:
    """Frames/s of one pass of the test loader, no model."""
    start, frames = time.perf_counter(), 0
    for batch in runner.test_dataloader:
        frames += len(batch['inputs'])
    return frames / (time.perf_counter() - start)


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    ann_file = cfg.test_dataloader.dataset.ann_file
    if not osp.isfile(osp.join(ROOT, ann_file) if not osp.isabs(ann_file) else ann_file):
        print(f'no prepared data: {ann_file} does not exist (run `make demo` first)')
        sys.exit(2)
    os.chdir(ROOT)
    checkpoint = args.checkpoint if args.checkpoint is not None else default_checkpoint()
    figures, build_s, num_frames = {}, {}, None
    with tempfile.TemporaryDirectory() as tmp:
        for i, workers in enumerate(args.workers):
            start = time.perf_counter()
            runner = build_runner(args, checkpoint, osp.join(tmp, f'w{workers}'), workers)
            build_s[workers] = time.perf_counter() - start
            if i == 0:
                figures['model-only'] = model_only(runner, args.amp, args.iters)
                figures['loader-only'] = loader_only(runner)
            num_frames = len(runner.test_dataloader.dataset)
            start = time.perf_counter()
            runner.test()
            seconds = time.perf_counter() - start
            figures[f'end-to-end ({workers} workers)'] = num_frames / seconds
            del runner
    ratios = {f'{name} / model-only': value / figures['model-only']
              for name, value in figures.items() if name != 'model-only'}
    weights = 'checkpoint ' + osp.relpath(checkpoint, ROOT) if checkpoint else 'random weights'
    setting = (f'{osp.relpath(args.config, ROOT)}, {weights}, {num_frames} frames, test batch '
               f'{cfg.test_dataloader.batch_size}, torch threads {torch.get_num_threads()}, '
               f'{"amp" if args.amp else "float32"}')
    print(setting)
    for name, value in figures.items():
        print(f'{name:>24}: {value:8.1f} frames/s')
    for name, value in ratios.items():
        print(f'{name}: {value:.2f}')
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    dump_json_atomic(dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_description(), command='python ' + ' '.join(sys.argv), setting=setting,
        frames=num_frames, frames_per_second={k: round(v, 1) for k, v in figures.items()},
        ratios={k: round(v, 3) for k, v in ratios.items()},
        runner_build_seconds={str(k): round(v, 2) for k, v in build_s.items()}), args.out,
        indent=1)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
