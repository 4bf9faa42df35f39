# Copyright (c) vpd_mm contributors. All rights reserved.
"""The optical-flow stage: dense flow between athlete crops (SPEC section 1).

The paper used RAFT; by default we use OpenCV's DIS optical flow (Kroeger et al., ECCV 2016),
which runs on a CPU at thousands of 128x128 crops per second. Flow is computed from crop
``t - 1`` to crop ``t``, both cut with the crop box of frame ``t`` (:func:`crop_pair_flow`), and
stored with :class:`vpd_mm.codecs.FlowQuantizer`.

Like the other stages, flow estimators are registered in mmaction's ``TASK_UTILS`` registry and
built from the preparation config's ``flow`` key
(:func:`vpd_mm.preparation.pipeline.build_preparer`). They share one interface
(:class:`BaseFlowEstimator`): ``est(prev, cur)`` for one pair of images and
``est.batch(prevs, curs)`` for a stack of pairs; configs select them with
``flow=dict(type='DISFlowEstimator', preset='medium')`` (the default) or
``flow=dict(type='RAFTFlowEstimator', weights='raft_small.pth', small=True, device='cuda')``
(``--device`` of ``tools/data/prepare.py`` sets the device of every stage that takes one).
"""
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np
import torch
from mmaction.registry import TASK_UTILS

from vpd_mm.structures.crops import cut_crop
from vpd_mm.utils.checkpoint import CheckpointLoadError, load_checkpoint_file

DIS_PRESETS: Dict[str, int] = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _to_gray(image: np.ndarray) -> np.ndarray:
    """[H, W], [H, W, 1] or [H, W, 3] RGB -> [H, W] uint8 grey."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    if image.ndim == 3:
        if image.shape[2] == 1:
            image = image[..., 0]
        elif image.shape[2] == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        else:
            raise ValueError(f'expected 1 or 3 channels, got {image.shape[2]}')
    return np.ascontiguousarray(image)


class BaseFlowEstimator:
    """The interface of a flow estimator.

    Subclasses implement :meth:`__call__` (one pair) and may override :meth:`batch` (a stack of
    pairs; the default loops over :meth:`__call__`).
    """

    def __call__(self, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """Flow from ``prev`` to ``cur``: ``cur[y + v, x + u] ~ prev[y, x]``.

        Args:
            prev (np.ndarray): [H, W, 3] RGB or [H, W] grey uint8 image at ``t - 1``.
            cur (np.ndarray): Image at ``t``, same size.

        Returns:
            np.ndarray: [H, W, 2] float32 flow (x, y) in pixels.
        """
        raise NotImplementedError

    def batch(self, prevs: np.ndarray, curs: np.ndarray) -> np.ndarray:
        """Flow of each pair of a stack.

        Args:
            prevs (np.ndarray): [N, H, W, 3] (or [N, H, W]) uint8 images at ``t - 1``.
            curs (np.ndarray): [N, H, W, 3] (or [N, H, W]) uint8 images at ``t``.

        Returns:
            np.ndarray: [N, H, W, 2] float32 flows in pixels.
        """
        if len(prevs) != len(curs):
            raise ValueError(f'{len(prevs)} previous images but {len(curs)} current images')
        if len(prevs) == 0:
            return np.zeros((0, *np.shape(curs)[1:3], 2), np.float32)
        return np.stack([self(p, c) for p, c in zip(prevs, curs)])


@TASK_UTILS.register_module()
class DISFlowEstimator(BaseFlowEstimator):
    """OpenCV DIS optical flow; the DIS object is created once and reused.

    Args:
        preset (str): One of ``'ultrafast'``, ``'fast'``, ``'medium'``. Defaults to ``'medium'``.
    """

    def __init__(self, preset: str = 'medium') -> None:
        if preset not in DIS_PRESETS:
            raise ValueError(f'unknown DIS preset {preset!r}, expected one of {list(DIS_PRESETS)}')
        self.preset = preset
        self._dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])

    def __call__(self, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """Flow from ``prev`` to ``cur``: ``cur[y + v, x + u] ~ prev[y, x]``.

        Args:
            prev (np.ndarray): [H, W, 3] RGB or [H, W] grey uint8 image at ``t - 1``.
            cur (np.ndarray): Image at ``t``, same size.

        Returns:
            np.ndarray: [H, W, 2] float32 flow (x, y) in pixels.
        """
        prev, cur = _to_gray(prev), _to_gray(cur)
        if prev.shape != cur.shape:
            raise ValueError(f'images differ in size: {prev.shape} vs {cur.shape}')
        return self._dis.calc(prev, cur, None)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(preset={self.preset!r})'


@TASK_UTILS.register_module()
class RAFTFlowEstimator(BaseFlowEstimator):
    """RAFT (Teed and Deng, ECCV 2020) from ``torchvision.models.optical_flow``.

    The weights are read from a local file (no download at run time): a state dict of
    torchvision's ``raft_small`` / ``raft_large`` (e.g. the file torchvision's
    ``Raft_Small_Weights.C_T_V2`` downloads into ``~/.cache/torch/hub/checkpoints``), optionally
    wrapped in ``{'state_dict': ...}``. ``weights=None`` keeps the random initialisation (tests
    only). Images must have sides divisible by 8 and at least 128 (128x128 crops qualify).

    Args:
        weights (str, optional): Path of the state dict. Defaults to None.
        small (bool): ``raft_small`` (True) or ``raft_large``. Defaults to True.
        device (str): Torch device. Defaults to ``'cpu'``.
        num_flow_updates (int): Refinement iterations. Defaults to 12.
        batch_size (int): Pairs per forward pass in :meth:`batch`. Defaults to 32.
    """

    def __init__(self,
                 weights: Optional[str] = None,
                 small: bool = True,
                 device: str = 'cpu',
                 num_flow_updates: int = 12,
                 batch_size: int = 32) -> None:
        from torchvision.models.optical_flow import raft_large, raft_small
        self.model = (raft_small if small else raft_large)(weights=None, progress=False)
        if weights is not None:
            try:
                state = load_checkpoint_file(weights, what='RAFT weights')
            except CheckpointLoadError as e:  # refused or damaged: one line naming the file
                raise ValueError(f'RAFT weights {e}') from None
            if isinstance(state, dict) and 'state_dict' in state:
                state = state['state_dict']
            try:
                self.model.load_state_dict(state)
            except RuntimeError as e:
                raise ValueError(f'{weights}: not a state dict of torchvision\'s '
                                 f'{"raft_small" if small else "raft_large"} ({e})') from e
        self.model.eval().to(device)
        self.weights, self.small, self.device = weights, small, device
        self.num_flow_updates = int(num_flow_updates)
        self.batch_size = int(batch_size)

    def _to_tensor(self, images: np.ndarray) -> torch.Tensor:
        """[N, H, W, 3 | 1] or [N, H, W] uint8 -> [N, 3, H, W] float in [-1, 1] on the device."""
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., None]
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        if images.shape[1] % 8 or images.shape[2] % 8 or min(images.shape[1:3]) < 128:
            raise ValueError('RAFT needs image sides divisible by 8 and at least 128 (its '
                             f'correlation pyramid), got {images.shape[1:3]}')
        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        return x.permute(0, 3, 1, 2).float() / 127.5 - 1.0

    @torch.no_grad()
    def batch(self, prevs: np.ndarray, curs: np.ndarray) -> np.ndarray:
        """See :meth:`BaseFlowEstimator.batch`; forward passes of ``batch_size`` pairs."""
        if len(prevs) != len(curs):
            raise ValueError(f'{len(prevs)} previous images but {len(curs)} current images')
        out = []
        for i in range(0, len(prevs), self.batch_size):
            a = self._to_tensor(prevs[i:i + self.batch_size])  # [n, 3, H, W]
            b = self._to_tensor(curs[i:i + self.batch_size])
            if a.shape != b.shape:
                raise ValueError(f'images differ in size: {tuple(a.shape)} vs {tuple(b.shape)}')
            flow = self.model(a, b, num_flow_updates=self.num_flow_updates)[-1]  # [n, 2, H, W]
            out.append(flow.permute(0, 2, 3, 1).float().cpu().numpy())
        if not out:
            return np.zeros((0, *np.shape(curs)[1:3], 2), np.float32)
        return np.concatenate(out).astype(np.float32)

    def __call__(self, prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """See :meth:`BaseFlowEstimator.__call__`."""
        return self.batch(np.asarray(prev)[None], np.asarray(cur)[None])[0]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(weights={self.weights!r}, small={self.small}, '
                f'device={self.device!r}, num_flow_updates={self.num_flow_updates})')


_ESTIMATORS: Dict[str, DISFlowEstimator] = {}


def dis_flow(prev: np.ndarray, cur: np.ndarray, preset: str = 'medium') -> np.ndarray:
    """Functional form of :class:`DISFlowEstimator` (one cached estimator per preset).

    Args:
        prev (np.ndarray): [H, W, 3] RGB or [H, W] grey uint8 image at ``t - 1``.
        cur (np.ndarray): Image at ``t``, same size.
        preset (str): DIS preset. Defaults to ``'medium'``.

    Returns:
        np.ndarray: [H, W, 2] float32 flow (x, y) in pixels.
    """
    if preset not in _ESTIMATORS:
        _ESTIMATORS[preset] = DISFlowEstimator(preset)
    return _ESTIMATORS[preset](prev, cur)


def crop_pair_flow(
        prev_image: Optional[np.ndarray],
        cur_image: np.ndarray,
        crop_box: np.ndarray,
        size: int = 128,
        estimator: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """The crop of frame ``t`` and the flow into it from frame ``t - 1`` cut with the same box.

    Args:
        prev_image (np.ndarray, optional): [H, W, C] full frame ``t - 1``; None for the first
            frame, whose flow is zero.
        cur_image (np.ndarray): [H, W, C] full frame ``t``.
        crop_box (np.ndarray): [4] crop box of frame ``t``.
        size (int): Crop side. Defaults to 128.
        estimator (callable, optional): Flow estimator (a :class:`BaseFlowEstimator`); a cached
            medium DIS by default.

    Returns:
        tuple[np.ndarray, np.ndarray]: the crop [size, size, C] uint8 and the flow
        [size, size, 2] float32 in crop pixels.
    """
    cur_crop = cut_crop(cur_image, crop_box, size)
    if prev_image is None:
        return cur_crop, np.zeros((size, size, 2), np.float32)
    prev_crop = cut_crop(prev_image, crop_box, size)
    flow = estimator(prev_crop, cur_crop) if estimator is not None else dis_flow(
        prev_crop, cur_crop)
    return cur_crop, flow


def crop_sequence_flow(frames: np.ndarray,
                       crop_boxes: np.ndarray,
                       size: int = 128,
                       estimator: Optional[BaseFlowEstimator] = None,
                       prev_frame: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Crops and flows of consecutive frames, the flows estimated in one batch.

    Frame ``i``'s crop is cut with ``crop_boxes[i]``; its flow goes from frame ``i - 1`` cut
    with the same box (``prev_frame`` for ``i = 0``; zero flow when it is None) to frame ``i``.
    Row ``i`` equals :func:`crop_pair_flow` of the same frames.

    Args:
        frames (np.ndarray): [N, H, W, C] uint8 consecutive frames.
        crop_boxes (np.ndarray): [N, 4] finite crop boxes.
        size (int): Crop side. Defaults to 128.
        estimator (BaseFlowEstimator, optional): Defaults to a medium DIS estimator.
        prev_frame (np.ndarray, optional): [H, W, C] the frame before ``frames[0]``.

    Returns:
        tuple[np.ndarray, np.ndarray]: crops [N, size, size, C] uint8 and flows
        [N, size, size, 2] float32 in crop pixels.
    """
    estimator = estimator if estimator is not None else DISFlowEstimator('medium')
    num = len(frames)
    if len(crop_boxes) != num:
        raise ValueError(f'{num} frames but {len(crop_boxes)} crop boxes')
    if num == 0:
        c = np.shape(frames)[-1] if np.ndim(frames) == 4 else 3
        return np.zeros((0, size, size, c), np.uint8), np.zeros((0, size, size, 2), np.float32)
    crops = np.stack([cut_crop(f, b, size) for f, b in zip(frames, crop_boxes)])
    flows = np.zeros((num, size, size, 2), np.float32)
    if prev_frame is not None:  # frame i - 1 of row i, cut with row i's box
        prev_frames, first = [prev_frame, *frames[:-1]], 0
    else:
        prev_frames, first = list(frames[:-1]), 1
    if num > first:
        prevs = np.stack([cut_crop(p, b, size) for p, b in zip(prev_frames, crop_boxes[first:])])
        flows[first:] = estimator.batch(prevs, crops[first:])  # [N - first, S, S, 2]
    return crops, flows
