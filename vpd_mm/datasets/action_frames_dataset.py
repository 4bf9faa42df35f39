# Copyright (c) vpd_mm contributors. All rights reserved.
"""Actions as sequences of athlete crops + flow, for a recognizer on top of a frozen student."""
import glob
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmaction.registry import DATASETS

from vpd_mm.utils.paths import join_under
from .feature_sequence_dataset import VPDFeatureSequenceDataset


@DATASETS.register_module()
class VPDActionFramesDataset(VPDFeatureSequenceDataset):
    """The actions of :class:`VPDFeatureSequenceDataset`, read as crops from ``rawframes``.

    Same splits, ``id_list``, validation hold-out and ``target_fps`` resampling; one sample per
    action (the model embeds both flip views itself). Every frame of an action is used (the
    number of frames of a video is ``videos.<video>.num_frames`` of the annotation file, or the
    number of ``img_*.jpg`` in its folder). Sample dict as in the parent, with ``frame_path``
    (``data_prefix['img']/<video>``) for ``LoadVPDFrameSequence``.

    Args:
        ann_file (str): Action annotation JSON.
        pipeline (list[dict | callable]): E.g. ``[dict(type='LoadVPDFrameSequence', ...),
            dict(type='PackFeatureSequence')]``.
        data_prefix (dict): ``img``: the ``rawframes`` folder. Defaults to ``dict(img='')``.
        split, id_list, val_ratio, val_seed, target_fps: See the parent.
        **kwargs: Further :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 data_prefix: dict = dict(img=''),
                 split: Union[str, Sequence[str]] = 'train',
                 id_list: Union[None, str, Sequence[str]] = None,
                 val_ratio: float = 0.2,
                 val_seed: int = 0,
                 target_fps: Optional[float] = None,
                 **kwargs) -> None:
        self._num_frames: Dict[str, int] = {}
        super().__init__(
            ann_file=ann_file,
            feature_dir=None,
            pipeline=pipeline,
            data_prefix=data_prefix,
            split=split,
            id_list=id_list,
            val_ratio=val_ratio,
            val_seed=val_seed,
            target_fps=target_fps,
            views='both',
            **kwargs)

    def _frame_path(self, video: str) -> str:
        """``data_prefix['img']/<video>``; a video name that is not one plain file name raises
        ``UnsafePathError`` (the annotation loader refuses those already)."""
        return join_under(self.data_prefix.get('img', ''), video, what='video name',
                          where=self.ann_file, resolve=False)

    def _frames_present(self, video: str, cache: Dict[str, np.ndarray]) -> np.ndarray:
        if video not in cache:
            folder = self._frame_path(video)
            if not osp.isdir(folder):
                raise FileNotFoundError(f'video {video!r}: rawframes folder {folder} does not '
                                        f'exist ({self.ann_file})')
            num = self._ann_num_frames.get(video)
            if num is None:
                num = len(glob.glob(osp.join(folder, 'img_*.jpg')))
            cache[video] = np.ones(int(num), dtype=bool)
        return cache[video]

    def _num_views(self, video: str) -> int:
        return 2

    def select(self):
        ann, actions, train_pool = super().select()
        self._ann_num_frames = {
            v: int(info['num_frames'])
            for v, info in ann['videos'].items() if info.get('num_frames') is not None
        }
        return ann, actions, train_pool
