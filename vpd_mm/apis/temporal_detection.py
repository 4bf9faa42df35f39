# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot temporal detection (VPD, Sec. 4): k-fold ensemble of per-frame BiGRUs.

Protocol (``run_temporal_detection``):

1. **Training videos**: the videos of ``train_split`` with at least one foreground action
   (all actions, or those of class ``label``); ``train_videos=N`` keeps a seeded random N of
   them (the few-shot setting, e.g. 5 routines; all of them, with a ``NOTICE`` line, when
   fewer than N have one). Invalid settings (``folds`` or ``train_videos`` below 2, a label of
   no class) are a :class:`DetectionSettingsError` before anything is trained or written.
2. **k folds** over those videos (seeded). Fold model ``i`` is trained by mmengine's
   ``Runner`` (the config's ``train_dataloader``/``optim_wrapper``/``train_cfg``) on the videos
   of the other folds, both flip views as separate samples.
3. **Threshold** (never on test): every fold model scores its held-out training videos
   (out-of-fold scores, averaged over the flip views); for each candidate threshold the
   proposals of all training videos are scored against their annotations, and the threshold
   with the best mean AP over the IoU thresholds wins (ties: the lowest threshold).
   Proposal length limits come from the training actions (``length_limits``).
4. **Test**: every test video is scored by all k fold models on both views; the per-frame
   foreground softmax is averaged over the 2k predictions; proposals with the chosen threshold;
   only then are the test annotations read, for AP at each IoU (mmaction2's
   ``average_precision_at_temporal_iou``).

The ``temporal_detection`` section of a config (``configs/temporal_detection/_base_/bigru.py``)
holds the settings (a config's ``detection`` section, the name before, is still read, with a
``DeprecationWarning``); arguments of ``run_temporal_detection`` override it.
"""
import copy
import os
import os.path as osp
import time
import warnings
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from vpd_mm.datasets import load_action_annotations, load_clean_features
from vpd_mm.evaluation.functional.proposals import (DEFAULT_IOU_THRESHOLDS, detection_ap,
                                                    length_limits, scores_to_proposals)
from vpd_mm.utils.io import FileFormatError, dump_json_atomic, save_npy_atomic

#: The result files' ``task`` (``vpd_mm.utils.results``) of this workflow.
TASK = 'temporal_detection'

DEFAULT_DETECTION = dict(
    folds=5,
    train_videos=None,
    seed=0,
    label=None,
    train_split='train',
    test_split='test',
    views=(0, 1),
    merge_gap=0,
    min_len_ratio=0.5,
    max_len_ratio=2.0,
    thresholds=tuple(np.round(np.arange(0.05, 0.951, 0.05), 2).tolist()),
    iou_thresholds=DEFAULT_IOU_THRESHOLDS,
    dataset='unknown',
    features='unknown')


class DetectionSettingsError(ValueError):
    """Settings of the protocol that are invalid (``folds`` < 2, ``train_videos`` < 2, a
    negative ``label``) or do not fit the annotations (a label of no class or of no training
    video, fewer than 2 training videos); raised before anything is trained or written."""


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_detection_settings(det: dict) -> None:
    """Check the settings that need no data: ``folds`` >= 2, ``train_videos`` None or >= 2
    (k-fold threshold selection needs 2 folds of at least one video), ``label`` None or >= 0.

    Raises:
        DetectionSettingsError: naming the setting and its value.
    """
    folds, num, label = det['folds'], det['train_videos'], det['label']
    if not _is_int(folds) or folds < 2:
        raise DetectionSettingsError(
            f'folds must be an integer >= 2 (the threshold is chosen by k-fold '
            f'cross-validation), got {folds!r}')
    if num is not None and (not _is_int(num) or num < 2):
        raise DetectionSettingsError(
            f'train_videos must be an integer >= 2 (k-fold cross-validation needs 2 training '
            f'videos) or None (every training video), got {num!r}')
    if label is not None and (not _is_int(label) or label < 0):
        raise DetectionSettingsError(
            f'label must be a class index >= 0 or None (every action), got {label!r}')


def detection_settings(cfg: Config, **overrides) -> dict:
    """The config's ``temporal_detection`` section over the defaults, then non-None
    ``overrides``.

    A config with the deprecated section name ``detection`` (and no ``temporal_detection``) is
    read with a ``DeprecationWarning``.
    """
    det = dict(DEFAULT_DETECTION)
    section = cfg.get('temporal_detection')
    if section is None and cfg.get('detection') is not None:
        warnings.warn(
            "the config section 'detection' is deprecated and will not be read in the next "
            "release: rename it to 'temporal_detection'", DeprecationWarning, stacklevel=2)
        section = cfg.get('detection')
    det.update(dict(section or {}))
    det.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(det) - set(DEFAULT_DETECTION)
    if unknown:
        raise KeyError(f'unknown temporal_detection settings: {sorted(unknown)}')
    return det


def ground_truth_segments(actions: Sequence[dict], videos: Sequence[str],
                          label: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Foreground actions of each video as [G, 2] ``(start, end)`` (end exclusive)."""
    wanted = set(videos)
    gt = {v: [] for v in videos}
    for act in actions:
        if act['video'] in wanted and (label is None or int(act['label']) == label):
            gt[act['video']].append([int(act['start_frame']), int(act['end_frame'])])
    return {v: np.asarray(s, dtype=np.int64).reshape(-1, 2) for v, s in gt.items()}


def select_training_videos(ann: dict, split: str, label: Optional[int], num: Optional[int],
                           seed: int) -> List[str]:
    """Videos of ``split`` with a foreground action; a seeded random ``num`` of them."""
    pool = sorted({
        a['video']
        for a in ann['actions']
        if a['split'] == split and (label is None or int(a['label']) == label)
    })
    if not pool:
        if label is None:
            raise DetectionSettingsError(f'no {split!r} video has an action')
        labels = sorted({int(a['label']) for a in ann['actions'] if a['split'] == split})
        raise DetectionSettingsError(
            f'label {label}: no {split!r} video has an action of this class (labels of the '
            f'{split!r} actions: {labels})')
    if num is None or num >= len(pool):
        return pool
    if num < 1:
        raise DetectionSettingsError(f'train_videos must be >= 1, got {num}')
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(pool, size=num, replace=False).tolist())


def assign_folds(videos: Sequence[str], folds: int, seed: int) -> List[int]:
    """A seeded fold index in ``[0, k)`` per video, k = min(folds, len(videos)) >= 2."""
    k = min(folds, len(videos))
    if k < 2:
        raise DetectionSettingsError(
            f'k-fold threshold selection needs at least 2 folds and 2 training videos '
            f'(folds={folds}, videos={len(videos)})')
    order = np.random.default_rng(seed + 1).permutation(len(videos))
    fold = np.empty(len(videos), dtype=np.int64)
    fold[order] = np.arange(len(videos)) % k
    return fold.tolist()


def train_fold_model(cfg: Config, videos: Sequence[str], work_dir: str, seed: int,
                     label: Optional[int] = None) -> torch.nn.Module:
    """Train one fold's model on ``videos`` with mmengine's Runner; returns it in eval mode."""
    fold_cfg = copy.deepcopy(cfg)
    fold_cfg.work_dir = work_dir
    fold_cfg.train_dataloader.dataset.videos = list(videos)
    fold_cfg.train_dataloader.dataset.label = label
    randomness = dict(fold_cfg.get('randomness') or {})
    randomness['seed'] = seed
    fold_cfg.randomness = randomness
    fold_cfg.experiment_name = f'{osp.basename(work_dir)}_{time.time_ns()}'
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        fold_cfg[key] = None
    fold_cfg.pop('temporal_detection', None)
    fold_cfg.pop('detection', None)
    runner = Runner.from_cfg(fold_cfg)
    runner.train()
    model = runner.model
    model.eval()
    return model


@torch.no_grad()
def score_video(models: Sequence[torch.nn.Module], feats: np.ndarray,
                views: Sequence[int] = (0, 1)) -> np.ndarray:
    """Mean per-frame foreground probability over models and flip views.

    Args:
        models (Sequence[nn.Module]): Trained per-frame models (``predict`` mode gives
            ``pred_frame_scores`` [T, 2]).
        feats (np.ndarray): [T, V, d] features (NaN-free, see ``load_clean_features``).
        views (Sequence[int]): Views averaged. Defaults to (0, 1).

    Returns:
        np.ndarray: float64 [T] foreground scores.
    """
    total = np.zeros(len(feats), dtype=np.float64)
    for model in models:
        model.eval()
        data = dict(
            inputs=[torch.from_numpy(np.ascontiguousarray(feats[:, v])) for v in views],
            data_samples=[ActionDataSample(metainfo=dict(view=v)) for v in views])
        for sample in model.test_step(data):
            total += sample.pred_frame_scores[:, 1].double().numpy()
    return total / (len(models) * len(views))


def select_threshold(scores: Dict[str, np.ndarray], ground_truth: Dict[str, np.ndarray],
                     thresholds: Sequence[float], merge_gap: int, min_len: Optional[int],
                     max_len: Optional[int],
                     iou_thresholds: Sequence[float]) -> tuple:
    """The threshold with the best mean AP (ties: the lowest) on the given (training) videos.

    Returns:
        tuple: ``(threshold, table)`` with ``table`` a list of ``(threshold, metrics)``.
    """
    table = []
    for thr in thresholds:
        props = {
            v: scores_to_proposals(s, thr, merge_gap, min_len, max_len)
            for v, s in scores.items()
        }
        table.append((float(thr), detection_ap(ground_truth, props, iou_thresholds)))
    best = max(range(len(table)), key=lambda i: (table[i][1]['mAP'], -i))
    return table[best][0], table


def _check_dim(cfg: Config, feats: np.ndarray, video: str, feature_dir: str) -> None:
    """The config's ``model.head.in_channels`` (``model.in_channels`` of the deprecated
    ``FrameBiGRULocalizer``) must be the feature size of the file."""
    key, in_channels = 'model.head.in_channels', (cfg.model.get('head') or {}).get('in_channels')
    if in_channels is None:
        key, in_channels = 'model.in_channels', cfg.model.get('in_channels')
    if in_channels is not None and feats.shape[-1] != in_channels:
        raise ValueError(f'{feature_dir}/{video}.npy: feature size {feats.shape[-1]} but the '
                         f'config has {key}={in_channels} (set it to {feats.shape[-1]})')


def run_temporal_detection(cfg: Config,
                           work_dir: Optional[str] = None,
                           save_scores: bool = True,
                           log: Optional[Callable[[str], None]] = None,
                           **overrides) -> dict:
    """The whole protocol of the module docstring.

    Args:
        cfg (Config): A ``configs/temporal_detection`` config (``train_dataloader.dataset``
            gives ``ann_file`` and ``feature_dir``; ``temporal_detection`` the settings).
        work_dir (str, optional): Fold work dirs, scores and the summary go here.
            Defaults to ``cfg.work_dir``.
        save_scores (bool): Write ``scores/<video>.npy`` (test videos' per-frame scores) and
            ``temporal_detection_summary.json`` to ``work_dir``. Defaults to True.
        log (callable, optional): Progress lines and notices (e.g. ``train_videos`` above the
            videos there are: all of them are taken). Defaults to None: mmengine's current
            logger.
        **overrides: Settings of ``temporal_detection`` (e.g. ``folds=2, train_videos=5,
            seed=1``).

    Returns:
        dict: ``metrics`` (AP@0.3 .. AP@0.7, mAP on test), ``threshold``, ``oof_metrics`` (the
        training folds' metrics at that threshold), ``min_len``, ``max_len``,
        ``train_videos``, ``test_videos``, ``folds``, ``proposals`` (video -> [K, 3]).

    Raises:
        DetectionSettingsError: invalid settings, or settings that do not fit the annotations
            (:func:`check_detection_settings`, a label of no class or of no training video,
            fewer than 2 training videos): before anything is trained or written.
    """
    if log is None:
        def log(line: str) -> None:
            print_log(line, logger='current')

    det = detection_settings(cfg, **overrides)
    check_detection_settings(det)
    work_dir = work_dir or cfg.get('work_dir') or 'work_dirs/temporal_detection'
    ds_cfg = cfg.train_dataloader.dataset
    ann_file, feature_dir = ds_cfg.ann_file, ds_cfg.feature_dir
    label, seed, views = det['label'], int(det['seed']), tuple(det['views'])
    ann = load_action_annotations(ann_file)
    classes = ann.get('classes') or []
    if label is not None and classes and label >= len(classes):
        valid = '0' if len(classes) == 1 else f'0 to {len(classes) - 1}'
        raise DetectionSettingsError(f'label {label} is not a class of {ann_file} (its classes: '
                                     f'{valid})')

    train_videos = select_training_videos(ann, det['train_split'], label, det['train_videos'],
                                          seed)
    if det['train_videos'] is not None and det['train_videos'] > len(train_videos):
        of_label = '' if label is None else f' of label {label}'
        log(f'NOTICE train_videos={det["train_videos"]}, but only {len(train_videos)} '
            f'{det["train_split"]!r} videos have an action{of_label}: taking all '
            f'{len(train_videos)}')
    fold_of = assign_folds(train_videos, int(det['folds']), seed)
    k = max(fold_of) + 1
    # the test videos' names (their actions are read only after every one is scored)
    test_videos = sorted(v for v, info in ann['videos'].items()
                         if info.get('split') == det['test_split'])
    if not test_videos:
        raise FileFormatError(ann_file, f'no video in split {det["test_split"]!r}')
    train_feats = {}
    for v in train_videos:
        train_feats[v] = load_clean_features(feature_dir, v)[0]
        _check_dim(cfg, train_feats[v], v, feature_dir)
    os.makedirs(work_dir, exist_ok=True)  # all checked: the fold runs write into it

    models, oof_scores = [], {}
    for i in range(k):
        fit = [v for v, f in zip(train_videos, fold_of) if f != i]
        held = [v for v, f in zip(train_videos, fold_of) if f == i]
        log(f'temporal detection fold {i + 1}/{k}: training on {len(fit)} videos, holding out '
            f'{held}')
        model = train_fold_model(cfg, fit, osp.join(work_dir, f'fold{i}'), seed * 100 + i, label)
        models.append(model)
        for v in held:
            oof_scores[v] = score_video([model], train_feats[v], views)

    train_gt = ground_truth_segments(ann['actions'], train_videos, label)
    lengths = [e - s for segs in train_gt.values() for s, e in segs]
    min_len, max_len = length_limits(lengths, det['min_len_ratio'], det['max_len_ratio'])
    iou_thrs = tuple(float(t) for t in det['iou_thresholds'])
    threshold, table = select_threshold(oof_scores, train_gt, det['thresholds'],
                                        int(det['merge_gap']), min_len, max_len, iou_thrs)
    oof_metrics = dict(table)[threshold]
    log(f'threshold {threshold} (out-of-fold mAP {oof_metrics["mAP"]:.4f} on the '
        f'{len(train_videos)} training videos)')

    test_scores, proposals = {}, {}
    for v in test_videos:
        feats = load_clean_features(feature_dir, v)[0]
        _check_dim(cfg, feats, v, feature_dir)
        test_scores[v] = score_video(models, feats, views)
        proposals[v] = scores_to_proposals(test_scores[v], threshold, int(det['merge_gap']),
                                           min_len, max_len)
    # the test annotations are read only now, after every test video has its proposals
    test_gt = ground_truth_segments(ann['actions'], test_videos, label)
    metrics = detection_ap(test_gt, proposals, iou_thrs)

    result = dict(
        metrics=metrics,
        threshold=threshold,
        oof_metrics=oof_metrics,
        min_len=min_len,
        max_len=max_len,
        train_videos=train_videos,
        test_videos=test_videos,
        folds=k,
        settings=det,
        proposals=proposals)
    if save_scores:
        os.makedirs(osp.join(work_dir, 'scores'), exist_ok=True)
        for v, s in test_scores.items():
            save_npy_atomic(osp.join(work_dir, 'scores', f'{v}.npy'), s.astype(np.float32))
        summary = {key: val for key, val in result.items() if key != 'proposals'}
        summary['threshold_table'] = table
        summary['proposals'] = {v: p.tolist() for v, p in proposals.items()}
        dump_json_atomic(summary, osp.join(work_dir, 'temporal_detection_summary.json'),
                         indent=1)
    return result


def make_toy_detection_data(root: str,
                            num_train: int = 6,
                            num_test: int = 4,
                            num_frames: int = 120,
                            dim: int = 8,
                            separation: float = 3.0,
                            missing_rate: float = 0.02,
                            seed: int = 0) -> dict:
    """Deprecated: :func:`vpd_mm.synthetic.make_uncut_features` (same arguments, same files).

    Kept for one release; warns with a ``DeprecationWarning``.
    """
    warnings.warn(
        'vpd_mm.apis.make_toy_detection_data is deprecated and will be removed in the next '
        'release: use vpd_mm.synthetic.make_uncut_features', DeprecationWarning, stacklevel=2)
    from vpd_mm.synthetic import make_uncut_features
    return make_uncut_features(root, num_train=num_train, num_test=num_test,
                               num_frames=num_frames, dim=dim, separation=separation,
                               missing_rate=missing_rate, seed=seed)
