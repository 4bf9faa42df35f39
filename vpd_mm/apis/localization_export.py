# Copyright (c) vpd_mm contributors. All rights reserved.
"""Export per-video features + action segments for mmaction2's temporal localizers (BMN, BSN).

mmaction2's ``ActivityNetDataset`` + ``LoadLocalizationFeature`` read, per video, a CSV file
``<feature_dir>/<video key>.csv`` with one header row and ``temporal_dim`` rows of ``feat_dim``
comma-separated values (the loader transposes it into the ``[feat_dim, temporal_dim]`` input of
BMN), and one annotation JSON per split::

    {"v_<video>": {"duration_second": 4.8, "duration_frame": 120, "feature_frame": 120,
                   "fps": 25.0, "annotations": [{"segment": [0.12, 2.4], "label": "jump"}]}}

What :func:`export_localization` does, video by video (only videos with at least one kept
action; the rules are documented in ``docs/localization.md``):

1. loads ``[T, V, d_k]`` from each feature folder (several folders = concatenated features, e.g.
   Concat-VPD) and combines the flip views (``views``: ``'concat'`` -> ``V * d_k``, ``'mean'`` ->
   ``d_k``, an index -> that view only);
2. pads a feature file shorter than the video's ``num_frames`` with missing frames (a longer one
   is an error);
3. fills missing frames (any non-finite value in the frame's row): linear interpolation between
   the nearest valid frames before and after, the first/last valid frame held at the edges;
   a video without any valid frame is an error;
4. resamples ``[T, d]`` to ``[temporal_dim, d]`` (:func:`resample_sequence`; videos shorter than
   ``temporal_dim`` are upsampled by linear interpolation and counted);
5. clips segments that end after the video (counted; a segment starting after the end is dropped
   and counted), or raises with ``on_bad_segment='error'``.

Video keys are ``'v_' + video``: ``ANetMetric`` strips the first two characters of every video
name (ActivityNet's ``v_`` prefix), so the prefix keeps names distinct.
"""
import os
import os.path as osp
import shutil
import warnings
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from vpd_mm.datasets.features import load_action_annotations, load_feature_sequence
from vpd_mm.utils.io import dump_json_atomic, parse_temporary_name, pid_running, temporary_path

VIDEO_PREFIX = 'v_'
ANN_FILES = dict(train='anno_train.json', val='anno_val.json', test='anno_test.json')
FEATURE_SUBDIR = 'features'
REPORT_FILE = 'export_report.json'


class LocalizationExportError(ValueError):
    """Input that cannot be exported; the message names the file/video and the problem."""


def video_key(video: str) -> str:
    """The key of a video in the annotation files and the stem of its CSV file."""
    return VIDEO_PREFIX + video


def combine_views(feats: np.ndarray, views: Union[str, int] = 'concat') -> np.ndarray:
    """Combine the flip views of one video's features.

    Args:
        feats (np.ndarray): ``[T, V, d]``.
        views (str | int): ``'concat'`` (``[T, V * d]``, view-major), ``'mean'`` (``[T, d]``,
            NaN where any view is NaN) or a view index (``[T, d]``; ``'0'`` works too).

    Returns:
        np.ndarray: float32 ``[T, d']``.
    """
    if feats.ndim != 3:
        raise ValueError(f'combine_views: expected [T, V, d], got shape {tuple(feats.shape)}')
    if views == 'concat':
        return feats.reshape(feats.shape[0], -1).astype(np.float32, copy=False)
    if views == 'mean':
        return feats.mean(axis=1).astype(np.float32, copy=False)
    try:
        index = int(views)
    except (TypeError, ValueError):
        raise ValueError(f"views must be 'concat', 'mean' or a view index, got {views!r}")
    if not 0 <= index < feats.shape[1]:
        raise ValueError(f'view {index} requested but the features have {feats.shape[1]} views')
    return np.ascontiguousarray(feats[:, index], dtype=np.float32)


def fill_missing_frames(feats: np.ndarray) -> Tuple[np.ndarray, int]:
    """Fill frames with any non-finite value.

    Rule: linear interpolation (per dimension, in frame index) between the nearest valid frames
    before and after; frames before the first / after the last valid frame take its values.

    Args:
        feats (np.ndarray): ``[T, d]``.

    Returns:
        tuple: filled float32 ``[T, d]`` and the number of filled frames.

    Raises:
        ValueError: no frame is valid.
    """
    valid = np.isfinite(feats).all(axis=1)
    num_missing = int((~valid).sum())
    if num_missing == 0:
        return feats.astype(np.float32, copy=False), 0
    if not valid.any():
        raise ValueError(f'all {len(feats)} frames are missing (non-finite)')
    t = np.arange(len(feats))
    good = t[valid]
    out = feats.astype(np.float32, copy=True)
    for j in range(feats.shape[1]):
        # np.interp holds the end values outside [good[0], good[-1]]
        out[~valid, j] = np.interp(t[~valid], good, feats[valid, j])
    return out, num_missing


def resample_sequence(feats: np.ndarray, length: int, mode: str = 'mean') -> np.ndarray:
    """Rescale ``[T, d]`` to ``[length, d]`` in time.

    Output step ``i`` stands for the frames ``[i * T / length, (i + 1) * T / length)`` (frame
    ``k`` covering ``[k, k + 1)``), as BMN's step ``i`` stands for ``[i, i + 1) / length`` of the
    video.

    * ``'linear'``: linear interpolation at the step's centre, frame position
      ``(i + 0.5) * T / length - 0.5`` (clipped to ``[0, T - 1]``).
    * ``'mean'``: when ``T >= length``, the mean of the frames whose centre ``k + 0.5`` lies in the
      step (every step has at least one); when ``T < length`` (upsampling), as ``'linear'``.

    Args:
        feats (np.ndarray): ``[T, d]``, finite.
        length (int): Output length (BMN's ``temporal_dim``).
        mode (str): ``'mean'`` or ``'linear'``.

    Returns:
        np.ndarray: float32 ``[length, d]``.
    """
    if mode not in ('mean', 'linear'):
        raise ValueError(f"resample mode must be 'mean' or 'linear', got {mode!r}")
    if length < 1:
        raise ValueError(f'length must be positive, got {length}')
    num = feats.shape[0]
    if num < 1:
        raise ValueError('cannot resample an empty sequence')
    feats = feats.astype(np.float64, copy=False)
    if mode == 'mean' and num >= length:
        # first frame of each step: ceil(i * T / L - 0.5) in exact integer arithmetic
        starts = -((-(2 * np.arange(length) * num - length)) // (2 * length))
        starts = np.clip(starts, 0, num - 1)
        sums = np.add.reduceat(feats, starts, axis=0)
        counts = np.diff(np.append(starts, num))
        return (sums / counts[:, None]).astype(np.float32)
    pos = np.clip((np.arange(length) + 0.5) * num / length - 0.5, 0, num - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, num - 1)
    w = (pos - lo)[:, None]
    return ((1 - w) * feats[lo] + w * feats[hi]).astype(np.float32)


def write_feature_csv(path: str, feats: np.ndarray) -> None:
    """Write ``[L, d]`` as a CSV with a header row (``f0,...``), atomically."""
    header = ','.join(f'f{j}' for j in range(feats.shape[1]))
    tmp = f'{path}.tmp.{os.getpid()}'
    np.savetxt(tmp, feats, fmt='%.8g', delimiter=',', header=header, comments='')
    os.replace(tmp, path)


def load_video_features(feature_dirs: Sequence[str], video: str,
                        views: Union[str, int] = 'concat') -> np.ndarray:
    """Load and combine one video's features from one or several folders.

    Returns:
        np.ndarray: float32 ``[T, d]`` (``d`` the sum over folders), NaN rows kept.

    Raises:
        LocalizationExportError: folders disagree on the number of frames.
    """
    parts = []
    for feature_dir in feature_dirs:
        feats = load_feature_sequence(feature_dir, video)
        try:
            parts.append(combine_views(feats, views))
        except ValueError as e:
            raise LocalizationExportError(f'{feature_dir}/{video}.npy: {e}') from e
    lengths = {len(p) for p in parts}
    if len(lengths) > 1:
        detail = ', '.join(f'{d}: {len(p)}' for d, p in zip(feature_dirs, parts))
        raise LocalizationExportError(
            f'video {video!r}: the feature folders have different numbers of frames ({detail})')
    return np.concatenate(parts, axis=1)


def export_localization(ann_file: str,
                        feature_dirs: Union[str, Sequence[str]],
                        out_dir: str,
                        temporal_dim: int = 100,
                        views: Union[str, int] = 'concat',
                        feat_dim: Optional[int] = None,
                        pad_to_multiple: int = 4,
                        resample: str = 'mean',
                        labels: Optional[Sequence[int]] = None,
                        val_fraction: float = 0.2,
                        seed: int = 0,
                        default_fps: Optional[float] = None,
                        on_bad_segment: str = 'clip') -> dict:
    """Export an action annotation file + feature folders for ``ActivityNetDataset``.

    Writes ``out_dir/features/v_<video>.csv`` (``[temporal_dim, feat_dim]`` + header row),
    ``out_dir/anno_{train,val,test}.json`` and ``out_dir/export_report.json``.

    Args:
        ann_file (str): Action annotation file (``docs/data_layout.md``).
        feature_dirs (str | list[str]): Folder(s) of ``<video>.npy`` ``[T, V, d]``; several are
            concatenated along the feature axis (Concat-VPD).
        out_dir (str): Output folder (created).
        temporal_dim (int): Rows per CSV (BMN's ``temporal_dim``).
        views (str | int): How to combine the flip views, see :func:`combine_views`.
        feat_dim (int, optional): Expected exported dimension (the model's ``feat_dim``); a
            mismatch raises before anything is written.
        pad_to_multiple (int): Append zero columns up to a multiple of this (BMN's first
            convolutions use 4 groups, so its ``feat_dim`` must be a multiple of 4); 1: never.
        resample (str): ``'mean'`` or ``'linear'``, see :func:`resample_sequence`.
        labels (list[int], optional): Keep only actions with these labels (default: all).
        val_fraction (float): When the file has no ``val`` split, this fraction of the train
            videos (seeded, at least one) becomes the validation split; the test split is never
            used for validation.
        seed (int): Seed of that draw.
        default_fps (float, optional): fps of videos without ``fps`` (otherwise an error).
        on_bad_segment (str): ``'clip'`` (clip/drop and count) or ``'error'``.

    Returns:
        dict: The report written to ``export_report.json`` (counts, dims, per-video details).
    """
    if isinstance(feature_dirs, str):
        feature_dirs = [feature_dirs]
    feature_dirs = list(feature_dirs)
    if not feature_dirs:
        raise ValueError('export_localization: at least one feature folder is needed')
    if on_bad_segment not in ('clip', 'error'):
        raise ValueError(f"on_bad_segment must be 'clip' or 'error', got {on_bad_segment!r}")
    if temporal_dim < 2:
        raise ValueError(f'temporal_dim must be at least 2, got {temporal_dim}')
    ann = load_action_annotations(ann_file)
    classes = ann.get('classes') or []
    label_set = None if labels is None else {int(x) for x in labels}

    # actions by video
    by_video: Dict[str, List[dict]] = OrderedDict()
    for act in ann['actions']:
        if label_set is not None and int(act['label']) not in label_set:
            continue
        by_video.setdefault(act['video'], []).append(act)
    if not by_video:
        raise LocalizationExportError(f'{ann_file}: no actions to export'
                                      + (f' with labels {sorted(label_set)}' if label_set else ''))

    split_of = {}
    for video, acts in by_video.items():
        splits = {a['split'] for a in acts}
        if len(splits) > 1:
            raise LocalizationExportError(
                f'{ann_file}: video {video!r} has actions in several splits {sorted(splits)}; '
                'an uncut video must belong to one split')
        split_of[video] = splits.pop()
    if 'val' not in split_of.values():
        train = sorted(v for v, s in split_of.items() if s == 'train')
        if len(train) >= 2 and val_fraction > 0:
            num_val = min(len(train) - 1, max(1, int(round(val_fraction * len(train)))))
            rng = np.random.RandomState(seed)
            for video in rng.choice(train, num_val, replace=False):
                split_of[str(video)] = 'val'

    feat_root = osp.join(out_dir, FEATURE_SUBDIR)
    os.makedirs(out_dir, exist_ok=True)
    _remove_dead_staging(out_dir)
    # every CSV goes to a staging folder that replaces features/ only once all videos passed:
    # an error half-way leaves an earlier export whole (not CSVs of two feature sets)
    staging = temporary_path(feat_root)
    os.makedirs(staging)
    try:
        report = _export_videos(by_video, ann, ann_file, feature_dirs, staging, split_of,
                                classes, temporal_dim, views, feat_dim, pad_to_multiple,
                                resample, default_fps, on_bad_segment)
        _replace_folder(staging, feat_root)
    finally:
        if osp.isdir(staging):
            shutil.rmtree(staging)
    databases = report.pop('databases')
    for split, database in databases.items():
        dump_json_atomic(database, osp.join(out_dir, ANN_FILES[split]), indent=1)
        report['split_videos'][split] = len(database)
    dump_json_atomic(report, osp.join(out_dir, REPORT_FILE), indent=1)
    return report


def _remove_dead_staging(out_dir: str) -> None:
    """Remove the staging folders (``features.tmp.<pid>``) of killed exports into ``out_dir``."""
    for name in os.listdir(out_dir):
        parsed = parse_temporary_name(name)
        path = osp.join(out_dir, name)
        if (parsed and parsed[0] in (FEATURE_SUBDIR, FEATURE_SUBDIR + '.old')
                and osp.isdir(path) and not osp.islink(path) and not pid_running(parsed[1])):
            shutil.rmtree(path)


def _replace_folder(new: str, path: str) -> None:
    """Put the folder ``new`` in the place of ``path`` (two renames; the old one deleted)."""
    old = None
    if osp.lexists(path):
        old = temporary_path(path + '.old')
        os.replace(path, old)
    os.replace(new, path)
    if old is not None:
        shutil.rmtree(old) if osp.isdir(old) and not osp.islink(old) else os.remove(old)


def _export_videos(by_video: Dict[str, List[dict]], ann: dict, ann_file: str,
                   feature_dirs: List[str], feat_root: str, split_of: Dict[str, str],
                   classes: List[str], temporal_dim: int, views: Union[str, int],
                   feat_dim: Optional[int], pad_to_multiple: int, resample: str,
                   default_fps: Optional[float], on_bad_segment: str) -> dict:
    """The per-video part of :func:`export_localization`: CSVs into ``feat_root``; returns the
    report with the ``databases`` of every split."""
    databases = {split: OrderedDict() for split in ANN_FILES}
    report = dict(
        ann_file=ann_file, feature_dirs=feature_dirs, views=str(views),
        temporal_dim=temporal_dim, resample=resample, feat_dim=None, padded_dims=0,
        num_videos=0, split_videos={}, filled_frames=0, videos_with_filled_frames=0,
        padded_frames=0, upsampled_videos=0, clipped_segments=0, dropped_segments=0,
        videos={})
    exported_dim = None
    for video, acts in by_video.items():
        info = ann['videos'].get(video, {})
        feats = load_video_features(feature_dirs, video, views)
        name = f'{video} ({feature_dirs[0]}/{video}.npy)'
        num_frames = len(feats) if info.get('num_frames') is None else int(info['num_frames'])
        padded = 0
        if len(feats) > num_frames:
            raise LocalizationExportError(
                f'video {name}: the feature file has {len(feats)} frames but the annotation '
                f'file says the video has {num_frames}')
        if len(feats) < num_frames:  # missing trailing frames -> filled like NaN rows
            padded = num_frames - len(feats)
            feats = np.concatenate(
                [feats, np.full((padded, feats.shape[1]), np.nan, np.float32)], axis=0)
        try:
            feats, filled = fill_missing_frames(feats)
        except ValueError as e:
            raise LocalizationExportError(f'video {name}: {e}') from e

        dim = feats.shape[1]
        pad_dims = (-dim) % max(1, int(pad_to_multiple))
        if exported_dim is None:
            exported_dim = dim + pad_dims
            report['padded_dims'] = pad_dims
            if feat_dim is not None and exported_dim != int(feat_dim):
                raise LocalizationExportError(
                    f'video {name}: features of {feature_dirs} with views={views!r} have '
                    f'dimension {dim}' + (f' (+{pad_dims} zero columns = {exported_dim})'
                                          if pad_dims else '')
                    + f', but the model expects feat_dim={feat_dim}')
        elif dim + pad_dims != exported_dim:
            raise LocalizationExportError(
                f'video {name}: dimension {dim + pad_dims} differs from the other videos '
                f'({exported_dim})')
        seq = resample_sequence(feats, temporal_dim, resample)
        if pad_dims:
            seq = np.concatenate([seq, np.zeros((temporal_dim, pad_dims), np.float32)], axis=1)

        fps = info.get('fps', default_fps)
        if fps is None or float(fps) <= 0:
            raise LocalizationExportError(
                f'{ann_file}: video {video!r} has no valid fps ({fps!r}); pass default_fps')
        fps = float(fps)
        segments, clipped, dropped = [], 0, 0
        for act in acts:
            start, end = int(act['start_frame']), int(act['end_frame'])
            if end > num_frames:
                if on_bad_segment == 'error':
                    raise LocalizationExportError(
                        f'{ann_file}: action {act["id"]!r} [{start}, {end}) ends after video '
                        f'{video!r} ({num_frames} frames)')
                if start >= num_frames:
                    dropped += 1
                    continue
                end, clipped = num_frames, clipped + 1
            label = int(act['label'])
            segments.append(
                dict(segment=[start / fps, end / fps],
                     label=classes[label] if 0 <= label < len(classes) else 'action'))
        if not segments:
            report['videos'][video] = dict(skipped='no segment inside the video')
            report['dropped_segments'] += dropped
            continue
        key = video_key(video)
        write_feature_csv(osp.join(feat_root, key + '.csv'), seq)
        split = split_of[video]
        databases[split][key] = dict(
            duration_second=num_frames / fps, duration_frame=num_frames,
            feature_frame=num_frames, fps=fps, annotations=segments)
        report['num_videos'] += 1
        report['filled_frames'] += filled
        report['videos_with_filled_frames'] += int(filled > 0)
        report['padded_frames'] += padded
        report['upsampled_videos'] += int(num_frames < temporal_dim)
        report['clipped_segments'] += clipped
        report['dropped_segments'] += dropped
        report['videos'][video] = dict(
            split=split, num_frames=num_frames, filled_frames=filled, padded_frames=padded,
            segments=len(segments), clipped_segments=clipped, dropped_segments=dropped)

    report['feat_dim'] = exported_dim
    report['databases'] = databases
    return report


def check_feat_dim(report_or_dir: Union[dict, str], feat_dim: int) -> None:
    """Raise when an export's dimension differs from a model's ``feat_dim``.

    Args:
        report_or_dir: The report of :func:`export_localization` or its output folder.
        feat_dim (int): The model's ``feat_dim``.
    """
    if isinstance(report_or_dir, str):
        import json
        path = osp.join(report_or_dir, REPORT_FILE)
        with open(path) as f:
            report = json.load(f)
    else:
        report, path = report_or_dir, 'the export'
    if int(report['feat_dim']) != int(feat_dim):
        raise LocalizationExportError(
            f'{path}: exported features have dimension {report["feat_dim"]} '
            f'(features {report["feature_dirs"]}, views={report["views"]}), but the model '
            f'expects feat_dim={feat_dim}')


def write_toy_localization_corpus(root: str,
                                  num_videos: int = 16,
                                  num_test: int = 4,
                                  dim: int = 4,
                                  num_frames: int = 40,
                                  nan_fraction: float = 0.05,
                                  seed: int = 0) -> Tuple[str, str]:
    """Deprecated: :func:`vpd_mm.synthetic.make_uncut_features` with ``ann_file='actions.json'``.

    Kept for one release (warns with a ``DeprecationWarning``); writes the same layout as
    before (``root/actions.json``, ``root/features/<video>.npy`` ``[T, 2, dim]``) from that
    generator, so the drawn videos differ from earlier releases'.

    Returns:
        tuple[str, str]: The annotation file and the feature folder.
    """
    warnings.warn(
        'vpd_mm.apis.localization_export.write_toy_localization_corpus is deprecated and will '
        "be removed in the next release: use vpd_mm.synthetic.make_uncut_features(root, "
        "ann_file='actions.json', ...)", DeprecationWarning, stacklevel=2)
    from vpd_mm.synthetic import make_uncut_features
    out = make_uncut_features(root, num_train=num_videos - num_test, num_test=num_test,
                              num_frames=num_frames, dim=dim, missing_rate=nan_fraction,
                              ann_file='actions.json', seed=seed)
    return out['ann_file'], out['feature_dir']
