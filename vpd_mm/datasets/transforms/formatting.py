# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pack a distillation sample into the model's inputs and data sample, and batch them."""
from typing import Optional, Sequence

import numpy as np
import torch
from mmaction.registry import TRANSFORMS
from mmaction.structures import ActionDataSample
from mmcv.transforms import BaseTransform
from mmengine.registry import FUNCTIONS


@TRANSFORMS.register_module()
class PackVPDInputs(BaseTransform):
    """Pack ``imgs`` and the teacher targets.

    Output:

    * ``inputs``: torch.uint8 [C, H, W] (from ``imgs`` [H, W, C]; normalisation and flow
      decoding happen in the data preprocessor).
    * ``data_samples``: :class:`ActionDataSample` with data fields ``pose_target`` float32 [d]
      (view 0 of ``pose_target``, i.e. of the flipped pose after a flip), ``motion_target``
      float32 [d] (``pose_target[0] - prev_pose_target[0]`` if ``motion_valid``, else zeros),
      ``target_valid`` and ``motion_valid`` (0-d bool tensors), and the ``meta_keys`` present
      in ``results`` as metainfo (``flow_scale`` as a tuple of 2 floats). The target fields are
      left out when ``results`` has no ``pose_target`` (pure inference pipelines).

    Args:
        meta_keys (Sequence[str]): Metainfo keys. Defaults to ``('frame_dir', 'frame_idx',
            'total_frames', 'flip', 'flow_scale', 'img_shape')`` (``total_frames`` lets a
            feature dump write a video once its last frame is predicted).
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('frame_dir', 'frame_idx', 'total_frames', 'flip',
                                    'flow_scale', 'img_shape')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack.

        Args:
            results (dict): With ``imgs`` and optionally ``pose_target`` [2, d],
                ``prev_pose_target`` [2, d], ``target_valid``, ``motion_valid``.

        Returns:
            dict: ``dict(inputs=..., data_samples=...)``.
        """
        imgs = np.ascontiguousarray(results['imgs'].transpose(2, 0, 1))  # [C, H, W]
        sample = ActionDataSample()
        if 'pose_target' in results:
            target = torch.from_numpy(np.asarray(results['pose_target'], dtype=np.float32)[0])
            motion_valid = bool(results.get('motion_valid', False))
            if motion_valid:
                prev = np.asarray(results['prev_pose_target'], dtype=np.float32)[0]
                motion = target - torch.from_numpy(prev)
            else:
                motion = torch.zeros_like(target)
            sample.pose_target = target.clone()
            sample.motion_target = motion
            sample.target_valid = torch.tensor(bool(results.get('target_valid', True)))
            sample.motion_valid = torch.tensor(motion_valid)
        meta = {k: results[k] for k in self.meta_keys if k in results}
        if 'flow_scale' in meta:
            meta['flow_scale'] = tuple(float(v) for v in meta['flow_scale'])
        for key, value in meta.items():
            # set_metainfo would deep-copy the dict first: a per-frame cost that dominates
            # inference at small crops; the values (names, indices, tuples) are not shared
            sample.set_field(value, key, field_type='metainfo')
        return dict(inputs=torch.from_numpy(imgs), data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'


def _stackable(values: list) -> bool:
    """Whether ``values`` are tensors of one shape and dtype (``torch.stack`` takes them)."""
    return (len(values) > 0 and all(isinstance(v, torch.Tensor) for v in values)
            and len({(tuple(v.shape), v.dtype) for v in values}) == 1)


@FUNCTIONS.register_module()
def frame_collate(data_batch: Sequence[dict], _scope_: Optional[str] = None) -> dict:
    """Batch :class:`PackVPDInputs` samples with one tensor storage per field.

    The values are those of mmengine's ``pseudo_collate`` (which keeps one tensor per sample),
    but a loader worker hands each tensor storage to the main process separately (a shared
    memory segment and a file descriptor each): five per frame of a distillation batch. Here the
    inputs are stacked and every tensor data field of the data samples (``pose_target``,
    ``motion_target``, ``target_valid``, ``motion_valid``) is stacked once, each sample keeping
    its row as a view, so a batch crosses in one storage per field
    (``tools/benchmarks/train_throughput.py --workers 1`` measures the loader).

    Config: ``train_dataloader = dict(collate_fn=dict(type='frame_collate'), ...)``.

    Args:
        data_batch (Sequence[dict]): Packed samples ``dict(inputs=Tensor [C, H, W],
            data_samples=ActionDataSample)``.
        _scope_ (str, optional): Unused: mmengine adds it to the ``collate_fn`` of a config
            loaded through ``vpd_mm::`` and passes it on.

    Returns:
        dict: ``inputs`` uint8 [N, C, H, W] (a list when the crops differ in size) and the list
        of ``data_samples``.
    """
    inputs = [d['inputs'] for d in data_batch]
    samples = [d['data_samples'] for d in data_batch]
    if _stackable(inputs):
        inputs = torch.stack(inputs)
    keys = set(samples[0].keys()) if samples else set()
    for key in sorted(keys):
        values = [s.get(key) for s in samples]
        if not _stackable(values):
            continue
        for sample, row in zip(samples, torch.stack(values)):
            sample.set_field(row, key, field_type='data')
    return dict(inputs=inputs, data_samples=samples)
