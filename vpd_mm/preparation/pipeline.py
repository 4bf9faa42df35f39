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
"""
import json
import os
import os.path as osp
import shutil
import time
import traceback
from typing import List, Optional

import mmengine
import numpy as np
from mmaction.registry import TASK_UTILS
from mmengine.config import Config
from mmengine.logging import print_log
from tqdm import tqdm

from vpd_mm.apis.flow import build_flow_estimator
from vpd_mm.datasets.features import dump_action_annotations, load_action_annotations
from vpd_mm.utils.io import dump_json_atomic
from vpd_mm.utils.safe_pickle import safe_pickle_load
from .readers.base import VideoIndex, build_action_annotations
from .video_preparer import SKIP_REASONS, SkipVideo, StageTimer, VideoPreparer

#: Config keys whose values change the outputs (recorded in ``work/settings.json``).
SETTING_KEYS = ('dataset_name', 'fps', 'crop_size', 'crop_pad', 'video_backend',
                'allow_truncated', 'conf_thr', 'flow_bound', 'jpeg_quality', 'detector', 'tracker',
                'athlete', 'teacher', 'flow')
#: Keys that do not change the outputs (dropped from the settings).
_RUNTIME_KEYS = ('device', 'batch_size', 'num_threads')

_DEFAULTS = dict(
    fps=None,
    crop_size=128,
    crop_pad=0.1,
    chunk_size=64,
    video_backend='decord',
    allow_truncated=False,
    conf_thr=0.5,
    flow_bound=20.0,
    jpeg_quality=90,
    flow=dict(type='DISFlowEstimator', preset='medium'))


class PrepareLayout:
    """The paths of a preparation output folder.

    Args:
        out_dir (str): Root (``data_root`` of the training configs).
        dataset (str): Dataset name.
        work_dir (str, optional): Folder of the per-video results, skip records, reports and
            logs. Defaults to ``<out_dir>/work``.
    """

    def __init__(self, out_dir: str, dataset: str, work_dir: Optional[str] = None) -> None:
        self.out_dir, self.dataset = out_dir, dataset
        self.rawframes = osp.join(out_dir, 'rawframes')
        self.work = work_dir or osp.join(out_dir, 'work')
        self.annotations = osp.join(out_dir, 'annotations')
        self.settings = osp.join(self.work, 'settings.json')
        self.pose_pkl = osp.join(self.annotations, f'{dataset}_pose.pkl')
        self.actions_json = osp.join(self.annotations, f'{dataset}_actions.json')
        self.report_json = osp.join(self.annotations, f'{dataset}_prepare_report.json')

    def frames(self, video: str) -> str:
        return osp.join(self.rawframes, video)

    def tmp_frames(self, video: str) -> str:
        return osp.join(self.rawframes, '.tmp_' + video)

    def done(self, video: str) -> str:
        return osp.join(self.work, 'pose', video + '.pkl')

    def skipped(self, video: str) -> str:
        return osp.join(self.work, 'skipped', video + '.json')

    def shard_report(self, shard: int, num_shards: int) -> str:
        return osp.join(self.work, 'reports', f'shard_{shard}_of_{num_shards}.json')

    def makedirs(self) -> None:
        for d in (self.rawframes, self.annotations, osp.join(self.work, 'pose'),
                  osp.join(self.work, 'skipped'), osp.join(self.work, 'reports')):
            os.makedirs(d, exist_ok=True)


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
    return {k: _strip_runtime(cfg.get(k, _DEFAULTS.get(k))) for k in SETTING_KEYS}


def shard_videos(videos: List[dict], shard: int, num_shards: int) -> List[dict]:
    """Videos of one shard: sorted by name, every ``num_shards``-th starting at ``shard``."""
    if num_shards < 1 or not 0 <= shard < num_shards:
        raise ValueError(f'need 0 <= shard < num_shards, got shard={shard}, '
                         f'num_shards={num_shards}')
    ordered = sorted(videos, key=lambda v: v['video'])
    return ordered[shard::num_shards]


def _status(layout: PrepareLayout, video: str) -> Optional[str]:
    if osp.isfile(layout.done(video)):
        return 'done'
    if osp.isfile(layout.skipped(video)):
        return 'skipped'
    return None


def _check_settings(layout: PrepareLayout, settings: dict) -> None:
    """Record the settings, or check that they match those of an earlier run."""
    if osp.isfile(layout.settings):
        with open(layout.settings) as f:
            old = json.load(f)
        if old != json.loads(json.dumps(settings)):
            diff = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
            raise ValueError(
                f'{layout.out_dir} was prepared with other settings ({layout.settings}; '
                f'differing keys: {diff}). Use another out_dir, or pass --overwrite to '
                'discard the earlier outputs.')
    else:
        dump_json_atomic(settings, layout.settings, indent=1, sort_keys=True)


def clear_outputs(layout: PrepareLayout, videos: List[str]) -> None:
    """Remove what a preparation run writes for ``videos`` (and nothing else)."""
    for v in videos:
        for d in (layout.frames(v), layout.tmp_frames(v)):
            if osp.lexists(d):
                shutil.rmtree(d)
    for path in (layout.pose_pkl, layout.actions_json, layout.report_json):
        if osp.exists(path):
            os.remove(path)
    if osp.isdir(layout.work):
        shutil.rmtree(layout.work)


def build_preparer(cfg: Config, timer: Optional[StageTimer] = None) -> VideoPreparer:
    """The stages of the config (``detector``, ``tracker``, ``athlete``, ``teacher``, ``flow``)
    built from ``TASK_UTILS`` and wrapped in a :class:`VideoPreparer`."""
    missing = [k for k in ('detector', 'tracker', 'athlete', 'teacher') if not cfg.get(k)]
    if missing:
        raise KeyError(f'the config has no {missing} (see configs/_base_/preparation/)')

    def get(key):
        return cfg.get(key, _DEFAULTS.get(key))

    return VideoPreparer(
        detector=TASK_UTILS.build(cfg.detector),
        tracker=TASK_UTILS.build(cfg.tracker),
        athlete=TASK_UTILS.build(cfg.athlete),
        teacher=TASK_UTILS.build(cfg.teacher),
        flow=build_flow_estimator(get('flow')),
        fps=get('fps'),
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
        if osp.lexists(d):
            shutil.rmtree(d)
    os.makedirs(tmp)
    try:
        result = preparer(record, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.rename(tmp, final)
    result['video'] = name
    tmp_pkl = f'{layout.done(name)}.tmp.{os.getpid()}'
    mmengine.dump(result, tmp_pkl, file_format='pkl')
    os.replace(tmp_pkl, layout.done(name))  # the video is finished from here on
    return result


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
        overwrite (bool): Discard every earlier output first. Defaults to False.
        merge (bool, optional): Merge at the end: True always (fails if videos are
            unfinished), False never, None when every video is finished. Defaults to None.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: The shard report (also written to ``work/reports/``), with ``merged`` (the
        merge's summary or None).
    """
    index: VideoIndex = TASK_UTILS.build(cfg.reader).read()
    dataset = cfg.get('dataset_name', None) or index.dataset
    layout = PrepareLayout(cfg.out_dir, dataset, cfg.get('work_dir', None))
    if overwrite:
        clear_outputs(layout, [v['video'] for v in index.videos])
    layout.makedirs()
    settings = output_settings(cfg)
    settings['dataset_name'] = dataset
    _check_settings(layout, settings)

    mine = shard_videos(index.videos, shard, num_shards)
    todo = []
    for rec in mine:
        status = _status(layout, rec['video'])
        if status == 'skipped' and retry_skipped:
            os.remove(layout.skipped(rec['video']))
            status = None
        if status is None:
            todo.append(rec)
    print_log(
        f'{dataset}: {len(index.videos)} videos, {len(mine)} in shard {shard}/{num_shards}, '
        f'{len(mine) - len(todo)} already finished, {len(todo)} to prepare -> {layout.out_dir}',
        logger='current')

    timer = StageTimer()
    processed, skipped, errors = [], [], []
    t_start = time.perf_counter()
    frames_done = 0
    if todo:
        preparer = build_preparer(cfg, timer)
        bar = tqdm(todo, desc=f'prepare {dataset}', unit='video', disable=not progress)
        for rec in bar:
            name = rec['video']
            try:
                result = _prepare_one(preparer, layout, rec)
            except SkipVideo as e:
                entry = dict(video=name, path=rec.get('path'), reason=e.reason, message=e.message)
                dump_json_atomic(entry, layout.skipped(name), indent=1)
                skipped.append(entry)
            except Exception as e:  # an unexpected failure: reported, retried by the next run
                errors.append(
                    dict(
                        video=name,
                        path=rec.get('path'),
                        reason='error',
                        message=f'{type(e).__name__}: {e}',
                        traceback=traceback.format_exc(limit=8)))
                print_log(f'{name}: {type(e).__name__}: {e}', logger='current', level=40)
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
        report['merged'] = merge_outputs(cfg, index=index)
    elif not finished:
        print_log(
            f'{dataset}: not every video is finished yet; run with --merge-only once all '
            'shards are done', logger='current')
    return report


def merge_outputs(cfg: Config, index: Optional[VideoIndex] = None,
                  allow_missing: bool = False) -> dict:
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

    Returns:
        dict: The report's ``summary``.
    """
    if index is None:
        index = TASK_UTILS.build(cfg.reader).read()
    dataset = cfg.get('dataset_name', None) or index.dataset
    layout = PrepareLayout(cfg.out_dir, dataset, cfg.get('work_dir', None))
    layout.makedirs()
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
        raise RuntimeError(f'{dataset}: {len(missing)} of {len(index.videos)} videos are not '
                           f'finished (e.g. {missing[:5]}); run the remaining shards first, or '
                           'merge with --allow-missing')

    annotations, split, videos, actions, dropped, per_video = [], {}, {}, {}, [], {}
    for rec in tqdm(done, desc=f'merge {dataset}', unit='video', leave=False):
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

    tmp = f'{layout.pose_pkl}.tmp.{os.getpid()}'
    mmengine.dump(dict(split=split, annotations=annotations), tmp, file_format='pkl')
    os.replace(tmp, layout.pose_pkl)
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
