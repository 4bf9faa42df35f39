# Copyright (c) vpd_mm contributors. All rights reserved.
"""The two files every downstream task reads: per-video feature arrays and action annotations.

Formats (see ``docs/data_layout.md``):

* **Features**: ``<feature_dir>/<video>.npy``, float32 ``[T, V, d]`` (V = 2 flip views: as is,
  horizontally flipped), NaN rows for frames without features. ``tools/test.py --dump-features``,
  ``tools/embed_poses.py`` and the teacher-feature tools all write this.
* **Action annotations**: one JSON file per dataset::

    {
      "dataset": "diving48",
      "classes": ["class 0", "class 1", ...],
      "videos": {"<video>": {"fps": 25.0, "num_frames": 120, "split": "train"}, ...},
      "actions": [{"id": "<action id>", "video": "<video>", "start_frame": 3,
                   "end_frame": 60, "label": 7, "split": "train"}, ...]
    }

  ``start_frame``/``end_frame`` index the frames of the video's feature file (0-based, end
  exclusive); ``split`` is ``train``, ``val`` or ``test`` (``val`` is optional); ``label`` is an
  index into ``classes`` (``-1`` for unlabeled actions). Videos without actions (unlabeled
  distillation corpora) may appear in ``videos`` only.
"""
import json
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from vpd_mm.utils.io import dump_json_atomic, int_field
from vpd_mm.utils.paths import join_under

SPLITS = ('train', 'val', 'test')


class AnnotationError(ValueError):
    """An action annotation file that does not follow the format; the message names the file."""


def feature_path(feature_dir: str, video: str) -> str:
    """``<feature_dir>/<video>.npy``; an unsafe video name (``..``, a separator, an absolute
    path: see :func:`vpd_mm.utils.paths.check_path_component`) raises ``UnsafePathError``."""
    return join_under(feature_dir, video, what='video name', suffix='.npy', resolve=False)


def load_feature_sequence(feature_dir: str, video: str, mmap: bool = False) -> np.ndarray:
    """Load one video's features.

    Args:
        feature_dir: Folder of ``<video>.npy`` files.
        video: Video name (the ``frame_dir`` of the pose annotations).
        mmap: Memory-map the file instead of reading it.

    Returns:
        np.ndarray: float32 ``[T, V, d]``; a ``[T, d]`` file is returned as ``[T, 1, d]``.
    """
    path = feature_path(feature_dir, video)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no features for video {video!r}: {path} does not exist')
    try:
        feats = np.load(path, mmap_mode='r' if mmap else None)
    except (ValueError, OSError, EOFError) as e:
        raise ValueError(f'{path}: not a readable .npy feature file ({e})') from e
    if feats.ndim == 2:
        feats = feats[:, None]
    if feats.ndim != 3:
        raise ValueError(f'{path}: features must be [T, V, d] (or [T, d]), got shape '
                         f'{tuple(feats.shape)}')
    return feats if mmap else feats.astype(np.float32, copy=False)


def _fail(path: str, msg: str):
    raise AnnotationError(f'{path}: {msg}')


def load_action_annotations(path: str) -> dict:
    """Read and validate an action annotation file (format in the module docstring).

    Returns:
        dict: the file's content with defaults filled in (``videos`` entries for every video an
        action names, ``split`` of videos taken from their actions when missing).
    """
    try:
        with open(path) as f:
            ann = json.load(f)
    except FileNotFoundError:
        raise
    except (OSError, json.JSONDecodeError) as e:
        raise AnnotationError(f'{path}: not a readable JSON file ({e})') from e
    if not isinstance(ann, dict) or 'actions' not in ann:
        _fail(path, 'expected a dict with "classes", "videos" and "actions"')
    classes = ann.setdefault('classes', [])
    videos: Dict[str, dict] = ann.setdefault('videos', {})
    if not isinstance(ann['actions'], list) or not isinstance(videos, dict):
        _fail(path, '"actions" must be a list and "videos" a dict')

    def error(msg: str) -> AnnotationError:
        return AnnotationError(f'{path}: {msg}')

    ids = set()
    for i, act in enumerate(ann['actions']):
        if not isinstance(act, dict):
            _fail(path, f'action #{i} is not a dict: {act!r:.80}')
        for key in ('id', 'video', 'start_frame', 'end_frame', 'label'):
            if key not in act:
                _fail(path, f'action #{i} ({act.get("id", "?")}) has no "{key}"')
        if act['id'] in ids:
            _fail(path, f'action id {act["id"]!r} appears twice')
        ids.add(act['id'])
        where = f'action #{i} ({act["id"]!r})'
        # the integers are stored back: every reader of the result sees ints
        for key in ('start_frame', 'end_frame', 'label'):
            act[key] = int_field(act[key], key, where, error)
        start, end, label = act['start_frame'], act['end_frame'], act['label']
        if start < 0 or end <= start:
            _fail(path, f'action {act["id"]!r}: bad frame range [{start}, {end})')
        if label < -1 or (classes and label >= len(classes)):
            _fail(path, f'action {act["id"]!r}: label {label} outside the {len(classes)} classes')
        split = act.setdefault('split', videos.get(act['video'], {}).get('split', 'train'))
        if split not in SPLITS:
            _fail(path, f'action {act["id"]!r}: split {split!r} is not one of {SPLITS}')
        info = videos.setdefault(act['video'], {})
        info.setdefault('split', split)
        num_frames = info.get('num_frames')
        if num_frames is not None:
            num_frames = info['num_frames'] = int_field(num_frames, 'num_frames',
                                                        f'video {act["video"]!r}', error)
        if num_frames is not None and end > num_frames:
            _fail(path, f'action {act["id"]!r} ends at frame {end} but video {act["video"]!r} '
                  f'has {num_frames} frames')
    return ann


def dump_action_annotations(ann: dict, path: str) -> None:
    """Write an action annotation file atomically (temporary name, then rename)."""
    dump_json_atomic(ann, path, indent=1)


def select_actions(ann: dict,
                   splits: Optional[List[str]] = None,
                   ids: Optional[List[str]] = None) -> List[dict]:
    """Actions of the given splits (all when None), optionally restricted to ``ids``.

    Raises:
        KeyError: when ``ids`` names actions that are not in the file (the first ones listed).
    """
    acts = ann['actions']
    if splits is not None:
        acts = [a for a in acts if a['split'] in splits]
    if ids is not None:
        by_id = {a['id']: a for a in acts}
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise KeyError(f'{len(unknown)} unknown action ids (first: {unknown[:5]})')
        acts = [by_id[i] for i in ids]
    return acts
