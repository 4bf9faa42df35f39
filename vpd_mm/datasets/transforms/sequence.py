# Copyright (c) vpd_mm contributors. All rights reserved.
"""Variable-length sequences of one action: loading, packing and padded batching.

Recognition samples are whole actions, so sequences differ in length. A sample's ``inputs`` keeps
its own length; :func:`sequence_collate` (registered in mmengine's ``FUNCTIONS``, config
``collate_fn=dict(type='sequence_collate')``) zero-pads a batch along time and the true lengths
travel in each data sample's ``num_frames`` metainfo, which the recognizers use to ignore the
padding (``pack_padded_sequence`` in :class:`BiGRUHead`).
"""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform, Compose
from mmengine.registry import FUNCTIONS

from ..features import load_feature_sequence

_META_KEYS = ('action_id', 'video', 'num_frames', 'view', 'frame_inds')


@TRANSFORMS.register_module()
class LoadFeatureSequence(BaseTransform):
    """Read an action's frames from one or several feature folders.

    Required keys: ``feature_dirs`` (list of folders; their features are concatenated along d),
    ``video``, ``frame_inds`` (int array [T], rows of the video's feature file, already free of
    frames without features), ``view`` (int: keep only this flip view; None: keep all).

    Added keys: ``feats`` float32 [V, T, d] (V = 1 with a ``view``), ``num_frames`` (T).
    """

    def transform(self, results: dict) -> dict:
        """Load ``feats`` (see the class docstring)."""
        inds = np.asarray(results['frame_inds'], dtype=np.int64)
        parts = []
        for feature_dir in results['feature_dirs']:
            feats = load_feature_sequence(feature_dir, results['video'], mmap=True)  # [T, V, d]
            parts.append(np.asarray(feats[inds], dtype=np.float32))  # [T', V, d]
        feats = np.concatenate(parts, axis=-1).transpose(1, 0, 2)  # [V, T', sum d]
        view = results.get('view')
        if view is not None:
            feats = feats[view:view + 1]  # [1, T', d]
        results['feats'] = np.ascontiguousarray(feats)
        results['num_frames'] = int(len(inds))
        return results


@TRANSFORMS.register_module()
class LoadVPDFrameSequence(BaseTransform):
    """Run a per-frame pipeline (e.g. ``LoadVPDFrame`` + ``VPDResize``) on every frame of an action.

    Required keys: ``frame_path`` (the video's rawframes folder), ``frame_inds`` (0-based frame
    indices [T]).

    Added keys: ``imgs`` uint8 [T, H, W, C] (the frames' ``imgs`` stacked), ``num_frames`` (T),
    ``flow_scale`` (of the first frame; (1, 1) for deterministic pipelines).

    Args:
        frame_pipeline (list[dict]): Transforms applied to each frame's dict
            ``dict(frame_path=..., frame_idx=t)``. Defaults to ``[dict(type='LoadVPDFrame')]``.
    """

    def __init__(self, frame_pipeline: Optional[List[dict]] = None) -> None:
        self.frame_pipeline = Compose(frame_pipeline or [dict(type='LoadVPDFrame')])

    def transform(self, results: dict) -> dict:
        """Load every frame (see the class docstring)."""
        frames, scale = [], (1.0, 1.0)
        for t in np.asarray(results['frame_inds'], dtype=np.int64):
            out = self.frame_pipeline(dict(frame_path=results['frame_path'], frame_idx=int(t)))
            frames.append(out['imgs'])  # [H, W, C]
            scale = out.get('flow_scale', scale)
        if not frames:
            raise ValueError(f'action {results.get("action_id")!r} of video '
                             f'{results.get("video")!r} has no frame to load')
        results['imgs'] = np.stack(frames)  # [T, H, W, C]
        results['num_frames'] = len(frames)
        results['flow_scale'] = tuple(float(s) for s in scale)
        return results


@TRANSFORMS.register_module()
class PackFeatureSequence(BaseTransform):
    """Pack a sequence sample into ``inputs`` and an :class:`ActionDataSample`.

    ``inputs``: float32 [V, T, d] from ``feats``, or uint8 [T, C, H, W] from ``imgs``
    [T, H, W, C]. The data sample carries ``gt_label`` (when ``label`` is present) and the
    ``meta_keys`` present in ``results`` as metainfo (``num_frames`` is what the collate and the
    recognizers rely on).

    Args:
        meta_keys (Sequence[str]): Defaults to ``('action_id', 'video', 'num_frames', 'view',
            'frame_inds')`` plus ``flow_scale`` when present.
    """

    def __init__(self, meta_keys: Sequence[str] = _META_KEYS) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack (see the class docstring)."""
        if 'feats' in results:
            inputs = torch.from_numpy(np.asarray(results['feats'], dtype=np.float32))
        elif 'imgs' in results:
            imgs = np.ascontiguousarray(np.asarray(results['imgs']).transpose(0, 3, 1, 2))
            inputs = torch.from_numpy(imgs)  # [T, C, H, W]
        else:
            raise KeyError('PackFeatureSequence needs "feats" (LoadFeatureSequence) or "imgs" '
                           '(LoadVPDFrameSequence)')
        sample = ActionDataSample()
        if results.get('label') is not None:
            sample.set_gt_label(int(results['label']))
        keys = self.meta_keys + (('flow_scale', ) if 'flow_scale' in results else ())
        sample.set_metainfo({k: results[k] for k in keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'


@FUNCTIONS.register_module()
def sequence_collate(data_batch: Sequence[dict],
                     time_dim: int = 1,
                     _scope_: Optional[str] = None) -> dict:
    """Zero-pad variable-length sequences along time and stack them.

    Args:
        data_batch (Sequence[dict]): Packed samples ``dict(inputs=Tensor, data_samples=...)``,
            inputs [V, T_i, d] (``time_dim=1``) or [T_i, C, H, W] (``time_dim=0``).
        time_dim (int): The time dimension of a sample's ``inputs``. Defaults to 1.
        _scope_ (str, optional): Unused: mmengine adds it to the ``collate_fn`` of a config
            loaded through ``vpd_mm::`` and passes it on.

    Returns:
        dict: ``inputs`` [N, ..., T_max, ...] (T_max >= 1; a zero-length sample becomes one zero
        frame, its ``num_frames`` metainfo stays 0) and the list of ``data_samples``.
    """
    inputs = [d['inputs'] for d in data_batch]
    shapes = {tuple(x.shape[:time_dim] + x.shape[time_dim + 1:]) for x in inputs}
    if len(shapes) != 1:
        ids = [getattr(d['data_samples'], 'action_id', '?') for d in data_batch]
        raise ValueError(f'sequence_collate: samples differ in more than their length '
                         f'(shapes {[tuple(x.shape) for x in inputs]}, actions {ids[:5]})')
    t_max = max(1, max(x.shape[time_dim] for x in inputs))
    padded = []
    for x in inputs:
        pad_shape = list(x.shape)
        pad_shape[time_dim] = t_max - x.shape[time_dim]
        padded.append(torch.cat([x, x.new_zeros(pad_shape)], dim=time_dim))
    return dict(inputs=torch.stack(padded), data_samples=[d['data_samples'] for d in data_batch])
