# Copyright (c) vpd_mm contributors. All rights reserved.
"""Cut a per-video teacher pose pkl into an action-level mmaction2 ``PoseDataset`` pkl.

The teacher pkl (``docs/data_layout.md``) holds one entry per video, NaN keypoints where the
athlete has no detection. mmaction2's skeleton models (ST-GCN baseline,
``configs/skeleton/``) want one entry per action, a label, and finite numbers. For every
labelled action of the actions JSON this writes::

    dict(frame_dir=<action id>, label=<label>, total_frames=end - start,
         keypoint=[M, end - start, 17, 2], keypoint_score=[M, end - start, 17],
         img_shape=..., original_shape=..., video=<video>, start_frame=..., end_frame=...)

with ``split=dict(train=[ids], val=[ids], test=[ids])`` from the actions' splits. Missing
joints (a NaN coordinate or score) get the **image centre** as coordinates (0 after
mmaction2's ``PreNormalize2D``, i.e. neutral rather than a corner) and score 0, so the
model still knows they are missing. Actions with label -1 (unlabelled) are skipped.

An action id becomes its ``frame_dir`` as a string (``7`` -> ``'7'``), so it must be one plain
file name (:func:`vpd_mm.utils.paths.check_path_component`), and two ids must not give the same
string (``7`` and ``'7'``); an action must lie within its video's pose frames. A breach stops
with an :class:`~vpd_mm.datasets.features.AnnotationError` naming the actions JSON and the
action, and nothing is written.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from vpd_mm.datasets.features import SPLITS, AnnotationError, load_action_annotations
from vpd_mm.datasets.pose_annotations import (PoseAnnotationError, annotations_by_video,
                                              dump_pose_annotations)
from vpd_mm.utils.paths import UnsafePathError, check_path_component


def fill_missing_joints(keypoint: np.ndarray, score: np.ndarray,
                        img_shape: Sequence[int]) -> tuple:
    """NaN joints -> image centre with score 0.

    Args:
        keypoint (np.ndarray): [M, T, 17, 2] pixels (NaN where missing).
        score (np.ndarray): [M, T, 17] (NaN allowed).
        img_shape (Sequence[int]): ``(H, W)``.

    Returns:
        tuple: float32 keypoint [M, T, 17, 2] and score [M, T, 17], all finite.
    """
    keypoint = np.array(keypoint, dtype=np.float32)
    score = np.array(score, dtype=np.float32)
    missing = ~np.isfinite(keypoint).all(-1) | ~np.isfinite(score)
    h, w = img_shape[:2]
    keypoint[missing] = np.array([w / 2, h / 2], dtype=np.float32)
    score[missing] = 0.
    return keypoint, score


def action_frame_dir(act: dict, index: int, actions_json: str) -> str:
    """The ``frame_dir`` of an action: its id as a string, checked to be one plain file name.

    Args:
        act (dict): One action of :func:`load_action_annotations`.
        index (int): Its position in the file, for the message.
        actions_json (str): The file, for the message.

    Returns:
        str: ``str(act['id'])``.

    Raises:
        AnnotationError: the id is not one plain file name (``'../x'``, ``''``, a leading dot);
            the message names ``actions_json`` and the action.
    """
    try:
        return check_path_component(str(act['id']), 'action id',
                                    f'{actions_json}: action #{index}')
    except UnsafePathError as e:
        raise AnnotationError(str(e)) from None


def actions_to_pose_pkl(pose_pkl: str,
                        actions_json: str,
                        out_pkl: str,
                        splits: Optional[List[str]] = None) -> dict:
    """Write the action-level PoseDataset pkl (format in the module docstring).

    Args:
        pose_pkl (str): Per-video teacher pose pkl.
        actions_json (str): Action annotations (``load_action_annotations``).
        out_pkl (str): Output ``.pkl`` (written atomically).
        splits (list[str], optional): Only actions of these splits. Defaults to all.

    Returns:
        dict: ``num_actions`` per split and ``skipped_unlabeled``.

    Raises:
        AnnotationError: an action id that is not one plain file name or gives the same
            ``frame_dir`` as another, an action whose video is not in the pose pkl or that ends
            after the video's last pose frame, or no labelled action (of ``splits``) at all;
            the message names ``actions_json`` and the action. Nothing is written.
        PoseAnnotationError: a video's keypoints of the wrong shape, or an unknown
            (``None``) ``img_shape`` where joints are missing; the message names ``pose_pkl``.
    """
    ann = load_action_annotations(actions_json)
    poses = annotations_by_video(pose_pkl, required=('keypoint', 'keypoint_score'))
    split_ids: Dict[str, List[str]] = {s: [] for s in SPLITS}
    annotations, skipped, ids = [], 0, {}
    for i, act in enumerate(ann['actions']):
        if splits is not None and act['split'] not in splits:
            continue
        if int(act['label']) < 0:
            skipped += 1
            continue
        frame_dir = action_frame_dir(act, i, actions_json)
        if frame_dir in ids:
            raise AnnotationError(f'{actions_json}: action #{i}: id {act["id"]!r} and the id '
                                  f'{ids[frame_dir]!r} of another action both become the '
                                  f'frame_dir {frame_dir!r}')
        ids[frame_dir] = act['id']
        video = act['video']
        if video not in poses:
            raise AnnotationError(f'{actions_json}: action {act["id"]!r} is in video {video!r}, '
                                  f'which {pose_pkl} does not have')
        pose = poses[video]
        kp, sc = np.asarray(pose['keypoint']), np.asarray(pose['keypoint_score'])
        if kp.ndim != 4 or sc.shape != kp.shape[:3]:
            raise PoseAnnotationError(
                f'{pose_pkl}: video {video!r}: keypoint must be [M, T, 17, 2] and '
                f'keypoint_score [M, T, 17], got {kp.shape} and {sc.shape}')
        start, end = int(act['start_frame']), int(act['end_frame'])
        if end > kp.shape[1]:
            raise AnnotationError(f'{actions_json}: action {act["id"]!r} ends at frame {end} '
                                  f'but video {video!r} has {kp.shape[1]} pose frames in '
                                  f'{pose_pkl}')
        img_shape = pose.get('img_shape', (1080, 1920))
        if img_shape is None:
            raise PoseAnnotationError(
                f'{pose_pkl}: video {video!r} has no img_shape (None), needed to place its '
                'missing joints at the image centre (for an imported release: import with '
                '--video-dir, or meta.json sizes)')
        img_shape = tuple(img_shape)
        kp, sc = fill_missing_joints(kp[:, start:end], sc[:, start:end], img_shape)
        annotations.append(
            dict(
                frame_dir=frame_dir,
                label=int(act['label']),
                total_frames=end - start,
                img_shape=img_shape,
                original_shape=tuple(pose.get('original_shape') or img_shape),
                keypoint=kp,
                keypoint_score=sc,
                video=video,
                start_frame=start,
                end_frame=end))
        split_ids[act['split']].append(frame_dir)
    if not annotations:
        which = '' if splits is None else f' of the splits {list(splits)}'
        raise AnnotationError(f'{actions_json}: no labelled action{which} to write (of '
                              f'{len(ann["actions"])} actions, {skipped} unlabelled); nothing '
                              f'was written')
    dump_pose_annotations(out_pkl, annotations, split=split_ids)
    return dict(num_actions={s: len(v) for s, v in split_ids.items()},
                skipped_unlabeled=skipped)
