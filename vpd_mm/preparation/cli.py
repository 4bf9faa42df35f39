# Copyright (c) vpd_mm contributors. All rights reserved.
"""The command line of ``tools/data/prepare.py`` and ``tools/data/merge.py``: arguments merged
into a preparation config (``configs/preparation/*.py``), then :func:`prepare_dataset` or
:func:`merge_outputs`. See docs/data_preparation.md.
"""
import argparse
import inspect
import logging
import os
import os.path as osp
import sys
import time
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from vpd_mm.utils.launch import merge_cfg_options, require_configs
from vpd_mm.utils.paths import UnsafePathError
from .pipeline import (NothingPreparedError, SettingsMismatchError, UnfinishedVideosError,
                       check_config, check_shard, merge_outputs, prepare_dataset)
from .readers.base import ReaderError
from .video_preparer import PrepareOptionError

#: The keys of a preparation config that hold a stage (a TASK_UTILS config).
STAGE_KEYS = ('detector', 'tracker', 'athlete', 'teacher', 'segmenter', 'flow')


def stage_takes_device(stage_cfg: dict) -> bool:
    """Whether the stage class of ``stage_cfg`` has a ``device`` argument (``--device``).

    Args:
        stage_cfg (dict): A stage config (``type`` a registered name or a class).

    Returns:
        bool: True for the stages that run a model (detector, teacher, RAFT, ...), False for
        the others (the simulated ones, DIS flow, the tracker) and for unknown types.
    """
    from mmaction.registry import TASK_UTILS
    stage_type = stage_cfg.get('type')
    cls = TASK_UTILS.get(stage_type) if isinstance(stage_type, str) else stage_type
    return inspect.isclass(cls) and 'device' in inspect.signature(cls.__init__).parameters


def set_stage_device(cfg: Config, device: str) -> None:
    """Set ``device`` on every stage of a preparation config that takes one (``--device``).

    Args:
        cfg (Config): A preparation config (changed in place).
        device (str): E.g. ``'cuda:0'``.
    """
    for key in STAGE_KEYS:
        if cfg.get(key) is not None and stage_takes_device(cfg[key]):
            cfg[key]['device'] = device


#: the description of ``tools/data/merge.py --help``
MERGE_DESCRIPTION = ('Merge the finished videos of a (sharded) preparation run into the dataset '
                     'files (the same as tools/data/prepare.py CONFIG --merge-only)')


def parse_args(argv: Optional[List[str]] = None, merge_tool: bool = False) -> argparse.Namespace:
    """The command line of ``tools/data/prepare.py`` (``argv`` None: ``sys.argv[1:]``).

    Args:
        argv (list[str], optional): The arguments after the program name.
        merge_tool (bool): The command line of ``tools/data/merge.py`` instead: its own
            description and only the options of a merge (``merge_only`` is always True).
    """
    parser = argparse.ArgumentParser(
        description=MERGE_DESCRIPTION if merge_tool else 'Prepare a VPD distillation dataset')
    parser.add_argument('config', help='preparation config (configs/preparation/*.py)')
    if not merge_tool:
        parser.add_argument('--shard', type=int, default=0,
                            help='index of this shard (0-based; default: 0)')
        parser.add_argument('--num-shards', type=int, default=1,
                            help='number of shards (default: 1)')
        parser.add_argument('--merge-only', action='store_true',
                            help='only build the dataset files from the finished videos')
    parser.add_argument('--allow-missing', action='store_true',
                        help=('merge' if merge_tool else 'with --merge-only: merge') +
                        ' even if some videos are unfinished')
    if not merge_tool:
        parser.add_argument('--no-merge', action='store_true',
                            help='do not merge at the end, even when every video is finished')
        parser.add_argument('--device', help='device of the detector, the teacher and RAFT '
                            '(e.g. cuda:0); overrides the config')
    parser.add_argument('--out-dir', help='output root (overrides the config\'s out_dir)')
    parser.add_argument('--work-dir', help='per-video results, reports and logs '
                        '(default: <out_dir>/work)')
    if not merge_tool:
        parser.add_argument('--retry-skipped', action='store_true',
                            help='redo the videos an earlier run skipped')
        parser.add_argument('--overwrite', action='store_true',
                            help='discard every earlier output of this dataset first (only the '
                            'files the preparation writes: other files in --work-dir stay)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value pairs (e.g. fps=25 '
                        'detector.batch_size=16)')
    if merge_tool:
        parser.set_defaults(merge_only=True, shard=0, num_shards=1, device=None,
                            no_merge=False, retry_skipped=False, overwrite=False)
    return parser.parse_args(argv)


def load_config(args: argparse.Namespace) -> Config:
    """The config with the command line merged in (a warning for each option that overrides
    a variable other fields already used: :func:`config_variable_warnings`).

    Raises:
        PrepareOptionError: the config has no ``out_dir`` and none is given.
    """
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    if args.out_dir:
        cfg.out_dir = args.out_dir
    if args.work_dir:
        cfg.work_dir = args.work_dir
    if args.device:
        set_stage_device(cfg, args.device)
    if not cfg.get('out_dir'):
        raise PrepareOptionError(f'{args.config}: no out_dir (set it in the config or with '
                                 '--out-dir)')
    return cfg


#: Errors of the input (config, arguments, annotations, earlier outputs of other settings):
#: nothing was prepared; exit status 2.
INPUT_ERRORS = (PrepareOptionError, ReaderError, UnsafePathError, SettingsMismatchError,
                FileNotFoundError)


def _fail(error, status: int, logger: Optional[MMLogger] = None) -> int:
    """Print ``error: <message>`` on one line (stderr) and return ``status``; with ``logger``,
    also write ``<type>: <message>`` to the run's log file (not the console)."""
    message = ' '.join(str(error).split()) or type(error).__name__
    if logger is not None:
        text = f'{type(error).__name__}: {message}' if isinstance(error, Exception) else message
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, text, None, None)
        for handler in logger.handlers:
            if isinstance(handler, logging.FileHandler):
                handler.handle(record)
    print(f'error: {message}', file=sys.stderr)
    return status


def main(argv: Optional[List[str]] = None, merge_tool: bool = False) -> int:
    """Run ``tools/data/prepare.py`` (or, ``merge_tool``, ``tools/data/merge.py``).

    Every error below is one line, ``error: <message>`` on stderr (and in the run's log file,
    once it is open), without a traceback.

    Args:
        argv (list[str], optional): The arguments after the program name. Defaults to
            ``sys.argv[1:]``.
        merge_tool (bool): The command line of ``tools/data/merge.py``: only merge.

    Returns:
        int: Exit status: 0 done; 1 some video failed unexpectedly (retried by the next run),
        the merge found unfinished videos, or the outputs cannot be written (a read-only
        folder, a full disk: the message names the path); 2 the input is unusable and nothing
        was prepared: a config that is not a file, a bad option value (``fps=0``, ``--shard 5
        --num-shards 2``: the message names the key and the value; nothing is written), an
        ``--out-dir`` that is a file, unusable annotations or annotations that list no video, a
        missing annotation or label file, or an ``out_dir`` prepared with other settings; 3
        nothing to merge: every video was skipped (the message gives the reasons and where the
        skip records are).
    """
    args = parse_args(argv, merge_tool=merge_tool)
    require_configs(args.config)
    try:  # the arguments, before anything is written
        cfg = load_config(args)
        if not args.merge_only:
            check_shard(args.shard, args.num_shards)
            check_config(cfg)
    except PrepareOptionError as e:
        return _fail(e, 2)
    work_dir = cfg.get('work_dir', None) or osp.join(cfg.out_dir, 'work')
    for what, folder in (('out_dir', cfg.out_dir), ('work_dir', work_dir)):
        if osp.exists(folder) and not osp.isdir(folder):
            return _fail(f'{what} {folder} is a file, not a folder', 2)
    stamp = time.strftime('%Y%m%d_%H%M%S')
    logs = osp.join(work_dir, 'logs')
    try:
        os.makedirs(logs, exist_ok=True)
        log_file = osp.join(logs, f'{stamp}_shard{args.shard}of{args.num_shards}.log')
        # named after its file: a second run in the same second (in-process) logs to its own
        logger = MMLogger.get_instance(f'prepare:{log_file}', log_file=log_file, log_level='INFO')
    except OSError as e:
        return _fail(f'cannot write the log folder {logs} ({e.strerror or e})', 1)
    try:
        if args.merge_only:
            merge_outputs(cfg, allow_missing=args.allow_missing, progress=not args.no_progress)
            return 0
        report = prepare_dataset(
            cfg,
            shard=args.shard,
            num_shards=args.num_shards,
            retry_skipped=args.retry_skipped,
            overwrite=args.overwrite,
            merge=False if args.no_merge else None,
            progress=not args.no_progress)
    except INPUT_ERRORS as e:  # bad input: nothing was prepared
        return _fail(e, 2, logger)
    except NothingPreparedError as e:  # every video skipped: no empty dataset is written
        return _fail(e, 3, logger)
    except UnfinishedVideosError as e:
        return _fail(e, 1, logger)
    except OSError as e:  # the outputs cannot be written (the message names the path)
        return _fail(e, 1, logger)
    return 1 if report['errors'] else 0
