# Copyright (c) vpd_mm contributors. All rights reserved.
"""Train a model from a config with MMEngine's runner (VPD students, and any mmaction2 model).

    python tools/train.py configs/vpd/2dvpd_diving48.py [--work-dir DIR] [--resume [CKPT]]
        [--amp] [--cfg-options key=value ...] [--launcher pytorch]

A config path that does not exist: ``error: config not found: PATH``, exit status 2. A data file
that is missing or not in its format (annotations, frames, features): ``error: ...`` naming it,
exit status 1.
"""
import argparse
import logging
import os
import os.path as osp

from mmaction.registry import RUNNERS
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.runner import Runner

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.datasets import NumClassesError, check_num_classes, share_train_id_list
from vpd_mm.utils import (DATA_ERRORS, data_error_message, merge_cfg_options, require_configs,
                          set_work_dir, setup_launcher, sweep_temporaries, teardown_distributed)
from vpd_mm.utils.checkpoint import CheckpointLoadError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model (e.g. distil a VPD student)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or (no value) from the latest one in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed-precision training: float16 AmpOptimWrapper on a GPU, '
                        'bfloat16 AutocastOptimWrapper on a CPU')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual total batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic options for the CUDNN backend')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value pairs (e.g. '
        'train_cfg.max_iters=1000 "model.backbone.depth=18")')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    require_configs(args.config)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command line into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
        # 'best' checkpoints need validation
        if cfg.get('default_hooks', {}).get('checkpoint', {}).get('save_best'):
            cfg.default_hooks.checkpoint.save_best = None
    setup_launcher(cfg, args.launcher)
    set_work_dir(cfg, args.work_dir, args.config)

    if args.amp:
        import torch
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper', 'AutocastOptimWrapper'):
            raise ValueError(f'--amp does not support the optimizer wrapper {wrapper}')
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.pop('dtype', None)
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            cfg.optim_wrapper.type = 'AutocastOptimWrapper'
            cfg.optim_wrapper.pop('loss_scale', None)
            cfg.optim_wrapper.dtype = 'bfloat16'
            print_log('--amp on CPU: bfloat16 autocast (AutocastOptimWrapper)',
                      logger='current', level=logging.INFO)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: checkpoint {args.resume} does not exist')
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    randomness = dict(cfg.get('randomness') or {})
    randomness.setdefault('seed', None)  # Runner needs a 'seed' key
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness

    merge_cfg_options(cfg, args.cfg_options)
    share_train_id_list(cfg)  # a validation set carved from the training ids (few-shot)
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    # checkpoints are written as <name>.pth.tmp.<pid>, then renamed: a killed save leaves one
    sweep_temporaries(cfg.work_dir, bases=lambda name: name.endswith('.pth'))
    try:
        check_num_classes(cfg, args.config)  # before anything is built or trained
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        try:
            runner.train()
        finally:
            teardown_distributed()
    except (CheckpointLoadError, NumClassesError) as e:  # one line naming the files
        raise SystemExit(f'error: {e}') from None
    except DATA_ERRORS as e:  # a missing or malformed data file, named in one line
        raise SystemExit(data_error_message(e)) from None


if __name__ == '__main__':
    main()
