# Copyright (c) vpd_mm contributors. All rights reserved.
"""The contract of pose-annotation pkls (mmaction2's PoseDataset format, docs/data_layout.md).

Every reader and writer of these files goes through this module, as every reader and writer of
feature files goes through :mod:`vpd_mm.datasets.features`:

* :func:`load_pose_annotations` reads a file without running code from it and checks its
  structure;
* :func:`athlete_track` returns one video's athlete track (person 0) checked against the
  format;
* :func:`dump_pose_annotations` checks the structure and writes the file atomically.

The file is ``dict(split=dict(<name>=[frame_dir, ...]), annotations=[...])`` (``split``
optional) or a plain list of annotations. An annotation is a dict with a unique string
``frame_dir`` (the video), ``total_frames`` (T), ``keypoint`` [M, T, 17, 2] (pixels, NaN where
the teacher has no pose; person 0 is the athlete) and ``keypoint_score`` [M, T, 17], and
optionally ``athlete_box`` / ``crop_box`` [T, 4], ``img_shape``, ``label`` and more keys
(``gt_keypoint`` [T, 17, 2] in the synthetic corpora).

A ``frame_dir`` becomes a path (``rawframes/<frame_dir>/``, ``<emb_dir>/<frame_dir>.npy``), so it
must be one plain file name (:func:`vpd_mm.utils.paths.check_path_component`): a file with
``'../x'`` or ``'/etc/passwd'`` is refused as a whole.
"""
import os.path as osp
import pickle
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from vpd_mm.codecs import NUM_KEYPOINTS
from vpd_mm.utils.io import FileFormatError, dump_pickle_atomic, int_field
from vpd_mm.utils.io import numeric_array as _numeric_array
from vpd_mm.utils.paths import UnsafePathError, check_path_component
from vpd_mm.utils.safe_pickle import safe_pickle_load


class PoseAnnotationError(FileFormatError):
    """A pose-annotation file that is not one: the message names the file and the problem
    (raised with that one text: ``FileFormatError(text)``)."""


class UnsafeFrameDirError(PoseAnnotationError, UnsafePathError):
    """A ``frame_dir`` that is not one plain file name (both error classes, so the callers of
    either catch it)."""


class PoseKeyError(PoseAnnotationError, KeyError):
    """An annotation without a key a reader needs (both a ``ValueError`` and a ``KeyError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


def check_pose_annotations(data, path: str) -> dict:
    """Check the structure of a pose-annotation object and return it as a dict.

    Args:
        data (dict | list): ``dict(split=..., annotations=[...])`` or a list of annotations.
        path (str): The file, for the messages.

    Returns:
        dict: ``split`` (dict, ``{}`` if there is none) and ``annotations`` (list of dicts
        with unique ``frame_dir`` strings, each one plain file name).

    Raises:
        PoseAnnotationError: the wrong structure; the message names ``path`` and the problem.
        UnsafeFrameDirError: a ``frame_dir`` that is not one plain file name (``'../x'``, an
            absolute path); also an :class:`vpd_mm.utils.paths.UnsafePathError`.
    """
    if isinstance(data, dict):
        if 'annotations' not in data:
            raise PoseAnnotationError(f"{path}: a dict annotation file needs an 'annotations' "
                                      f'list, got keys {sorted(map(str, data))}')
        anns, split = data['annotations'], data.get('split') or {}
    elif isinstance(data, (list, tuple)):
        anns, split = data, {}
    else:
        raise PoseAnnotationError(f'{path}: expected a dict or a list of annotations, got '
                                  f'{type(data).__name__}')
    if not isinstance(anns, (list, tuple)) or not isinstance(split, dict):
        raise PoseAnnotationError(f"{path}: 'annotations' must be a list and 'split' a dict")
    names: List[str] = []
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict) or not isinstance(ann.get('frame_dir'), str):
            raise PoseAnnotationError(f"{path}: annotation #{i} is not a dict with a string "
                                      "'frame_dir'")
        try:
            check_path_component(ann['frame_dir'], 'frame_dir', f'{path}: annotation #{i}')
        except UnsafePathError as e:
            raise UnsafeFrameDirError(str(e)) from None
        names.append(ann['frame_dir'])
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:5]
        raise PoseAnnotationError(f'{path}: duplicate frame_dir values, e.g. {dup}')
    return dict(split=dict(split), annotations=list(anns))


def load_pose_annotations(path: str) -> dict:
    """Read a pose-annotation pkl without running code from it.

    Such files are shared and downloaded, so they are unpickled with
    :class:`vpd_mm.utils.safe_pickle.SafeUnpickler` (lists, dicts, strings, numbers, numpy
    arrays; a pickle that names any other global is refused before it runs). The structure is
    checked by :func:`check_pose_annotations`.

    Args:
        path (str): The pkl.

    Returns:
        dict: ``split`` (dict, ``{}`` if the file has none) and ``annotations`` (list of dicts
        with unique ``frame_dir`` strings).

    Raises:
        FileNotFoundError: no such file.
        PoseAnnotationError: not a readable pickle, refused content, or the wrong structure
            (:class:`UnsafeFrameDirError` for a ``frame_dir`` that is not a plain file name).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'pose annotation file not found: {path!r}')
    try:
        data = safe_pickle_load(path)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
            TypeError, ValueError, MemoryError) as e:
        raise PoseAnnotationError(f'{path}: not a readable pose annotation pickle '
                                  f'({type(e).__name__}: {e})') from e
    return check_pose_annotations(data, path)


def annotations_by_video(path: str, required: Sequence[str] = ()) -> Dict[str, dict]:
    """The annotations of a pose pkl by ``frame_dir``, each checked to hold ``required`` keys.

    Raises:
        PoseKeyError: an annotation lacks one of ``required`` (names the file, the annotation
            and the key).
    """
    by_video = {}
    for i, ann in enumerate(load_pose_annotations(path)['annotations']):
        for key in required:
            if key not in ann:
                raise PoseKeyError(f'{path}: annotation #{i} ({ann["frame_dir"]}) has no '
                                   f'"{key}"')
        by_video[ann['frame_dir']] = ann
    return by_video


def numeric_array(value, what: str, where: str) -> np.ndarray:
    """:func:`vpd_mm.utils.io.numeric_array` raising :class:`PoseAnnotationError`."""
    return _numeric_array(value, what, where, PoseAnnotationError)


def athlete_track(ann: dict,
                  path: str,
                  key: str = 'keypoint',
                  score_key: Optional[str] = 'keypoint_score',
                  dtype: Optional[np.dtype] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """The athlete's (person 0's) keypoints and scores of one annotation, checked.

    Args:
        ann (dict): One annotation of a pose pkl.
        path (str): Its file, for the messages.
        key (str): The keypoints: [M >= 1, T, 17, 2] (mmaction2's layout; person 0 is the
            athlete) or [T, 17, 2] (one person, e.g. ``'gt_keypoint'``). Defaults to
            ``'keypoint'``.
        score_key (str, optional): The scores, shaped like the keypoints without the last
            axis; None: no scores. Defaults to ``'keypoint_score'``.
        dtype (np.dtype, optional): Cast both to this dtype. Defaults to None (as stored).

    Returns:
        tuple: keypoints [T, 17, 2] and scores [T, 17] (None when ``score_key`` is None).

    Raises:
        PoseKeyError: ``key`` or ``score_key`` is missing (also a ``KeyError``).
        PoseAnnotationError: a shape does not follow the format, the keypoints' T is not the
            annotation's ``total_frames`` (where it has one), or the values are not a regular
            array of numbers; the message names the file, the video and the key.
    """
    where = f"{path}: video {ann.get('frame_dir', '?')!r}"
    for k in (key, score_key):
        if k is not None and k not in ann:
            raise PoseKeyError(f'{where} has no {k!r} (keys: {sorted(map(str, ann))})')
    kp = numeric_array(ann[key], key, where)
    if not (kp.ndim == 4 and len(kp) >= 1 or kp.ndim == 3) or \
            kp.shape[-2:] != (NUM_KEYPOINTS, 2):
        raise PoseAnnotationError(f'{where}: {key} must have shape [M >= 1, T, '
                                  f'{NUM_KEYPOINTS}, 2] or [T, {NUM_KEYPOINTS}, 2] '
                                  f'(COCO-{NUM_KEYPOINTS}), got {list(kp.shape)}')
    sc = None
    if score_key is not None:
        sc = numeric_array(ann[score_key], score_key, where)
        if sc.shape != kp.shape[:-1]:
            raise PoseAnnotationError(f'{where}: {score_key} must have shape '
                                      f'{list(kp.shape[:-1])} (like {key} without its last '
                                      f'axis), got {list(sc.shape)}')
    if kp.ndim == 4:
        kp, sc = kp[0], None if sc is None else sc[0]
    if 'total_frames' in ann:  # T of every per-frame array of the video
        num = int_field(ann['total_frames'], 'total_frames', where, PoseAnnotationError)
        if len(kp) != num:
            raise PoseAnnotationError(f'{where}: {key} holds {len(kp)} frames but total_frames '
                                      f'is {num}')
    if dtype is not None:
        kp, sc = kp.astype(dtype), None if sc is None else sc.astype(dtype)
    return kp, sc


def dump_pose_annotations(path: str,
                          annotations: Sequence[dict],
                          split: Optional[Dict[str, List[str]]] = None) -> None:
    """Write a pose-annotation pkl atomically (a temporary name, then a rename).

    Args:
        path (str): The pkl; its folder is created if needed.
        annotations (Sequence[dict]): The annotations (unique string ``frame_dir``).
        split (dict[str, list[str]], optional): Named lists of ``frame_dir``; None writes a
            file without the key. Defaults to None.

    Raises:
        PoseAnnotationError: the annotations do not follow the format (nothing is written).
    """
    obj = dict(annotations=list(annotations))
    if split is not None:
        obj = dict(split=split, annotations=obj['annotations'])
    check_pose_annotations(obj, path)
    dump_pickle_atomic(obj, path)
