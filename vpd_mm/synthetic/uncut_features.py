# Copyright (c) vpd_mm contributors. All rights reserved.
"""A generated corpus of uncut videos as per-frame features: actions as shifted Gaussian noise.

The one toy input of the uncut-video workflows: few-shot temporal detection
(``tools/temporal_detection.py --make-toy``, ``configs/temporal_detection/bigru_tiny_cpu.py``)
and the export to mmaction2's temporal localizers (``tools/data/export_localization.py --toy``,
``configs/localization/bmn_tiny_cpu.py``). The files follow ``docs/data_layout.md``: one
``<feature_dir>/<video>.npy`` float32 ``[T, 2, d]`` per video (two flip views) and one action
annotation file.
"""
import os
import os.path as osp

import numpy as np

from vpd_mm.datasets.features import dump_action_annotations, feature_path
from vpd_mm.utils.io import save_npy_atomic

#: Where :func:`make_uncut_features` writes the annotations by default (relative to ``root``).
DEFAULT_ANN_FILE = osp.join('annotations', 'toy_actions.json')


def make_uncut_features(root: str,
                        num_train: int = 6,
                        num_test: int = 4,
                        num_frames: int = 120,
                        dim: int = 8,
                        separation: float = 3.0,
                        missing_rate: float = 0.02,
                        ann_file: str = DEFAULT_ANN_FILE,
                        class_name: str = 'action',
                        seed: int = 0) -> dict:
    """Write a small corpus of uncut videos with one action class.

    Videos ``video_000``, ``video_001``, ... (the first ``num_train`` in split ``train``, the
    next ``num_test`` in ``test``), each of ``num_frames`` frames at 25 fps with 1-3
    non-overlapping actions of 10-24 frames (label 0), separated by 8-29 background frames.
    Features ``[T, 2, d]`` are unit Gaussian noise, plus ``separation`` times a fixed unit
    direction inside the actions (in view 1 the direction's coordinates are reversed: a stand-in
    for a flip); ``missing_rate`` of the frames are all-NaN rows (frames without features).
    Seeded: the same arguments write the same files.

    Args:
        root (str): Output folder: ``root/features/<video>.npy`` and ``root/<ann_file>``.
        num_train (int): Training videos. Defaults to 6.
        num_test (int): Test videos. Defaults to 4.
        num_frames (int): Frames per video (at least 30). Defaults to 120.
        dim (int): Feature size d per view. Defaults to 8.
        separation (float): Foreground shift, in noise standard deviations (smaller is
            harder). Defaults to 3.0.
        missing_rate (float): Fraction of all-NaN frames, in [0, 1). Defaults to 0.02.
        ann_file (str): The annotation file, relative to ``root``. Defaults to
            ``'annotations/toy_actions.json'``.
        class_name (str): Name of the action class. Defaults to 'action'.
        seed (int): Seed of every draw. Defaults to 0.

    Returns:
        dict: ``ann_file``, ``feature_dir`` (paths), ``train_videos``, ``test_videos``
        (sorted names).
    """
    if num_train < 0 or num_test < 0 or num_train + num_test < 1:
        raise ValueError(f'need at least one video, got num_train={num_train}, '
                         f'num_test={num_test}')
    if num_frames < 30:
        raise ValueError(f'num_frames must be at least 30 (room for an action), got {num_frames}')
    if dim < 1:
        raise ValueError(f'dim must be positive, got {dim}')
    if not 0 <= missing_rate < 1:
        raise ValueError(f'missing_rate must be in [0, 1), got {missing_rate}')
    if osp.isabs(ann_file) or '..' in ann_file.replace('\\', '/').split('/'):
        raise ValueError(f'ann_file must be a path inside root, got {ann_file!r}')
    rng = np.random.default_rng(seed)
    feature_dir = osp.join(root, 'features')
    ann_path = osp.join(root, ann_file)
    os.makedirs(feature_dir, exist_ok=True)
    os.makedirs(osp.dirname(ann_path) or root, exist_ok=True)
    direction = rng.standard_normal(dim)
    direction /= np.linalg.norm(direction)
    views = np.stack([direction, direction[::-1]]).astype(np.float32)  # [2, d]
    videos, actions = {}, []
    for i in range(num_train + num_test):
        video = f'video_{i:03d}'
        split = 'train' if i < num_train else 'test'
        feats = rng.standard_normal((num_frames, 2, dim)).astype(np.float32)  # [T, 2, d]
        start = int(rng.integers(3, 15))
        for j in range(int(rng.integers(1, 4))):
            length = int(rng.integers(10, 25))
            if start + length > num_frames - 2:
                break
            feats[start:start + length] += separation * views[None]  # [L, 2, d]
            actions.append(dict(id=f'{video}_{j}', video=video, start_frame=start,
                                end_frame=start + length, label=0, split=split))
            start += length + int(rng.integers(8, 30))
        feats[rng.random(num_frames) < missing_rate] = np.nan
        save_npy_atomic(feature_path(feature_dir, video), feats)
        videos[video] = dict(fps=25.0, num_frames=num_frames, split=split)
    dump_action_annotations(
        dict(dataset='toy', classes=[class_name], videos=videos, actions=actions), ann_path)
    return dict(ann_file=ann_path, feature_dir=feature_dir,
                train_videos=sorted(v for v in videos if videos[v]['split'] == 'train'),
                test_videos=sorted(v for v in videos if videos[v]['split'] == 'test'))
