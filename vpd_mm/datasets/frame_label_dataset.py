# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-frame action/background labels of uncut videos: the dataset of few-shot temporal detection
(``configs/temporal_detection``).

Reads the two shared files (``vpd_mm.datasets.features``): the feature file ``<video>.npy``
[T, V, d] and the action annotations. Every frame inside an action ``[start_frame, end_frame)``
of the video is foreground (label 1), every other frame background (0); with ``label`` set only
the actions of that class count as foreground.

Frames without features (an all-NaN row, e.g. no athlete detected) are **zero-filled and
masked**: their label is -1, which ``FrameSequenceLabeler`` leaves out of the loss; at test time
the model still outputs a score for them (from the GRU's context). A row that is only partly
NaN is a broken file: ``ValueError`` naming the video and the frame.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmaction.registry import DATASETS
from mmaction.structures import ActionDataSample
from mmengine.dataset import BaseDataset

from vpd_mm.utils.io import FileFormatError
from .features import feature_path, load_action_annotations, load_feature_sequence

IGNORE_LABEL = -1


def load_clean_features(feature_dir: str, video: str) -> Tuple[np.ndarray, np.ndarray]:
    """A video's features with frames without features zero-filled.

    Args:
        feature_dir (str): Folder of ``<video>.npy`` files.
        video (str): Video name.

    Returns:
        tuple: float32 ``[T, V, d]`` features and bool ``[T]`` mask of frames without features.

    Raises:
        ValueError: the file holds no frame, or a frame has NaN in some but not all of its
            values (file and frame named).
    """
    feats = load_feature_sequence(feature_dir, video)
    if len(feats) == 0:
        raise FileFormatError(feature_path(feature_dir, video), f'video {video!r} has no frames '
                              f'(feature array of shape {list(feats.shape)})')
    nan = np.isnan(feats).reshape(len(feats), -1)
    missing = nan.all(1)
    partial = nan.any(1) & ~missing
    if partial.any():
        frame = int(np.flatnonzero(partial)[0])
        raise FileFormatError(feature_path(feature_dir, video),
                              f'video {video!r} frame {frame} has '
                              f'NaN in some but not all feature values ({int(partial.sum())} such '
                              'frames); a frame must be all-NaN (no features) or finite')
    if not np.isfinite(feats[~missing]).all():
        raise FileFormatError(feature_path(feature_dir, video), f'video {video!r} has infinite '
                              'feature values')
    feats = np.where(missing[:, None, None], 0., feats).astype(np.float32)
    return feats, missing


def frame_labels(actions: Sequence[dict], video: str, num_frames: int,
                 label: Optional[int] = None) -> np.ndarray:
    """Foreground (1) / background (0) label of every frame of ``video``.

    Args:
        actions (Sequence[dict]): Action annotations (any videos; those of ``video`` are used).
        video (str): Video name.
        num_frames (int): T.
        label (int, optional): Only actions of this class are foreground. Defaults to None
            (all actions).

    Returns:
        np.ndarray: int64 [T].

    Raises:
        ValueError: an action ends after the last frame (action and video named).
    """
    labels = np.zeros(num_frames, dtype=np.int64)
    for act in actions:
        if act['video'] != video or (label is not None and int(act['label']) != label):
            continue
        start, end = int(act['start_frame']), int(act['end_frame'])
        if end > num_frames:
            raise ValueError(f'action {act["id"]!r} ends at frame {end} but the features of '
                             f'video {video!r} have {num_frames} frames')
        labels[start:end] = 1
    return labels


@DATASETS.register_module()
class FrameLabelDataset(BaseDataset):
    """Feature sequences of uncut videos with per-frame action/background labels.

    Every (video, flip view) pair is its own sample. In training mode a sample is a random
    window of ``window`` frames (the whole video when shorter or when ``window`` is None),
    drawn anew at every access; in test mode it is the whole video.

    A sample is ``dict(inputs=Tensor [L, d], data_samples=ActionDataSample)`` with
    ``gt_frame_labels`` (long [L]: 1 action, 0 background, -1 no features) and metainfo
    ``video``, ``view``, ``start`` (first frame of the window) and ``num_frames`` (L).

    Args:
        ann_file (str): Action annotation JSON (``docs/data_layout.md``).
        feature_dir (str): Folder of ``<video>.npy`` features [T, V, d].
        videos (list[str], optional): Videos to use. None: the videos of ``split``.
        split (str): ``train``, ``val``, ``test`` or ``all``; used when ``videos`` is None.
            Defaults to ``'train'``.
        label (int, optional): Class whose actions are foreground. None: all actions.
        window (int, optional): Training window length in frames. None: whole videos.
        views (Sequence[int]): Flip views used. Defaults to (0, 1).
        repeats (int): Each (video, view) appears this many times per epoch (more random
            windows per epoch). Defaults to 1.
        test_mode (bool): Whole videos. Defaults to False.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(classes=('background', 'action'))

    def __init__(self,
                 ann_file: str,
                 feature_dir: str,
                 videos: Optional[List[str]] = None,
                 split: str = 'train',
                 label: Optional[int] = None,
                 window: Optional[int] = None,
                 views: Sequence[int] = (0, 1),
                 repeats: int = 1,
                 test_mode: bool = False,
                 **kwargs) -> None:
        if window is not None and window < 1:
            raise ValueError(f'FrameLabelDataset: window must be >= 1, got {window}')
        self.feature_dir = feature_dir
        self.videos = None if videos is None else list(videos)
        self.split = split
        self.label = label
        self.window = window
        self.views = tuple(views)
        self.repeats = int(repeats)
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file=ann_file, test_mode=test_mode, **kwargs)

    def _select_videos(self, ann: dict) -> List[str]:
        if self.videos is not None:
            unknown = [v for v in self.videos if v not in ann['videos']]
            if unknown:
                raise KeyError(f'{self.ann_file}: videos not in the annotations: {unknown[:5]}')
            return self.videos
        if self.split == 'all':
            return sorted(ann['videos'])
        return sorted(v for v, info in ann['videos'].items() if info.get('split') == self.split)

    def load_data_list(self) -> List[dict]:
        """One entry per (video, view) (times ``repeats``), features and labels loaded."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'FrameLabelDataset: annotation file {self.ann_file} does '
                                    'not exist')
        ann = load_action_annotations(self.ann_file)
        videos = self._select_videos(ann)
        if not videos:
            raise FileFormatError(self.ann_file, f'no video selected (split={self.split!r})')
        data_list = []
        for video in videos:
            feats, missing = load_clean_features(self.feature_dir, video)
            if max(self.views) >= feats.shape[1]:
                raise FileFormatError(feature_path(self.feature_dir, video), f'video {video!r} has '
                                      f'{feats.shape[1]} views, views {self.views} requested')
            labels = frame_labels(ann['actions'], video, len(feats), self.label)
            labels[missing] = IGNORE_LABEL
            for view in self.views:
                info = dict(video=video, view=view, features=feats[:, view], labels=labels)
                data_list += [info] * (1 if self.test_mode else self.repeats)
        return data_list

    def prepare_data(self, idx: int) -> dict:
        """Cut the (random) window and pack it."""
        info = self.get_data_info(idx)
        feats, labels = info['features'], info['labels']
        start, length = 0, len(feats)
        if not self.test_mode and self.window is not None and length > self.window:
            start = int(np.random.randint(0, length - self.window + 1))
            length = self.window
        sample = ActionDataSample()
        sample.set_metainfo(
            dict(video=info['video'], view=info['view'], start=start, num_frames=length))
        sample.gt_frame_labels = torch.from_numpy(labels[start:start + length].copy())
        return dict(inputs=torch.from_numpy(feats[start:start + length].copy()),
                    data_samples=sample)
