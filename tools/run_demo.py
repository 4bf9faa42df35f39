# Copyright (c) vpd_mm contributors. All rights reserved.
"""The main job on its embedded default data: generate a small corpus, distil a student, test it.

    python tools/run_demo.py [--data-root data/toy] [--work-dir work_dirs/demo] [--iters 300]

1. writes a toy corpus (stick-figure athletes with a noisy simulated teacher) in the layout of
   docs/data_layout.md (reused if already there);
2. distils the tiny 2D-VPD student of configs/vpd/2dvpd_tiny_cpu.py with tools/train.py
   (resumes where a previous run stopped);
3. evaluates the best checkpoint (by validation loss) on the held-out videos with tools/test.py
   and writes the per-video features [T, 2, d] of every video;
4. prints the training and validation losses and where the checkpoint and features went.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(ROOT, 'configs', 'vpd', '2dvpd_tiny_cpu.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/toy', help='where the corpus goes')
    parser.add_argument('--work-dir', default='work_dirs/demo_2dvpd_tiny',
                        help='where checkpoints, logs and features go')
    parser.add_argument('--iters', type=int, default=300, help='distillation steps')
    parser.add_argument('--videos', type=int, default=16, help='videos in the corpus')
    parser.add_argument('--frames', type=int, default=48, help='frames per video')
    return parser.parse_args()


def run(cmd: list) -> None:
    print('\n$ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def read_scalars(work_dir: str, pattern: str = osp.join('*', 'vis_data', 'scalars.json')) -> list:
    """The records of the runs' scalar logs in ``work_dir`` (one JSON object a line)."""
    records = []
    for path in sorted(glob.glob(osp.join(work_dir, pattern))):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def main() -> None:
    args = parse_args()
    start = time.time()
    sys.path.insert(0, ROOT)
    from vpd_mm.datasets.synthetic import make_toy_corpus

    data_root = osp.join(ROOT, args.data_root)
    work_dir = osp.join(ROOT, args.work_dir)
    print(f'[1/3] toy corpus in {data_root}', flush=True)
    corpus = make_toy_corpus(data_root, num_videos=args.videos, num_frames=args.frames,
                             crop_size=64)
    paths = [f'train_dataloader.dataset.ann_file={corpus["ann_file"]}',
             f'val_dataloader.dataset.ann_file={corpus["ann_file"]}',
             f'test_dataloader.dataset.ann_file={corpus["ann_file"]}',
             f'train_dataloader.dataset.data_prefix.img={corpus["rawframes"]}',
             f'val_dataloader.dataset.data_prefix.img={corpus["rawframes"]}',
             f'test_dataloader.dataset.data_prefix.img={corpus["rawframes"]}']

    print(f'[2/3] distilling the tiny student for {args.iters} steps', flush=True)
    run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--resume',
         '--cfg-options', f'train_cfg.max_iters={args.iters}'] + paths)
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
    if not best:
        raise SystemExit(f'no best checkpoint in {work_dir}: did validation run?')
    checkpoint = best[-1]

    print('[3/3] testing the best checkpoint on the held-out videos, then writing the features '
          'of every video', flush=True)
    test_dir = osp.join(work_dir, 'test')
    run([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir', test_dir,
         '--cfg-options'] + paths)
    feat_dir = osp.join(work_dir, 'features')
    run([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
         osp.join(work_dir, 'features_log'), '--dump-features', feat_dir, '--all-videos',
         '--cfg-options'] + paths)

    records = read_scalars(work_dir)
    train, val = [], []
    for r in records:  # validation records carry no step of their own: take the last train step
        if 'vpd/total_mse' in r:
            val.append(dict(r, step=train[-1]['step'] if train else 0))
        elif 'loss' in r:
            train.append(r)
    test = read_scalars(test_dir, osp.join('*', '*.json'))  # test runs log there
    print('\n==================== VPD demo summary ====================')
    if train:
        print(f'training loss (pose + motion): step {train[0]["step"]}: {train[0]["loss"]:.4f}'
              f' -> step {train[-1]["step"]}: {train[-1]["loss"]:.4f}')
    for r in val:
        print(f'validation at step {r["step"]}: loss {r["vpd/total_mse"]:.4f} '
              f'(pose {r["vpd/pose_mse"]:.4f}, motion {r.get("vpd/motion_mse", float("nan")):.4f})')
    if test:
        r = test[-1]
        print(f'test (held-out videos, best checkpoint): loss {r["vpd/total_mse"]:.4f}, '
              f'pose_mse {r["vpd/pose_mse"]:.4f}, motion_mse {r["vpd/motion_mse"]:.4f}')
    files = sorted(glob.glob(osp.join(feat_dir, '*.npy')))
    shape = np.load(files[0]).shape if files else None
    print(f'best checkpoint: {osp.relpath(checkpoint, ROOT)}')
    print(f'features: {len(files)} videos in {osp.relpath(feat_dir, ROOT)}/ '
          f'(e.g. {osp.basename(files[0]) if files else "-"}: [T, views, d] = {shape})')
    print(f'done in {time.time() - start:.0f} s')


if __name__ == '__main__':
    os.environ.setdefault('PYTHONWARNINGS', 'ignore')
    main()
