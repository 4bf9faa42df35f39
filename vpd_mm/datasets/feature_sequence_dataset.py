# Copyright (c) vpd_mm contributors. All rights reserved.
"""Actions as sequences of per-frame features (VPD students or teachers), for recognition."""
import os.path as osp
from collections import Counter
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from vpd_mm.utils.io import FileFormatError, read_id_list
from .features import (SPLITS, check_folder_shape, feature_path, load_action_annotations,
                       load_feature_sequence, read_feature_file, select_actions)

_VIEWS = ('split', 'both')


def carve_val(actions: Sequence[dict], val_ratio: float, seed: int) -> set:
    """A seeded, per-class validation subset of training actions (their ids).

    For each label (in sorted order) the class's ids are sorted and shuffled with one
    ``np.random.default_rng(seed)``; the first ``floor(val_ratio * n + 0.5)`` become validation,
    at least one when ``n >= 2`` and ``val_ratio > 0``, at most ``n - 1`` (every class keeps a
    training example). The result depends on the ids and labels only, not on the file's order.
    """
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio}')
    by_class: Dict[int, List[str]] = {}
    for act in actions:
        by_class.setdefault(int(act['label']), []).append(str(act['id']))
    rng = np.random.default_rng(seed)
    val = set()
    for label in sorted(by_class):
        ids = sorted(by_class[label])
        n = len(ids)
        num = int(np.floor(val_ratio * n + 0.5))
        if n >= 2 and val_ratio > 0:
            num = max(num, 1)
        num = min(num, n - 1)
        val.update(ids[i] for i in rng.permutation(n)[:num])
    return val


def resample_indices(start: int, end: int, fps: Optional[float],
                     target_fps: Optional[float]) -> np.ndarray:
    """Frame indices of ``[start, end)`` resampled from ``fps`` to ``target_fps``.

    Output frame ``k`` is the source frame at or just before time ``k / target_fps`` after the
    action's start: ``start + floor(k * fps / target_fps)``, for the ``ceil((end - start) *
    target_fps / fps)`` times inside the action. ``target_fps=None`` keeps every frame.
    """
    if target_fps is None or fps is None or float(fps) == float(target_fps):
        return np.arange(start, end, dtype=np.int64)
    step = float(fps) / float(target_fps)
    num = int(np.ceil((end - start) / step - 1e-9))
    return start + np.floor(np.arange(num) * step + 1e-9).astype(np.int64)


def share_train_id_list(cfg) -> bool:
    """Give the val dataset the training ``id_list`` when the validation set is carved from it.

    ``tools/train.py`` calls this after merging ``--cfg-options``, so setting only
    ``train_dataloader.dataset.id_list`` (few-shot subsets) carves the validation actions from
    those ids. Nothing changes when the val dataset has its own ``id_list``, another annotation
    file, or the file has a ``val`` split.

    Returns:
        bool: Whether the val dataset's ``id_list`` was set.
    """
    train = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    val = (cfg.get('val_dataloader') or {}).get('dataset') or {}
    ours = ('VPDFeatureSequenceDataset', 'VPDActionFramesDataset')
    if (train.get('type') not in ours or val.get('type') not in ours
            or train.get('id_list') is None or val.get('id_list') is not None
            or val.get('split') != 'val' or train.get('ann_file') != val.get('ann_file')):
        return False
    ann = load_action_annotations(train['ann_file'])
    if any(a['split'] == 'val' for a in ann['actions']):
        return False
    val['id_list'] = train['id_list']
    return True


#: Datasets whose ``ann_file`` is an action annotation file (classes and labels).
ACTION_DATASETS = ('VPDFeatureSequenceDataset', 'VPDActionFramesDataset')


class NumClassesError(ValueError):
    """A model whose ``num_classes`` differs from the classes of its annotation file."""


def model_num_classes(model_cfg) -> Tuple[Optional[int], str]:
    """The number of classes a model config predicts and the key that sets it.

    Returns:
        tuple: ``(num_classes, key)``: ``model.cls_head.num_classes`` (heads of mmaction's
        recognisers: BiGRU, ST-GCN, the frozen student) or ``model.num_classes`` (DTW 1-NN);
        ``(None, '')`` when the model sets neither.
    """
    head = model_cfg.get('cls_head') or {}
    if isinstance(head, dict) and head.get('num_classes') is not None:
        return int(head['num_classes']), 'model.cls_head.num_classes'
    if model_cfg.get('num_classes') is not None:
        return int(model_cfg['num_classes']), 'model.num_classes'
    return None, ''


def _annotated_loaders(cfg, types: Sequence[str]) -> Iterator[Tuple[str, dict, str]]:
    """``(loader, dataset config, ann_file)`` of the train/val/test dataloaders whose dataset is
    one of ``types`` with an existing annotation file (a missing file is the dataset's to
    report)."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = (cfg.get(loader) or {}).get('dataset') or {}
        ann_file = ds.get('ann_file')
        if ds.get('type') in types and isinstance(ann_file, str) and osp.isfile(ann_file):
            yield loader, ds, ann_file


class FeatureDimError(NumClassesError):
    """A recognizer whose input size differs from the dimension of its feature files.

    A :class:`NumClassesError` so that the callers of :func:`check_num_classes` (which runs this
    check too) report it in one line."""


def _first_feature_file(feature_dir: str, videos: Sequence[str]) -> Optional[str]:
    """The feature file of the first of ``videos`` that has one in ``feature_dir``."""
    for video in videos:
        try:
            path = feature_path(feature_dir, video)
        except ValueError:
            continue  # an unsafe name is the dataset's to report
        if osp.isfile(path):
            return path
    return None


def check_feature_dim(cfg, config: Optional[str] = None) -> Optional[int]:
    """Stop before a recognizer whose ``model.cls_head.in_channels`` is not the feature size.

    For each dataloader of a :class:`VPDFeatureSequenceDataset` whose annotation file exists,
    the header of one feature file per ``feature_dir`` (the first video of the file's actions
    that has one) gives its ``d`` (``[T, V, d]``); the sum over the folders (Concat-VPD) must
    be the head's ``in_channels``. Without the check a VIPE* folder (d = 64 or 128) given to a
    2D-VPD config (26) ends in a raw ``RuntimeError`` of the GRU in the first batch. Folders
    without any file of the annotation's videos are skipped (the dataset reports them).

    Args:
        cfg (Config): The complete config (command-line overrides merged).
        config (str, optional): The config file, for the message. Defaults to
            ``cfg.filename``.

    Returns:
        int | None: The checked dimension (None when the model sets no
        ``cls_head.in_channels`` or no feature file was found).

    Raises:
        FeatureDimError: naming the config, ``model.cls_head.in_channels``, the feature
            folder(s), a file and its ``d`` (one line).
    """
    head = (cfg.get('model') or {}).get('cls_head') or {}
    in_channels = head.get('in_channels') if isinstance(head, dict) else None
    if in_channels is None:
        return None
    config = config or getattr(cfg, 'filename', None) or 'the config'
    checked, seen = None, set()
    for loader, ds, ann_file in _annotated_loaders(cfg, ('VPDFeatureSequenceDataset',)):
        if ds.get('feature_dir') is None:
            continue
        dirs = VPDFeatureSequenceDataset._feature_dirs(ds['feature_dir'])
        if (ann_file, tuple(dirs)) in seen:
            continue
        seen.add((ann_file, tuple(dirs)))
        videos = list(dict.fromkeys(str(a['video'])
                                    for a in load_action_annotations(ann_file)['actions']))
        files = [_first_feature_file(d, videos) for d in dirs]
        if None in files:
            continue  # a folder without features is the dataset's to report
        dims = [int(read_feature_file(f, mmap=True).shape[-1]) for f in files]
        if sum(dims) != int(in_channels):
            parts = ' + '.join(f'{d} (d={n}, e.g. {f})' for d, n, f in zip(dirs, dims, files))
            raise FeatureDimError(
                f'{config}: model.cls_head.in_channels={in_channels} but the features of '
                f'{loader} have d={sum(dims)}: {parts}; set model.cls_head.in_channels='
                f'{sum(dims)} (e.g. --cfg-options model.cls_head.in_channels={sum(dims)}) or '
                f'give the feature_dir the config was written for')
        checked = sum(dims)
    return checked


def check_num_classes(cfg, config: Optional[str] = None) -> Optional[int]:
    """Stop before a run whose model predicts another number of classes than its data has.

    For each dataloader (train, val, test) of an action dataset (:data:`ACTION_DATASETS`) whose
    annotation file exists, the file's ``classes`` must number exactly the model's
    ``num_classes`` (:func:`model_num_classes`); a file without a class list must have every
    label below it. ``tools/train.py``, ``tools/test.py`` and the few-shot runner
    (:func:`vpd_mm.apis.fewshot.run_fewshot_protocol`) call this after the config is complete,
    so an 8-class head on a 6-class corpus stops with both numbers instead of training two
    classes that never occur. It first runs :func:`check_feature_dim` (the head's
    ``in_channels`` against the feature files), so the same callers stop on a feature-size
    mismatch.

    Args:
        cfg (Config): The complete config (command-line overrides merged).
        config (str, optional): The config file, for the message. Defaults to
            ``cfg.filename``.

    Returns:
        int | None: The checked number of classes (None when the model sets none or no action
        dataset was found).

    Raises:
        NumClassesError: naming the config, its ``num_classes``, the annotation file and its
            number of classes (one line); :class:`FeatureDimError` (a subclass) for the
            feature size.
    """
    check_feature_dim(cfg, config)
    num, key = model_num_classes(cfg.get('model') or {})
    if num is None:
        return None
    config = config or getattr(cfg, 'filename', None) or 'the config'
    checked, seen = None, set()
    for loader, ds, ann_file in _annotated_loaders(cfg, ACTION_DATASETS):
        if ann_file in seen:
            continue
        seen.add(ann_file)
        ann = load_action_annotations(ann_file)
        classes = ann.get('classes') or []
        if classes and len(classes) != num:
            raise NumClassesError(
                f'{config}: {key}={num} but {ann_file} ({loader}) lists {len(classes)} '
                f'classes; set {key}={len(classes)} (e.g. --cfg-options {key}={len(classes)})')
        top = max((int(a['label']) for a in ann['actions']), default=-1)
        if not classes and top >= num:
            raise NumClassesError(
                f'{config}: {key}={num} but {ann_file} ({loader}) has label {top}; set {key} '
                f'to its number of classes (at least {top + 1})')
        checked = num
    return checked


@DATASETS.register_module()
class VPDFeatureSequenceDataset(BaseDataset):
    """Labelled actions of an action annotation file as per-frame feature sequences.

    Reads ``ann_file`` (format: :mod:`vpd_mm.datasets.features`) and the per-video feature
    files ``<feature_dir>/<video>.npy`` [T, V, d] written by ``tools/test.py --dump-features``,
    ``tools/embed_poses.py`` (VIPE* teacher) or ``tools/pose_features.py`` (2D-joint teacher),
    so students and teachers go through identical heads. With several ``feature_dir`` the
    features are concatenated along d (Concat-VPD).

    **Splits.** ``split='test'`` is the file's test actions. If the file has ``val`` actions,
    ``'train'`` and ``'val'`` are the file's; otherwise a seeded per-class subset of the
    training actions (after ``id_list`` filtering, :func:`carve_val`) is held out: ``'train'``
    excludes it and ``'val'`` is exactly it (so checkpoints are never selected on test). The
    val dataset must then get the same ``id_list``, ``val_ratio`` and ``val_seed`` as the
    training one (``tools/train.py`` copies ``id_list``, see :func:`share_train_id_list`).
    Actions with label -1 are skipped.

    **Missing features.** A frame whose row is all-NaN (in every view) has no features (no
    athlete crop or no pose) and is dropped, in every folder if one lacks it. A row with only
    some NaN, or with inf, is an error naming the file, the video and the frames. An action left
    without frames is kept in the val/test splits (``num_frames=0``: the recognizer predicts the
    most common training class) and dropped from the training split; both are counted
    (``self.stats``) and logged. ``metainfo['majority_label']`` is the most common class of the
    training actions (the recognizers count it from the labels they train on).

    Each sample is an action (``views='both'``, inputs [V, T, d]) or one flip view of an action
    (``views='split'``, inputs [1, T, d], V samples per action). Sample dict: ``action_id``,
    ``video``, ``label``, ``feature_dirs``, ``frame_inds`` (int64 [T]: rows of the feature file
    after resampling and dropping missing frames), ``num_frames``, ``view``.

    Args:
        ann_file (str): Action annotation JSON (``annotations/<dataset>_actions.json``).
        feature_dir (str | list[str]): Folder(s) of ``<video>.npy`` feature files.
        pipeline (list[dict | callable]): E.g. ``[dict(type='LoadFeatureSequence'),
            dict(type='PackFeatureSequence')]``.
        split (str | list[str]): ``'train'``, ``'val'``, ``'test'`` or a list of them.
            Defaults to ``'train'``.
        id_list (list[str] | str, optional): Only these action ids (a list, or a file with one
            id per line); ids not in the file are an error. Defaults to None (all).
        val_ratio (float): Fraction of each class's training actions held out for validation
            when the file has no val split. Defaults to 0.2.
        val_seed (int): Seed of that hold-out. Defaults to 0.
        target_fps (float, optional): Resample each action from its video's ``fps`` to this
            rate (:func:`resample_indices`). Defaults to None (no resampling).
        views (str): ``'split'`` (each flip view its own sample: training) or ``'both'`` (one
            sample with all views: test, softmax averaged over views). Defaults to ``'split'``.
        test_mode (bool): Passed to :class:`BaseDataset`. Defaults to False.
        **kwargs: Further :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self,
                 ann_file: str,
                 feature_dir: Union[str, Sequence[str]],
                 pipeline: List[Union[dict, Callable]],
                 split: Union[str, Sequence[str]] = 'train',
                 id_list: Union[None, str, Sequence[str]] = None,
                 val_ratio: float = 0.2,
                 val_seed: int = 0,
                 target_fps: Optional[float] = None,
                 views: str = 'split',
                 test_mode: bool = False,
                 **kwargs) -> None:
        splits = [split] if isinstance(split, str) else list(split)
        for s in splits:
            if s not in SPLITS:
                raise ValueError(f'split must be one of {SPLITS} (or a list), got {split!r}')
        if views not in _VIEWS:
            raise ValueError(f'views must be one of {_VIEWS}, got {views!r}')
        if target_fps is not None and target_fps <= 0:
            raise ValueError(f'target_fps must be positive, got {target_fps}')
        self.feature_dirs = self._feature_dirs(feature_dir)
        self.splits = splits
        self.id_list = id_list
        self.val_ratio = val_ratio
        self.val_seed = val_seed
        self.target_fps = target_fps
        self.views = views
        self.stats: Dict[str, int] = {}
        super().__init__(ann_file=ann_file, pipeline=pipeline, test_mode=test_mode, **kwargs)

    @staticmethod
    def _feature_dirs(feature_dir) -> List[str]:
        if feature_dir is None:
            return []
        dirs = [feature_dir] if isinstance(feature_dir, str) else list(feature_dir)
        if not dirs:
            raise ValueError('feature_dir: give at least one folder')
        return [str(d) for d in dirs]

    # ------------------------------------------------------------------ selection
    def select(self) -> Tuple[dict, List[dict], List[dict]]:
        """The annotations, the actions of this dataset's splits, and the training pool.

        Returns:
            tuple: ``(ann, actions, train_actions)``: the annotation dict, the selected labelled
            actions (file order) and the training actions the model learns from (for the
            majority class).
        """
        ann = load_action_annotations(self.ann_file)
        ids = read_id_list(self.id_list)
        if ids is not None:
            try:
                select_actions(ann, None, ids)  # every id must exist in the file
            except KeyError as e:
                raise KeyError(f'{self.ann_file}: id_list {self._id_source()}: {e.args[0]}') \
                    from None
            wanted = set(ids)
        labelled = [
            a for a in ann['actions']
            if int(a['label']) >= 0 and (ids is None or a['id'] in wanted)
        ]
        self.stats['actions_unlabelled'] = sum(
            1 for a in ann['actions']
            if int(a['label']) < 0 and a['split'] in self.splits)
        has_val = any(a['split'] == 'val' for a in ann['actions'])
        train = [a for a in labelled if a['split'] == 'train']
        carved = set() if has_val else carve_val(train, self.val_ratio, self.val_seed)
        train_pool = [a for a in train if a['id'] not in carved]

        actions = []
        for act in labelled:
            if act['split'] == 'train':
                split = 'val' if act['id'] in carved else 'train'
            else:
                split = act['split']
            if split in self.splits:
                actions.append(act)
        return ann, actions, train_pool

    def _id_source(self) -> str:
        return repr(self.id_list) if isinstance(self.id_list, str) else '(list)'

    # ------------------------------------------------------------------ loading
    def _frames_present(self, video: str, cache: Dict[str, np.ndarray]) -> np.ndarray:
        """bool [T]: frames with features in every folder; errors for partial NaN or inf, and
        for a file whose (views, d) differ from its folder's first (:func:`check_folder_shape`).
        """
        if video in cache:
            return cache[video]
        present, shape = None, None
        for feature_dir in self.feature_dirs:
            feats = load_feature_sequence(feature_dir, video)  # [T, V, d]
            check_folder_shape(self._folder_shapes, feature_dir, video, feats)
            path = feature_path(feature_dir, video)
            if shape is not None and feats.shape[:2] != shape:
                raise FileFormatError(
                    path, f'{feats.shape[0]} frames x {feats.shape[1]} views, but '
                    f'{feature_path(self.feature_dirs[0], video)} holds {shape[0]} x {shape[1]}: '
                    'the folders do not match')
            shape = feats.shape[:2]
            missing = np.isnan(feats).all(axis=(1, 2))  # [T]
            bad = ~np.isfinite(feats).all(axis=(1, 2)) & ~missing
            if bad.any():
                raise FileFormatError(
                    path, f'video {video!r}: {int(bad.sum())} frames with some NaN or inf '
                    f'features (rows must be all finite or all NaN), first frames '
                    f'{np.flatnonzero(bad)[:5].tolist()}')
            present = ~missing if present is None else present & ~missing
        cache[video] = present
        return present

    def load_data_list(self) -> List[dict]:
        """One dict per sample (see the class docstring)."""
        ann, actions, train_pool = self.select()
        counts = Counter(int(a['label']) for a in train_pool)
        majority = min(counts, key=lambda c: (-counts[c], c)) if counts else 0
        self._metainfo.update(
            classes=tuple(ann.get('classes', [])),
            majority_label=int(majority),
            dataset=ann.get('dataset'))
        cache: Dict[str, np.ndarray] = {}
        self._folder_shapes: Dict[str, Tuple[str, tuple]] = {}
        data_list, empty, dropped_frames, num_views = [], [], 0, 1
        training = self.splits == ['train']
        for act in actions:
            info = self._action_frames(ann, act, cache)
            if info is None:
                empty.append(act['id'])
                if training:
                    continue
                inds, views = np.zeros(0, np.int64), self._num_views(act['video'])
            else:
                inds, views, dropped = info
                dropped_frames += dropped
            num_views = views
            base = dict(
                action_id=act['id'],
                video=act['video'],
                label=int(act['label']),
                feature_dirs=list(self.feature_dirs),
                frame_path=self._frame_path(act['video']),
                frame_inds=inds,
                num_frames=int(len(inds)))
            if self.views == 'split':
                data_list += [dict(base, view=v) for v in range(views)]
            else:
                data_list.append(dict(base, view=None))
        self.stats.update(
            actions=len(actions),
            actions_empty=len(empty),
            frames_without_features=dropped_frames,
            samples=len(data_list))
        self._metainfo['num_views'] = num_views
        msg = (f'{type(self).__name__} {osp.basename(str(self.ann_file))} split={self.splits} '
               f'views={self.views}: {len(actions)} actions -> {len(data_list)} samples; '
               f'{dropped_frames} frames without features dropped; {len(empty)} actions without '
               f'any frame ({"dropped" if training else "predicted as the majority class"}'
               f'{", e.g. " + str(empty[:5]) if empty else ""}); '
               f'{self.stats["actions_unlabelled"]} unlabelled actions skipped')
        MMLogger.get_current_instance().info(msg)
        if not data_list:
            raise FileFormatError(self.ann_file, f'no sample in split {self.splits} '
                                  f'(id_list={self._id_source() if self.id_list else None}, '
                                  f'{len(actions)} actions, {len(empty)} without frames)')
        return data_list

    def _frame_path(self, video: str) -> Optional[str]:
        return None

    def _num_views(self, video: str) -> int:
        return int(load_feature_sequence(self.feature_dirs[0], video, mmap=True).shape[1])

    def _action_frames(self, ann: dict, act: dict,
                       cache: Dict[str, np.ndarray]) -> Optional[Tuple[np.ndarray, int, int]]:
        """(frame indices, number of views, frames dropped), or None without any frame."""
        video = act['video']
        present = self._frames_present(video, cache)
        start, end = int(act['start_frame']), int(act['end_frame'])
        if end > len(present):
            raise FileFormatError(self.ann_file, f'action {act["id"]!r} ends at frame {end} but '
                                  f'the features of video {video!r} hold {len(present)} frames')
        inds = resample_indices(start, end, self._fps(ann, act), self.target_fps)
        keep = present[inds]
        if not keep.any():
            return None
        return inds[keep], self._num_views(video), int((~keep).sum())

    def _fps(self, ann: dict, act: dict) -> Optional[float]:
        if self.target_fps is None:
            return None
        fps = ann['videos'].get(act['video'], {}).get('fps')
        if fps is None:
            raise FileFormatError(self.ann_file, f'target_fps={self.target_fps} needs the fps of '
                                  f'video {act["video"]!r} (videos.{act["video"]}.fps)')
        return float(fps)

    @property
    def majority_label(self) -> int:
        """int: The most common class of the training actions (smallest label on ties)."""
        return self._metainfo['majority_label']
