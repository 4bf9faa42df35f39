# Copyright (c) vpd_mm contributors. All rights reserved.
"""The VPD student on one prepared video: weights loaded weights-only, features of every frame.

:func:`init_student` builds the student from its config (mmaction's ``init_recognizer``) and
loads its weights with :func:`load_checkpoint_weights`; :func:`extract_student_outputs` runs it
on every frame through the config's test pipeline and ``model.test_step``;
:func:`write_feature_array` writes the [T, V, d] arrays in the layout of
``docs/data_layout.md`` (as ``tools/test.py --dump-features``).
"""
import copy
import json
import os
import os.path as osp
from typing import Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from tqdm import tqdm

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.evaluation.test_setup import state_dict_of
from vpd_mm.utils.checkpoint import CheckpointLoadError, load_checkpoint
from vpd_mm.utils.io import dump_json_atomic, save_npy_atomic
from vpd_mm.utils.paths import join_under
from .inference_video import VideoInferenceError

#: The feature index written beside the ``.npy`` files (as ``tools/test.py --dump-features``).
INDEX_FILE = 'features.json'
ConfigLike = Union[str, Config]


def load_checkpoint_weights(model: torch.nn.Module, checkpoint: str, strict: bool = True) -> dict:
    """Load a checkpoint's weights into ``model`` without running code from the file.

    The file (a path, or an ``http(s)://`` URL downloaded into torch's hub cache) is read
    weights-only (:func:`vpd_mm.utils.checkpoint.load_checkpoint_file`): tensors, containers and
    the few classes an mmengine checkpoint holds (allow-listed by :mod:`vpd_mm.compat`); anything
    else is refused. An mmengine checkpoint's ``state_dict`` (or a bare state dict) is loaded, a
    ``module.`` prefix (DataParallel) removed.

    Args:
        model (torch.nn.Module): The model.
        checkpoint (str): Path or URL.
        strict (bool): Every key must match (``load_state_dict``). Defaults to True.

    Returns:
        dict: The checkpoint's ``meta`` (empty if none).

    Raises:
        VideoInferenceError: Missing file, a file that is not a weights-only checkpoint, or
            weights that do not fit the model (the message names the file).
    """
    try:
        ckpt = load_checkpoint(checkpoint)
        state = state_dict_of(ckpt, checkpoint)  # its state dict, 'module.' prefixes removed
    except (FileNotFoundError, CheckpointLoadError) as e:  # one line naming the file
        raise VideoInferenceError(str(e)) from None
    try:
        model.load_state_dict(state, strict=strict)
    except (RuntimeError, ValueError) as e:
        raise VideoInferenceError(f'{checkpoint}: the weights do not fit the model ({e})') from e
    meta = ckpt.get('meta', {})
    return meta if isinstance(meta, dict) else {}


def init_student(config: ConfigLike,
                 checkpoint: Optional[str],
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None) -> Tuple[torch.nn.Module, object, Config]:
    """Build a VPD student from its config and load its weights (weights only).

    The model is built by mmaction's ``init_recognizer`` (default scope, no pretrained
    backbone download) and the weights by :func:`load_checkpoint_weights`; the test pipeline is
    the config's ``test_dataloader.dataset.pipeline`` (e.g. ``LoadVPDFrame``, ``VPDResize``,
    ``PackVPDInputs``).

    Args:
        config (str | Config): Student config (``configs/vpd/*.py``).
        checkpoint (str, optional): Weights (path or URL); None keeps the initial weights.
        device (str): Torch device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides of the config.

    Returns:
        tuple: ``(model, pipeline, cfg)``: the model in eval mode on ``device``, the test
        pipeline (``mmengine.dataset.Compose``) and the config.
    """
    from mmaction.apis import init_recognizer
    from mmengine.dataset import Compose

    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not loader or not loader.get('dataset', {}).get('pipeline'):
        raise VideoInferenceError(f'{getattr(cfg, "filename", config)}: the config has no '
                                  'test_dataloader.dataset.pipeline to read the crops with')
    model = init_recognizer(cfg, None, device='cpu')
    if checkpoint is not None:
        load_checkpoint_weights(model, checkpoint)
    model.to(device).eval()
    return model, Compose(copy.deepcopy(loader['dataset']['pipeline'])), cfg


def decodes_pose2d(cfg: Config, dim: int) -> bool:
    """Whether a student config's decoder regresses the normalised 2D pose (2D-VPD, d = 26),
    as opposed to an embedding (VI-VPD) that cannot be drawn."""
    target = None
    for key in ('test_dataloader', 'train_dataloader', 'val_dataloader'):
        loader = cfg.get(key) or {}
        target = target or (loader.get('dataset') or {}).get('target_type')
    return (target in (None, 'pose2d')) and dim == PoseNormalizer.dim


# --------------------------------------------------------------------------- preparation
def extract_student_outputs(model: torch.nn.Module,
                            pipeline,
                            frame_dir: str,
                            num_frames: int,
                            name: Optional[str] = None,
                            batch_size: int = 64,
                            progress: bool = True) -> dict:
    """The student's features (and decoded pose) of every frame of a prepared video.

    Frames are read ``batch_size`` at a time through the test ``pipeline`` (``frame_path``,
    ``frame_idx``) and run with ``model.test_step`` (the data preprocessor, then ``predict``:
    the crop as is and, with ``test_cfg.flip``, mirrored), as ``tools/test.py
    --dump-features`` does through the runner.

    Args:
        model (torch.nn.Module): A :class:`~vpd_mm.models.VPDDistiller` (``init_student``).
        pipeline (callable): The config's test pipeline.
        frame_dir (str): ``rawframes/<video>`` folder (``img_/flow_x_/flow_y_%05d.jpg``).
        num_frames (int): T.
        name (str, optional): The ``frame_dir`` metainfo. Defaults to the folder's name.
        batch_size (int): Frames per forward pass. Defaults to 64.
        progress (bool): Progress bar. Defaults to True.

    Returns:
        dict: ``features`` float32 [T, V, d] and ``poses`` float32 [T, d'] (the decoder's pose
        of view 0; None if the model predicts none).
    """
    from mmengine.dataset import pseudo_collate

    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    name = name or osp.basename(osp.normpath(frame_dir))
    features: Optional[np.ndarray] = None
    poses: Optional[np.ndarray] = None
    bar = tqdm(total=num_frames, desc='student', unit='frame', disable=not progress)
    for start in range(0, num_frames, batch_size):
        stop = min(start + batch_size, num_frames)
        data = [pipeline(dict(frame_path=frame_dir, frame_idx=t, frame_dir=name))
                for t in range(start, stop)]
        with torch.no_grad():
            samples = model.test_step(pseudo_collate(data))
        feats = torch.stack([s.pred_feature for s in samples]).float().cpu().numpy()  # [n, V, d]
        if features is None:
            features = np.full((num_frames, ) + feats.shape[1:], np.nan, np.float32)
            if 'pred_pose' in samples[0]:
                poses = np.full((num_frames, samples[0].pred_pose.shape[-1]), np.nan, np.float32)
        features[start:stop] = feats
        if poses is not None:
            poses[start:stop] = torch.stack([s.pred_pose for s in samples]).float().cpu().numpy()
        bar.update(stop - start)
    bar.close()
    if features is None:
        raise ValueError(f'{frame_dir}: no frames')
    return dict(features=features, poses=poses)


def write_feature_array(out_dir: str, name: str, array: np.ndarray, key: str) -> str:
    """Write ``<out_dir>/<name>.npy`` [T, V, d] and add it to ``<out_dir>/features.json``.

    The index has the fields of :class:`~vpd_mm.evaluation.metrics.DumpVPDFeatures`' (``dim``,
    ``key``, ``views``, ``layout``, ``videos``); the videos of an existing compatible index are
    kept.

    Args:
        out_dir (str): The feature folder (created).
        name (str): Video name (a plain file name).
        array (np.ndarray): float32 [T, V, d].
        key (str): What the array holds (``'pred_feature'`` or ``'pred_pose'``).

    Returns:
        str: The ``.npy`` path.

    Raises:
        VideoInferenceError: The folder's index describes other features (another ``d`` or
            ``key``): mixing them would give a folder no downstream task can read.
    """
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 3:
        raise ValueError(f'expected [T, V, d], got {list(array.shape)}')
    path = join_under(out_dir, name, what='video name', suffix='.npy')
    os.makedirs(out_dir, exist_ok=True)
    index_path = osp.join(out_dir, INDEX_FILE)
    views = ['as_is', 'hflip'][:array.shape[1]]
    index = dict(dim=int(array.shape[2]), key=key, views=views,
                 layout='[T, views, d] float32, one <frame_dir>.npy per video', videos={})
    if osp.isfile(index_path):
        try:
            with open(index_path) as f:
                old = json.load(f)
        except (OSError, json.JSONDecodeError):
            old = None
        if isinstance(old, dict) and isinstance(old.get('videos'), dict):
            if (old.get('dim'), old.get('key'), old.get('views')) != (index['dim'], key, views):
                raise VideoInferenceError(
                    f'{out_dir} holds other features ({index_path}: d={old.get("dim")}, '
                    f'key={old.get("key")!r}, views={old.get("views")}; these are d='
                    f'{index["dim"]}, key={key!r}, views={views}): use another --out-dir')
            index['videos'].update(old['videos'])
    save_npy_atomic(path, array)
    index['videos'][name] = int(array.shape[0])
    dump_json_atomic(index, index_path, indent=1)
    return path
