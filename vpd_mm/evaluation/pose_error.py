# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-frame pose error of a teacher and a student against a reference, split by confidence."""
from typing import Dict, Optional, Sequence

import numpy as np

from vpd_mm.codecs import pose_confidence

#: The groups of frames, in report order: (key, what it is).
POSE_ERROR_GROUPS = (
    ('confident', 'confident'),
    ('unconfident', 'unconfident, with a pose'),
    ('no_pose', 'no teacher pose'),
)


def joint_error(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Mean joint distance of normalised 2D-VPD poses.

    Args:
        pred (np.ndarray): [T, 2 * J] (x, y interleaved per joint).
        ref (np.ndarray): [T, 2 * J].

    Returns:
        np.ndarray: [T] mean over the J joints of the Euclidean distance (NaN where either is).
    """
    pred, ref = np.asarray(pred, np.float64), np.asarray(ref, np.float64)
    if pred.shape != ref.shape or pred.ndim != 2 or pred.shape[1] % 2:
        raise ValueError(f'expected two [T, 2 * J] arrays of one shape, got {pred.shape} and '
                         f'{ref.shape}')
    return np.linalg.norm((pred - ref).reshape(len(pred), -1, 2), axis=-1).mean(axis=-1)


def pose_error_by_confidence(videos: Sequence[dict],
                             conf_thr: float = 0.5,
                             extra_masks: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Mean error of the teacher and the student to the reference, by teacher confidence.

    Each video gives its normalised reference, teacher and student poses [T, 26] (view 0), the
    teacher's keypoint scores [T, 17] (for the confidence, :func:`pose_confidence`) and
    optionally boolean masks [T] (e.g. ``'inverted'``); frames are grouped into ``confident``
    (teacher confidence >= ``conf_thr``), ``unconfident`` (below, with a teacher pose) and
    ``no_pose`` (no teacher pose at all), and for every extra mask into ``<group>&<mask>``.
    Frames where the student or the reference has no pose are left out.

    Args:
        videos (Sequence[dict]): ``reference``, ``teacher``, ``student`` [T, 26],
            ``scores`` [T, 17], optional ``masks`` dict (name -> bool [T]).
        conf_thr (float): Confidence threshold. Defaults to 0.5.
        extra_masks (Sequence[str], optional): Names of masks to split by. Defaults to None.

    Returns:
        dict: group -> ``frames``, ``teacher`` (mean error, None without frames or teacher
        pose), ``student``, ``ratio`` (student / teacher, None where undefined).
    """
    cols: Dict[str, list] = {k: [] for k in ('teacher', 'student', 'conf', 'has_pose')}
    masks: Dict[str, list] = {m: [] for m in (extra_masks or ())}
    for v in videos:
        ref = np.asarray(v['reference'], np.float64)
        n = len(ref)
        for key in ('teacher', 'student'):
            if len(v[key]) != n:
                raise ValueError(f'video {v.get("name", "?")}: {key} has {len(v[key])} frames, '
                                 f'the reference {n}')
        teacher, student = np.asarray(v['teacher']), np.asarray(v['student'])
        cols['teacher'].append(joint_error(teacher, ref))
        cols['student'].append(joint_error(student, ref))
        cols['conf'].append(pose_confidence(np.asarray(v['scores'])) >= conf_thr)
        cols['has_pose'].append(np.isfinite(teacher).all(axis=1))
        for m in masks:
            masks[m].append(np.asarray(v['masks'][m], dtype=bool))
    cat = {k: np.concatenate(c) if c else np.zeros(0) for k, c in cols.items()}
    conf, has_pose = cat['conf'].astype(bool), cat['has_pose'].astype(bool)
    ok = np.isfinite(cat['student'])
    groups = dict(confident=conf & has_pose, unconfident=~conf & has_pose, no_pose=~has_pose)
    for name, mask in [(m, np.concatenate(v)) for m, v in masks.items()]:
        for g in POSE_ERROR_GROUPS:
            groups[f'{g[0]}&{name}'] = groups[g[0]] & mask
    out = {}
    for name, mask in groups.items():
        m = mask & ok
        teacher = float(cat['teacher'][m].mean()) if m.any() and not name.startswith(
            'no_pose') else None
        student = float(cat['student'][m].mean()) if m.any() else None
        out[name] = dict(frames=int(m.sum()), teacher=teacher, student=student,
                         ratio=None if not teacher or student is None else student / teacher)
    return out


def sports_benchmark_pose_errors(pose_pkl: str, raw_root: str, feature_root: str,
                                 student_pose_dir: str,
                                 videos: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """:func:`pose_error_by_confidence` on the synthetic sports benchmark's files.

    Reference: ``<feature_root>/gt_pose2d``; teacher: ``<feature_root>/pose2d``; student: the
    decoded poses ``<student_pose_dir>/<video>.npy`` (``tools/test.py --dump-poses``); scores from
    the pose pkl the preparation wrote; extra mask ``inverted`` from the ground truth's
    ``upright_cos < 0`` (``<raw_root>/gt/<video>.npz``).

    Args:
        pose_pkl (str): ``annotations/sports_pose.pkl`` of the prepared benchmark.
        raw_root (str): The corpus folder (``data/raw/sports``).
        feature_root (str): ``data/sports/features``.
        student_pose_dir (str): The student's decoded poses.
        videos (Sequence[str], optional): Videos to evaluate; default the pkl's ``test`` split.

    Returns:
        dict: as :func:`pose_error_by_confidence`, with ``&inverted`` groups.
    """
    import os.path as osp

    from vpd_mm.datasets.pose_annotations import load_pose_annotations
    data = load_pose_annotations(pose_pkl)
    anns = {a['frame_dir']: a for a in data['annotations']}
    if videos is None:
        videos = (data.get('split') or {}).get('test')
        if not videos:
            raise ValueError(f'{pose_pkl} has no test split: name the videos to evaluate')
    rows = []
    for name in videos:
        ann = anns[name]
        src = np.asarray(ann['source_frame_idx'])
        upright = np.load(osp.join(raw_root, 'gt', f'{name}.npz'))['upright_cos'][src]
        rows.append(dict(
            name=name,
            reference=np.load(osp.join(feature_root, 'gt_pose2d', f'{name}.npy'))[:, 0],
            teacher=np.load(osp.join(feature_root, 'pose2d', f'{name}.npy'))[:, 0],
            student=np.load(osp.join(student_pose_dir, f'{name}.npy'))[:, 0],
            scores=np.asarray(ann['keypoint_score'][0]),
            masks=dict(inverted=upright < 0)))
    return pose_error_by_confidence(rows, extra_masks=['inverted'])


__all__ = [
    'POSE_ERROR_GROUPS', 'joint_error', 'pose_error_by_confidence', 'sports_benchmark_pose_errors'
]
