# Copyright (c) vpd_mm contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test evaluator; optionally write VPD features.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options ...]
        [--dump-features DIR [--dump-poses DIR] [--all-videos] [--fresh-dump]]
        [--result-json PATH]
        [--show-dir DIR] [--show] [--interval N] [--wait-time S] [--launcher pytorch]

For a VPD student the evaluator reports the regression error of the pose and motion targets on
the held-out videos (``vpd/pose_mse``, ``vpd/motion_mse``, ``vpd/total_mse``).
``--dump-features DIR`` also writes ``DIR/<video>.npy`` of shape [T, 2, d] (as is, horizontally
flipped) for every frame of the test videos; ``--all-videos`` runs over every video of the
annotation file instead of the held-out ones (features for the downstream tasks);
``--dump-poses DIR`` writes the student's decoded pose of those frames too ([T, 1, d], view 0);
both need a VPD student config (``configs/vpd/``) and are refused up front for another one.
A dump is resumable: each video's file is written once its last frame is predicted (one
process), and the same command run again with the same checkpoint (its bytes) and settings
skips the videos already written (``DIR/dump_log.txt``); the metrics then cover the videos
computed in that run. ``--fresh-dump`` computes every video again.

CHECKPOINT must be one of CONFIG's model: it is read weights-only and loaded strictly
(:func:`vpd_mm.evaluation.test_setup.load_test_checkpoint`); the checkpoint of another model
(keys missing or unexpected, a DTW-NN recognizer's gallery buffers included, or tensors of other
shapes) ends the run with one line naming the checkpoint, the config and a few of the keys,
instead of testing random weights. A config path that does not exist: ``error: config not
found: PATH``, exit status 2.

mmaction2's visualisation flags: ``--show-dir DIR`` writes a picture of every ``--interval``-th
test sample into DIR (the run logs how many it wrote, and where), ``--show`` shows it
(mmengine's visualizer, ``--wait-time`` seconds each).
A config with a ``visualization`` hook in ``default_hooks`` (mmaction2's ``VisualizationHook``
for video recognisers) gets that hook enabled, as mmaction2's tools/test.py does; a VPD student
(``VPDDistiller``) gets a ``StudentVisualizationHook`` (vpd_mm/engine/hooks/): the crop, its
flow, and the teacher's target pose under the student's decoded pose. The configs on features
(recognition, localisation, DTW retrieval) have no input picture: use tools/visualizations/ and
tools/analysis_tools/ for them.
"""
import argparse
import os
import os.path as osp
from typing import Dict, Optional

from mmaction.registry import RUNNERS
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.datasets import NoVideoLeftError, NumClassesError, check_num_classes
from vpd_mm.engine.hooks.student_visualization_hook import StudentVisualizationHook
from vpd_mm.evaluation.test_setup import (STUDENT_MODELS, UnsupportedTestOption, configure_test,
                                          finish_resumed_dumps, load_test_checkpoint, resume_dumps)
from vpd_mm.utils import (DATA_ERRORS, data_error_message, merge_cfg_options, require_configs,
                          set_work_dir, setup_launcher, teardown_distributed, write_result)
from vpd_mm.utils.checkpoint import CheckpointLoadError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and extract features of) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the evaluation logs go')
    parser.add_argument('--dump-features', metavar='DIR',
                        help='write per-video features [T, 2, d] to DIR/<video>.npy')
    parser.add_argument('--dump-poses', metavar='DIR',
                        help='with --dump-features: also write the pose the student decodes '
                        '(view 0), [T, 1, d], to DIR/<video>.npy')
    parser.add_argument('--fresh-dump', action='store_true',
                        help='compute every video again (default: skip the videos that an '
                        'interrupted dump of the same checkpoint and settings wrote)')
    parser.add_argument('--all-videos', action='store_true',
                        help='test (and extract) every video of the annotation file, not only '
                        'the held-out split')
    parser.add_argument('--amp', action='store_true',
                        help='mixed-precision inference (mmengine TestLoop fp16: float16 '
                        'autocast on a GPU, bfloat16 on a CPU)')
    parser.add_argument('--dump', metavar='PKL', help='also dump raw predictions to a pickle')
    parser.add_argument('--result-json', metavar='PATH',
                        help="write the metrics as a result file for tools/report.py (fields "
                        "from the config's result_info: task, dataset, features, method)")
    parser.add_argument('--show-dir', metavar='DIR',
                        help='write a picture of every --interval-th test sample to DIR')
    parser.add_argument('--show', action='store_true',
                        help='show the pictures (needs a GUI backend of matplotlib)')
    parser.add_argument('--interval', type=int, default=1,
                        help='draw every N-th test sample (default: 1)')
    parser.add_argument('--wait-time', type=float, default=2.0,
                        help='seconds each shown picture stays (default: 2)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, key=value pairs')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    require_configs(args.config)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def visualization_hook(cfg: Config, args: argparse.Namespace) -> Optional[dict]:
    """Apply ``--show-dir/--show/--interval/--wait-time``.

    Enables the config's ``default_hooks.visualization`` when it has one (mmaction2's
    convention); otherwise, for a VPD student, returns the config of a
    :class:`StudentVisualizationHook` to register.

    Returns:
        dict | None: The student hook's arguments, or None.

    Raises:
        SystemExit: The flags were given for a config without a picture to draw.
    """
    if not (args.show or args.show_dir):
        return None
    if args.interval < 1:
        raise SystemExit(f'--interval must be >= 1, got {args.interval}')
    options = dict(show=args.show, wait_time=args.wait_time, out_dir=args.show_dir,
                   interval=args.interval)
    hooks = cfg.get('default_hooks') or {}
    if hooks.get('visualization'):
        hooks['visualization'].update(enable=True, **options)
        return None
    if cfg.model.get('type') in STUDENT_MODELS:
        return options
    raise SystemExit(
        f'{args.config}: --show/--show-dir draw the test samples of a VPD student '
        f'({", ".join(STUDENT_MODELS)}) or of a config whose default_hooks has a '
        f"'visualization' hook; this one ({cfg.model.get('type')}) tests on features: see "
        'tools/visualizations/ and tools/analysis_tools/ for its pictures')


def _files(folder: Optional[str]) -> Dict[str, float]:
    """Modification times of the files under ``folder`` (empty if there is none)."""
    found = {}
    for root, _, names in os.walk(folder or ''):
        for name in names:
            path = osp.join(root, name)
            found[path] = osp.getmtime(path)
    return found


def log_pictures(show_dir: Optional[str], before: Dict[str, float]) -> int:
    """Log how many pictures the test wrote under ``show_dir`` (files new or rewritten since
    ``before``, :func:`_files`) and where.

    Returns:
        int: The number of pictures written.
    """
    if not show_dir:
        return 0
    written = sorted(p for p, t in _files(show_dir).items() if before.get(p) != t)
    where = osp.abspath(show_dir)
    example = f' (e.g. {osp.relpath(written[0], show_dir)})' if written else ''
    print_log(f'--show-dir: wrote {len(written)} pictures to {where}{example}', logger='current')
    return len(written)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the command line into the config."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    setup_launcher(cfg, args.launcher)
    set_work_dir(cfg, args.work_dir, args.config)
    configure_test(cfg, args.checkpoint, all_videos=args.all_videos,
                   dump_features=args.dump_features, dump_poses=args.dump_poses, dump=args.dump,
                   amp=args.amp)
    merge_cfg_options(cfg, args.cfg_options)
    if args.dump_features and not args.fresh_dump:
        resumed = resume_dumps(cfg, args.checkpoint)
        if resumed:
            print_log(f'--dump-features: resuming: {len(resumed)} videos were written by an '
                      'earlier run of this checkpoint and settings (--fresh-dump computes them '
                      'again)', logger='current')
    return cfg


def main() -> None:
    args = parse_args()
    try:
        cfg = merge_args(Config.fromfile(args.config), args)
    except (FileNotFoundError, UnsupportedTestOption) as e:  # one line naming the file
        raise SystemExit(f'error: {e}') from None
    student_vis = visualization_hook(cfg, args)
    try:
        check_num_classes(cfg, args.config)
    except NumClassesError as e:
        raise SystemExit(f'error: {e}') from None
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if student_vis is not None:
        runner.register_hook(StudentVisualizationHook(**student_vis))
    try:
        try:  # weights-only (vpd_mm.compat) and strict: the checkpoint of this config
            load_test_checkpoint(runner, args.checkpoint, args.config)
        except CheckpointLoadError as e:  # refused, damaged, another model's: one line
            raise SystemExit(f'error: {e}') from None
        pictures = _files(args.show_dir)
        try:
            metrics = runner.test()
        except NoVideoLeftError:  # a resumed dump with every video written
            num = finish_resumed_dumps(cfg) if is_main_process() else 0
            print_log(f'--dump-features: all {num} videos were written already, by an earlier '
                      'run of this checkpoint and settings; nothing to compute (--fresh-dump '
                      'computes them again)', logger='current')
            return
        except DATA_ERRORS as e:  # a missing or malformed data file, named in one line
            raise SystemExit(data_error_message(e)) from None
        log_pictures(args.show_dir, pictures)
        if args.result_json and is_main_process():
            info = dict(task='recognition', dataset='unknown', features='unknown',
                        method=cfg.model.type)
            info.update(cfg.get('result_info') or {})
            write_result(args.result_json, metrics=metrics, config=args.config,
                         checkpoint=args.checkpoint, **info)
    finally:
        teardown_distributed()


if __name__ == '__main__':
    main()
