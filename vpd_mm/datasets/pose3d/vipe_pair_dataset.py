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
                       project_perspective, random_cameras)
from .h36m_cameras import H36M_CAMERA_IDS, h36m_cameras
from .readers import load_amass_joints, load_h36m_detections, load_h36m_npz
from .synthetic import synthetic_sequences

H36M_TRAIN_SUBJECTS: Tuple[str, ...] = ('S1', 'S5', 'S6', 'S7', 'S8')
H36M_VAL_SUBJECTS: Tuple[str, ...] = ('S9', 'S11')
_SPLITS = ('train', 'val', 'all')
_SOURCES = ('synthetic', 'h36m', 'amass', 'memory')
#: Kinds of a view (``view_kinds`` of a sample's metainfo).
VIEW_KINDS: Tuple[str, ...] = ('ortho', 'camera', 'detection')
ORTHO, CAMERA, DETECTION = range(3)
_NUM_CAMERAS = len(H36M_CAMERA_IDS)
_SOURCE_KEYS = dict(
    synthetic={'type', 'num_sequences', 'frames', 'seed'},
    h36m={'type', 'path', 'subjects', 'cameras', 'detections', 'detections_layout'},
    amass={'type', 'path', 'up_axis'},
    memory={'type', 'sequences'})


@DATASETS.register_module()
class VIPEPairDataset(BaseDataset):
    """Triplets for VIPE*: two 2D views of one 3D pose and a 2D view of a different pose.

    In training, torch's DataLoader fetches a whole batch through :meth:`__getitems__`: the
    triplets are drawn in one vectorised pass and returned as rows of shared batch tensors.

    3D pose sequences (``[T, 13, 3]``, ``KEPT_JOINTS`` order, y up) are read from ``source``,
    canonicalised once (:func:`canonicalize`) and split by sequence (or by subject for
    Human3.6M). Each sample:

    1. picks an anchor frame: ``(idx * anchor_stride) % num_frames`` in ``test_mode``,
       uniformly at random (``np.random``, seeded per worker by mmengine) in training;
    2. mines a negative: up to ``neg_tries`` random frames of the same sequence, the first whose
       some bone direction (:func:`bone_directions`, canonical 3D) differs from the anchor's by
       at least ``neg_min_angle`` degrees; none found -> a zero negative input and
       ``neg_valid=False``;
    3. projects the anchor through two and the negative through one random orthographic camera
       (yaw in ``yaw_range``, both tilts in ``tilt_range``) and draws per-joint scores uniformly
       in ``score_range``;
    4. where the source has calibrated cameras (Human3.6M), replaces each of the three views
       independently with probability ``real_view_prob`` by a *real camera view* of its frame,
       as the VPD authors (their Human3.6M set: each view is a random orthographic projection
       with probability 0.5, else the 2D pose of one of the frame's real cameras, the two
       positives from two different cameras): the two positives come from two different
       cameras (drawn without replacement), the negative from any camera. A real view is the
       camera's 2D detection of that frame when the source has detections (with probability
       ``detection_prob``; the detector's scores if the file has them), otherwise the 3D pose
       projected through the camera (perspective, with lens distortion: ``project_perspective``)
       with simulated scores. Real views go through the same encoding as the orthographic
       ones (hip-centred, torso-scaled), which removes the pixel scale;
    5. with probability ``flip_prob`` flips all three 2D views horizontally (the lifting
       target is then that of :func:`mirror_3d` of the anchor);
    6. encodes each view with :meth:`VIPEInputEncoder.encode_kept` (39 values).

    In ``test_mode`` all randomness comes from ``np.random.default_rng(idx)``: samples are
    deterministic.

    Output of ``dataset[i]`` (before ``pipeline``, which defaults to none):
    ``dict(inputs=float32 tensor [3, 39] (view 1, view 2, negative),
    data_samples=BaseDataElement(lift_target=float32 tensor [95], neg_valid=bool tensor []))``
    with metainfo ``sequence``, ``frame`` (index in the sequence), ``neg_frame``, ``flip``,
    ``view_kinds`` (per row, one of :data:`VIEW_KINDS`) and ``view_cameras`` (per row, the
    camera index in ``H36M_CAMERA_IDS`` order, -1 for an orthographic view).

    Args:
        source (dict): Where the 3D poses come from, one of
            ``dict(type='synthetic', num_sequences=64, frames=60, seed=0)``,
            ``dict(type='h36m', path=..., subjects=None, cameras=True, detections=None,
            detections_layout='auto')`` (VideoPose3D's ``data_3d_h36m.npz``; ``subjects``
            overrides the split's default subjects; ``cameras``: use Human3.6M's published
            calibration (:mod:`.h36m_cameras`) for real camera views; ``detections``: optional
            VideoPose3D 2D detection file ``data_2d_h36m_<detector>.npz``
            (:func:`load_h36m_detections`, ``detections_layout`` 'auto', 'h36m' or 'coco')),
            ``dict(type='amass', path=..., up_axis='z')`` (:func:`load_amass_joints`) or
            ``dict(type='memory', sequences={name: [T, 13, 3] array})`` (y-up world poses).
        split (str): ``'train'``, ``'val'`` or ``'all'``. Human3.6M: train subjects S1, S5, S6,
            S7, S8, val S9, S11. Other sources: a seeded ``val_ratio`` of the sequences is held
            out (:func:`split_videos`). Defaults to 'train'.
        val_ratio (float): Held-out fraction of sequences (not Human3.6M). Defaults to 0.15.
        split_seed (int): Seed of the held-out sequences. Defaults to 0.
        num_samples (int, optional): Epoch length. Defaults to the number of frames (divided
            by ``anchor_stride`` in test mode).
        anchor_stride (int): In test mode, sample ``idx`` is anchored at frame
            ``idx * anchor_stride``: a stride of a few frames keeps near-duplicate neighbouring
            frames out of a retrieval evaluation's candidates. Defaults to 1.
        neg_min_angle (float): Minimum largest bone-direction difference of a negative, degrees.
            Defaults to 45.
        neg_tries (int): Candidate negatives tried per sample. Defaults to 8.
        flip_prob (float): Probability of a horizontal flip of the triplet. Defaults to 0.5.
        yaw_range (tuple[float, float]): Camera yaw range, degrees. Defaults to (-180, 180).
        tilt_range (tuple[float, float]): Range of both camera tilts, degrees.
            Defaults to (-30, 30).
        score_range (tuple[float, float]): Range of the simulated joint scores.
            Defaults to (0.5, 1.0).
        real_view_prob (float): Probability that a view (each of the three, independently) is
            a real camera view, for sources with cameras (Human3.6M); sources without cameras
            always use random orthographic views. The authors' value is 0.5
            (``configs/vipe/vipe_h36m.py``). Defaults to 0.0.
        detection_prob (float): Probability that a real view is the source's 2D detection
            (when it has one for that frame and camera) rather than the projection of the
            3D pose. The authors' real views are always detections: 1.0. Defaults to 1.0.
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
                 anchor_stride: int = 1,
                 neg_min_angle: float = 45.0,
                 neg_tries: int = 8,
                 flip_prob: float = 0.5,
                 yaw_range: Tuple[float, float] = (-180.0, 180.0),
                 tilt_range: Tuple[float, float] = (-30.0, 30.0),
                 score_range: Tuple[float, float] = (0.5, 1.0),
                 real_view_prob: float = 0.0,
                 detection_prob: float = 1.0,
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
        if anchor_stride < 1:
            raise ValueError(f'anchor_stride must be >= 1, got {anchor_stride}')
        self.anchor_stride = int(anchor_stride)
        self.neg_min_angle = float(neg_min_angle)
        self.neg_tries = int(neg_tries)
        self.flip_prob = float(flip_prob)
        self.yaw_range = tuple(yaw_range)
        self.tilt_range = tuple(tilt_range)
        self.score_range = tuple(score_range)
        for name, value in (('real_view_prob', real_view_prob),
                            ('detection_prob', detection_prob)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        self.real_view_prob = float(real_view_prob)
        self.detection_prob = float(detection_prob)
        unknown = set(self.source) - _SOURCE_KEYS[self.source['type']]
        if unknown:
            raise ValueError(f'unknown keys {sorted(unknown)} in a {self.source["type"]!r} '
                             f'source: use {sorted(_SOURCE_KEYS[self.source["type"]])}')
        # per-sequence data of sources with cameras: name -> dict(subject, frame_ids)
        self._seq_cameras: Dict[str, dict] = {}
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
            data, frame_ids = load_h36m_npz(cfg['path'], frame_ids=True)
            subjects = cfg.get('subjects')
            if subjects is None:
                subjects = dict(
                    train=H36M_TRAIN_SUBJECTS, val=H36M_VAL_SUBJECTS,
                    all=tuple(data))[self.split]
            if cfg.get('cameras', True):
                self._seq_cameras = {
                    f'{s}/{a}': dict(subject=s, action=a, frame_ids=frame_ids[s][a])
                    for s in subjects for a in data.get(s, {})
                }
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
        # negative mining compares bone directions: computed once, not per sample
        self.bone_dirs = bone_directions(self.poses)  # [F, 14, 3]
        self.frame_seq = np.repeat(np.arange(len(names)), lengths)  # [F]
        self.num_frames = int(lengths.sum())
        self._init_cameras(names, poses)
        self._fully_initialized = True
        MMLogger.get_current_instance().info(
            f'VIPEPairDataset {self.source.get("type")} split={self.split}: '
            f'{len(names)} sequences / {self.num_frames} frames '
            f'(dropped {len(empty)} empty sequences); samples per epoch {len(self)}' +
            ('' if not self.camera_sets else
             f'; frames with real cameras {int((self.frame_camset >= 0).sum())}, with 2D '
             f'detections {0 if self.det is None else int(self.det_valid.any(axis=1).sum())}'))

    def _init_cameras(self, names: List[str], world: np.ndarray) -> None:
        """Per-frame cameras and 2D detections of the sources that have them.

        Sets ``frame_camset`` [F] (index into ``camera_sets``, -1: no cameras), ``camera_sets``
        (dicts of ``R`` [C, 3, 3], ``t`` [C, 3], ``K`` [C, 3, 3], ``dist`` [C, 5]),
        ``world_poses`` [F, 13, 3] (the uncanonicalised poses the cameras see, or None),
        ``det`` [F, C, 13, 3] (x, y, score; NaN where missing, or None) and ``det_valid``
        [F, C].
        """
        self.frame_camset = np.full(self.num_frames, -1, dtype=np.int64)
        self.camera_sets: List[Dict[str, np.ndarray]] = []
        self.world_poses = None
        self.det = self.det_valid = None
        if not self._seq_cameras:
            return
        cfg = self.source
        dets = None
        if cfg.get('detections'):
            dets = load_h36m_detections(cfg['detections'], cfg.get('detections_layout', 'auto'))
            self.det = np.full((self.num_frames, _NUM_CAMERAS, NUM_KEPT, 3), np.nan,
                               dtype=np.float32)
        subject_set: Dict[str, int] = {}
        missing = []
        for s, name in enumerate(names):
            meta = self._seq_cameras.get(name)
            cams = None if meta is None else h36m_cameras(meta['subject'])
            if cams is None:
                continue
            if meta['subject'] not in subject_set:
                subject_set[meta['subject']] = len(self.camera_sets)
                self.camera_sets.append(cams)
            start, end = int(self.seq_starts[s]), int(self.seq_ends[s])
            self.frame_camset[start:end] = subject_set[meta['subject']]
            if dets is None:
                continue
            per_cam = dets.get(meta['subject'], {}).get(meta['action'])
            if per_cam is None:
                missing.append(name)
                continue
            ids = meta['frame_ids']  # [T] frame indices in the file
            for c, det in enumerate(per_cam[:_NUM_CAMERAS]):
                ok = ids < len(det)
                self.det[start + np.flatnonzero(ok), c] = det[ids[ok]]
        if self.camera_sets:
            self.world_poses = world
        if self.det is not None:
            self.det_valid = np.isfinite(self.det[..., :2]).all(axis=(-1, -2))  # [F, C]
            if missing:
                MMLogger.get_current_instance().warning(
                    f'{cfg["detections"]}: no 2D detections for {len(missing)} sequences '
                    f'(e.g. {missing[:3]}): their real views are projections of the 3D poses')

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        if self.num_samples is not None:
            return int(self.num_samples)
        if self.test_mode:
            return -(-self.num_frames // self.anchor_stride)
        return self.num_frames

    def get_data_info(self, idx: int) -> dict:
        """The anchor of sample ``idx`` in test mode: ``dict(sequence, frame, index)``."""
        if not self._fully_initialized:
            self.full_init()
        index = int(idx) * (self.anchor_stride if self.test_mode else 1) % self.num_frames
        seq = int(self.frame_seq[index])
        return dict(sequence=self.seq_names[seq], frame=index - int(self.seq_starts[seq]),
                    index=index)

    def load_data_list(self) -> List[dict]:
        """Not used: samples are drawn on the fly (see :meth:`prepare_data`)."""
        return []

    # ------------------------------------------------------------------ sampling
    def _mine_negatives(self, rng, anchors: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Same-sequence frames with some bone >= ``neg_min_angle`` away from each anchor.

        Args:
            anchors (np.ndarray): [B] frame indices.

        Returns:
            tuple: negatives [B] (the anchor itself where none was found) and validity [B].
        """
        seq = self.frame_seq[anchors]  # [B]
        start, length = self.seq_starts[seq], self.seq_ends[seq] - self.seq_starts[seq]
        if self.neg_tries == 0:
            return anchors.copy(), np.zeros(len(anchors), dtype=bool)
        u = rng.uniform(0.0, 1.0, size=(len(anchors), self.neg_tries))  # [B, K]
        cands = start[:, None] + np.minimum((u * length[:, None]).astype(np.int64),
                                            length[:, None] - 1)  # [B, K]
        angles = max_bone_angle(self.bone_dirs[cands],
                                self.bone_dirs[anchors][:, None])  # [B, K]
        ok = (angles >= self.neg_min_angle) & (length[:, None] >= 2)  # [B, K]
        valid = ok.any(axis=1)  # [B]
        negs = np.where(valid, cands[np.arange(len(anchors)), ok.argmax(axis=1)], anchors)
        return negs, valid

    def _draw(self, rng, anchors: np.ndarray) -> dict:
        """Draw the triplets of a batch of anchors, vectorised over the batch.

        Args:
            rng: ``np.random`` (training, seeded per worker) or a Generator.
            anchors (np.ndarray): [B] frame indices.

        Returns:
            dict: tensors ``inputs`` [B, 3, 39] float32 (view 1, view 2, negative; zeros where
            no negative was found), ``lift_target`` [B, L] and ``neg_valid`` [B] (bool), and
            arrays ``negs`` [B] and ``flip`` [B].
        """
        num = len(anchors)
        negs, neg_valid = self._mine_negatives(rng, anchors)
        poses = self.poses[np.stack([anchors, anchors, negs], axis=1)]  # [B, 3, 13, 3]
        cams = random_cameras(rng, 3 * num, self.yaw_range, self.tilt_range)  # [3B, 3, 3]
        xy = project_orthographic(poses.reshape(3 * num, NUM_KEPT, 3), cams)  # [3B, 13, 2]
        xy = xy.reshape(num, 3, NUM_KEPT, 2)
        scores = rng.uniform(self.score_range[0], self.score_range[1], size=(num, 3, NUM_KEPT))
        flip = rng.uniform(0.0, 1.0, size=num) < self.flip_prob  # [B]
        kinds = np.full((num, 3), ORTHO, dtype=np.int64)
        cameras = np.full((num, 3), -1, dtype=np.int64)
        if self.real_view_prob > 0 and self.camera_sets:
            kinds, cameras = self._real_views(rng, np.stack([anchors, anchors, negs], axis=1),
                                              xy, scores)
        # a horizontal flip of the whole triplet: left/right swapped, x negated
        xy[flip] = xy[flip][:, :, KEPT_FLIP_INDICES]
        xy[flip, ..., 0] = -xy[flip, ..., 0]
        scores[flip] = scores[flip][:, :, KEPT_FLIP_INDICES]
        inputs = self.encoder.encode_kept(xy, scores)  # [B, 3, 39]
        inputs[~neg_valid, 2] = 0.0
        target_pose = poses[:, 0]  # [B, 13, 3]
        target_pose = np.where(flip[:, None, None], mirror_3d(target_pose), target_pose)
        return dict(
            inputs=torch.from_numpy(inputs.astype(np.float32)),
            lift_target=torch.from_numpy(lifting_targets(target_pose)),
            neg_valid=torch.from_numpy(neg_valid),
            negs=negs,
            flip=flip,
            kinds=kinds,
            cameras=cameras)

    def _real_views(self, rng, frames: np.ndarray, xy: np.ndarray,
                    scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Replace views by real camera views in place (step 4 of the class docstring).

        Args:
            rng: ``np.random`` or a Generator.
            frames (np.ndarray): [B, 3] frame of each view (anchor, anchor, negative).
            xy (np.ndarray): [B, 3, 13, 2] orthographic views, overwritten where real.
            scores (np.ndarray): [B, 3, 13] simulated scores, overwritten by detection scores.

        Returns:
            tuple: ``kinds`` [B, 3] (ORTHO, CAMERA or DETECTION) and ``cameras`` [B, 3]
            (camera index, -1 for orthographic views).
        """
        num = len(frames)
        camset = self.frame_camset[frames]  # [B, 3]
        u = rng.uniform(0.0, 1.0, size=(3, num, 3))  # real?, which camera, detection?
        real = (u[0] < self.real_view_prob) & (camset >= 0)  # [B, 3]
        c = _NUM_CAMERAS
        first = np.minimum((u[1, :, 0] * c).astype(np.int64), c - 1)  # [B]
        # the second positive from another camera: no replacement
        second = (first + 1 + np.minimum((u[1, :, 1] * (c - 1)).astype(np.int64), c - 2)) % c
        neg = np.minimum((u[1, :, 2] * c).astype(np.int64), c - 1)
        cameras = np.where(real, np.stack([first, second, neg], axis=1), -1)  # [B, 3]
        kinds = np.where(real, CAMERA, ORTHO)
        if self.det is not None:
            has_det = self.det_valid[frames, np.maximum(cameras, 0)]  # [B, 3]
            use = real & has_det & (u[2] < self.detection_prob)
            kinds[use] = DETECTION
            det = self.det[frames[use], cameras[use]]  # [n, 13, 3]
            xy[use] = det[..., :2]
            scores[use] = np.where(np.isfinite(det[..., 2]), det[..., 2], scores[use])
        b, v = np.nonzero(kinds == CAMERA)
        keys = camset[b, v] * c + cameras[b, v]  # one projection per (subject, camera)
        for key in np.unique(keys):
            sel = keys == key
            cams = self.camera_sets[int(key) // c]
            k = int(key) % c
            xy[b[sel], v[sel]] = project_perspective(
                self.world_poses[frames[b[sel], v[sel]]], cams['R'][k], cams['t'][k],
                cams['K'][k], cams['dist'][k])
        return kinds, cameras

    def _pack(self, draws: dict, i: int, anchor: int) -> dict:
        """Sample ``i`` of a drawn batch as the model's input dict, through the pipeline."""
        seq = int(self.frame_seq[anchor])
        start = int(self.seq_starts[seq])
        sample = BaseDataElement(
            metainfo=dict(
                sequence=self.seq_names[seq], frame=anchor - start,
                neg_frame=int(draws['negs'][i]) - start, flip=bool(draws['flip'][i]),
                view_kinds=tuple(VIEW_KINDS[k] for k in draws['kinds'][i]),
                view_cameras=tuple(int(c) for c in draws['cameras'][i])))
        # rows of the batch tensors: views sharing one storage, which a DataLoader worker sends
        # to the main process as one shared-memory block instead of one per sample
        sample.lift_target = draws['lift_target'][i]  # [L]
        sample.neg_valid = draws['neg_valid'][i]  # []
        return self.pipeline(dict(inputs=draws['inputs'][i], data_samples=sample))

    def prepare_data(self, idx: int) -> dict:
        """Draw the triplet of sample ``idx`` (deterministic from ``idx`` in test mode)."""
        if self.test_mode:
            rng = np.random.default_rng(int(idx))
            anchor = int(idx) * self.anchor_stride % self.num_frames
        else:
            rng = np.random  # seeded per worker by mmengine
            anchor = int(rng.randint(self.num_frames))
        return self._pack(self._draw(rng, np.array([anchor])), 0, anchor)

    def __getitems__(self, indices: List[int]) -> List[dict]:
        """A whole batch at once (torch's DataLoader calls this): one vectorised draw.

        In test mode each sample stays a function of its index, as :meth:`prepare_data`.
        """
        if self.test_mode:
            return [self[i] for i in indices]
        if not self._fully_initialized:
            self.full_init()
        anchors = np.random.randint(self.num_frames, size=len(indices))
        draws = self._draw(np.random, anchors)
        return [self._pack(draws, i, int(a)) for i, a in enumerate(anchors)]
