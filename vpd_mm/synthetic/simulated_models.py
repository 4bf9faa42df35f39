# Copyright (c) vpd_mm contributors. All rights reserved.
"""A simulated person detector and 2D pose teacher for the synthetic sports corpus.

Both read the ground truth of a video from ``video['gt_file']`` (the path of its
``gt/<video>.npz``, written by :func:`~.sports_corpus.make_sports_corpus`; without that key,
``<root>/gt/<stem>.npz`` is derived from ``video['path']`` = ``<root>/videos/<stem>.mp4``)
and take the source
frame indices of the chunk they are given as the keyword ``frame_indices`` (int64 [n],
required). They are registered in ``mmaction.registry.TASK_UTILS`` with the call interfaces of
the real mmdet detector / mmpose teacher of the data preparation, which they replace. Frames may
be resized: coordinates are scaled by the frames' size over the ground truth's ``image_size``.
The output is a deterministic function of ``(seed, video, frame)``: the random draws of a video
are made once for all its frames (seeded by the seed and the CRC32 of the gt file's stem), so
chunking does not change anything.

**Detector** (:class:`SimulatedPersonDetector`): every person whose ground-truth box is in the
image (the athlete and the distractors) is detected unless missed; the miss probability is
``1 - (1 - miss_rate) (1 - blur_miss * min(blur / box height * 10, 1)) (1 - small_miss [box
height < small_px]) (1 - partial_miss [visibility < 0.5])``. Boxes are jittered by
``box_jitter`` times their size (Gaussian per coordinate); scores of true detections are about
0.9, lower for blurred, small or partial people. False positives: Poisson(``false_positive_rate``)
random boxes per frame, person-shaped, with scores U(0.05, 0.6) (lower on average).

**Teacher** (:class:`SimulatedPoseTeacher`), per frame ``t`` and joint ``j``, in metres at the
athlete's depth (pixels divided by ``focal / depth``):

1. *Jitter*: Gaussian with sigma ``jitter + motion_jitter * travel_j`` (``travel_j`` the joint's
   displacement during the exposure, i.e. motion blur), times ``1 + inverted_jitter * inv``
   where ``inv = max(-upright_cos, 0)`` is 1 upside down.
2. *Collapse on inverted poses*: in bursts covering ``collapse_rate`` of the frames (so that a
   teacher is sometimes right about an inverted athlete, as real ones are), with
   ``c = collapse * inv * U(0.5, 1)``, elbows and knees move
   ``0.5 c`` and wrists and ankles ``0.8 c`` of the way toward the torso centre.
3. *Left-right swaps*: in bursts of frames (a smoothed Gaussian process thresholded per frame),
   with probability ``swap_rate * (1 + side_gain * (1 - |facing_cos|) + back_gain *
   max(-facing_cos, 0))`` (clipped to 0.9): side-on and back views swap more. The whole pose
   is permuted (COCO flip order).
4. *Dropped frames*: bursts covering ``drop_rate`` of the frames: joints anywhere in the box,
   scores U(0.02, 0.25).
5. *Scores*: ``sigmoid((score_tau - e_j) / score_width) - swap_penalty [swapped] + n_t + n_tj``
   clipped to [0, 1], where ``e_j`` is the error of the joint *before* the swap (a detector is
   often confident about a swapped pose) and ``n_t ~ N(0, score_noise)``, ``n_tj ~ N(0,
   joint_score_noise)``: correlated with the error, but imperfectly.

Boxes that are NaN give NaN keypoints and zero scores; a box that does not cover the athlete
(IoU with its ground-truth box < 0.3) gives joints anywhere in the box with low scores, and
joints outside a box are clamped to it with their score multiplied by 0.3. The defaults give
about 75% confident frames (mean score >= 0.5) on the default corpus, with errors about 3.5x larger
on the unconfident ones (``docs/synthetic_benchmark.md``).
"""
import os.path as osp
import zipfile
import zlib
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmaction.registry import TASK_UTILS
from scipy.ndimage import gaussian_filter1d
from scipy.special import expit, ndtr

from vpd_mm.codecs import COCO_FLIP_INDICES
from vpd_mm.structures import box_iou
from vpd_mm.utils.io import FileFormatError

_CACHE_SIZE = 4


def _video_gt(video: dict) -> str:
    """The ground-truth file of a video record: ``video['gt_file']``, else the corpus layout's
    ``<root>/gt/<stem>.npz`` next to ``video['path']`` = ``<root>/videos/<stem>.mp4``."""
    if isinstance(video, dict) and 'gt_file' in video:
        return str(video['gt_file'])
    if isinstance(video, dict) and video.get('path'):
        path = str(video['path'])
        guess = osp.join(osp.dirname(osp.dirname(path)), 'gt',
                         osp.splitext(osp.basename(path))[0] + '.npz')
        if osp.isfile(guess):
            return guess
    raise KeyError('the simulated models need video["gt_file"], the path of the ground-truth npz '
                   'written by make_sports_corpus (gt/<video>.npz)')


def _check_indices(frame_indices, n: int, T: int, path: str) -> np.ndarray:
    if frame_indices is None:
        raise ValueError('frame_indices (the source frame indices of the chunk, int64 [n]) is '
                         'required by the simulated models')
    idx = np.asarray(frame_indices)
    if idx.shape != (n, ) or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f'frame_indices must be an integer array of shape ({n},) matching the '
                         f'frames, got {idx.dtype} {idx.shape}')
    if n and (idx.min() < 0 or idx.max() >= T):
        raise IndexError(f'frame_indices out of range [0, {T}) of {path}')
    return idx.astype(np.int64)


def _frame_scale(frames: np.ndarray, gt: dict) -> np.ndarray:
    """(sx, sy): frame pixels per ground-truth pixel."""
    frames = np.asarray(frames)
    if frames.ndim != 4:
        raise ValueError(f'frames must be [n, H, W, 3], got shape {frames.shape}')
    w, h = gt['image_size']
    return np.array([frames.shape[2] / w, frames.shape[1] / h], np.float64)


def _bursts(rng: np.random.Generator, prob: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """[T] bool in runs of frames, ``P(frame t) = prob[t]`` (thresholded smoothed noise)."""
    z = gaussian_filter1d(rng.standard_normal(len(prob) + 20), sigma, mode='wrap')[10:-10]
    z /= z.std() + 1e-9 if len(z) > 1 else 1.0
    return ndtr(z) < prob


class _GTCache:
    """A small LRU cache of ground-truth files (and per-video draws)."""

    def __init__(self) -> None:
        self._items: 'OrderedDict[Tuple, dict]' = OrderedDict()

    def get(self, key, make):
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        while len(self._items) > _CACHE_SIZE:
            self._items.popitem(last=False)
        return value


#: The arrays of a ground-truth file the simulated models read, with their shapes (``T``
#: frames, ``P`` >= 1 people; see :mod:`.sports_corpus`).
GT_SHAPES: Dict[str, Tuple] = dict(
    keypoints_2d=('T', 17, 2), keypoints_depth=('T', 17), speed=('T', 17), blur=('T', ),
    facing_cos=('T', ), upright_cos=('T', ), athlete_box=('T', 4), person_boxes=('P', 'T', 4),
    person_visibility=('P', 'T'), focal=(), image_size=(2, ))
#: What numpy raises reading a damaged npz.
_NPZ_ERRORS = (OSError, ValueError, EOFError, MemoryError, zipfile.BadZipFile, zlib.error)


def load_gt(path: str) -> Dict[str, np.ndarray]:
    """Read a ground-truth npz (see :mod:`.sports_corpus`) into a dict of arrays.

    Raises:
        FileNotFoundError: No such file.
        FileFormatError: ``'<path>: ...'``: not a readable npz (zip) archive, an array that
            cannot be read without unpickling, or one of :data:`GT_SHAPES` missing, not
            numeric, of another shape or (``image_size``, ``focal``) not positive.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'ground-truth file {path} does not exist')
    what = 'sports-corpus ground-truth file'
    if not zipfile.is_zipfile(path):  # np.load would read it as a bare .npy or a pickle
        raise FileFormatError(path, f'not a {what} (an npz file): not a zip archive')
    try:
        z = np.load(path, allow_pickle=False)
    except _NPZ_ERRORS as e:
        raise FileFormatError(path, f'not a readable {what} ({type(e).__name__}: {e})') from e
    gt = {}
    with z:
        for key in z.files:
            try:
                gt[key] = z[key]
            except _NPZ_ERRORS as e:
                raise FileFormatError(path, f'array {key!r} is not readable '
                                      f'({type(e).__name__}: {e})') from e
    sizes: Dict[str, int] = {}
    for key, shape in GT_SHAPES.items():
        if key not in gt:
            raise FileFormatError(path, f'not a {what}: no {key!r} array')
        arr = gt[key]
        ok = arr.dtype.kind in 'iuf' and arr.ndim == len(shape)
        if ok:  # a named size takes its value from the first array that has it
            want = [sizes.setdefault(d, n) if isinstance(d, str) else d
                    for d, n in zip(shape, arr.shape)]
            ok = list(arr.shape) == want and sizes.get('P', 1) >= 1
        if not ok:
            dims = ', '.join(f'{d}={sizes[d]}' if d in sizes else str(d) for d in shape)
            raise FileFormatError(path, f'{key!r} must be a numeric array of shape [{dims}]'
                                  f'{" (P >= 1)" if "P" in shape else ""}, got {arr.dtype} '
                                  f'{list(arr.shape)}')
    if not (gt['image_size'] > 0).all() or not gt['focal'] > 0:
        raise FileFormatError(path, f"image_size and focal must be positive, got "
                              f"{gt['image_size'].tolist()} and {gt['focal']}")
    return gt


def _video_seed(seed: int, path: str, stream: int) -> np.random.Generator:
    stem = osp.splitext(osp.basename(path))[0]
    return np.random.default_rng([int(seed), zlib.crc32(stem.encode()), stream])


@TASK_UTILS.register_module()
class SimulatedPersonDetector:
    """Person detections simulated from the ground truth (noise model: module docstring).

    Args:
        miss_rate (float): Base probability of missing a person. Defaults to 0.03.
        false_positive_rate (float): Mean number of false boxes per frame. Defaults to 0.1.
        box_jitter (float): Std of the box coordinates' noise, fraction of the box size.
            Defaults to 0.03.
        blur_miss (float): Extra miss probability of a strongly blurred athlete. Defaults to 0.2.
        small_miss (float): Extra miss probability of a person smaller than ``small_px``.
            Defaults to 0.15.
        partial_miss (float): Extra miss probability of a person less than half in view.
            Defaults to 0.5.
        small_px (float): Box height below which a person counts as small. Defaults to 24.
        seed (int): Seed. Defaults to 0.
    """

    def __init__(self,
                 miss_rate: float = 0.03,
                 false_positive_rate: float = 0.1,
                 box_jitter: float = 0.03,
                 blur_miss: float = 0.2,
                 small_miss: float = 0.15,
                 partial_miss: float = 0.5,
                 small_px: float = 24.0,
                 seed: int = 0) -> None:
        for name, v in (('miss_rate', miss_rate), ('blur_miss', blur_miss),
                        ('small_miss', small_miss), ('partial_miss', partial_miss)):
            if not 0 <= v <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {v}')
        if false_positive_rate < 0 or box_jitter < 0:
            raise ValueError('false_positive_rate and box_jitter must be >= 0')
        self.miss_rate = miss_rate
        self.false_positive_rate = false_positive_rate
        self.box_jitter = box_jitter
        self.blur_miss = blur_miss
        self.small_miss = small_miss
        self.partial_miss = partial_miss
        self.small_px = small_px
        self.seed = seed
        self._cache = _GTCache()

    def _prepare(self, path: str) -> dict:
        gt = load_gt(path)
        boxes = gt['person_boxes'].astype(np.float64)  # [P, T, 4]
        P, T = boxes.shape[:2]
        rng = _video_seed(self.seed, path, 1)
        height = boxes[..., 3] - boxes[..., 1]  # [P, T]
        blur = np.zeros((P, T))
        blur[0] = gt['blur'] / np.maximum(np.nan_to_num(height[0], nan=1.0), 1.0)
        blur = np.clip(blur * 10, 0, 1)
        small = np.nan_to_num(height, nan=0.0) < self.small_px
        partial = gt['person_visibility'] < 0.5
        p_miss = 1 - (1 - self.miss_rate) * (1 - self.blur_miss * blur) * (
            1 - self.small_miss * small) * (1 - self.partial_miss * partial)
        missed = rng.random((P, T)) < p_miss
        size = np.concatenate([boxes[..., 2:] - boxes[..., :2]] * 2, axis=-1)
        jittered = boxes + rng.standard_normal(boxes.shape) * self.box_jitter * size
        score = 0.92 - 0.35 * blur - 0.2 * small - 0.2 * partial + rng.normal(0, 0.04, (P, T))
        w, h = gt['image_size']
        n_fp = rng.poisson(self.false_positive_rate, T)
        fp_h = rng.uniform(0.15, 0.6, (T, 3)) * h
        fp_w = fp_h * rng.uniform(0.3, 0.6, (T, 3))
        x1 = rng.uniform(0, 1, (T, 3)) * (w - fp_w)
        y1 = rng.uniform(0, 1, (T, 3)) * (h - fp_h)
        fp = np.stack([x1, y1, x1 + fp_w, y1 + fp_h, rng.uniform(0.05, 0.6, (T, 3))], axis=-1)
        return dict(T=T, image_size=gt['image_size'], boxes=jittered, valid=np.isfinite(
            boxes).all(-1) & ~missed, score=np.clip(score, 0.3, 1.0), n_fp=np.minimum(n_fp, 3),
            fp=fp)

    def __call__(self,
                 frames: np.ndarray,
                 video: dict,
                 frame_indices: Optional[np.ndarray] = None) -> List[np.ndarray]:
        """Detect the people of a chunk of frames.

        Args:
            frames (np.ndarray): [n, H, W, 3] uint8 RGB frames (only their size is used).
            video (dict): The video's record; ``video['gt_file']`` is required.
            frame_indices (np.ndarray): [n] int64 source frame indices of the chunk (required).

        Returns:
            list[np.ndarray]: n arrays [N_i, 5] float32 (x1, y1, x2, y2, score), in frame pixels,
            sorted by decreasing score.
        """
        path = _video_gt(video)
        sim = self._cache.get(path, lambda: self._prepare(path))
        idx = _check_indices(frame_indices, len(frames), sim['T'], path)
        sx, sy = _frame_scale(frames, sim)
        scale = np.array([sx, sy, sx, sy])
        out = []
        for t in idx:
            keep = sim['valid'][:, t]
            det = np.concatenate([sim['boxes'][keep, t], sim['score'][keep, t, None]], axis=1)
            det = np.concatenate([det, sim['fp'][t, :sim['n_fp'][t]]], axis=0)
            det[:, :4] *= scale
            out.append(det[np.argsort(-det[:, 4], kind='stable')].astype(np.float32))
        return out


@TASK_UTILS.register_module()
class SimulatedPoseTeacher:
    """A 2D pose teacher simulated from the ground truth (noise model: module docstring).

    Args:
        seed (int): Seed. Defaults to 0.
        jitter (float): Base joint noise, metres. Defaults to 0.035.
        motion_jitter (float): Extra noise per metre of joint travel during the exposure.
            Defaults to 0.25.
        inverted_jitter (float): Relative extra noise upside down. Defaults to 0.3.
        collapse (float): Strength of the collapse of the limbs on inverted poses.
            Defaults to 0.7.
        collapse_rate (float): Fraction of the frames (in bursts) where inverted poses
            collapse. Defaults to 0.4.
        swap_rate (float): Left-right swap probability of an upright frontal frame.
            Defaults to 0.025.
        side_gain (float): Relative extra swaps side-on. Defaults to 2.0.
        back_gain (float): Relative extra swaps from the back. Defaults to 3.0.
        drop_rate (float): Fraction of dropped frames (in bursts). Defaults to 0.04.
        score_tau (float): Joint error (metres) of score 0.5. Defaults to 0.09.
        score_width (float): Width of the score's sigmoid, metres. Defaults to 0.05.
        swap_penalty (float): Score drop of swapped frames. Defaults to 0.25.
        score_noise (float): Std of the per-frame score noise. Defaults to 0.1.
        joint_score_noise (float): Std of the per-joint score noise. Defaults to 0.1.
    """

    def __init__(self,
                 seed: int = 0,
                 jitter: float = 0.035,
                 motion_jitter: float = 0.25,
                 inverted_jitter: float = 0.3,
                 collapse: float = 0.7,
                 collapse_rate: float = 0.4,
                 swap_rate: float = 0.025,
                 side_gain: float = 2.0,
                 back_gain: float = 3.0,
                 drop_rate: float = 0.04,
                 score_tau: float = 0.09,
                 score_width: float = 0.05,
                 swap_penalty: float = 0.25,
                 score_noise: float = 0.1,
                 joint_score_noise: float = 0.1) -> None:
        for name, v in (('swap_rate', swap_rate), ('drop_rate', drop_rate),
                        ('collapse', collapse), ('collapse_rate', collapse_rate)):
            if not 0 <= v <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {v}')
        if min(jitter, motion_jitter, inverted_jitter, side_gain, back_gain, score_noise,
               joint_score_noise) < 0 or score_width <= 0:
            raise ValueError('noise parameters must be >= 0 and score_width > 0')
        self.seed = seed
        self.jitter = jitter
        self.motion_jitter = motion_jitter
        self.inverted_jitter = inverted_jitter
        self.collapse = collapse
        self.collapse_rate = collapse_rate
        self.swap_rate = swap_rate
        self.side_gain = side_gain
        self.back_gain = back_gain
        self.drop_rate = drop_rate
        self.score_tau = score_tau
        self.score_width = score_width
        self.swap_penalty = swap_penalty
        self.score_noise = score_noise
        self.joint_score_noise = joint_score_noise
        self._cache = _GTCache()

    def swap_probability(self, facing_cos: np.ndarray) -> np.ndarray:
        """Per-frame swap probability from the view ([T] -> [T])."""
        f = np.asarray(facing_cos, np.float64)
        p = self.swap_rate * (1 + self.side_gain * (1 - np.abs(f)) +
                              self.back_gain * np.clip(-f, 0, None))
        return np.clip(p, 0, 0.9)

    def _prepare(self, path: str) -> dict:
        """Noisy poses of every frame of a video (before the boxes are known)."""
        gt = load_gt(path)
        kp = gt['keypoints_2d'].astype(np.float64)  # [T, 17, 2]
        T = len(kp)
        rng = _video_seed(self.seed, path, 2)
        px_per_m = float(gt['focal']) / gt['keypoints_depth'].mean(axis=1)  # [T]
        inv = np.clip(-gt['upright_cos'].astype(np.float64), 0, 1)  # [T]
        travel = 0.6 * gt['speed'] / px_per_m[:, None]  # [T, 17] metres during the exposure
        sigma = (self.jitter + self.motion_jitter * travel) * (
            1 + self.inverted_jitter * inv[:, None])  # [T, 17] metres
        noisy = kp + rng.standard_normal(kp.shape) * (sigma * px_per_m[:, None])[..., None]
        centre = kp[:, [5, 6, 11, 12]].mean(axis=1, keepdims=True)  # [T, 1, 2]
        c = self.collapse * inv * rng.uniform(0.5, 1.0, T)  # [T]
        c = c * _bursts(_video_seed(self.seed, path, 3), np.full(T, self.collapse_rate))
        pull = np.zeros(17)
        pull[[7, 8, 13, 14]] = 0.5
        pull[[9, 10, 15, 16]] = 0.8
        noisy = noisy + (c[:, None] * pull[None])[..., None] * (centre - noisy)
        err_pre = np.linalg.norm(noisy - kp, axis=-1) / px_per_m[:, None]  # [T, 17] metres
        swap_p = self.swap_probability(gt['facing_cos'])
        swapped = _bursts(rng, swap_p)
        noisy = np.where(swapped[:, None, None], noisy[:, COCO_FLIP_INDICES], noisy)
        dropped = _bursts(rng, np.full(T, self.drop_rate))
        anywhere = rng.uniform(0, 1, (T, 17, 2))  # positions in the box of dropped frames
        score = expit((self.score_tau - err_pre) / self.score_width)
        score = score - self.swap_penalty * swapped[:, None]
        score = score + rng.normal(0, self.score_noise, (T, 1)) + rng.normal(
            0, self.joint_score_noise, (T, 17))
        score = np.where(dropped[:, None], rng.uniform(0.02, 0.25, (T, 17)), score)
        return dict(T=T, image_size=gt['image_size'], gt=kp, keypoints=noisy,
                    scores=np.clip(score, 0, 1), swapped=swapped, dropped=dropped,
                    anywhere=anywhere, px_per_m=px_per_m, gt_box=gt['athlete_box'],
                    swap_probability=swap_p)

    def simulate(self, frames: np.ndarray, boxes: np.ndarray, video: dict,
                 frame_indices: Optional[np.ndarray] = None) -> dict:
        """The teacher's output with the simulation's internals (for tests and benchmarks).

        Returns:
            dict: ``keypoints`` [n, 17, 2], ``scores`` [n, 17] (the ``__call__`` outputs),
            ``gt`` [n, 17, 2] ground truth (frame pixels), ``error`` [n, 17] joint error in
            metres at the athlete's depth (NaN without a box), ``swapped``, ``dropped``,
            ``wrong_box`` [n] bool, ``swap_probability`` [n].
        """
        path = _video_gt(video)
        sim = self._cache.get(path, lambda: self._prepare(path))
        idx = _check_indices(frame_indices, len(frames), sim['T'], path)
        s = _frame_scale(frames, sim)
        boxes = np.asarray(boxes, np.float64)
        if boxes.shape != (len(idx), 4):
            raise ValueError(f'boxes must be [n, 4] = [{len(idx)}, 4], got {boxes.shape}')
        has_box = np.isfinite(boxes).all(axis=1)
        gt_box = sim['gt_box'][idx] * np.concatenate([s, s])
        wrong = has_box & (box_iou(boxes, gt_box, aligned=True) < 0.3)
        kp = sim['keypoints'][idx] * s
        scores = sim['scores'][idx].copy()
        lo, hi = boxes[:, None, :2], boxes[:, None, 2:]
        anywhere = lo + sim['anywhere'][idx] * (hi - lo)
        bad = (sim['dropped'][idx] | wrong)[:, None, None]
        kp = np.where(bad, anywhere, kp)
        scores = np.where(wrong[:, None], np.minimum(scores, 0.35) * 0.5, scores)
        outside = ((kp < lo) | (kp > hi)).any(axis=-1) & has_box[:, None]
        kp = np.clip(kp, lo, hi)
        scores = np.where(outside, scores * 0.3, scores)
        kp[~has_box] = np.nan
        scores[~has_box] = 0.0
        gt = sim['gt'][idx] * s
        error = np.linalg.norm((kp - gt) / s, axis=-1) / sim['px_per_m'][idx, None]
        return dict(keypoints=kp.astype(np.float32), scores=scores.astype(np.float32), gt=gt,
                    error=error, swapped=sim['swapped'][idx], dropped=sim['dropped'][idx],
                    wrong_box=wrong, swap_probability=sim['swap_probability'][idx])

    def __call__(self,
                 frames: np.ndarray,
                 boxes: np.ndarray,
                 video: dict,
                 frame_indices: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """2D poses of the athlete in the given boxes.

        Args:
            frames (np.ndarray): [n, H, W, 3] uint8 RGB frames (only their size is used).
            boxes (np.ndarray): [n, 4] float32 x1, y1, x2, y2 in frame pixels; NaN rows: no box.
            video (dict): The video's record; ``video['gt_file']`` is required.
            frame_indices (np.ndarray): [n] int64 source frame indices (required).

        Returns:
            tuple[np.ndarray, np.ndarray]: keypoints [n, 17, 2] float32 image pixels (NaN where
            no box) and scores [n, 17] float32 in [0, 1] (0 where no box).
        """
        out = self.simulate(frames, boxes, video, frame_indices)
        return out['keypoints'], out['scores']
