# Copyright (c) vpd_mm contributors. All rights reserved.
"""Distillation frames drawn so that rare body orientations (inverted, horizontal) count."""
import itertools
from typing import Iterator, Optional, Sized

import numpy as np
from mmaction.registry import DATA_SAMPLERS
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import MMLogger
from torch.utils.data import Sampler

#: COCO-17 shoulders and hips.
_SHOULDERS, _HIPS = (5, 6), (11, 12)


def torso_angles(keypoints: np.ndarray) -> np.ndarray:
    """Tilt of the torso from upright, in degrees, mirror-symmetric.

    The torso vector goes from the hip midpoint to the shoulder midpoint; in image
    coordinates (y down) an upright athlete's points up. Its angle to "up" is 0 upright, 90
    horizontal and 180 upside down, the same for a pose and its mirror image.

    Args:
        keypoints (np.ndarray): [N, 17, 2] COCO-17 keypoints in image coordinates.

    Returns:
        np.ndarray: [N] float64 angles in [0, 180]; NaN where a shoulder or hip is not finite
        or the torso has no length.
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (17, 2):
        raise ValueError(f'expected COCO-17 keypoints [N, 17, 2], got {list(kp.shape)}')
    v = kp[:, _SHOULDERS].mean(axis=1) - kp[:, _HIPS].mean(axis=1)  # [N, 2]
    with np.errstate(invalid='ignore'):
        angle = np.degrees(np.arctan2(np.abs(v[:, 0]), -v[:, 1]))
    angle[~np.isfinite(v).all(axis=1) | (np.abs(v).sum(axis=1) == 0)] = np.nan
    return angle


@DATA_SAMPLERS.register_module()
class PoseBalancedSampler(Sampler):
    """Infinite sampler that draws frames by how rare the teacher's torso orientation is.

    Sports videos are mostly upright frames; the inverted and horizontal ones (somersaults,
    dives, handstands) are a few percent of the teacher's confident frames, yet they are where
    fine-grained actions differ and where students distilled from uniformly drawn frames stay
    worst (they hardly ever see them). This sampler puts every sample of the dataset in one of
    ``num_bins`` bins of its teacher torso angle (:func:`torso_angles` of
    ``dataset.sample_keypoints()``, 0 = upright, 180 = upside down, mirror-symmetric) and draws
    sample ``i`` with probability proportional to ``count(bin(i)) ** -alpha``:
    ``alpha = 0`` is uniform over frames (plain shuffling with replacement), ``alpha = 1`` gives
    every orientation bin the same share. Samples without a finite torso share one extra bin.
    The weight of a sample is capped at ``max_ratio`` times the uniform weight, so a handful of
    frames in an almost empty bin is not repeated endlessly. Only the teacher's keypoints are
    used, never labels or ground truth.

    Draws are i.i.d. with replacement from a ``numpy`` generator seeded with ``seed`` (the
    runner's seed by default), so a run is reproducible; in distributed training the one stream
    is dealt round-robin to the ranks, as mmengine's ``InfiniteSampler`` does. Use it with
    ``IterBasedTrainLoop``.

    Args:
        dataset (Sized): A dataset with ``sample_keypoints()`` -> [N, 17, 2] (e.g.
            :class:`VPDPoseTargetDataset`).
        num_bins (int): Orientation bins over [0, 180] degrees. Defaults to 12 (15 degrees).
        alpha (float): Balancing exponent in [0, 1]. Defaults to 0.5.
        max_ratio (float): Cap of a sample's weight relative to uniform. Defaults to 10.
        seed (int, optional): Random seed; None takes a seed shared by all ranks. Defaults to
            None.
    """

    def __init__(self,
                 dataset: Sized,
                 num_bins: int = 12,
                 alpha: float = 0.5,
                 max_ratio: float = 10.0,
                 seed: Optional[int] = None) -> None:
        if num_bins < 1:
            raise ValueError(f'num_bins must be >= 1, got {num_bins}')
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        if max_ratio < 1.0:
            raise ValueError(f'max_ratio must be >= 1, got {max_ratio}')
        if not hasattr(dataset, 'sample_keypoints'):
            raise TypeError(f'PoseBalancedSampler needs a dataset with sample_keypoints() '
                            f'(the teacher keypoints of each sample), got {type(dataset).__name__}')
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.num_bins = num_bins
        self.alpha = alpha
        self.max_ratio = max_ratio
        self.seed = sync_random_seed() if seed is None else seed
        self.size = len(dataset)
        if self.size == 0:
            raise ValueError('PoseBalancedSampler: the dataset is empty')
        self.bins = self.orientation_bins(dataset.sample_keypoints(), num_bins)  # [N]
        self.weights = self.sample_weights(self.bins, alpha, max_ratio, num_bins + 1)  # [N]
        self._log()

    @staticmethod
    def orientation_bins(keypoints: np.ndarray, num_bins: int) -> np.ndarray:
        """Bin index of each sample's torso angle; ``num_bins`` for samples without one."""
        angle = torso_angles(keypoints)
        bins = np.floor(np.nan_to_num(angle, nan=0.0) / (180.0 / num_bins)).astype(np.int64)
        bins = np.clip(bins, 0, num_bins - 1)
        bins[np.isnan(angle)] = num_bins
        return bins

    @staticmethod
    def sample_weights(bins: np.ndarray, alpha: float, max_ratio: float,
                       num_bins: int) -> np.ndarray:
        """Sampling probabilities [N] (summing to 1) of samples in ``bins``.

        ``count(bin) ** -alpha``, normalised; samples above ``max_ratio / N`` get exactly that
        and the rest of the mass is shared by the others in proportion (the largest weights are
        capped one by one until the next one fits under the cap).
        """
        counts = np.bincount(bins, minlength=num_bins).astype(np.float64)
        w = counts[bins]**-alpha
        w /= w.sum()
        cap = max_ratio / len(w)
        order = np.argsort(-w, kind='stable')
        rest = np.cumsum(w[order][::-1])[::-1]  # mass of the m-th largest and all below it
        for m in range(len(w)):  # m: how many are capped
            scale = (1.0 - m * cap) / rest[m]
            if w[order[m]] * scale <= cap:
                break
        out = w * scale
        out[order[:m]] = cap
        return out / out.sum()

    def _log(self) -> None:
        counts = np.bincount(self.bins, minlength=self.num_bins + 1)
        share = np.bincount(self.bins, weights=self.weights, minlength=self.num_bins + 1)
        step = 180 // self.num_bins if 180 % self.num_bins == 0 else 180 / self.num_bins
        rows = ', '.join(f'{i * step}-{(i + 1) * step}: {100 * c / self.size:.1f}% -> '
                         f'{100 * s:.1f}%' for i, (c, s) in enumerate(zip(counts, share))
                         if i < self.num_bins and c)
        MMLogger.get_current_instance().info(
            f'PoseBalancedSampler (alpha={self.alpha}, {self.num_bins} bins, max_ratio='
            f'{self.max_ratio}): torso angle (deg): share of frames -> share of draws: {rows}; '
            f'{counts[-1]} frames without a torso')

    def _infinite_indices(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed)
        cdf = np.cumsum(self.weights)
        cdf[-1] = 1.0
        chunk = max(self.size, 4096)
        while True:
            yield from np.searchsorted(cdf, rng.random(chunk), side='right').tolist()

    def __iter__(self) -> Iterator[int]:
        yield from itertools.islice(self._infinite_indices(), self.rank, None, self.world_size)

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is infinite (iteration-based training)."""
