# Copyright (c) vpd_mm contributors. All rights reserved.
"""The one reader of pose-annotation pkls (mmaction2's PoseDataset format, docs/data_layout.md)."""
import os.path as osp
import pickle
from typing import List

from vpd_mm.utils.safe_pickle import safe_pickle_load


class PoseAnnotationError(ValueError):
    """A pose-annotation file that is not one: the message names the file and the problem."""


def load_pose_annotations(path: str) -> dict:
    """Read a pose-annotation pkl without running code from it.

    The file is mmaction2's ``PoseDataset`` format: ``dict(split=dict(...), annotations=[...])``
    or a plain list of annotation dicts, each with at least ``frame_dir``. Such files are
    shared and downloaded, so they are unpickled with
    :class:`vpd_mm.utils.safe_pickle.SafeUnpickler` (lists, dicts, strings, numbers, numpy
    arrays; a pickle that names any other global is refused before it runs).

    Args:
        path (str): The pkl.

    Returns:
        dict: ``split`` (dict, ``{}`` if the file has none) and ``annotations`` (list of dicts
        with unique ``frame_dir`` strings).

    Raises:
        FileNotFoundError: no such file.
        PoseAnnotationError: not a readable pickle, refused content, or the wrong structure.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'pose annotation file not found: {path!r}')
    try:
        data = safe_pickle_load(path)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
            TypeError, ValueError, MemoryError) as e:
        raise PoseAnnotationError(f'{path}: not a readable pose annotation pickle '
                                  f'({type(e).__name__}: {e})') from e
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
        names.append(ann['frame_dir'])
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})[:5]
        raise PoseAnnotationError(f'{path}: duplicate frame_dir values, e.g. {dup}')
    return dict(split=dict(split), annotations=list(anns))
