# Copyright (c) vpd_mm contributors. All rights reserved.
"""Readers of 3D pose corpora, mapped to the 13 kept joints in the y-up world convention.

Every reader returns float32 arrays ``[T, 13, 3]`` in ``KEPT_JOINTS`` order (nose, L/R shoulder,
L/R elbow, L/R wrist, L/R hip, L/R knee, L/R ankle). Frames with a non-finite kept joint are
dropped, and sequences left with fewer than 2 frames are dropped; both are counted and logged.
"""
import os
import os.path as osp
import pickle
import zipfile
import zlib
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger

from vpd_mm.codecs import KEPT_JOINTS
from vpd_mm.utils.io import FileFormatError, numeric_array
from vpd_mm.utils.safe_pickle import safe_npz_entry

#: Human3.6M's 32-joint indices of the kept joints (nose <- 14 "neck/nose").
H36M32_TO_KEPT: Tuple[int, ...] = (14, 17, 25, 18, 26, 19, 27, 6, 1, 7, 2, 8, 3)
#: VideoPose3D's 17-joint indices of the kept joints (nose <- 9).
H36M17_TO_KEPT: Tuple[int, ...] = (9, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3)
#: SMPL joint indices of the kept joints (nose <- head 15).
SMPL_TO_KEPT: Tuple[int, ...] = (15, 16, 17, 18, 19, 20, 21, 1, 2, 4, 5, 7, 8)
#: z-up -> y-up, a proper rotation about x by -90 deg: (x, y, z) -> (x, z, -y).
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
NUM_KEPT_2D = len(KEPT_JOINTS)

#: What reading a damaged npz file raises (numpy, zipfile, zlib and the safe unpickler).
_UNREADABLE = (pickle.UnpicklingError, zipfile.BadZipFile, zlib.error, EOFError, OSError,
               ValueError, NotImplementedError, MemoryError)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f'{value.dtype} array of shape {list(value.shape)}'
    return type(value).__name__


def _numeric(where: str, value: Any, dtype=np.float64) -> np.ndarray:
    """``value`` (an array or nested lists of numbers) as a ``dtype`` array; a ValueError
    naming ``where`` for strings, objects or ragged lists."""
    return numeric_array(value, 'the entry', where, kinds='iuf').astype(dtype)


def _npz_dict(path: str, key: str, what: str, missing: str = '') -> dict:
    """The dict that entry ``key`` of an npz holds as a pickled 0-d object array, unpickled
    without running code; a ValueError naming the file for anything else (``missing`` added to
    the message of a missing entry)."""
    try:
        value = safe_npz_entry(path, key)
    except KeyError as e:
        raise FileFormatError(path, f'no "{key}" entry{missing} ({e.args[0]})') from None
    except _UNREADABLE as e:
        raise FileFormatError(path, f'not a readable npz file ({type(e).__name__}: {e})') from e
    if isinstance(value, np.ndarray) and value.dtype.hasobject and value.shape == ():
        value = value.item()
    if not isinstance(value, dict):
        raise FileFormatError(path, f'{key} must hold a dict {what}, got {_describe(value)}')
    return value


def _sorted_items(where: str, value: Any, what: str) -> List[Tuple[str, Any]]:
    """The items of a dict with string keys, sorted by key; a ValueError naming ``where`` for
    anything else."""
    if not isinstance(value, dict):
        raise FileFormatError(where, f'expected a dict {what}, got {_describe(value)}')
    for k in value:
        if not isinstance(k, str):
            raise FileFormatError(where, f'keys must be strings ({what}), got {k!r}')
    return sorted(value.items())


def _to_y_up(joints: np.ndarray, up_axis: str) -> np.ndarray:
    if up_axis == 'z':
        return joints @ Z_UP_TO_Y_UP.T
    if up_axis == 'y':
        return joints
    raise ValueError(f"up_axis must be 'y' or 'z', got {up_axis!r}")


def _clean(name: str, joints: np.ndarray, stats: Dict[str, int], frame_ids: bool = False):
    """Drop non-finite frames; return None for a sequence left with < 2 frames.

    With ``frame_ids`` also return the kept frames' indices in the file ([T'] int64).
    """
    finite = np.isfinite(joints).all(axis=(-1, -2))  # [T]
    stats['nan_frames'] += int((~finite).sum())
    joints = joints[finite]
    if len(joints) < 2:
        stats['short_sequences'] += 1
        return None
    stats['frames'] += len(joints)
    joints = np.ascontiguousarray(joints, dtype=np.float32)
    return (joints, np.flatnonzero(finite)) if frame_ids else joints


def _log(source: str, stats: Dict[str, int]) -> None:
    logger = MMLogger.get_current_instance()
    msg = (f'{source}: {stats["sequences"]} sequences kept ({stats["frames"]} frames); dropped '
           f'{stats["nan_frames"]} non-finite frames and {stats["short_sequences"]} sequences '
           'with < 2 frames')
    if stats['nan_frames'] or stats['short_sequences']:
        logger.warning(msg)
    else:
        logger.info(msg)


def _h36m_to_kept(name: str, arr: Any) -> np.ndarray:
    arr = _numeric(name, arr)
    if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[1] not in (32, 17):
        raise FileFormatError(name, 'expected [T, 32, 3] or [T, 17, 3] joints, got '
                              f'{list(arr.shape)}')
    index = H36M32_TO_KEPT if arr.shape[1] == 32 else H36M17_TO_KEPT
    return _to_y_up(arr[:, index], 'z')


def load_h36m_npz(path: str, frame_ids: bool = False):
    """Read VideoPose3D's ``data_3d_h36m.npz``.

    The file holds ``positions_3d``: a pickled dict subject -> action -> [T, 32, 3] world
    positions in metres with z up (or [T, 17, 3] in VideoPose3D's 17-joint order).

    Args:
        path (str): The npz file.
        frame_ids (bool): Also return each kept frame's index in the file (frames with a
            non-finite joint are dropped; the indices align the poses with the videos' 2D
            detections). Defaults to False.

    Returns:
        dict[str, dict[str, np.ndarray]]: subject -> action -> [T, 13, 3] float32, y up; with
        ``frame_ids`` a pair of it and subject -> action -> [T] int64 frame indices.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a readable npz, has no ``positions_3d``, or it is not a
            dict of dicts with string keys of numeric arrays of the right shape (the message
            names the file, subject and action).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Human3.6M 3D pose file not found: {path}')
    # the dict is a pickled object array: unpickled without running code
    positions = _npz_dict(path, 'positions_3d', 'subject -> action -> array')
    stats = dict(sequences=0, frames=0, nan_frames=0, short_sequences=0)
    out: Dict[str, Dict[str, np.ndarray]] = {}
    ids: Dict[str, Dict[str, np.ndarray]] = {}
    for subject, actions in _sorted_items(f'{path}:positions_3d', positions,
                                          'subject -> action -> array'):
        for action, arr in _sorted_items(f'{path}:{subject}', actions, 'action -> array'):
            name = f'{path}:{subject}/{action}'
            kept = _clean(name, _h36m_to_kept(name, arr), stats, True)
            if kept is not None:
                out.setdefault(subject, {})[action] = kept[0]
                ids.setdefault(subject, {})[action] = kept[1]
                stats['sequences'] += 1
    _log(f'Human3.6M {path}', stats)
    return (out, ids) if frame_ids else out


#: Kept-joint indices of the 2D detection layouts of VideoPose3D's ``data_2d_h36m_*.npz``
#: (``metadata['layout_name']``): its 17-joint Human3.6M order and COCO's.
DETECTION_LAYOUTS: Dict[str, Tuple[int, ...]] = dict(h36m=H36M17_TO_KEPT, coco=KEPT_JOINTS)


def load_h36m_detections(path: str,
                         layout: str = 'auto') -> Dict[str, Dict[str, List[np.ndarray]]]:
    """Read VideoPose3D's 2D detections of Human3.6M, ``data_2d_h36m_<detector>.npz``.

    The file holds ``positions_2d``, a pickled dict subject -> action -> list of one array per
    camera (VideoPose3D's camera order, ``h36m_cameras.H36M_CAMERA_IDS``) of [T, 17, 2] pixel
    coordinates (or [T, 17, 3] with scores), and ``metadata``, a pickled dict whose
    ``layout_name`` is ``'h36m'`` (VideoPose3D's 17 joints, e.g. the CPN detections) or
    ``'coco'`` (e.g. the Detectron detections). Both are unpickled without running code.

    Args:
        path (str): The npz file.
        layout (str): ``'auto'`` (from the metadata), ``'h36m'`` or ``'coco'``.
            Defaults to 'auto'.

    Returns:
        dict: subject -> action -> list per camera of [T, 13, 3] float32 (x, y, score in
        ``KEPT_JOINTS`` order, pixels; score NaN where the file has none). Frames with a
        non-finite coordinate are kept (with NaN) so that frame t stays frame t.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is unreadable, has no ``positions_2d`` (or no ``metadata`` with
            ``layout='auto'``), an unknown layout, containers of the wrong type or an array that
            is not numeric or of the wrong shape (the message names the file).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Human3.6M 2D detection file not found: {path}')
    positions = _npz_dict(path, 'positions_2d', 'subject -> action -> list of per-camera arrays')
    if layout == 'auto':
        meta = _npz_dict(path, 'metadata', 'with a layout_name',
                         " to read the joint layout from: give the layout ('h36m' or 'coco')")
        layout = meta.get('layout_name')
    if not isinstance(layout, str) or layout not in DETECTION_LAYOUTS:
        raise FileFormatError(path, f'unknown 2D joint layout {layout!r}: use one of '
                              f'{sorted(DETECTION_LAYOUTS)}')
    index = list(DETECTION_LAYOUTS[layout])
    out: Dict[str, Dict[str, List[np.ndarray]]] = {}
    for subject, actions in _sorted_items(f'{path}:positions_2d', positions,
                                          'subject -> action -> list of per-camera arrays'):
        for action, per_camera in _sorted_items(f'{path}:{subject}', actions,
                                                'action -> list of per-camera arrays'):
            where = f'{path}:{subject}/{action}'
            if not isinstance(per_camera, (list, tuple, np.ndarray)) or np.ndim(per_camera) < 1:
                raise FileFormatError(where, f'expected a list of per-camera arrays, got '
                                      f'{_describe(per_camera)}')
            cams = []
            for c, arr in enumerate(per_camera):
                arr = _numeric(f'{where} camera {c}', arr, np.float32)
                if arr.ndim != 3 or arr.shape[1] != 17 or arr.shape[2] not in (2, 3):
                    raise FileFormatError(f'{where} camera {c}', 'expected [T, 17, 2] or '
                                          f'[T, 17, 3], got {list(arr.shape)}')
                kept = np.full(arr.shape[:1] + (NUM_KEPT_2D, 3), np.nan, dtype=np.float32)
                kept[..., :arr.shape[2]] = arr[:, index]
                cams.append(kept)
            out.setdefault(subject, {})[action] = cams
    MMLogger.get_current_instance().info(
        f'Human3.6M 2D detections {path} ({layout} layout): '
        f'{sum(len(a) for a in out.values())} sequences')
    return out


def _amass_files(path: str) -> Sequence[Tuple[str, str]]:
    if osp.isfile(path):
        return [(osp.basename(path), path)]
    if not osp.isdir(path):
        raise FileNotFoundError(f'AMASS joint file or folder not found: {path}')
    files = []
    for root, _, names in os.walk(path):
        for fname in names:
            if fname.endswith('.npz'):
                full = osp.join(root, fname)
                files.append((osp.relpath(full, path), full))
    return sorted(files)


def _amass_joints(path: str) -> np.ndarray:
    """The ``joints`` array of an AMASS npz file as float64; a ValueError naming the file for a
    damaged file or one that is not a zip archive, a missing entry or a non-numeric array."""
    if not zipfile.is_zipfile(path):  # np.load would read it as a bare .npy or a pickle
        raise FileFormatError(path, 'not an npz file (not a zip archive)')
    try:
        data = np.load(path, allow_pickle=False)
    except _UNREADABLE as e:
        raise FileFormatError(path, f'not a readable npz file ({type(e).__name__}: {e})') from e
    with data:
        if 'joints' not in data:
            raise FileFormatError(path, f'no "joints" entry (keys: {list(data.keys())})')
        try:
            joints = data['joints']
        except _UNREADABLE as e:
            raise FileFormatError(path, f'the "joints" entry is not a readable array '
                                  f'({type(e).__name__}: {e})') from e
    return _numeric(f'{path}: joints', joints)


def load_amass_joints(path: str, up_axis: str = 'z') -> Dict[str, np.ndarray]:
    """Read AMASS-style joint arrays: one ``.npz`` per sequence with ``joints`` [T, J >= 22, 3].

    Joints are in SMPL order (0 pelvis, 1/2 L/R hip, 4/5 L/R knee, 7/8 L/R ankle, 12 neck,
    15 head, 16/17 L/R shoulder, 18/19 L/R elbow, 20/21 L/R wrist); the nose is taken from the
    head (15).

    Args:
        path (str): An npz file or a folder searched recursively for ``*.npz``.
        up_axis (str): The files' vertical axis, ``'z'`` (AMASS) or ``'y'``. Defaults to 'z'.

    Returns:
        dict[str, np.ndarray]: relative path (file name for a single file) -> [T, 13, 3]
        float32, y up.

    Raises:
        FileNotFoundError: The path does not exist.
        ValueError: A file is not a readable npz archive, has no ``joints``, or its joints are
            not numeric or have fewer than 22 joints (the message names the file).
    """
    stats = dict(sequences=0, frames=0, nan_frames=0, short_sequences=0)
    out: Dict[str, np.ndarray] = {}
    for name, full in _amass_files(path):
        arr = _amass_joints(full)
        if arr.ndim != 3 or arr.shape[-1] != 3 or arr.shape[1] < 22:
            raise FileFormatError(full, f'expected joints [T, J >= 22, 3], got {list(arr.shape)}')
        joints = _clean(name, _to_y_up(arr[:, SMPL_TO_KEPT], up_axis), stats)
        if joints is not None:
            out[name] = joints
            stats['sequences'] += 1
    _log(f'AMASS {path}', stats)
    return out
