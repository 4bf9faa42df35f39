# Copyright (c) vpd_mm contributors. All rights reserved.
"""Helpers shared by the per-video stages: config loading and input checks."""
import copy
import os.path as osp
from typing import Optional, Union

import numpy as np
from mmengine.config import Config

ConfigLike = Union[str, dict, Config]


def resolve_config_path(path: str) -> str:
    """Resolve ``'pkg::rel/path.py'`` to the file bundled in the installed package.

    ``mmengine.hub.get_config`` does the same but may try to pip-install a missing package; this
    never touches the network.

    Args:
        path (str): A file path or an OpenMMLab package path such as
            ``'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'``.

    Returns:
        str: Path of an existing file.
    """
    if '::' in path:
        from mmengine.utils import get_installed_path, is_installed
        package, rel = path.split('::', 1)
        if not is_installed(package):
            raise FileNotFoundError(f'config {path!r}: package {package!r} is not installed')
        full = osp.join(get_installed_path(package), '.mim', 'configs', rel)
        if not osp.isfile(full):
            raise FileNotFoundError(f'config {path!r}: {full} does not exist')
        return full
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path!r} does not exist')
    return path


def load_config(config: ConfigLike, cfg_options: Optional[dict] = None) -> Config:
    """A private copy of ``config`` with ``cfg_options`` merged and no pretrained backbone.

    The backbone's ``init_cfg`` (an ImageNet checkpoint URL in most model-zoo configs) is
    removed, so that building the model never downloads anything; the real weights come from
    the stage's ``checkpoint``.

    Args:
        config (str | dict | Config): Config file, ``'pkg::path'`` or config object.
        cfg_options (dict, optional): Options merged with ``Config.merge_from_dict``.

    Returns:
        Config: The loaded config.
    """
    if isinstance(config, str):
        cfg = Config.fromfile(resolve_config_path(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    elif isinstance(config, dict):
        cfg = Config(copy.deepcopy(config))
    else:
        raise TypeError(f'config must be a path, a dict or a Config, got {type(config)}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    backbone = cfg.get('model', {}).get('backbone', None)
    if isinstance(backbone, dict) and 'init_cfg' in backbone:
        backbone['init_cfg'] = None
    return cfg


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Check a chunk of frames.

    Args:
        frames (np.ndarray): [n, H, W, 3] uint8 RGB frames.

    Returns:
        np.ndarray: The same array.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f'expected frames of shape [n, H, W, 3], got {list(frames.shape)}')
    if frames.dtype != np.uint8:
        raise ValueError(f'expected uint8 frames, got {frames.dtype}')
    return frames


def rgb_to_bgr(frame: np.ndarray) -> np.ndarray:
    """[H, W, 3] RGB -> contiguous [H, W, 3] BGR (what mmdet / mmpose pipelines expect)."""
    return np.ascontiguousarray(frame[..., ::-1])


def video_name(video: Optional[dict]) -> str:
    """A short name of the reader's video record for messages (``''`` if none)."""
    if not video:
        return ''
    name = video.get('video', video.get('path', ''))
    return f'{name}: ' if name else ''
