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
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from vpd_mm.utils.io import FileFormatError, dump_json_atomic, int_field, load_json
from vpd_mm.utils.paths import UnsafePathError, check_path_component, join_under

SPLITS = ('train', 'val', 'test')


class AnnotationError(FileFormatError):
    """An action annotation file that does not follow the format; the message names the file
    (raised with that one text: ``FileFormatError(text)``)."""


class UnsafeVideoNameError(AnnotationError, UnsafePathError):
    """A video name of an action annotation file that is not one plain file name (both error
    classes, so the callers of either catch it)."""


def feature_path(feature_dir: str, video: str) -> str:
    """``<feature_dir>/<video>.npy``; an unsafe video name (``..``, a separator, an absolute
    path: see :func:`vpd_mm.utils.paths.check_path_component`) raises ``UnsafePathError``."""
    return join_under(feature_dir, video, what='video name', suffix='.npy', resolve=False)


def _npy_header(path: str) -> Tuple[tuple, bool, np.dtype, int]:
    """Shape, Fortran order, dtype and data offset of a ``.npy`` file, from its header only."""
    fmt = np.lib.format
    with open(path, 'rb') as f:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:  # 3.0 only differs for structured dtypes with non-latin-1 field names
            raise ValueError(f'unsupported .npy format version {version[0]}.{version[1]}')
        return shape, fortran, dtype, f.tell()


def read_feature_file(path: str, mmap: bool = False) -> np.ndarray:
    """Read a ``.npy`` feature array after checking its header against the format and the file.

    The header is not trusted: the dtype must be real numbers (bool, integer or float), the
    shape ``[T, V, d]`` or ``[T, d]`` with no negative size and ``V, d >= 1``, and the file must
    hold the bytes the header announces, so a 100-byte file claiming terabytes is refused
    before anything is allocated.

    Args:
        path (str): The file.
        mmap (bool): Memory-map it instead of reading it. Defaults to False.

    Returns:
        np.ndarray: The array as stored (``[T, V, d]`` or ``[T, d]``, dtype as stored).

    Raises:
        ValueError: unreadable, or not such an array; the message names the file.
    """
    try:
        shape, fortran, dtype, offset = _npy_header(path)
    except (ValueError, OSError, EOFError) as e:
        raise FileFormatError(path, f'not a readable .npy feature file ({e})') from e
    if dtype.kind not in 'biuf':  # no strings, objects, records, complex numbers, dates
        raise FileFormatError(path, f'features must be real numbers, got dtype {dtype}')
    if len(shape) not in (2, 3):
        raise FileFormatError(path, f'features must be [T, V, d] (or [T, d]), got shape {shape}')
    if min(shape) < 0 or min(shape[1:]) < 1:
        raise FileFormatError(path, f'bad feature array shape {shape} in the header (sizes must '
                              'be >= 0, views and dimensions >= 1)')
    need = math.prod(shape) * dtype.itemsize
    have = os.path.getsize(path) - offset
    if need > have:
        raise FileFormatError(path, f'the header announces a {dtype} array of shape {shape} '
                              f'({need} bytes) but the file holds {have} bytes of data (truncated '
                              'or corrupt)')
    order = 'F' if fortran else 'C'
    try:  # read what the checked header says (as np.load would, without parsing it again)
        if mmap:
            return np.memmap(path, dtype=dtype, mode='r', offset=offset, shape=shape,
                             order=order)
        with open(path, 'rb') as f:
            f.seek(offset)
            data = np.fromfile(f, dtype=dtype, count=math.prod(shape))
        return data.reshape(shape, order=order)
    except (ValueError, OSError, EOFError, MemoryError) as e:
        raise FileFormatError(path, f'not a readable .npy feature file ({type(e).__name__}: '
                              f'{e})') from e


def load_feature_sequence(feature_dir: str, video: str, mmap: bool = False) -> np.ndarray:
    """Load one video's features.

    Args:
        feature_dir: Folder of ``<video>.npy`` files.
        video: Video name (the ``frame_dir`` of the pose annotations).
        mmap: Memory-map the file instead of reading it (the array is then returned with its
            stored dtype).

    Returns:
        np.ndarray: float32 ``[T, V, d]``; a ``[T, d]`` file is returned as ``[T, 1, d]``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a feature array (see :func:`read_feature_file`); the message names the
            file.
    """
    path = feature_path(feature_dir, video)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no features for video {video!r}: {path} does not exist')
    feats = read_feature_file(path, mmap)
    if feats.ndim == 2:
        feats = feats[:, None]
    return feats if mmap else feats.astype(np.float32, copy=False)


def check_folder_shape(seen: Dict[str, Tuple[str, tuple]], feature_dir: str, video: str,
                       feats: np.ndarray) -> None:
    """Stop at a feature file whose (views, d) differ from the first file read from its folder.

    A folder holds the features of one model; a file of another model (another ``d``) or with
    another number of flip views would otherwise fail far from its cause (in the DTW or in
    batch collation), without naming the file.

    Args:
        seen (dict[str, tuple[str, tuple]]): Folder -> (its first file, that file's (V, d));
            the caller keeps it across the files of one run, this call fills it.
        feature_dir (str): The folder ``feats`` was read from.
        video (str): The video (file name without ``.npy``).
        feats (np.ndarray): [T, V, d] features (:func:`load_feature_sequence`).

    Raises:
        FileFormatError: naming the file, its (V, d) and the folder's first file and its (V, d).
    """
    path = feature_path(feature_dir, video)
    first, shape = seen.setdefault(feature_dir, (path, tuple(feats.shape[1:])))
    if tuple(feats.shape[1:]) != shape:
        raise FileFormatError(
            path, f'features of {feats.shape[1]} views x d = {feats.shape[2]}, but {first} has '
            f'{shape[0]} x {shape[1]}: the folder mixes the features of two models')


def _fail(path: str, msg: str):
    raise AnnotationError(f'{path}: {msg}')


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_video(path: str, video, info, where: str) -> dict:
    """Check the name and the entry of one video of ``videos`` (or named by an action)."""
    try:
        check_path_component(video, 'video name', f'{path}: {where}')
    except UnsafePathError as e:
        raise UnsafeVideoNameError(str(e)) from None
    if not isinstance(info, dict):
        _fail(path, f'videos[{video!r}] must be a dict (fps, num_frames, split), got '
              f'{info!r:.80}')
    if 'split' in info and info['split'] not in SPLITS:
        _fail(path, f'videos[{video!r}]: split {info["split"]!r} is not one of {SPLITS}')
    if info.get('num_frames') is not None:
        info['num_frames'] = int_field(info['num_frames'], 'num_frames', f'video {video!r}',
                                       lambda msg: AnnotationError(f'{path}: {msg}'))
        if info['num_frames'] < 0:
            _fail(path, f'videos[{video!r}]: negative num_frames {info["num_frames"]}')
    fps = info.get('fps')
    if fps is not None and not (_is_real(fps) and math.isfinite(fps) and fps > 0):
        _fail(path, f'videos[{video!r}]: fps must be a positive number, got {fps!r:.40}')
    return info


def load_action_annotations(path: str) -> dict:
    """Read and validate an action annotation file (format in the module docstring).

    Checked: the JSON types of the containers and fields, ``classes`` a list of strings, every
    video name one plain file name (it becomes ``<video>.npy``, ``rawframes/<video>``), splits
    from :data:`SPLITS`, integer frame ranges and labels, ``num_frames`` and a positive ``fps``.

    Returns:
        dict: the file's content with defaults filled in (``videos`` entries for every video an
        action names, ``split`` of videos taken from their actions when missing).

    Raises:
        FileNotFoundError: no such file.
        AnnotationError: anything else wrong (:class:`UnsafeVideoNameError` for an unsafe video
            name); the message names the file, the entry and the value.
    """
    ann = load_json(path, 'action annotation file',
                    lambda p, msg: AnnotationError(f'{p}: {msg}'))
    if not isinstance(ann, dict) or 'actions' not in ann:
        _fail(path, 'expected a dict with "classes", "videos" and "actions"')
    classes = ann.setdefault('classes', [])
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        _fail(path, f'"classes" must be a list of class names (strings), got {classes!r:.80}')
    videos: Dict[str, dict] = ann.setdefault('videos', {})
    if not isinstance(ann['actions'], list) or not isinstance(videos, dict):
        _fail(path, '"actions" must be a list and "videos" a dict')
    for video, info in videos.items():
        _check_video(path, video, info, f'videos[{video!r}]')

    def error(msg: str) -> AnnotationError:
        return AnnotationError(f'{path}: {msg}')

    ids = set()
    for i, act in enumerate(ann['actions']):
        if not isinstance(act, dict):
            _fail(path, f'action #{i} is not a dict: {act!r:.80}')
        for key in ('id', 'video', 'start_frame', 'end_frame', 'label'):
            if key not in act:
                _fail(path, f'action #{i} ({act.get("id", "?")}) has no "{key}"')
        if not isinstance(act['id'], (str, int)) or isinstance(act['id'], bool):
            _fail(path, f'action #{i}: id must be a string (or an integer), got '
                  f'{act["id"]!r:.80}')
        # stored back as a string, the form every reader compares (id lists, few-shot
        # subsets, results): 5 and '5' are the same action id
        if str(act['id']) in ids:
            _fail(path, f'action id {act["id"]!r} appears twice' + (
                '' if isinstance(act['id'], str) else ' (an integer id is its string)'))
        act['id'] = str(act['id'])
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
        video = act['video']
        if isinstance(video, str) and video in videos:
            info = videos[video]
        else:  # a new video: its name is checked before it becomes a key
            info = videos[video] = _check_video(path, video, {}, where)
        split = act.setdefault('split', info.get('split', 'train'))
        if split not in SPLITS:
            _fail(path, f'action {act["id"]!r}: split {split!r} is not one of {SPLITS}')
        info.setdefault('split', split)
        num_frames = info.get('num_frames')
        if num_frames is not None and end > num_frames:
            _fail(path, f'action {act["id"]!r} ends at frame {end} but video {video!r} '
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
