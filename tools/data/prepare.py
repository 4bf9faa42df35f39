# Copyright (c) vpd_mm contributors. All rights reserved.
"""Prepare a dataset: videos + official annotations -> crops, flow, teacher poses, actions.

    python tools/data/prepare.py configs/preparation/diving48.py
        [--shard I --num-shards N] [--merge-only [--allow-missing]] [--device cuda:0]
        [--out-dir DIR] [--work-dir DIR] [--retry-skipped] [--overwrite] [--no-merge]
        [--cfg-options key=value ...]

Resumable (rerun the same command), shardable (``--shard i --num-shards n`` per GPU or node;
the last shard to finish merges, or run ``--merge-only``). See docs/data_preparation.md.

Exit status: 0 when done, 1 when some video failed unexpectedly (retried by the next run), 2
when the annotations are unusable (e.g. a video name that is not a plain file name): nothing
is prepared, written or deleted then, and the one-line error names the file and the entry.
"""
import argparse
import logging
import os
import os.path as osp
import sys
import time

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger, print_log

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation import merge_outputs, prepare_dataset
from vpd_mm.preparation.readers.base import ReaderError
from vpd_mm.utils.paths import UnsafePathError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Prepare a VPD distillation dataset')
    parser.add_argument('config', help='preparation config (configs/preparation/*.py)')
    parser.add_argument('--shard', type=int, default=0, help='index of this shard (0-based)')
    parser.add_argument('--num-shards', type=int, default=1, help='number of shards')
    parser.add_argument('--merge-only', action='store_true',
                        help='only build the dataset files from the finished videos')
    parser.add_argument('--allow-missing', action='store_true',
                        help='with --merge-only: merge even if some videos are unfinished')
    parser.add_argument('--no-merge', action='store_true',
                        help='do not merge at the end, even when every video is finished')
    parser.add_argument('--device', help='device of the detector, the teacher and RAFT '
                        '(e.g. cuda:0); overrides the config')
    parser.add_argument('--out-dir', help='output root (overrides the config\'s out_dir)')
    parser.add_argument('--work-dir', help='per-video results, reports and logs '
                        '(default: <out_dir>/work)')
    parser.add_argument('--retry-skipped', action='store_true',
                        help='redo the videos an earlier run skipped')
    parser.add_argument('--overwrite', action='store_true',
                        help='discard every earlier output of this dataset first (only the '
                        'files the preparation writes: other files in --work-dir stay)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value pairs (e.g. fps=25 '
                        'detector.batch_size=16)')
    return parser.parse_args(argv)


def load_config(args: argparse.Namespace) -> Config:
    """The config with the command line merged in."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.out_dir:
        cfg.out_dir = args.out_dir
    if args.work_dir:
        cfg.work_dir = args.work_dir
    if args.device:
        for key in ('detector', 'teacher'):
            if cfg.get(key) is not None:
                cfg[key]['device'] = args.device
        if cfg.get('flow') is not None and 'device' in cfg.flow or (
                cfg.get('flow') or {}).get('type') == 'RAFTFlowEstimator':
            cfg.flow['device'] = args.device
    if not cfg.get('out_dir'):
        raise KeyError(f'{args.config}: no out_dir (set it in the config or with --out-dir)')
    return cfg


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args)
    work_dir = cfg.get('work_dir', None) or osp.join(cfg.out_dir, 'work')
    stamp = time.strftime('%Y%m%d_%H%M%S')
    os.makedirs(osp.join(work_dir, 'logs'), exist_ok=True)
    MMLogger.get_instance(
        f'prepare_{stamp}',
        log_file=osp.join(work_dir, 'logs', f'{stamp}_shard{args.shard}of{args.num_shards}.log'),
        log_level='INFO')
    try:
        if args.merge_only:
            merge_outputs(cfg, allow_missing=args.allow_missing)
            return 0
        report = prepare_dataset(
            cfg,
            shard=args.shard,
            num_shards=args.num_shards,
            retry_skipped=args.retry_skipped,
            overwrite=args.overwrite,
            merge=False if args.no_merge else None,
            progress=not args.no_progress)
    except (ReaderError, UnsafePathError) as e:  # bad annotations: nothing was prepared
        print_log(f'{type(e).__name__}: {e}', logger='current', level=logging.ERROR)
        return 2
    return 1 if report['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
