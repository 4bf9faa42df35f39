# Copyright (c) vpd_mm contributors. All rights reserved.
"""Import the VPD authors' released per-video features (``<video>.emb.pkl``) as ``.npy`` files.

Their format (``apply_vipe_model.py`` / ``apply_vpd_model.py`` of the release): a pickled list
``[(frame_num, ndarray, meta_dict), ...]``; the array is ``(d,)`` or ``(V, d)`` (V = 2: the pose
or crop as is and horizontally flipped). Ours (``docs/data_layout.md``, read by
:func:`vpd_mm.datasets.load_feature_sequence`): ``<out_dir>/<video>.npy`` float32 ``[T, V, d]``
with NaN rows for frames without features, and ``features.json``.

Conversion: entries of the same frame (and view) are averaged, as the authors' loader does;
``(d,)`` arrays give V = 1 (no flip view is invented), except when the entries' metas carry
``is_flip`` flags (embeddings written with ``--allow_many_per_frame``), which give V = 2 (view 1:
the flipped pose). Frames without an entry stay NaN (left out of the sequence by the feature
dataset), or with ``dense=True`` (``--dense-features``) are filled as the authors' figure-skating,
tennis and detection loader does: gaps between two frames with entries linearly interpolated,
frames before the first and after the last entry zero (:func:`fill_gaps_dense`; with the correct
weights, where the authors' loader has them reversed).
"""
import json
import os
import os.path as osp
import pickle
from typing import Dict, List, Optional, Set, Tuple, Union

import numpy as np
from tqdm import tqdm

from vpd_mm.datasets.features import read_feature_file
from vpd_mm.utils.io import FileFormatError, dump_json_atomic, parse_temporary_name, save_npy_atomic
from vpd_mm.utils.paths import UnsafePathError, check_path_component, join_under
from vpd_mm.utils.safe_pickle import safe_pickle_load
from .poses import ReleaseFormatError, check_frame_value, nothing_imported
from .report import ImportReport

EMB_SUFFIX = '.emb.pkl'
INDEX_FILE = 'features.json'
#: The most values (T x V x d) one video's features may have: 2**27 float32, 512 MiB (the
#: limit of frames x 2 views x 128 fits). T is bounded by
#: :data:`~vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO`, V x d by the file's arrays;
#: this bounds the product (a few wide arrays at a large frame number). Raise it before importing
#: for larger features: ``vpd_mm.preparation.release.features.MAX_FEATURE_VALUES = ...``.
MAX_FEATURE_VALUES = 2**27


def read_emb_pkl(path: str) -> List[Tuple[int, np.ndarray, dict]]:
    """Read and validate one ``.emb.pkl`` file.

    Values that are not finite once cast to float32 (NaN, infinities, and numbers beyond the
    float32 range such as ``1e39``, which the cast turns into infinities) are NaN in the result,
    so that their frames count as frames without features (:func:`count_nonfinite_entries`).

    Returns:
        list[tuple[int, np.ndarray, dict]]: ``(frame_num, float32 array (d,) or (V, d), meta)``.

    Raises:
        ReleaseFormatError: an unreadable, truncated or malformed file (naming the entry), a
            size field asking for more memory than there is, or a frame_num beyond
            :data:`~vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO`.
    """
    try:
        with open(path, 'rb') as f:
            data = safe_pickle_load(f)
    except MemoryError:  # a length field (e.g. BINBYTES8) of 2**62 bytes
        raise ReleaseFormatError(path, 'not a readable pickle: a size field in it asks for '
                                 'more memory than there is (a corrupt file)') from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError,
            TypeError, ValueError, OverflowError, RecursionError, OSError) as e:
        raise ReleaseFormatError(path, f'not a readable pickle ({type(e).__name__}: {e})') from e
    if not isinstance(data, (list, tuple)):
        raise ReleaseFormatError(path, 'expected a list of (frame_num, array, meta), got '
                                 f'{type(data).__name__}')
    out = []
    shape = None
    for i, entry in enumerate(data):
        if not isinstance(entry, (list, tuple)) or len(entry) not in (2, 3):
            raise ReleaseFormatError(path, f'entry #{i}: expected (frame_num, array, meta)')
        frame, arr = entry[0], entry[1]
        meta = entry[2] if len(entry) == 3 and isinstance(entry[2], dict) else {}
        if isinstance(frame, (bool, np.bool_)) or not isinstance(frame, (int, np.integer)) \
                or frame < 0:
            raise ReleaseFormatError(path, f'entry #{i}: frame_num must be a non-negative '
                                     f'integer, got {frame!r}')
        frame = check_frame_value(frame, path, f'entry #{i}')
        try:
            with np.errstate(over='ignore', invalid='ignore'):  # overflow: inf, made NaN below
                arr = np.asarray(arr, dtype=np.float32)
        except (TypeError, ValueError, OverflowError) as e:
            raise ReleaseFormatError(path, f'entry #{i} (frame {frame}): not a numeric '
                                     f'array ({e})') from e
        if not np.isfinite(arr).all():
            arr = np.where(np.isfinite(arr), arr, np.float32(np.nan))
        if arr.ndim not in (1, 2) or arr.size == 0:
            raise ReleaseFormatError(path, f'entry #{i} (frame {frame}): expected an array '
                                     f'(d,) or (V, d), got shape {list(arr.shape)}')
        if shape is not None and arr.shape != shape:
            raise ReleaseFormatError(path, f'entry #{i} (frame {frame}): shape '
                                     f'{list(arr.shape)} differs from the first entry\'s '
                                     f'{list(shape)}')
        shape = arr.shape
        out.append((frame, arr, meta))
    return out


def count_nonfinite_entries(entries: List[Tuple[int, np.ndarray, dict]]) -> int:
    """The entries of :func:`read_emb_pkl` with a value that was not a finite float32 (NaN)."""
    return sum(1 for _, arr, _ in entries if np.isnan(arr).any())


def fill_gaps_dense(feats: np.ndarray) -> np.ndarray:
    """The authors' dense per-frame features: NaN frames filled per view.

    A frame between two frames with features gets the linear interpolation of the two (frame
    ``a + i`` of a gap from ``a`` to ``b``: ``(1 - i / (b - a)) x_a + i / (b - a) x_b``); frames
    before the first and after the last frame with features get zeros; a view without any
    features stays NaN.

    Args:
        feats (np.ndarray): float32 ``[T, V, d]``, NaN rows where no feature.

    Returns:
        np.ndarray: float32 ``[T, V, d]``.
    """
    out = np.array(feats, dtype=np.float32, copy=True)
    frames = np.arange(len(out))
    for v in range(out.shape[1]):
        have = np.flatnonzero(np.isfinite(out[:, v]).all(axis=-1))
        if not len(have):
            continue
        inside = (frames >= have[0]) & (frames <= have[-1])
        for j in range(out.shape[2]):
            out[inside, v, j] = np.interp(frames[inside], have, out[have, v, j])
        out[~inside, v] = 0.0
    return out


def emb_entries_to_array(entries: List[Tuple[int, np.ndarray, dict]],
                         num_frames: Optional[int] = None,
                         dense: bool = False,
                         path: str = '<entries>') -> Tuple[np.ndarray, int]:
    """Dense ``[T, V, d]`` features from the entries of one file (module docstring).

    Args:
        entries (list): Output of :func:`read_emb_pkl`, not empty.
        num_frames (int, optional): T; None: the largest frame_num + 1. Entries at or beyond
            T are dropped.
        dense (bool): Fill the frames without an entry (:func:`fill_gaps_dense`). Defaults to
            False.
        path (str): The file of the entries, for the messages. Defaults to ``'<entries>'``.

    Returns:
        tuple[np.ndarray, int]: float32 ``[T, V, d]`` (NaN rows where no entry, unless
        ``dense``) and the number of entries dropped beyond T.

    Raises:
        ReleaseFormatError: ``num_frames`` is not a positive integer up to
            :data:`~vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO`, or T x V x d is
            above :data:`MAX_FEATURE_VALUES`.
    """
    arr0 = entries[0][1]
    by_flip = arr0.ndim == 1 and any(bool(m.get('is_flip', False)) for _, _, m in entries)
    views = arr0.shape[0] if arr0.ndim == 2 else (2 if by_flip else 1)
    dim = arr0.shape[-1]
    if num_frames is None:
        T = max(f for f, _, _ in entries) + 1
    else:
        T = check_frame_value(num_frames, path, '', 'the frame count given (the pose '
                              'annotations\' total_frames)', count=True)
    if T * views * dim > MAX_FEATURE_VALUES:
        raise ReleaseFormatError(
            path, f'features of {T} frames x {views} views x {dim} values exceed the '
            f'{MAX_FEATURE_VALUES} values a video may have (a corrupt file? for larger '
            'features raise vpd_mm.preparation.release.features.MAX_FEATURE_VALUES)')
    sums: Dict[int, np.ndarray] = {}  # frame -> float64 [V, d]; memory of the entries only
    counts: Dict[int, np.ndarray] = {}  # frame -> [V]
    dropped = 0
    for frame, arr, meta in entries:
        if frame >= T:
            dropped += 1
            continue
        if frame not in sums:
            sums[frame] = np.zeros((views, dim), np.float64)
            counts[frame] = np.zeros(views, np.int64)
        if arr.ndim == 2:
            sums[frame] += arr
            counts[frame] += 1
        else:
            v = int(bool(meta.get('is_flip', False))) if by_flip else 0
            sums[frame][v] += arr
            counts[frame][v] += 1
    out = np.full((T, views, dim), np.nan, np.float32)
    with np.errstate(invalid='ignore', divide='ignore'):
        for frame, total in sums.items():  # NaN where a view has no entry
            out[frame] = total / counts[frame][:, None]
    return (fill_gaps_dense(out) if dense else out), dropped


def list_emb_files(emb_dir: str, suffix: str = EMB_SUFFIX) -> Dict[str, str]:
    """``{video: path}`` of the ``<video><suffix>`` files of a folder (sorted by video)."""
    if not osp.isdir(emb_dir):
        raise FileNotFoundError(f'feature folder not found: {emb_dir}')
    return {
        f[:-len(suffix)]: osp.join(emb_dir, f)
        for f in sorted(os.listdir(emb_dir)) if f.endswith(suffix) and len(f) > len(suffix)
    }


def scan_feature_folder(out_dir: str) -> Tuple[Dict[str, Union[tuple, str]], Set[str]]:
    """What a feature folder already holds, before an import writes to it.

    Args:
        out_dir (str): The folder (missing: empty).

    Returns:
        tuple[dict, set[str]]: ``{video: [T, V, d] shape, or why the file is no feature file}``
        for each ``<video>.npy`` (hidden names and temporaries of atomic writes ignored; a
        ``[T, d]`` file is ``[T, 1, d]``, as the loader reads it), and the videos the folder's
        ``features.json`` lists (empty if there is none or it cannot be read).
    """
    files: Dict[str, Union[tuple, str]] = {}
    listed: Set[str] = set()
    if not osp.isdir(out_dir):
        return files, listed
    for f in sorted(os.listdir(out_dir)):
        video = f[:-len('.npy')]
        path = osp.join(out_dir, f)
        if not f.endswith('.npy') or f.startswith('.') or not video or \
                parse_temporary_name(f) is not None or not osp.isfile(path):
            continue
        try:
            check_path_component(video, 'video name', path)
            arr = read_feature_file(path, mmap=True)
            shape = tuple(int(n) for n in arr.shape)
            del arr
        except (FileFormatError, UnsafePathError, ValueError, OSError) as e:
            files[video] = ' '.join(str(e).split())
            continue
        shape = (shape[0], 1, shape[1]) if len(shape) == 2 else shape
        files[video] = shape if shape[0] >= 1 else f'{path}: holds no frame'
    try:
        with open(osp.join(out_dir, INDEX_FILE)) as fh:
            index = json.load(fh)
        if isinstance(index, dict) and isinstance(index.get('videos'), dict):
            listed = {str(v) for v in index['videos']}
    except (OSError, ValueError):
        pass
    return files, listed


def import_release_features(emb_dir: str,
                            out_dir: str,
                            num_frames: Optional[Dict[str, int]] = None,
                            suffix: str = EMB_SUFFIX,
                            report_file: Optional[str] = None,
                            progress: bool = True,
                            dense: bool = False) -> ImportReport:
    """Convert a folder of ``<video>.emb.pkl`` into ``<out_dir>/<video>.npy`` + ``features.json``.

    Unreadable or malformed files, and files whose V or d differ from the first good file, are
    reported and skipped; the run goes on. Files are written atomically. Values that are not
    finite float32 numbers become NaN (their frames count as frames without features), with a
    warning.

    ``out_dir`` may hold an earlier import: its files are replaced by this run's of the same
    videos; its other ``.npy`` files of the same ``[V, d]`` are kept and listed in
    ``features.json`` (which lists exactly the usable feature files of the folder), files that
    are not usable or of another ``[V, d]`` are left out of it with a warning. When nothing is
    imported, nothing is written.

    Args:
        emb_dir (str): Folder of the released ``.emb.pkl`` files.
        out_dir (str): Output folder (created).
        num_frames (dict[str, int], optional): T per video, e.g. the ``total_frames`` of the
            imported pose pkl, so that features and poses align; videos not in it use their
            largest frame_num + 1. Defaults to None.
        suffix (str): File suffix. Defaults to ``'.emb.pkl'``.
        report_file (str, optional): JSON report; defaults to ``<out_dir>/import_report.json``.
        progress (bool): Show a progress bar. Defaults to True.
        dense (bool): Fill frames without an entry as the authors do for figure skating,
            tennis and detection (:func:`fill_gaps_dense`). Defaults to False.

    Returns:
        ImportReport: What was imported and skipped.

    Raises:
        FileNotFoundError: ``emb_dir`` is not a folder.
        NothingImportedError: no file imported (no ``<video><suffix>`` file, or every one
            skipped: the message names ``emb_dir`` and gives the first reasons); nothing is
            written.
        ReleaseFormatError: ``out_dir``'s ``features.json`` lists files of another ``[V, d]``
            than this run's (another model: a folder holds one); nothing is written.
    """
    num_frames = num_frames or {}
    report = ImportReport('features', emb_dir, out_dir)
    files = list_emb_files(emb_dir, suffix)
    earlier, listed = scan_feature_folder(out_dir)
    lengths: Dict[str, int] = {}
    layout: Optional[Tuple[int, int]] = None  # (V, d) of the first good file
    frames_missing = 0
    for video, path in tqdm(files.items(), desc='import features', disable=not progress):
        try:
            out_path = join_under(out_dir, video, what='video name', where=path, suffix='.npy')
        except UnsafePathError as e:
            report.skip(video, path, str(e))
            continue
        try:
            entries = read_emb_pkl(path)
            if not entries:
                raise ReleaseFormatError(path, 'holds no frame')
            feats, dropped = emb_entries_to_array(entries, num_frames.get(video), dense=dense,
                                                  path=path)
            if layout is not None and feats.shape[1:] != layout:
                raise ReleaseFormatError(
                    path, f'features [V, d] = {list(feats.shape[1:])} differ from the other '
                    f'files\' {list(layout)}')
        except ReleaseFormatError as e:
            report.skip(video, e.path, str(e))
            continue
        if layout is None:  # nothing written yet: refuse to mix two models' features
            other = sorted(v for v in listed if isinstance(earlier.get(v), tuple)
                           and earlier[v][1:] != feats.shape[1:])
            if other:
                raise ReleaseFormatError(
                    out_dir, f'holds the features [V, d] = {list(earlier[other[0]][1:])} of an '
                    f'earlier import ({len(other)} files listed in {INDEX_FILE}, e.g. '
                    f'{other[0]}.npy), {emb_dir} has [V, d] = {list(feats.shape[1:])}: import '
                    'them under another name or remove the folder first; nothing was written')
        layout = feats.shape[1:]
        if dropped:
            report.warn(video, path, f'{dropped} entries at or beyond the frame count '
                        f'{len(feats)} dropped')
        nonfinite = count_nonfinite_entries(entries)
        if nonfinite:
            report.warn(video, path, f'{nonfinite} entries hold values that are not finite '
                        'float32 numbers (NaN, infinite, or beyond the float32 range such as '
                        '1e39): stored as NaN, their frames count as frames without features')
        frames_missing += int((~np.isfinite(feats).all(axis=(1, 2))).sum())
        os.makedirs(out_dir, exist_ok=True)
        save_npy_atomic(out_path, feats)
        lengths[video] = len(feats)
        report.ok(video)
    if not lengths:  # keep an earlier import rather than replace its index with an empty one
        raise nothing_imported(report, f'{suffix} file', out_dir)

    # the index lists exactly the usable files of the folder: this run's and an earlier
    # import's of the same [V, d]
    kept = {}
    for video, shape in earlier.items():
        if video in lengths:
            continue
        path = osp.join(out_dir, f'{video}.npy')
        if not isinstance(shape, tuple):
            report.warn(video, path, f'left out of {INDEX_FILE}: {shape}')
        elif shape[1:] != layout:
            report.warn(video, path, f'left out of {INDEX_FILE}: features [V, d] = '
                        f'{list(shape[1:])} of an earlier import, not this import\'s '
                        f'{list(layout)}')
        else:
            kept[video] = shape[0]
            if num_frames.get(video, shape[0]) != shape[0]:
                report.warn(video, path, f'kept from an earlier import with {shape[0]} frames, '
                            f'the pose annotations have {num_frames[video]}')
    if kept:
        report.warn('', None, f'{len(kept)} feature files of an earlier import (no file of '
                    f'theirs imported by this run) kept and listed in {INDEX_FILE}, e.g. '
                    f'{sorted(kept)[:5]}')
    videos = dict(sorted({**kept, **lengths}.items()))
    missing_videos = sorted(set(num_frames) - set(videos))
    if num_frames and missing_videos:
        report.warn('', None, f'{len(missing_videos)} videos of the pose annotations have no '
                    f'feature file, e.g. {missing_videos[:5]}')
    views = int(layout[0])
    index = dict(
        dim=int(layout[1]),
        views=['as_is', 'hflip'][:views] if views <= 2 else [f'view{i}' for i in range(views)],
        layout='[T, views, d] float32, one <frame_dir>.npy per video',
        source=dict(format='VPD release .emb.pkl', dir=emb_dir),
        videos=videos)
    dump_json_atomic(index, osp.join(out_dir, INDEX_FILE), indent=1)
    report.extra.update(dim=index['dim'], views=views, frames_without_features=frames_missing,
                        kept_from_earlier=sorted(kept))
    if report_file is None:
        report_file = osp.join(out_dir, 'import_report.json')
    report.dump(report_file)
    report.extra['report_file'] = report_file
    return report
