# Copyright (c) vpd_mm contributors. All rights reserved.
"""VIPE* training triplets drawn on the fly from 3D pose sequences."""
import copy
from typing import Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

from vpd_mm.codecs import VIPEInputEncoder
from ..pose_target_dataset import split_videos
from .geometry import (KEPT_FLIP_INDICES, LIFT_DIM, NUM_KEPT, bone_directions, canonicalize,
                       lifting_targets, max_bone_angle, mirror_3d, project_orthographic,
                       random_cameras)
from .readers import load_amass_joints, load_h36m_npz
from .synthetic import synthetic_sequences

H36M_TRAIN_SUBJECTS: Tuple[str, ...] = ('S1', 'S5', 'S6', 'S7', 'S8')
H36M_VAL_SUBJECTS: Tuple[str, ...] = ('S9', 'S11')
_SPLITS = ('train', 'val', 'all')
_SOURCES = ('synthetic', 'h36m', 'amass', 'memory')


@DATASETS.register_module()
class VIPEPairDataset(BaseDataset):
    """Triplets for VIPE*: two 2D views of one 3D pose and a 2D view of a different pose.

    3D pose sequences (``[T, 13, 3]``, ``KEPT_JOINTS`` order, y up) are read from ``source``,
    canonicalised once (:func:`canonicalize`) and split by sequence (or by subject for
    Human3.6M). Each sample:

    1. picks an anchor frame: ``idx % num_frames`` in ``test_mode``, uniformly at random
       (``np.random``, seeded per worker by mmengine) in training;
    2. mines a negative: up to ``neg_tries`` random frames of the same sequence, the first whose
       some bone direction (:func:`bone_directions`, canonical 3D) differs from the anchor's by
       at least ``neg_min_angle`` degrees; none found -> a zero negative input and
       ``neg_valid=False``;
    3. projects the anchor through two and the negative through one random orthographic camera
       (yaw in ``yaw_range``, both tilts in ``tilt_range``), draws per-joint scores uniformly in
       ``score_range``, and with probability ``flip_prob`` flips all three 2D views
       horizontally (the lifting target is then that of :func:`mirror_3d` of the anchor);
    4. encodes each view with :meth:`VIPEInputEncoder.encode_kept` (39 values).

    In ``test_mode`` all randomness comes from ``np.random.default_rng(idx)``: samples are
    deterministic.

    Output of ``dataset[i]`` (before ``pipeline``, which defaults to none):
    ``dict(inputs=float32 tensor [3, 39] (view 1, view 2, negative),
    data_samples=BaseDataElement(lift_target=float32 tensor [95], neg_valid=bool tensor []))``
    with metainfo ``sequence``, ``frame`` (index in the sequence), ``neg_frame`` and ``flip``.

    Args:
        source (dict): Where the 3D poses come from, one of
            ``dict(type='synthetic', num_sequences=64, frames=60, seed=0)``,
            ``dict(type='h36m', path=..., subjects=None)`` (VideoPose3D's
            ``data_3d_h36m.npz``; ``subjects`` overrides the split's default subjects),
            ``dict(type='amass', path=..., up_axis='z')`` (:func:`load_amass_joints`) or
            ``dict(type='memory', sequences={name: [T, 13, 3] array})`` (y-up world poses).
        split (str): ``'train'``, ``'val'`` or ``'all'``. Human3.6M: train subjects S1, S5, S6,
            S7, S8, val S9, S11. Other sources: a seeded ``val_ratio`` of the sequences is held
            out (:func:`split_videos`). Defaults to 'train'.
        val_ratio (float): Held-out fraction of sequences (not Human3.6M). Defaults to 0.15.
        split_seed (int): Seed of the held-out sequences. Defaults to 0.
        num_samples (int, optional): Epoch length. Defaults to the number of frames.
        neg_min_angle (float): Minimum largest bone-direction difference of a negative, degrees.
            Defaults to 45.
        neg_tries (int): Candidate negatives tried per sample. Defaults to 8.
        flip_prob (float): Probability of a horizontal flip of the triplet. Defaults to 0.5.
        yaw_range (tuple[float, float]): Camera yaw range, degrees. Defaults to (-180, 180).
        tilt_range (tuple[float, float]): Range of both camera tilts, degrees.
            Defaults to (-30, 30).
        score_range (tuple[float, float]): Range of the simulated joint scores.
            Defaults to (0.5, 1.0).
        pipeline (list): Transforms applied to the output dict. Defaults to [].
        test_mode (bool): Deterministic samples. Defaults to False.
        lazy_init (bool): Defer loading to :meth:`full_init`. Defaults to False.
    """

    METAINFO = dict(input_dim=VIPEInputEncoder.dim, lift_dim=LIFT_DIM)

    def __init__(self,
                 source: dict = dict(type='synthetic'),
                 split: str = 'train',
                 val_ratio: float = 0.15,
                 split_seed: int = 0,
                 num_samples: Optional[int] = None,
                 neg_min_angle: float = 45.0,
                 neg_tries: int = 8,
                 flip_prob: float = 0.5,
                 yaw_range: Tuple[float, float] = (-180.0, 180.0),
                 tilt_range: Tuple[float, float] = (-30.0, 30.0),
                 score_range: Tuple[float, float] = (0.5, 1.0),
                 pipeline: List[Union[dict, Callable]] = [],
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        if split not in _SPLITS:
            raise ValueError(f'split must be one of {_SPLITS}, got {split!r}')
        if source.get('type') not in _SOURCES:
            raise ValueError(f'source type must be one of {_SOURCES}, got {source.get("type")!r}')
        if neg_tries < 0:
            raise ValueError(f'neg_tries must be >= 0, got {neg_tries}')
        self.source = copy.deepcopy(source)
        self.split = split
        self.val_ratio = val_ratio
        self.split_seed = split_seed
        self.num_samples = num_samples
        self.neg_min_angle = float(neg_min_angle)
        self.neg_tries = int(neg_tries)
        self.flip_prob = float(flip_prob)
        self.yaw_range = tuple(yaw_range)
        self.tilt_range = tuple(tilt_range)
        self.score_range = tuple(score_range)
        self.encoder = VIPEInputEncoder()
        super().__init__(
            ann_file='',
            serialize_data=False,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init)

    # ------------------------------------------------------------------ loading
    def _load_sequences(self) -> Dict[str, np.ndarray]:
        """The split's sequences: name -> [T, 13, 3] world poses (y up)."""
        cfg = dict(self.source)
        kind = cfg.pop('type')
        if kind == 'h36m':
            data = load_h36m_npz(cfg['path'])
            subjects = cfg.get('subjects')
            if subjects is None:
                subjects = dict(
                    train=H36M_TRAIN_SUBJECTS, val=H36M_VAL_SUBJECTS,
                    all=tuple(data))[self.split]
            return {f'{s}/{a}': seq for s in subjects for a, seq in data.get(s, {}).items()}
        if kind == 'synthetic':
            seqs = synthetic_sequences(**cfg)
        elif kind == 'amass':
            seqs = load_amass_joints(cfg['path'], up_axis=cfg.get('up_axis', 'z'))
        else:  # memory
            seqs = {str(k): np.asarray(v, dtype=np.float32) for k, v in cfg['sequences'].items()}
        if self.split == 'all':
            return seqs
        train, val = split_videos(list(seqs), self.val_ratio, self.split_seed)
        return {n: seqs[n] for n in (train if self.split == 'train' else val)}

    def full_init(self) -> None:
        """Load, canonicalise and concatenate the split's sequences."""
        if self._fully_initialized:
            return
        seqs = self._load_sequences()
        names = sorted(seqs)
        bad = [n for n in names if seqs[n].ndim != 3 or seqs[n].shape[1:] != (NUM_KEPT, 3)]
        if bad:
            raise ValueError(f'sequences must be [T, {NUM_KEPT}, 3]; bad: {bad[:5]}')
        empty = [n for n in names if len(seqs[n]) == 0]
        names = [n for n in names if len(seqs[n]) > 0]
        if not names:
            raise ValueError(f'VIPEPairDataset: no frames in split {self.split!r} of {self.source}')
        lengths = np.array([len(seqs[n]) for n in names])
        self.seq_names = names
        self.seq_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])  # [S]
        self.seq_ends = np.cumsum(lengths)  # [S]
        poses = np.concatenate([seqs[n] for n in names]).astype(np.float32)  # [F, 13, 3]
        self.poses = canonicalize(poses)
        self.frame_seq = np.repeat(np.arange(len(names)), lengths)  # [F]
        self.num_frames = int(lengths.sum())
        self._fully_initialized = True
        MMLogger.get_current_instance().info(
            f'VIPEPairDataset {self.source.get("type")} split={self.split}: '
            f'{len(names)} sequences / {self.num_frames} frames '
            f'(dropped {len(empty)} empty sequences); samples per epoch {len(self)}')

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return int(self.num_samples) if self.num_samples is not None else self.num_frames

    def get_data_info(self, idx: int) -> dict:
        """The anchor of sample ``idx`` in test mode: ``dict(sequence, frame, index)``."""
        if not self._fully_initialized:
            self.full_init()
        index = int(idx) % self.num_frames
        seq = int(self.frame_seq[index])
        return dict(sequence=self.seq_names[seq], frame=index - int(self.seq_starts[seq]),
                    index=index)

    def load_data_list(self) -> List[dict]:
        """Not used: samples are drawn on the fly (see :meth:`prepare_data`)."""
        return []

    # ------------------------------------------------------------------ sampling
    def _mine_negative(self, rng, anchor: int) -> Tuple[int, bool]:
        """A same-sequence frame with a bone >= neg_min_angle away, else (anchor, False)."""
        seq = self.frame_seq[anchor]
        start, end = int(self.seq_starts[seq]), int(self.seq_ends[seq])
        if self.neg_tries == 0 or end - start < 2:
            return anchor, False
        randint = rng.integers if isinstance(rng, np.random.Generator) else rng.randint
        cands = start + randint(0, end - start, size=self.neg_tries)  # [K]
        dirs = bone_directions(self.poses[np.concatenate([[anchor], cands])])  # [1 + K, 14, 3]
        ok = max_bone_angle(dirs[1:], dirs[:1]) >= self.neg_min_angle  # [K]
        if not ok.any():
            return anchor, False
        return int(cands[np.argmax(ok)]), True

    def prepare_data(self, idx: int) -> dict:
        """Draw the triplet of sample ``idx`` and run the pipeline on it."""
        if self.test_mode:
            rng = np.random.default_rng(int(idx))
            anchor = int(idx) % self.num_frames
        else:
            rng = np.random  # seeded per worker by mmengine
            anchor = int(rng.randint(self.num_frames))
        neg, neg_valid = self._mine_negative(rng, anchor)
        poses = self.poses[[anchor, anchor, neg]]  # [3, 13, 3]
        cams = random_cameras(rng, 3, self.yaw_range, self.tilt_range)  # [3, 3, 3]
        xy = project_orthographic(poses, cams)  # [3, 13, 2]
        scores = rng.uniform(self.score_range[0], self.score_range[1], size=(3, NUM_KEPT))
        flip = bool(rng.uniform() < self.flip_prob)
        target_pose = self.poses[anchor]
        if flip:
            xy = xy[:, KEPT_FLIP_INDICES]
            xy[..., 0] = -xy[..., 0]
            scores = scores[:, KEPT_FLIP_INDICES]
            target_pose = mirror_3d(target_pose)
        inputs = self.encoder.encode_kept(xy, scores)  # [3, 39]
        if not neg_valid:
            inputs[2] = 0.0
        seq = int(self.frame_seq[anchor])
        start = int(self.seq_starts[seq])
        sample = BaseDataElement(
            metainfo=dict(
                sequence=self.seq_names[seq], frame=anchor - start, neg_frame=neg - start,
                flip=flip))
        sample.lift_target = torch.from_numpy(lifting_targets(target_pose))  # [95]
        sample.neg_valid = torch.tensor(neg_valid)
        results = dict(inputs=torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)),
                       data_samples=sample)
        return self.pipeline(results)
