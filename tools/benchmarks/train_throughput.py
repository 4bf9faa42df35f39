# isort: skip_file
# Copyright (c) vpd_mm contributors. All rights reserved.
"""Training throughput of a config: model-only steps vs the real loader, and both together.

    python tools/benchmarks/train_throughput.py [--config configs/vpd/2dvpd_tiny_cpu.py]
        [--depth 34 --size 128] [--batch-size 32] [--workers 1] [--iters 20]
    python tools/benchmarks/train_throughput.py --config configs/vipe/vipe_synthetic.py
    python tools/benchmarks/train_throughput.py --config configs/vpd/2dvpd_sports_cpu.py --amp \
        --data config

Measures, in one run on the same machine and in samples (frames, pose pairs) per second:
- ``model-only``: ``train_step`` (preprocessing, forward, backward, optimiser) on one batch held
  in memory, repeated;
- ``loader-only``: batches from the config's real train dataloader (for VPD: JPEG decoding, flip,
  RandomResizedCrop, colour jitter, noise, packing; for VIPE*: the on-the-fly pair generation),
  no model;
- ``end-to-end``: the two together, as the runner's training loop does;
and prints ``end-to-end / model-only`` (the loader's cost) and ``loader-only / model-only`` (the
loader's headroom: above 1, the loader is not the bottleneck). For a VPD config the data is a toy
corpus generated at the crop size asked for (``--data-root``, reused when present), or with
``--data config`` the config's own prepared data as it is (e.g. the demo's ``data/sports/``
for ``2dvpd_sports_cpu.py``: its crop size, sampler and pipeline; exit code 2 when the data is
absent). ``--amp``
trains as ``tools/train.py --amp`` does (bfloat16 autocast on a CPU). The numbers, the date and
the machine go to ``--out`` (default ``work_dirs/benchmarks/train_throughput_<config>.json``).
"""
import argparse
import datetime
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

import torch  # noqa: E402

import vpd_mm  # noqa: E402,F401
from mmengine.config import Config  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmaction.registry import MODELS  # noqa: E402
from vpd_mm.synthetic import make_toy_corpus  # noqa: E402
from vpd_mm.utils.io import dump_json_atomic  # noqa: E402
from vpd_mm.utils.machine import machine_description  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=osp.join(ROOT, 'configs/vpd/2dvpd_tiny_cpu.py'))
    parser.add_argument('--depth', type=int, help='VPD: student depth (default: the config\'s)')
    parser.add_argument('--size', type=int, default=64, help='VPD: crop size of data and model')
    parser.add_argument('--batch-size', type=int, help='default: the config\'s')
    parser.add_argument('--workers', type=int, help='dataloader workers (default: config)')
    parser.add_argument('--iters', type=int, default=20, help='timed steps per measurement')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps first')
    parser.add_argument('--data-root', help='toy corpus folder (default: data/bench_<size>)')
    parser.add_argument('--data', choices=['toy', 'config'], default='toy',
                        help="VPD: a generated toy corpus, or the config's own prepared data")
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision as tools/train.py --amp (bfloat16 on a CPU)')
    parser.add_argument('--out', help='result JSON (default: work_dirs/benchmarks/'
                        'train_throughput_<config>[_amp].json)')
    return parser.parse_args()


def set_crop_size(pipeline: list, size: int) -> None:
    for t in pipeline:
        if t['type'] in ('VPDRandomResizedCrop', 'VPDResize'):
            t['size'] = size


def timed(step, iters: int, warmup: int) -> float:
    """Seconds per call of ``step`` after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - start) / iters


def main() -> None:
    args = parse_args()
    if args.out:
        args.out = osp.abspath(args.out)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    loader_cfg = cfg.train_dataloader
    is_vpd = loader_cfg.dataset.type == 'VPDPoseTargetDataset'
    if is_vpd and args.data == 'config':
        ann_file = loader_cfg.dataset.ann_file
        if not osp.isfile(osp.join(ROOT, ann_file)):
            print(f'no prepared data: {ann_file} does not exist (for the demo\'s config: run '
                  '`make demo` first)')
            sys.exit(2)
        os.chdir(ROOT)  # the config's paths are relative to the repository
        args.size = next((t['size'] for t in loader_cfg.dataset.pipeline
                          if t['type'] in ('VPDRandomResizedCrop', 'VPDResize')), args.size)
    elif is_vpd:
        data_root = args.data_root or osp.join(ROOT, 'data', f'bench_{args.size}')
        corpus = make_toy_corpus(data_root, num_videos=12, num_frames=48, crop_size=args.size)
        loader_cfg.dataset.ann_file = corpus['ann_file']
        loader_cfg.dataset.data_prefix = dict(img=corpus['rawframes'])
        set_crop_size(loader_cfg.dataset.pipeline, args.size)
    if args.batch_size:
        loader_cfg.batch_size = args.batch_size
    if args.workers is not None:
        loader_cfg.num_workers = args.workers
        loader_cfg.persistent_workers = args.workers > 0
    if args.depth and is_vpd:
        cfg.model.backbone.depth = args.depth
    batch_size = loader_cfg.batch_size

    if args.amp:
        cfg.optim_wrapper.type = ('AmpOptimWrapper'
                                  if torch.cuda.is_available() else 'AutocastOptimWrapper')
    model = MODELS.build(cfg.model)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batches = iter(loader)
    fixed = next(batches)

    loader_s = timed(lambda: next(batches), args.iters, args.warmup)
    model_s = timed(lambda: model.train_step(fixed, optim_wrapper), args.iters, args.warmup)
    e2e_s = timed(lambda: model.train_step(next(batches), optim_wrapper), args.iters,
                  args.warmup)

    fps = {name: batch_size / s for name, s in
           (('model-only', model_s), ('loader-only', loader_s), ('end-to-end', e2e_s))}
    backbone = cfg.model.get('backbone', {})
    model_desc = (f'ResNet-{backbone.depth} (base width {backbone.get("base_channels", 64)}), '
                  f'{args.size}x{args.size}' if is_vpd else cfg.model.type)
    data = ('the config\'s data' if args.data == 'config' else 'toy corpus') if is_vpd else ''
    setting = (f'{model_desc}{", " + data if data else ""}, batch {batch_size}, '
               f'{loader_cfg.num_workers} loader workers, torch threads '
               f'{torch.get_num_threads()}, {"amp" if args.amp else "float32"}')
    print(f'config {osp.relpath(args.config, ROOT)}: {setting}')
    for name, value in fps.items():
        print(f'{name:>12}: {value:8.1f} samples/s')
    print(f'end-to-end / model-only: {fps["end-to-end"] / fps["model-only"]:.2f}')
    print(f'loader-only / model-only: {fps["loader-only"] / fps["model-only"]:.2f}')
    name = osp.splitext(osp.basename(args.config))[0] + ('_amp' if args.amp else '') + (
        '_data' if args.data == 'config' else '')
    out = args.out or osp.join(ROOT, 'work_dirs', 'benchmarks', f'train_throughput_{name}.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    dump_json_atomic(dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_description(), command='python ' + ' '.join(sys.argv),
        config=osp.relpath(args.config, ROOT), setting=setting,
        samples_per_second={k: round(v, 1) for k, v in fps.items()},
        ratios={'end-to-end / model-only': round(fps['end-to-end'] / fps['model-only'], 3),
                'loader-only / model-only': round(fps['loader-only'] / fps['model-only'], 3)}),
        out, indent=1)
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
