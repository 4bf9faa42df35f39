# Copyright (c) vpd_mm contributors. All rights reserved.
"""The data-preparation driver: a reader's videos -> the layout of ``docs/data_layout.md``.

``prepare_dataset(cfg)`` (what ``tools/data/prepare.py`` runs) builds the reader and the stages
from the config, prepares every video of its shard with :class:`VideoPreparer` and, once every
video of the dataset is finished, merges the per-video results (:func:`merge_outputs`).

Files under ``out_dir`` (see ``docs/data_preparation.md``)::

    rawframes/<video>/{img,flow_x,flow_y}_%05d.jpg   # renamed from rawframes/.tmp_<video>
    work/settings.json                               # what the outputs depend on
    work/pose/<video>.pkl                            # a finished video (written last)
    work/skipped/<video>.json                        # a skipped video: reason and message
    work/reports/shard_<i>_of_<n>.json               # what each run did, stage timings
    annotations/<dataset>_pose.pkl                   # merged: split dict + annotations
    annotations/<dataset>_actions.json               # merged: action annotations
    annotations/<dataset>_prepare_report.json        # merged: every skipped video and why

**Resume.** A video is finished when ``work/pose/<video>.pkl`` exists (written atomically after
its frame folder was renamed into place) or ``work/skipped/<video>.json`` does. A rerun skips
finished videos and redoes the others from scratch, removing what an interrupted run left
(``.tmp_`` folders, a frame folder without its pkl), so ``kill -9`` loses at most the video in
flight. Skipped videos are not retried unless ``retry_skipped``.

**Shards.** Videos sorted by name; video ``k`` belongs to shard ``k % num_shards``. Shards share
nothing but the file system; the last one to finish (or ``--merge-only``) merges.

**Temporaries.** Every file is written as ``<path>.tmp.<pid>`` and renamed
(:mod:`vpd_mm.utils.io`). Like the ``.tmp_`` folders, the temporaries of a video are removed
when its shard starts to redo it (that shard is their only writer); the others (settings,
shard reports, merged files) by the next run once their process is gone and they are a minute
old (:func:`vpd_mm.utils.io.sweep_temporaries`; the minute spares shards on other machines).

**Nothing to prepare.** Annotations that list no video stop the run with a
:class:`~vpd_mm.preparation.readers.base.ReaderError` naming the files (:func:`read_index`), and a
merge that finds no prepared video (every video skipped) raises :class:`NothingPreparedError`
with the reasons instead of writing an empty dataset; ``tools/data/prepare.py`` exits non-zero
with that one line.

**Bad options.** Option values that would make every video fail (``fps=0``, ``crop_size=0``,
a ``crop_size`` the flow estimator refuses, a shard outside ``num_shards``; :func:`check_config`,
:func:`check_shard`) and settings other than those of an earlier run in the same ``out_dir``
(:class:`SettingsMismatchError`) stop the run with one line naming the key and the value before
anything is written, so ``work/settings.json`` only ever records settings that ran.

**Hostile names.** Video names come from annotation files; every path of a video goes through
:func:`vpd_mm.utils.paths.join_under`, and the readers refuse unsafe names before anything is
written, so no name makes the pipeline write or delete outside ``out_dir`` / ``work_dir``.
``overwrite`` removes only the files of this layout (:func:`clear_outputs`), never a whole
folder that may hold someone else's files.
"""
import json
import os
import os.path as osp
import re
import time
import traceback
from typing import Callable, List, Optional, Tuple

import numpy as np
from mmaction.registry import TASK_UTILS
from mmengine.config import Config
from mmengine.logging import print_log
from tqdm import tqdm

from vpd_mm.datasets.features import dump_action_annotations, load_action_annotations
from vpd_mm.datasets.pose_annotations import dump_pose_annotations
from vpd_mm.utils.io import (dump_json_atomic, dump_pickle_atomic, load_json, parse_temporary_name,
                             sweep_temporaries)
from vpd_mm.utils.paths import check_path_component, join_under, remove_under
from vpd_mm.utils.safe_pickle import safe_pickle_load
from .readers.base import ReaderError, VideoIndex, build_action_annotations
from .stages.flow import BaseFlowEstimator
from .video_preparer import (SKIP_REASONS, PrepareOptionError, SkipVideo, StageTimer, VideoPreparer,
                             check_options)

#: Config keys whose values change the outputs (recorded in ``work/settings.json``).
SETTING_KEYS = ('dataset_name', 'fps', 'sampling', 'crop_size', 'crop_pad', 'video_backend',
                'allow_truncated', 'conf_thr', 'flow_bound', 'jpeg_quality', 'detector', 'tracker',
                'athlete', 'teacher', 'flow', 'segmenter')
#: Keys recorded only when set (outputs prepared before they existed stay resumable).
_OPTIONAL_KEYS = ('sampling', 'segmenter')
#: The options of :class:`VideoPreparer` a config sets (checked by :func:`check_config`).
OPTION_KEYS = ('fps', 'sampling', 'crop_size', 'crop_pad', 'chunk_size', 'video_backend',
               'allow_truncated', 'conf_thr', 'flow_bound', 'jpeg_quality')
#: The stages a preparation config must have.
STAGE_KEYS = ('detector', 'tracker', 'athlete', 'teacher')
#: Keys that do not change the outputs (dropped from the settings).
_RUNTIME_KEYS = ('device', 'batch_size', 'num_threads')

_DEFAULTS = dict(
    fps=None,
    sampling=None,
    segmenter=None,
    crop_size=128,
    crop_pad=0.1,
    chunk_size=64,
    video_backend='decord',
    allow_truncated=False,
    conf_thr=0.5,
    flow_bound=20.0,
    jpeg_quality=90,
    flow=dict(type='DISFlowEstimator', preset='medium'))


class NothingPreparedError(RuntimeError):
    """A merge that finds no prepared video: every video was skipped (the message says why)."""


class UnfinishedVideosError(RuntimeError):
    """A merge while videos of the dataset are unfinished (and not ``allow_missing``)."""


class SettingsMismatchError(ValueError):
    """``out_dir`` holds outputs of other settings (or of unreadable ones): the message names the
    settings file and the differing keys."""


def check_shard(shard: int, num_shards: int) -> None:
    """Refuse a shard index outside ``[0, num_shards)`` (or counts that are not integers).

    Raises:
        PrepareOptionError: naming both values.
    """
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in (shard, num_shards))
    if not (ints and num_shards >= 1 and 0 <= shard < num_shards):
        raise PrepareOptionError(f'shard={shard!r}, num_shards={num_shards!r}: need integers '
                                 '0 <= shard < num_shards (--shard I --num-shards N)')


def check_config(cfg: Config) -> None:
    """Refuse a preparation config that cannot prepare a video, before anything is written.

    Checked: ``out_dir`` is set, the stages of :data:`STAGE_KEYS` are present, and the option
    values (:data:`OPTION_KEYS`, defaults filled in) pass
    :func:`~vpd_mm.preparation.video_preparer.check_options`. Stages are not built here
    (:func:`build_preparer` does; :meth:`VideoPreparer.check_flow` checks ``crop_size`` with the
    flow estimator).

    Raises:
        PrepareOptionError: ``'<key>=<value>: <what it must be>'``, or the missing keys.
    """
    if not cfg.get('out_dir'):
        raise PrepareOptionError('out_dir is not set (set it in the config or with --out-dir)')
    missing = [k for k in STAGE_KEYS if not cfg.get(k)]
    if missing:
        raise PrepareOptionError(f'the config has no {missing} (see '
                                 'configs/_base_/preparation/)')
    check_options(**{k: cfg.get(k, _DEFAULTS.get(k)) for k in OPTION_KEYS})


def read_index(cfg: Config) -> VideoIndex:
    """Build the config's reader and read its videos.

    Raises:
        ReaderError: The annotations list no video (the message names the reader's files, or
            its video folder when it reads no annotation file).
    """
    reader = TASK_UTILS.build(cfg.reader)
    index: VideoIndex = reader.read()
    if not index.videos:
        files = reader.annotation_files() if hasattr(reader, 'annotation_files') else []
        if files:
            raise ReaderError(f'{", ".join(files)}: no video to prepare (the annotations of '
                              f'dataset {index.dataset!r} list none)')
        where = getattr(reader, 'video_dir', None) or getattr(reader, 'data_root', cfg.reader)
        raise ReaderError(f'{where}: no video to prepare (dataset {index.dataset!r})')
    return index


class PrepareLayout:
    """The paths of a preparation output folder.

    Every path of a video is :func:`vpd_mm.utils.paths.join_under` its folder: a name that is
    not one plain file name raises :class:`vpd_mm.utils.paths.UnsafePathError`.

    Args:
        out_dir (str): Root (``data_root`` of the training configs).
        dataset (str): Dataset name (a plain file name).
        work_dir (str, optional): Folder of the per-video results, skip records, reports and
            logs. Defaults to ``<out_dir>/work``.
    """

    def __init__(self, out_dir: str, dataset: str, work_dir: Optional[str] = None) -> None:
        check_path_component(dataset, 'dataset name')
        self.out_dir, self.dataset = out_dir, dataset
        self.rawframes = osp.join(out_dir, 'rawframes')
        self.work = work_dir or osp.join(out_dir, 'work')
        self.annotations = osp.join(out_dir, 'annotations')
        self.settings = osp.join(self.work, 'settings.json')
        self.pose_dir = osp.join(self.work, 'pose')
        self.skipped_dir = osp.join(self.work, 'skipped')
        self.reports_dir = osp.join(self.work, 'reports')
        self.pose_pkl = osp.join(self.annotations, f'{dataset}_pose.pkl')
        self.actions_json = osp.join(self.annotations, f'{dataset}_actions.json')
        self.report_json = osp.join(self.annotations, f'{dataset}_prepare_report.json')

    def frames(self, video: str) -> str:
        return join_under(self.rawframes, video, what='video name')

    def tmp_frames(self, video: str) -> str:
        return join_under(self.rawframes, video, what='video name', prefix='.tmp_')

    def done(self, video: str) -> str:
        return join_under(self.pose_dir, video, what='video name', suffix='.pkl')

    def skipped(self, video: str) -> str:
        return join_under(self.skipped_dir, video, what='video name', suffix='.json')

    def shard_report(self, shard: int, num_shards: int) -> str:
        return osp.join(self.reports_dir, f'shard_{int(shard)}_of_{int(num_shards)}.json')

    def makedirs(self) -> None:
        for d in (self.rawframes, self.annotations, self.pose_dir, self.skipped_dir,
                  self.reports_dir):
            os.makedirs(d, exist_ok=True)

    def own_files(self) -> List[Tuple[str, Callable[[str], bool]]]:
        """``(folder, is_ours)`` of the files this layout writes outside ``rawframes``:
        ``is_ours(file name)`` tells a final name of the layout (not a temporary) from any
        other file in the folder."""
        merged = {osp.basename(p) for p in (self.pose_pkl, self.actions_json, self.report_json)}
        return [
            (self.annotations, merged.__contains__),
            (self.work, lambda n: n == 'settings.json'),
            (self.pose_dir, lambda n: n.endswith('.pkl') and not n.startswith('.')),
            (self.skipped_dir, lambda n: n.endswith('.json') and not n.startswith('.')),
            (self.reports_dir, lambda n: _SHARD_REPORT.match(n) is not None),
        ]


#: The name of a shard report (``PrepareLayout.shard_report``).
_SHARD_REPORT = re.compile(r'^shard_\d+_of_\d+\.json$')


def _own_files(folder: str, is_ours: Callable[[str], bool]) -> List[str]:
    """The files of ``folder`` that ``is_ours`` names, and their temporaries."""
    if not osp.isdir(folder):
        return []
    out = []
    for name in sorted(os.listdir(folder)):
        tmp = parse_temporary_name(name)
        final = tmp[0] if tmp else name
        path = osp.join(folder, name)
        if is_ours(final) and (osp.isfile(path) or osp.islink(path)):
            out.append(path)
    return out


def sweep_dead_temporaries(layout: PrepareLayout) -> List[str]:
    """Remove the temporaries that killed runs left in the layout's folders (only names of
    the layout's files, only once their process is gone: :func:`sweep_temporaries`)."""
    removed = []
    for folder, is_ours in layout.own_files():
        removed += sweep_temporaries(folder, is_ours)
    if removed:
        print_log(f'removed {len(removed)} temporary files of killed runs, e.g. {removed[0]}',
                  logger='current')
    return removed


def _strip_runtime(obj):
    """A JSON-able copy of ``obj`` without the keys that do not change outputs."""
    if isinstance(obj, dict):
        return {str(k): _strip_runtime(v) for k, v in obj.items() if k not in _RUNTIME_KEYS}
    if isinstance(obj, (list, tuple)):
        return [_strip_runtime(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return repr(obj)


def output_settings(cfg: Config) -> dict:
    """The part of the config the outputs depend on (no devices, batch sizes)."""
    settings = {k: _strip_runtime(cfg.get(k, _DEFAULTS.get(k))) for k in SETTING_KEYS}
    for key in _OPTIONAL_KEYS:
        if settings[key] is None:
            del settings[key]
    return settings


def shard_videos(videos: List[dict], shard: int, num_shards: int) -> List[dict]:
    """Videos of one shard: sorted by name, every ``num_shards``-th starting at ``shard``.

    Raises:
        PrepareOptionError: a shard outside ``[0, num_shards)`` (:func:`check_shard`).
    """
    check_shard(shard, num_shards)
    ordered = sorted(videos, key=lambda v: v['video'])
    return ordered[shard::num_shards]


def _status(layout: PrepareLayout, video: str) -> Optional[str]:
    if osp.isfile(layout.done(video)):
        return 'done'
    if osp.isfile(layout.skipped(video)):
        return 'skipped'
    return None


def _check_settings(layout: PrepareLayout, settings: dict) -> None:
    """Check that the settings match those of an earlier run, if any (reads only).

    Raises:
        SettingsMismatchError: other or unreadable settings in ``layout.settings``.
    """
    if not osp.isfile(layout.settings):
        return
    try:
        old = load_json(layout.settings, 'settings file')
    except ValueError as e:
        raise SettingsMismatchError(
            f'{e}; the settings of the earlier outputs in {layout.out_dir} are unknown. Use '
            'another out_dir, or pass --overwrite to discard the earlier outputs.') from None
    new = json.loads(json.dumps(settings))
    if old != new:
        keys = set(old) | set(new) if isinstance(old, dict) else set(new)
        diff = sorted(k for k in keys if not isinstance(old, dict) or old.get(k) != new.get(k))
        raise SettingsMismatchError(
            f'{layout.out_dir} was prepared with other settings ({layout.settings}; '
            f'differing keys: {diff}). Use another out_dir, or pass --overwrite to '
            'discard the earlier outputs.')


def _record_settings(layout: PrepareLayout, settings: dict) -> None:
    """Write ``layout.settings``, or check it again if another shard wrote it meanwhile."""
    if osp.isfile(layout.settings):
        _check_settings(layout, settings)
    else:
        dump_json_atomic(settings, layout.settings, indent=1, sort_keys=True)


def clear_outputs(layout: PrepareLayout, videos: List[str]) -> List[str]:
    """Remove what preparation runs wrote for this dataset, and nothing else (``--overwrite``).

    Removed: ``rawframes/<video>`` and ``rawframes/.tmp_<video>`` of ``videos``, the three
    merged files in ``annotations/``, and in the work folder ``settings.json``,
    ``pose/*.pkl``, ``skipped/*.json`` and ``reports/shard_<i>_of_<n>.json`` (also of videos no
    longer listed, so none is mistaken for finished later), each with its temporaries, and then
    those sub-folders if they are empty. Kept: ``logs/`` and every other file, so a work folder
    shared with other jobs loses nothing of theirs.

    Args:
        layout (PrepareLayout): The layout.
        videos (list[str]): The dataset's video names.

    Returns:
        list[str]: The removed paths.
    """
    removed = []
    for v in videos:
        for d in (layout.frames(v), layout.tmp_frames(v)):
            if remove_under(d, layout.rawframes):
                removed.append(d)
    for folder, is_ours in layout.own_files():
        for path in _own_files(folder, is_ours):
            remove_under(path, folder)
            removed.append(path)
    for d in (layout.pose_dir, layout.skipped_dir, layout.reports_dir):
        if osp.isdir(d) and not os.listdir(d):
            os.rmdir(d)
    print_log(f'--overwrite: removed {len(removed)} earlier outputs of {layout.dataset}',
              logger='current')
    return removed


def build_preparer(cfg: Config, timer: Optional[StageTimer] = None) -> VideoPreparer:
    """The stages of the config (``detector``, ``tracker``, ``athlete``, ``teacher``, ``flow``,
    optionally ``segmenter``) built from ``TASK_UTILS`` and wrapped in a :class:`VideoPreparer`.

    A missing or None ``flow`` is the default ``dict(type='DISFlowEstimator', preset='medium')``;
    an already built :class:`~vpd_mm.preparation.stages.flow.BaseFlowEstimator` is used as is.

    Raises:
        KeyError: a stage is missing.
        PrepareOptionError: an option value that would make every video fail
            (:func:`~vpd_mm.preparation.video_preparer.check_options`).
    """
    missing = [k for k in STAGE_KEYS if not cfg.get(k)]
    if missing:
        raise KeyError(f'the config has no {missing} (see configs/_base_/preparation/)')

    def get(key):
        return cfg.get(key, _DEFAULTS.get(key))

    flow = get('flow') or _DEFAULTS['flow']

    return VideoPreparer(
        detector=TASK_UTILS.build(cfg.detector),
        tracker=TASK_UTILS.build(cfg.tracker),
        athlete=TASK_UTILS.build(cfg.athlete),
        teacher=TASK_UTILS.build(cfg.teacher),
        flow=flow if isinstance(flow, BaseFlowEstimator) else TASK_UTILS.build(flow),
        segmenter=TASK_UTILS.build(cfg.segmenter) if cfg.get('segmenter') else None,
        fps=get('fps'),
        sampling=get('sampling'),
        crop_size=get('crop_size'),
        crop_pad=get('crop_pad'),
        chunk_size=get('chunk_size'),
        video_backend=get('video_backend'),
        allow_truncated=get('allow_truncated'),
        conf_thr=get('conf_thr'),
        flow_bound=get('flow_bound'),
        jpeg_quality=get('jpeg_quality'),
        timer=timer)


def _prepare_one(preparer: VideoPreparer, layout: PrepareLayout, record: dict) -> dict:
    """Prepare one video atomically; returns the done record or raises SkipVideo."""
    name = record['video']
    tmp, final = layout.tmp_frames(name), layout.frames(name)
    for d in (tmp, final):  # left over by an interrupted run
        remove_under(d, layout.rawframes)
    os.makedirs(tmp)
    try:
        result = preparer(record, tmp)
    except BaseException:
        remove_under(tmp, layout.rawframes)
        raise
    os.rename(tmp, final)
    result['video'] = name
    try:
        dump_pickle_atomic(result, layout.done(name))
    except BaseException:  # no frame folder without its pkl
        remove_under(final, layout.rawframes)
        raise
    return result  # the video is finished from here on


def _failure(rec: dict, message: str) -> dict:
    """The report entry of a video that failed unexpectedly (retried by the next run)."""
    print_log(f'{rec["video"]}: {message}', logger='current', level=40)
    return dict(
        video=rec['video'],
        path=rec.get('path'),
        reason='error',
        message=message,
        traceback=traceback.format_exc(limit=8))


def prepare_dataset(cfg: Config,
                    shard: int = 0,
                    num_shards: int = 1,
                    retry_skipped: bool = False,
                    overwrite: bool = False,
                    merge: Optional[bool] = None,
                    progress: bool = True) -> dict:
    """Prepare (this shard of) a dataset; see the module docstring.

    Args:
        cfg (Config): The preparation config (``configs/preparation/*.py``): ``reader``,
            ``out_dir``, ``detector``, ``tracker``, ``athlete``, ``teacher``, ``flow`` and the
            options of :class:`VideoPreparer` (``fps``, ``crop_size``, ...).
        shard (int): This shard's index. Defaults to 0.
        num_shards (int): Number of shards. Defaults to 1.
        retry_skipped (bool): Redo videos an earlier run skipped. Defaults to False.
        overwrite (bool): Discard every earlier output of the dataset first
            (:func:`clear_outputs`: the layout's files only). Defaults to False.
        merge (bool, optional): Merge at the end: True always (fails if videos are
            unfinished), False never, None when every video is finished. Defaults to None.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: The shard report (also written to ``work/reports/``), with ``merged`` (the
        merge's summary or None).

    Raises:
        PrepareOptionError: a bad shard or option value (:func:`check_shard`,
            :func:`check_config`, :meth:`VideoPreparer.check_flow`); nothing is written.
        ReaderError: unusable annotations, or none (:func:`read_index`); nothing is written.
        SettingsMismatchError: ``out_dir`` was prepared with other settings (without
            ``overwrite``); nothing is written.
        NothingPreparedError, UnfinishedVideosError: from the merge (:func:`merge_outputs`).
    """
    check_shard(shard, num_shards)  # nothing is written before these checks
    check_config(cfg)
    index = read_index(cfg)
    dataset = cfg.get('dataset_name', None) or index.dataset
    layout = PrepareLayout(cfg.out_dir, dataset, cfg.get('work_dir', None))
    for rec in index.videos:  # every path of every video, before anything is written
        for path_of in (layout.frames, layout.tmp_frames, layout.done, layout.skipped):
            path_of(rec['video'])
    settings = output_settings(cfg)
    settings['dataset_name'] = dataset
    if not overwrite:
        _check_settings(layout, settings)

    mine = shard_videos(index.videos, shard, num_shards)
    todo, retry = [], []
    for rec in mine:
        status = None if overwrite else _status(layout, rec['video'])
        if status == 'skipped' and retry_skipped:
            retry.append(rec)
            status = None
        if status is None:
            todo.append(rec)
    timer = StageTimer()
    preparer = None
    if todo:  # the stages are built (and the flow tried) before anything is written
        preparer = build_preparer(cfg, timer)
        preparer.check_flow()

    if overwrite:
        clear_outputs(layout, [v['video'] for v in index.videos])
    layout.makedirs()
    sweep_dead_temporaries(layout)
    _record_settings(layout, settings)
    for rec in retry:
        os.remove(layout.skipped(rec['video']))
    # temporaries of the videos to redo: like their .tmp_ folders, this shard's alone
    for folder, path_of in ((layout.pose_dir, layout.done), (layout.skipped_dir, layout.skipped)):
        sweep_temporaries(folder, {osp.basename(path_of(r['video'])) for r in todo},
                          dead=lambda path, pid: True)
    print_log(
        f'{dataset}: {len(index.videos)} videos, {len(mine)} in shard {shard}/{num_shards}, '
        f'{len(mine) - len(todo)} already finished, {len(todo)} to prepare -> {layout.out_dir}',
        logger='current')

    processed, skipped, errors = [], [], []
    t_start = time.perf_counter()
    frames_done = 0
    if todo:
        bar = tqdm(todo, desc=f'prepare {dataset}', unit='video', disable=not progress)
        for rec in bar:
            name = rec['video']
            try:
                result = _prepare_one(preparer, layout, rec)
            except SkipVideo as e:
                entry = dict(video=name, path=rec.get('path'), reason=e.reason, message=e.message)
                try:  # an error here must not stop the other videos
                    dump_json_atomic(entry, layout.skipped(name), indent=1)
                except Exception as w:
                    message = (f'{e.reason}: {e.message}; the skip record '
                               f'{layout.skipped(name)} could not be written '
                               f'({type(w).__name__}: {w})')
                    errors.append(_failure(rec, message))
                else:
                    skipped.append(entry)
            except Exception as e:  # an unexpected failure: reported, retried by the next run
                errors.append(_failure(rec, f'{type(e).__name__}: {e}'))
            else:
                processed.append(name)
                frames_done += result['info']['num_frames']
            elapsed = time.perf_counter() - t_start
            fps = timer.fps()
            bar.set_postfix_str(', '.join(
                [f'{frames_done / max(elapsed, 1e-9):.1f} frames/s'] +
                [f'{k} {v:.0f}/s' for k, v in fps.items() if np.isfinite(v)]))
        bar.close()
    elapsed = time.perf_counter() - t_start
    report = dict(
        dataset=dataset,
        shard=shard,
        num_shards=num_shards,
        videos_in_shard=len(mine),
        already_finished=len(mine) - len(todo),
        processed=processed,
        skipped=skipped,
        errors=errors,
        seconds=round(elapsed, 3),
        videos_per_s=round(len(todo) / elapsed, 4) if elapsed > 0 and todo else None,
        frames=frames_done,
        frames_per_s=round(frames_done / elapsed, 2) if elapsed > 0 and todo else None,
        stages=timer.summary())
    dump_json_atomic(report, layout.shard_report(shard, num_shards), indent=1)
    print_log(
        f'{dataset} shard {shard}/{num_shards}: {len(processed)} prepared, {len(skipped)} '
        f'skipped, {len(errors)} failed in {elapsed:.1f} s ({frames_done} frames); stages: ' +
        ', '.join(f'{k} {v["frames_per_s"]} frames/s' for k, v in report['stages'].items()),
        logger='current')

    finished = all(_status(layout, v['video']) for v in index.videos)
    report['merged'] = None
    if merge or (merge is None and finished):
        report['merged'] = merge_outputs(cfg, index=index, progress=progress)
    elif not finished:
        print_log(
            f'{dataset}: not every video is finished yet; run with --merge-only once all '
            'shards are done', logger='current')
    return report


def merge_outputs(cfg: Config, index: Optional[VideoIndex] = None,
                  allow_missing: bool = False, progress: bool = True) -> dict:
    """Build the dataset files from the per-video results.

    Writes ``annotations/<dataset>_pose.pkl`` (``split`` dict by the readers' splits +
    ``annotations``), ``annotations/<dataset>_actions.json`` (validated with
    :func:`vpd_mm.datasets.load_action_annotations`) and
    ``annotations/<dataset>_prepare_report.json``; each atomically.

    Args:
        cfg (Config): The preparation config.
        index (VideoIndex, optional): The reader's output (read again when None).
        allow_missing (bool): Merge even when videos are unfinished (they are listed in the
            report as ``missing``). Defaults to False.
        progress (bool): Show the ``merge <dataset>`` progress bar. Defaults to True.

    Returns:
        dict: The report's ``summary``.

    Raises:
        UnfinishedVideosError: videos are unfinished (without ``allow_missing``).
        NothingPreparedError: no video was prepared (every one skipped).
    """
    if index is None:
        index = read_index(cfg)
    dataset = cfg.get('dataset_name', None) or index.dataset
    layout = PrepareLayout(cfg.out_dir, dataset, cfg.get('work_dir', None))
    done, skipped, missing = [], [], []
    for rec in sorted(index.videos, key=lambda v: v['video']):
        status = _status(layout, rec['video'])
        if status == 'done':
            done.append(rec)
        elif status == 'skipped':
            with open(layout.skipped(rec['video'])) as f:
                skipped.append(json.load(f))
        else:
            missing.append(rec['video'])
    if missing and not allow_missing:
        raise UnfinishedVideosError(
            f'{dataset}: {len(missing)} of {len(index.videos)} videos are not finished (e.g. '
            f'{missing[:5]}); run the remaining shards first (or rerun to retry the failed '
            'videos), or merge with --allow-missing')
    if not done:
        reasons: dict = {}
        for rec in skipped:
            reasons[rec.get('reason')] = reasons.get(rec.get('reason'), 0) + 1
        why = ', '.join(f'{k}: {v}' for k, v in reasons.items())
        first = f'; e.g. {skipped[0].get("message")}' if skipped else ''
        raise NothingPreparedError(
            f'{dataset}: none of the {len(index.videos)} videos was prepared, nothing to merge '
            f'({len(skipped)} skipped{" by reason " + why if why else ""}, {len(missing)} '
            f'unfinished{first}); the skip records are in {layout.skipped_dir}: fix the inputs, '
            'then rerun with --retry-skipped')
    layout.makedirs()
    sweep_dead_temporaries(layout)

    annotations, split, videos, actions, dropped, per_video = [], {}, {}, {}, [], {}
    for rec in tqdm(done, desc=f'merge {dataset}', unit='video', leave=False,
                    disable=not progress):
        name = rec['video']
        try:
            res = safe_pickle_load(layout.done(name))
        except Exception as e:
            raise RuntimeError(f'{layout.done(name)}: unreadable result of video {name!r} '
                               f'({e}); delete it and rerun to redo the video') from e
        if not osp.isdir(layout.frames(name)):
            raise RuntimeError(f'{layout.done(name)} exists but {layout.frames(name)} does not; '
                               'delete the pkl and rerun to redo the video')
        ann, info = res['annotation'], res['info']
        annotations.append(ann)
        split.setdefault(info['split'], []).append(name)
        videos[name] = dict(fps=info['fps'], num_frames=info['num_frames'], split=info['split'])
        actions[name] = res['actions']
        dropped += [dict(a, video=name) for a in res['dropped_actions']]
        per_video[name] = {
            k: info[k]
            for k in ('num_frames', 'athlete_frames', 'interpolated_frames', 'confident_frames')
        }

    dump_pose_annotations(layout.pose_pkl, annotations, split=split)
    act = build_action_annotations(dataset, index.classes, videos, actions)
    dump_action_annotations(act, layout.actions_json)
    load_action_annotations(layout.actions_json)  # the contract of the downstream tasks

    by_reason = {r: 0 for r in SKIP_REASONS}
    for s in skipped:
        by_reason[s['reason']] = by_reason.get(s['reason'], 0) + 1
    summary = dict(
        videos=len(index.videos),
        prepared=len(done),
        skipped=len(skipped),
        missing=len(missing),
        frames=int(sum(v['num_frames'] for v in videos.values())),
        confident_frames=int(sum(v['confident_frames'] for v in per_video.values())),
        skipped_by_reason=by_reason,
        actions=len(act['actions']),
        dropped_actions=len(dropped))
    report = dict(
        dataset=dataset,
        out_dir=layout.out_dir,
        files=dict(pose=layout.pose_pkl, actions=layout.actions_json),
        settings=output_settings(cfg),
        summary=summary,
        skipped=skipped,
        missing=missing,
        dropped_actions=dropped,
        videos=per_video)
    dump_json_atomic(report, layout.report_json, indent=1)
    print_log(
        f'{dataset}: merged {len(done)} videos ({summary["frames"]} frames, '
        f'{summary["confident_frames"]} confident) into {layout.pose_pkl} and '
        f'{layout.actions_json}; skipped {len(skipped)} '
        f'({", ".join(f"{k}: {v}" for k, v in by_reason.items() if v) or "none"}), '
        f'{len(missing)} missing; report: {layout.report_json}',
        logger='current')
    return summary
