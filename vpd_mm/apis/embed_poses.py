# Copyright (c) vpd_mm contributors. All rights reserved.
"""Precompute the VI-VPD teacher targets: VIPE* embeddings of every frame's 2D pose."""
import os
import os.path as osp
from typing import Dict, Optional, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from tqdm import tqdm

from vpd_mm.codecs import PoseNormalizer, VIPEInputEncoder
from vpd_mm.datasets.pose_annotations import athlete_track, load_pose_annotations
from vpd_mm.evaluation.test_setup import load_model_weights
from vpd_mm.models import vipe  # noqa: F401  (registers VIPEEmbedder)
from vpd_mm.utils.io import (SOURCE_FILE, claim_output_folder, dump_json_atomic, file_sha256,
                             save_npy_atomic, sweep_temporaries)
from .pose_features import feature_paths, index_has_key

INDEX_FILE = 'embeddings.json'


def init_vipe_embedder(config: Union[str, Config, dict],
                       checkpoint: Optional[str] = None,
                       device: str = 'cpu') -> torch.nn.Module:
    """Build a ``VIPEEmbedder`` from a config and load its weights.

    Args:
        config (str | Config | dict): Config file or object with a ``model`` entry
            (e.g. ``configs/vipe/vipe_h36m.py``), or the model dict itself.
        checkpoint (str, optional): Checkpoint file; None keeps the random init.
        device (str): Defaults to 'cpu'.

    Returns:
        VIPEEmbedder: in eval mode on ``device``.

    Raises:
        ValueError: if the model has no ``embed`` method.
        CheckpointLoadError: the checkpoint holds objects a weights-only load refuses, or is
            not readable (one line naming it).
        CheckpointMismatchError: (a ``CheckpointLoadError``) the checkpoint is not one of the
            config's embedder: keys missing or unexpected (e.g. a VPD student's checkpoint), or
            tensors of other shapes; one line naming the checkpoint, the config and a few keys
            (:func:`vpd_mm.evaluation.test_setup.load_model_weights`, strict).
    """
    name = config if isinstance(config, str) else None
    if isinstance(config, str):
        config = Config.fromfile(config)
    model_cfg = config.get('model', config) if isinstance(config, (Config, dict)) else config
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(model_cfg)
    if not hasattr(model, 'embed'):
        raise ValueError(f'the config builds a {type(model).__name__}, not a pose embedder '
                         "(model.type='VIPEEmbedder')")
    if checkpoint is not None:  # weights-only and strict: the checkpoint of this config
        load_model_weights(model, checkpoint, name or config)
    return model.to(device).eval()


def _embed_batched(model: torch.nn.Module, x: np.ndarray, batch_size: int) -> np.ndarray:
    """[N, 39] -> [N, D] float32, ``batch_size`` rows at a time."""
    out = [
        model.embed(torch.from_numpy(x[i:i + batch_size])).cpu().numpy()
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, model.embed_dim), np.float32)


def embed_pose_views(model: torch.nn.Module,
                     keypoint: np.ndarray,
                     keypoint_score: np.ndarray,
                     vertical_flip: bool = False,
                     batch_size: int = 4096) -> np.ndarray:
    """Embed the frames of one athlete's pose track, as is and horizontally flipped.

    View 0 embeds the pose as is, view 1 embeds the horizontally flipped pose
    (:meth:`PoseNormalizer.flip`, re-embedded: the embedding is chiral). With
    ``vertical_flip`` each view is the concatenation of the embedding of its pose and of that
    pose with y negated (upside down), so d = 2 D.

    Args:
        model (VIPEEmbedder): The embedder.
        keypoint (np.ndarray): [T, 17, 2].
        keypoint_score (np.ndarray): [T, 17].
        vertical_flip (bool): Also embed the vertically flipped poses. Defaults to False.
        batch_size (int): Poses per forward pass. Defaults to 4096.

    Returns:
        np.ndarray: [T, 2, d] float32; NaN rows for frames with non-finite keypoints or scores.
    """
    kp = np.asarray(keypoint, dtype=np.float64)
    sc = np.asarray(keypoint_score, dtype=np.float64)
    valid = np.isfinite(kp).all(axis=(-1, -2)) & np.isfinite(sc).all(axis=-1)  # [T]
    kp, sc = kp[valid], sc[valid]  # [T', 17, 2], [T', 17]
    kp_f, sc_f = PoseNormalizer.flip(kp, sc)
    poses = [(kp, sc), (kp_f, sc_f)]  # view 0, view 1
    if vertical_flip:
        poses += [(kp * [1, -1], sc), (kp_f * [1, -1], sc_f)]  # y -> -y of each view
    encoder = VIPEInputEncoder()
    x = np.concatenate([encoder.encode(k, s) for k, s in poses])  # [P * T', 39]
    emb = _embed_batched(model, x, batch_size)  # [P * T', D]
    emb = emb.reshape(len(poses), int(valid.sum()), -1)  # [P, T', D]
    if vertical_flip:
        emb = np.concatenate([emb[:2], emb[2:]], axis=-1)  # [2, T', 2D]
    out = np.full((len(valid), 2, emb.shape[-1]), np.nan, dtype=np.float32)
    out[valid] = emb.transpose(1, 0, 2)  # [T', 2, d]
    return out


def embed_pose_dataset(ann_file: str,
                       config: Union[str, Config, dict],
                       checkpoint: Optional[str],
                       out_dir: str,
                       vertical_flip: bool = False,
                       batch_size: int = 4096,
                       device: str = 'cpu',
                       overwrite: bool = False,
                       progress: bool = True) -> Dict:
    """Write the VIPE* embeddings of every video of a pose annotation file.

    For each video of the PoseDataset pkl (``docs/data_layout.md``), writes
    ``<out_dir>/<frame_dir>.npy`` float32 [T, 2, d] (:func:`embed_pose_views`: view 0 as is,
    view 1 of the horizontally flipped pose; d = D, or 2 D with ``vertical_flip``; NaN rows
    where there is no pose), the input of ``VPDPoseTargetDataset(target_type='embedding')``,
    and ``<out_dir>/embeddings.json`` (``d``, ``D``, ``vertical_flip``, ``config``,
    ``checkpoint`` and ``videos``: the videos' lengths). Files are written atomically;
    videos whose file exists are skipped unless ``overwrite``, so an interrupted run resumes,
    except when ``<out_dir>/source.json`` says the folder's files come from another pose file,
    model config, checkpoint or ``vertical_flip`` (:func:`vpd_mm.utils.io.claim_output_folder`:
    then every video is embedded again; a folder of other files is refused unless
    ``overwrite``)
    (and sweeps the temporaries a killed run left: :func:`vpd_mm.utils.io.sweep_temporaries`).
    Every ``frame_dir`` must be a plain file name; one that is not (``'../x'``, ``'/abs'``) is
    refused, naming the file and the annotation, before anything is written.

    Args:
        ann_file (str): Annotation pkl (a dict with ``annotations`` or a list).
        config (str | Config | dict): Embedder config (see :func:`init_vipe_embedder`).
        checkpoint (str, optional): Embedder checkpoint; None keeps the random init.
        out_dir (str): Output folder, created if needed.
        vertical_flip (bool): Concatenate the embedding of the vertically flipped pose
            (Diving48). Defaults to False.
        batch_size (int): Poses per forward pass. Defaults to 4096.
        device (str): Defaults to 'cpu'.
        overwrite (bool): Recompute existing files. Defaults to False.
        progress (bool): Show a tqdm progress bar. Defaults to True.

    Returns:
        dict: ``out_dir``, ``dim`` (d), ``embed_dim`` (D), ``num_videos``, ``num_written``,
        ``num_skipped``, ``num_frames_without_pose`` (of the written videos).
    """
    annotations = load_pose_annotations(ann_file)['annotations']
    paths = feature_paths(annotations, ann_file, out_dir)
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model = init_vipe_embedder(config, checkpoint, device)
    embed_dim = int(model.embed_dim)
    dim = embed_dim * (2 if vertical_flip else 1)
    os.makedirs(out_dir, exist_ok=True)
    sweep_temporaries(out_dir, {osp.basename(p) for p in paths} | {INDEX_FILE, SOURCE_FILE})
    model_cfg = cfg.get('model', cfg) if isinstance(cfg, (Config, dict)) else cfg
    source = dict(kind='VIPE* embeddings', ann_file_sha256=file_sha256(ann_file),
                  model=model_cfg.to_dict() if hasattr(model_cfg, 'to_dict') else model_cfg,
                  checkpoint_sha256=file_sha256(checkpoint) if checkpoint else None,
                  vertical_flip=bool(vertical_flip))
    overwrite = not claim_output_folder(out_dir, source, paths, overwrite,
                                        own_index=lambda d: index_has_key(d, 'vertical_flip'))
    lengths, written, skipped, no_pose = {}, 0, 0, 0
    for ann, path in tqdm(
            zip(annotations, paths), total=len(annotations), desc='embed poses', unit='video',
            disable=not progress):
        name = ann['frame_dir']
        kp, sc = athlete_track(ann, ann_file)  # person 0: [T, 17, 2], [T, 17]
        if osp.exists(path) and not overwrite:
            existing = np.load(path, mmap_mode='r')
            if existing.shape != (len(kp), 2, dim):
                raise ValueError(f'{path} exists with shape {list(existing.shape)}, expected '
                                 f'{[len(kp), 2, dim]}: use overwrite=True (--overwrite) or '
                                 f'another out_dir')
            skipped += 1
        else:
            emb = embed_pose_views(model, kp, sc, vertical_flip, batch_size)  # [T, 2, d]
            save_npy_atomic(path, emb)
            written += 1
            no_pose += int(np.isnan(emb[:, 0, 0]).sum())
        lengths[name] = int(len(kp))
    index = dict(
        d=dim,
        D=embed_dim,
        vertical_flip=bool(vertical_flip),
        config=config if isinstance(config, str) else None,
        checkpoint=checkpoint,
        layout='[T, 2, d] float32, one <frame_dir>.npy per video: view 0 as is, view 1 of '
        'the horizontally flipped pose; NaN rows without a pose',
        videos=lengths)
    dump_json_atomic(index, osp.join(out_dir, INDEX_FILE), indent=1)
    return dict(
        out_dir=out_dir,
        dim=dim,
        embed_dim=embed_dim,
        num_videos=len(lengths),
        num_written=written,
        num_skipped=skipped,
        num_frames_without_pose=no_pose)
