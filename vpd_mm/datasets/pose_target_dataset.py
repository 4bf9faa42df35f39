# Copyright (c) vpd_mm contributors. All rights reserved.
"""The distillation dataset: one sample per frame, the teacher's target and its temporal change."""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger

from vpd_mm.codecs import NUM_KEYPOINTS, PoseNormalizer, pose_confidence
from vpd_mm.utils.io import FileFormatError
from vpd_mm.utils.paths import join_under
from .features import read_feature_file
from .pose_annotations import (PoseAnnotationError, athlete_track, load_pose_annotations,
                               numeric_array)

_SPLITS = ('train', 'val', 'all')
_FRAMES = ('confident', 'all')
_TARGET_TYPES = ('pose2d', 'embedding')


def split_videos(names: Sequence[str],
                 val_ratio: float = 0.2,
                 seed: int = 0) -> Tuple[List[str], List[str]]:
    """Hold out whole videos for validation, reproducibly.

    The names are sorted, shuffled with ``np.random.default_rng(seed)``, and the first
    ``floor(val_ratio * V + 0.5)`` videos (at least one when ``V >= 2`` and ``val_ratio > 0``)
    become the validation split. The result depends on the names only, never on their order in
    the annotation file or on the teacher's confidence.

    Args:
        names (Sequence[str]): Video names (``frame_dir``), unique.
        val_ratio (float): Fraction of the videos held out. Defaults to 0.2.
        seed (int): Seed of the shuffle. Defaults to 0.

    Returns:
        tuple[list[str], list[str]]: The train and the val video names, each sorted.
    """
    if not 0.0 <= val_ratio <= 1.0:
        raise ValueError(f'val_ratio must be in [0, 1], got {val_ratio}')
    names = sorted(names)
    num = len(names)
    num_val = int(np.floor(val_ratio * num + 0.5))
    if num >= 2 and val_ratio > 0:
        num_val = max(num_val, 1)
    order = np.random.default_rng(seed).permutation(num)
    val = {names[i] for i in order[:num_val]}
    return [n for n in names if n not in val], [n for n in names if n in val]


def _img_shape(ann: dict) -> np.ndarray:
    """An annotation's ``img_shape`` (h, w) as float64 [2], NaN when it has none."""
    shape = ann.get('img_shape')
    if shape is None or np.size(shape) < 2:
        return np.full(2, np.nan)
    return np.asarray(shape, dtype=np.float64).reshape(-1)[:2]


class NoVideoLeftError(ValueError):
    """Every video of the split is in ``exclude_videos`` (e.g. a resumed dump that has
    nothing left to compute)."""


@DATASETS.register_module()
class VPDPoseTargetDataset(BaseDataset):
    """Frames of athlete crops with the teacher's pose target, for distillation.

    Reads an annotation pkl in mmaction2's ``PoseDataset`` format (see ``docs/data_layout.md``):
    ``dict(split=dict(...), annotations=[...])`` or a plain list of annotation dicts, each with
    ``frame_dir``, ``total_frames`` (T), ``keypoint`` [M, T, 17, 2] and ``keypoint_score``
    [M, T, 17] (only the first person, the athlete, is used), optionally ``athlete_box`` and
    ``crop_box`` [T, 4] and ``img_shape``.

    A frame is *confident* when ``pose_confidence(scores, keypoints, img_shape) >= conf_thr``
    (non-finite keypoints or scores never are, nor absurd poses: a joint at 1e30 or more than an
    image size outside the frame, counted with ``frames_nonfinite_pose``) and, for
    ``target_type='embedding'``, its embedding row is finite. The target of frame ``t`` is
    ``pose_target`` [2, d] (view 0 as is, view 1 of the horizontally flipped pose) and
    ``prev_pose_target`` (frame ``t - 1``, zeros for ``t = 0``); target values of frames without
    a (plausible) pose or with a non-finite target are stored as 0, ``target_valid`` tells
    whether to trust them.

    The videos are split into train and val as whole videos (:func:`split_videos`) before any
    confidence filtering, so the split does not change with ``conf_thr``.

    Each sample (see :meth:`get_data_info`) holds ``frame_dir``, ``frame_idx`` (0-based),
    ``total_frames``, ``frame_path`` (``data_prefix['img']/frame_dir``), ``pose_target``,
    ``prev_pose_target``, ``target_valid``, ``motion_valid`` (``with_motion`` and frames ``t``
    and ``t - 1`` both confident), ``keypoint`` [17, 2], ``keypoint_score`` [17],
    ``athlete_box`` [4], ``crop_box`` [4] (NaN where absent) and ``img_shape`` (of the original
    video).

    After loading, one INFO line summarises the filtering and ``self.stats`` holds its counts:
    ``videos_total`` / ``frames_total`` (after ``source_split``), ``videos_other_split`` /
    ``frames_other_split``, ``videos_seen`` / ``frames_seen`` (this split), the disjoint frame
    counts ``frames_nonfinite_pose`` + ``frames_nonfinite_target`` + ``frames_low_conf`` +
    ``frames_confident`` = ``frames_seen``, ``frames_prev_not_confident`` (confident frames whose
    previous frame is not, the first frame of a video included; 0 without motion),
    ``videos_no_confident``, and ``videos_kept`` / ``frames_kept`` / ``videos_dropped`` /
    ``frames_dropped`` (in ``'all'`` mode every frame of the split is kept).

    Storage: the per-frame arrays of the kept videos are held as a few contiguous numpy arrays
    (about 0.5 kB per frame for 2D targets) and each sample's dict is built on access, instead
    of pickling one dict per frame (``serialize_data`` is ignored): a million frames load in
    seconds and DataLoader workers share the arrays copy-on-write.

    Args:
        ann_file (str): The annotation pkl.
        pipeline (list[dict | callable]): Transforms applied to each sample.
        data_prefix (dict): ``img``: the folder holding ``<frame_dir>/img_00001.jpg ...``
            (``rawframes``). Defaults to ``dict(img='')``.
        split (str): ``'train'``, ``'val'`` or ``'all'`` videos. Defaults to ``'train'``.
        val_ratio (float): Fraction of the videos held out as ``'val'``. Defaults to 0.2.
        split_seed (int): Seed of the train/val split. Defaults to 0.
        source_split (str, optional): First restrict to this named list of the pkl's ``split``
            dict (e.g. ``'train'``). Defaults to None (every annotation).
        conf_thr (float): Minimum teacher confidence (mean joint score). Defaults to 0.5.
        with_motion (bool): Use the motion target ``p_t - p_{t-1}``; in ``'confident'`` mode
            frames whose previous frame is not confident are then dropped. Defaults to True.
        frames (str): ``'confident'``: only frames with a valid target (training, validation);
            ``'all'``: every frame of the split's videos, each marked valid or not (inference,
            feature extraction). Defaults to ``'confident'``.
        target_type (str): ``'pose2d'`` (the normalised 2D pose, d = 26) or ``'embedding'``
            (precomputed teacher targets from ``emb_dir``). Defaults to ``'pose2d'``.
        emb_dir (str, optional): For ``'embedding'``: folder of ``<frame_dir>.npy`` float32
            arrays [T, 2, d]. Defaults to None.
        exclude_videos (Sequence[str], optional): Videos left out of the split (e.g. those a
            resumed feature dump already wrote). :class:`NoVideoLeftError` when none is left.
            Defaults to None.
        test_mode (bool): Passed to :class:`BaseDataset`. Defaults to False.
        **kwargs: Further :class:`mmengine.dataset.BaseDataset` arguments (``data_root``,
            ``indices``, ``lazy_init``, ``metainfo`` ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 data_prefix: dict = dict(img=''),
                 split: str = 'train',
                 val_ratio: float = 0.2,
                 split_seed: int = 0,
                 source_split: Optional[str] = None,
                 conf_thr: float = 0.5,
                 with_motion: bool = True,
                 frames: str = 'confident',
                 target_type: str = 'pose2d',
                 emb_dir: Optional[str] = None,
                 exclude_videos: Optional[Sequence[str]] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        for name, value, allowed in (('split', split, _SPLITS), ('frames', frames, _FRAMES),
                                     ('target_type', target_type, _TARGET_TYPES)):
            if value not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got {value!r}')
        if target_type == 'embedding' and not emb_dir:
            raise ValueError("target_type='embedding' needs emb_dir (the folder of "
                             '<frame_dir>.npy teacher targets)')
        if not 0.0 <= val_ratio <= 1.0:
            raise ValueError(f'val_ratio must be in [0, 1], got {val_ratio}')
        self.split = split
        self.val_ratio = val_ratio
        self.split_seed = split_seed
        self.source_split = source_split
        self.conf_thr = conf_thr
        self.with_motion = with_motion
        self.frames = frames
        self.target_type = target_type
        self.emb_dir = emb_dir
        self.exclude_videos = frozenset(map(str, exclude_videos or ()))
        self.stats: Dict[str, int] = {}
        self._cols: Dict[str, np.ndarray] = {}
        self._videos: List[dict] = []
        self._rows = np.zeros(0, dtype=np.int64)  # global frame row of each sample
        self._row_video = np.zeros(0, dtype=np.int32)  # video index of each sample
        super().__init__(
            ann_file=ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix,
            test_mode=test_mode,
            **kwargs)

    # ------------------------------------------------------------------ loading
    def _read_annotations(self) -> List[dict]:
        """Load the pkl and restrict it to ``source_split``."""
        data = load_pose_annotations(self.ann_file)
        anns, named = data['annotations'], data['split']
        names = [ann['frame_dir'] for ann in anns]
        if self.source_split is not None:
            if self.source_split not in named:
                raise KeyError(f'{self.ann_file}: source_split {self.source_split!r} not in the '
                               f"file's split lists {sorted(named)}")
            wanted = set(named[self.source_split])
            missing = wanted.difference(names)
            if missing:
                MMLogger.get_current_instance().warning(
                    f'{self.ann_file}: {len(missing)} videos of split {self.source_split!r} '
                    f'have no annotation, e.g. {sorted(missing)[:5]}')
            anns = [a for a in anns if a['frame_dir'] in wanted]
        return list(anns)

    def _check_annotation(self, ann: dict) -> Tuple[np.ndarray, np.ndarray, int]:
        """Validate one annotation; return the athlete's keypoints [T, 17, 2] and scores.

        Raises:
            PoseAnnotationError: (a ``ValueError``) naming the file, the video and the field.
        """
        name = ann['frame_dir']
        where = f'{self.ann_file}: video {name!r}'
        if 'total_frames' not in ann:
            raise PoseAnnotationError(f"{where}: missing 'total_frames'")
        kp, sc = athlete_track(ann, self.ann_file, dtype=np.float32)  # [T, 17, 2], [T, 17]
        num = len(kp)  # total_frames (checked by athlete_track)
        for key in ('athlete_box', 'crop_box'):
            if ann.get(key) is not None:
                shape = numeric_array(ann[key], key, where).shape
                if shape != (num, 4):
                    raise PoseAnnotationError(f'{where}: {key} must have shape [{num}, 4], got '
                                              f'{list(shape)}')
        if ann.get('img_shape') is not None and \
                numeric_array(ann['img_shape'], 'img_shape', where).ndim != 1:
            raise PoseAnnotationError(f'{where}: img_shape must be (height, width), got '
                                      f'{ann["img_shape"]!r:.60}')
        return kp, sc, num

    def _load_embedding(self, name: str, num: int, dim: Optional[int]) -> np.ndarray:
        path = join_under(self.emb_dir, name, what='frame_dir', where=self.ann_file,
                          suffix='.npy', resolve=False)
        if not osp.isfile(path):
            raise FileNotFoundError(f'teacher embedding file not found: {path} (video {name!r} '
                                    f'of {self.ann_file})')
        emb = read_feature_file(path)  # a checked header: real numbers, as many as the file has
        if emb.ndim != 3 or emb.shape[:2] != (num, 2) or (dim is not None and emb.shape[2] != dim):
            want = f'[{num}, 2, {dim if dim is not None else "d"}]'
            raise FileFormatError(path, f'expected a teacher embedding of shape {want} '
                                  f'(total_frames, 2 flip views, d), got {list(emb.shape)}')
        return emb.astype(np.float32)

    def _check_frame_dirs(self) -> None:
        root = self.data_prefix.get('img', '')
        missing = [v['frame_path'] for v in self._videos if not osp.isdir(v['frame_path'])]
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(self._videos)} videos of {self.ann_file} have no '
                f'rawframes folder under {root!r}, e.g. {missing[:5]}')

    def full_init(self) -> None:
        """Load the annotations into column arrays (see the class docstring)."""
        if self._fully_initialized:
            return
        anns = self._read_annotations()
        checked = [(ann, *self._check_annotation(ann)) for ann in anns]
        names = [ann['frame_dir'] for ann in anns]
        if self.split == 'all':
            in_split = set(names)
        else:
            train, val = split_videos(names, self.val_ratio, self.split_seed)
            in_split = set(train if self.split == 'train' else val)
        stats = dict(
            videos_total=len(names),
            frames_total=sum(c[3] for c in checked),
            videos_other_split=len(names) - len(in_split),
            frames_other_split=sum(c[3] for c in checked if c[0]['frame_dir'] not in in_split))
        checked = [c for c in checked if c[0]['frame_dir'] in in_split]
        if self.exclude_videos:
            kept = [c for c in checked if c[0]['frame_dir'] not in self.exclude_videos]
            stats['videos_excluded'] = len(checked) - len(kept)
            if checked and not kept:
                raise NoVideoLeftError(
                    f'{self.ann_file}: every one of the {len(checked)} videos of split '
                    f'{self.split!r} is in exclude_videos')
            checked = kept
        if not checked:
            raise ValueError(
                f'{self.ann_file}: split {self.split!r} holds no video ({len(names)} videos'
                f'{"" if self.source_split is None else f" in {self.source_split!r}"}, '
                f'val_ratio={self.val_ratio}, split_seed={self.split_seed})')

        # one concatenation of every frame of the split's videos, encoded at once
        lengths = np.array([c[3] for c in checked], dtype=np.int64)
        kp = np.concatenate([c[1] for c in checked]).reshape(-1, NUM_KEYPOINTS, 2)
        sc = np.concatenate([c[2] for c in checked]).reshape(-1, NUM_KEYPOINTS)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        shapes = np.concatenate(
            [np.broadcast_to(_img_shape(c[0]), (c[3], 2)) for c in checked])  # [N, 2] (h, w)
        # [N], -inf where not finite or a joint lies far outside its image (pose_confidence)
        conf = pose_confidence(sc, kp, img_shape=shapes)
        finite_pose = np.isfinite(conf)
        if self.target_type == 'pose2d':
            with np.errstate(invalid='ignore', over='ignore'):
                targets = PoseNormalizer().encode_views(kp)  # [N, 2, 26]
            finite_target = finite_pose
        else:
            dim = None
            embs = []
            for ann, _, _, num in checked:
                embs.append(self._load_embedding(ann['frame_dir'], num, dim))
                dim = embs[-1].shape[2]
            targets = np.concatenate(embs)  # [N, 2, d]
            finite_target = np.isfinite(targets).all(axis=(1, 2))
        target_valid = finite_pose & finite_target & (conf >= self.conf_thr)
        first = np.zeros(len(kp), dtype=bool)
        first[offsets[:-1][lengths > 0]] = True  # the first frame of each video
        prev_valid = np.roll(target_valid, 1) & ~first
        motion_valid = target_valid & prev_valid if self.with_motion else np.zeros_like(first)
        keep = (motion_valid if self.with_motion else target_valid)

        stats.update(
            videos_seen=len(checked),
            frames_seen=int(lengths.sum()),
            frames_nonfinite_pose=int((~finite_pose).sum()),
            frames_nonfinite_target=int((finite_pose & ~finite_target).sum()),
            frames_low_conf=int((finite_pose & finite_target & (conf < self.conf_thr)).sum()),
            frames_confident=int(target_valid.sum()),
            frames_prev_not_confident=int(
                (target_valid & ~prev_valid).sum()) if self.with_motion else 0)
        video_of_frame = np.repeat(np.arange(len(checked)), lengths)
        conf_per_video = np.bincount(video_of_frame, weights=target_valid, minlength=len(checked))
        stats['videos_no_confident'] = int((conf_per_video == 0).sum())
        if self.frames == 'confident':
            if not target_valid.any():
                raise ValueError(
                    f'{self.ann_file}: no confident frame in split {self.split!r}: '
                    f'{stats["frames_seen"]} frames of {stats["videos_seen"]} videos seen, '
                    f'{stats["frames_nonfinite_pose"]} with non-finite or absurd keypoints/scores, '
                    f'{stats["frames_nonfinite_target"]} with a non-finite target, '
                    f'{stats["frames_low_conf"]} below conf_thr={self.conf_thr}')
            if not keep.any():
                raise ValueError(
                    f'{self.ann_file}: no frame of split {self.split!r} has a confident '
                    f'previous frame (with_motion=True; {stats["frames_confident"]} confident '
                    f'frames of {stats["frames_seen"]} at conf_thr={self.conf_thr})')
            kept_video = np.bincount(video_of_frame, weights=keep, minlength=len(checked)) > 0
        else:
            keep = np.ones(len(kp), dtype=bool)
            kept_video = np.ones(len(checked), dtype=bool)

        # drop the videos without a kept frame from the columns
        frame_sel = kept_video[video_of_frame]
        lengths = lengths[kept_video]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        checked = [c for c, k in zip(checked, kept_video) if k]
        # no pose (or an absurd one) or no finite target: stored as 0, never trusted
        targets = np.where((finite_pose & finite_target)[:, None, None], targets, 0.0)
        targets = np.nan_to_num(targets[frame_sel], nan=0.0, posinf=0.0, neginf=0.0)

        def box(key: str) -> np.ndarray:  # [N, 4], NaN where the annotation has none
            boxes = [np.full((num, 4), np.nan, np.float32) for _, _, _, num in checked]
            for i, (ann, _, _, num) in enumerate(checked):
                if ann.get(key) is not None:
                    boxes[i] = np.asarray(ann[key], dtype=np.float32).reshape(num, 4)
            return np.concatenate(boxes).reshape(-1, 4)

        self._cols = dict(
            pose_target=np.ascontiguousarray(targets, dtype=np.float32),
            target_valid=target_valid[frame_sel],
            motion_valid=motion_valid[frame_sel],
            keypoint=kp[frame_sel],
            keypoint_score=sc[frame_sel],
            athlete_box=box('athlete_box'),
            crop_box=box('crop_box'),
            offsets=offsets)
        self._videos = [
            dict(
                frame_dir=ann['frame_dir'],
                total_frames=num,
                frame_path=join_under(self.data_prefix.get('img', ''), ann['frame_dir'],
                                      what='frame_dir', where=self.ann_file, resolve=False),
                img_shape=None if ann.get('img_shape') is None else tuple(ann['img_shape']))
            for ann, _, _, num in checked
        ]
        self._rows = np.flatnonzero(keep[frame_sel]).astype(np.int64)
        self._row_video = (np.searchsorted(offsets, self._rows, side='right') - 1).astype(np.int32)
        self._check_frame_dirs()

        stats.update(videos_kept=len(checked), frames_kept=len(self._rows))
        stats['frames_dropped'] = stats['frames_seen'] - stats['frames_kept']
        stats['videos_dropped'] = stats['videos_seen'] - stats['videos_kept']
        self.stats = stats
        self._metainfo['target_dim'] = int(targets.shape[-1])
        if self._indices is not None:
            self._rows, self._row_video = self._subset(self._indices)
        self._fully_initialized = True
        self._log_stats()

    def _log_stats(self) -> None:
        s = self.stats
        MMLogger.get_current_instance().info(
            f'VPDPoseTargetDataset {osp.basename(str(self.ann_file))} split={self.split} '
            f'frames={self.frames} conf_thr={self.conf_thr} with_motion={self.with_motion}: '
            f'{s["videos_seen"]} videos / {s["frames_seen"]} frames seen '
            f'({s["videos_other_split"]} videos / {s["frames_other_split"]} frames in the other '
            f'split); {s["frames_confident"]} frames confident, not confident: '
            f'{s["frames_low_conf"]} low confidence, {s["frames_nonfinite_pose"]} non-finite '
            f'keypoints, {s["frames_nonfinite_target"]} non-finite target; '
            f'{s["frames_prev_not_confident"]} confident frames without a confident previous '
            f'frame; {s["videos_no_confident"]} videos with no confident frame; kept '
            f'{s["videos_kept"]} videos / {s["frames_kept"]} frames, dropped '
            f'{s["videos_dropped"]} videos / {s["frames_dropped"]} frames; '
            f'target_dim={self.target_dim}')

    # ------------------------------------------------------------------ access
    def load_data_list(self) -> List[dict]:
        """Every sample as a dict (see :meth:`get_data_info`); for inspection only.

        The dataset itself keeps column arrays and builds these dicts on access.

        Returns:
            list[dict]: One dict per sample.
        """
        self.full_init()
        return [self.get_data_info(i) for i in range(len(self))]

    @property
    def target_dim(self) -> int:
        """int: The teacher target's dimension d."""
        self.full_init()
        return self._metainfo['target_dim']

    def __len__(self) -> int:
        self.full_init()
        return len(self._rows)

    def sample_keypoints(self) -> np.ndarray:
        """The teacher's keypoints of every sample, in sample order.

        Returns:
            np.ndarray: [N, 17, 2] float32 image coordinates (NaN where the teacher has none),
            e.g. for :class:`PoseBalancedSampler`.
        """
        self.full_init()
        return self._cols['keypoint'][self._rows]

    def get_data_info(self, idx: int) -> dict:
        """Build the ``idx``-th sample's dict from the column arrays.

        Args:
            idx (int): Sample index (negative counts from the end).

        Returns:
            dict: The sample's fields (see the class docstring), fresh copies.
        """
        self.full_init()
        num = len(self._rows)
        if not -num <= idx < num:
            raise IndexError(f'index {idx} out of range for a dataset of {num} samples')
        idx = idx % num
        row = int(self._rows[idx])
        video = self._videos[self._row_video[idx]]
        cols = self._cols
        t = row - int(cols['offsets'][self._row_video[idx]])
        target = cols['pose_target']
        prev = target[row - 1].copy() if t > 0 else np.zeros_like(target[row])
        return dict(
            frame_dir=video['frame_dir'],
            frame_idx=t,
            total_frames=video['total_frames'],
            frame_path=video['frame_path'],
            pose_target=target[row].copy(),
            prev_pose_target=prev,
            target_valid=bool(cols['target_valid'][row]),
            motion_valid=bool(cols['motion_valid'][row]),
            keypoint=cols['keypoint'][row].copy(),
            keypoint_score=cols['keypoint_score'][row].copy(),
            athlete_box=cols['athlete_box'][row].copy(),
            crop_box=cols['crop_box'][row].copy(),
            img_shape=video['img_shape'],
            target_type=self.target_type,
            sample_idx=idx)

    def _subset(self, indices: Union[int, Sequence[int]]) -> Tuple[np.ndarray, np.ndarray]:
        if isinstance(indices, int):
            sel = slice(None, indices) if indices >= 0 else slice(indices, None)
            return self._rows[sel].copy(), self._row_video[sel].copy()
        if isinstance(indices, Sequence):
            idx = np.asarray(indices, dtype=np.int64)
            return self._rows[idx], self._row_video[idx]
        raise TypeError(f'indices should be an int or a sequence of int, got {type(indices)}')

    def get_subset_(self, indices: Union[int, Sequence[int]]) -> None:
        """Keep only the given samples (in place); see :meth:`BaseDataset.get_subset_`."""
        self.full_init()
        self._rows, self._row_video = self._subset(indices)

    def get_subset(self, indices: Union[int, Sequence[int]]) -> 'VPDPoseTargetDataset':
        """A subset sharing this dataset's column arrays; see :meth:`BaseDataset.get_subset`."""
        self.full_init()
        sub = self._copy_without_annotation()  # deep-copies all but the columns (see below)
        sub._cols, sub._videos = self._cols, self._videos
        sub._rows, sub._row_video = self._subset(indices)
        return sub

    def _copy_without_annotation(self, memo=None) -> 'VPDPoseTargetDataset':
        cols, videos = self._cols, self._videos
        self._cols, self._videos = {}, []
        try:
            return super()._copy_without_annotation(dict() if memo is None else memo)
        finally:
            self._cols, self._videos = cols, videos
