# Copyright (c) vpd_mm contributors. All rights reserved.
"""What every reader produces: the videos to prepare, their splits, labels and action segments.

A reader turns a dataset's official annotation files into a :class:`VideoIndex`: the dataset's
name, its class names and one *record* per video::

    dict(video='<name>',          # frame_dir of the pose pkl, stem of the feature files; unique
         path='/abs/video.mp4',   # the file to decode (may not exist: reported as unreadable)
         split='train',           # 'train', 'val' or 'test'
         label=-1,                # the video's label when it is one trimmed action, else -1
         actions=[dict(id='<action id>', label=3, split='train',
                       start=1.2, end=2.0, unit='second')])
                      # unit='frame': source frame indices; unit='video': the whole video

Action times are in the *source* video's units (seconds, or 0-based frame indices of the file,
end exclusive); :func:`actions_on_prepared_frames` maps them onto the prepared frames once the
video has been decoded at the prepared frame rate, and :func:`build_action_annotations` writes
the action annotation JSON of :mod:`vpd_mm.datasets.features`.

**Names are file names.** A video name becomes ``rawframes/<video>/``,
``work/pose/<video>.pkl`` and the ``frame_dir`` of every downstream file, so a name from an
annotation file must be one plain file name (:func:`vpd_mm.utils.paths.check_path_component`:
no ``/``, ``\\``, ``..``, leading dot, NUL or control character). A reader refuses an unsafe name
with a :class:`ReaderError` naming the file and the entry (:func:`check_video_name`,
:func:`resolve_video`), and :class:`VideoIndex` checks every name again, so nothing of a dataset
with such an entry is prepared, written or deleted: fix the entry and rerun.

**Times are checked at read time** (:func:`check_segment`): finite, not negative, the end after
the start and at most :data:`MAX_SOURCE_SECONDS` / :data:`MAX_SOURCE_FRAMES`, so a broken entry
is refused with its file and entry instead of failing or vanishing after hours of decoding.
"""
import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from vpd_mm.datasets.features import SPLITS
from vpd_mm.utils.io import int_field
from vpd_mm.utils.paths import UnsafePathError, check_path_component, join_under

#: File name extensions recognised as videos (lower case).
VIDEO_EXTS: Tuple[str, ...] = ('.mp4', '.webm', '.mkv', '.avi', '.mov', '.m4v', '.mpg', '.mpeg')
#: Units of action times an annotation file may give (readers also set ``'video'``: the whole
#: video).
TIME_UNITS: Tuple[str, ...] = ('second', 'frame')
#: Largest action time accepted in seconds: about 11.6 days, longer than any video of a sports
#: dataset; a larger value is a broken entry (e.g. 10**30), refused by :func:`check_segment`.
MAX_SOURCE_SECONDS = 1e6
#: Largest action time accepted in source frames: :data:`MAX_SOURCE_SECONDS` at 100 fps.
MAX_SOURCE_FRAMES = 10**8


class ReaderError(ValueError):
    """An annotation file that does not follow its format; the message names the file."""


def reader_error(path: str, message: str) -> ReaderError:
    """``ReaderError('<path>: <message>')``: the ``error`` argument of
    :func:`vpd_mm.utils.io.load_json` and :func:`vpd_mm.utils.io.read_text` for the readers."""
    return ReaderError(f'{path}: {message}')


def check_segment(start: float, end: float, unit: str, where: str,
                  empty_ok: bool = False) -> None:
    """Check an action's times from an annotation file.

    Args:
        start (float): Start, in ``unit``.
        end (float): End, in ``unit``.
        unit (str): One of :data:`TIME_UNITS`.
        where (str): The file and entry, for the message.
        empty_ok (bool): Accept ``end == start`` (a stage of one instant). Defaults to False.

    Raises:
        ReaderError: ``'<where>: bad segment [start, end) (<why>)'`` for a time that is not a
            finite number, a negative start, an end before (or at) the start, or an end past
            :data:`MAX_SOURCE_SECONDS` / :data:`MAX_SOURCE_FRAMES`.
    """
    if unit not in TIME_UNITS:
        raise ReaderError(f'{where}: unit must be one of {TIME_UNITS}, got {unit!r}')
    limit = MAX_SOURCE_SECONDS if unit == 'second' else MAX_SOURCE_FRAMES
    if not all(isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool)
               for t in (start, end)):
        why = 'start and end must be numbers'
    elif not (math.isfinite(start) and math.isfinite(end)):
        why = 'start and end must be finite numbers'
    elif start < 0:
        why = 'negative start'
    elif end < start or (end == start and not empty_ok):
        why = 'the end must come after the start'
    elif end > limit:
        why = f'more than {limit:g} {unit}s, the most a source video may last here'
    else:
        return
    raise ReaderError(f'{where}: bad segment [{start}, {end}) ({why})')


def is_class_index(label: str) -> bool:
    """Whether a label text is a class index (an integer text that
    :func:`vpd_mm.utils.io.int_field` accepts, e.g. ``'3'``, ``'-1'``; not ``'²'``) rather than
    a class name."""
    try:
        int_field(label, 'label', '')
    except ValueError:
        return False
    return True


def class_label(label: str, class_index: Dict[str, int], where: str) -> int:
    """The class index of an entry's label text.

    Args:
        label (str): ``''`` (unlabelled), a class name or a class index (:func:`is_class_index`).
        class_index (dict[str, int]): Class name -> index.
        where (str): The file and entry, for the message.

    Returns:
        int: -1 for ``''``, else the class's index (a name wins over an index text).

    Raises:
        ReaderError: naming ``where`` and the label, when it is neither a class name nor an
            index in ``[-1, len(class_index))``.
    """
    num = len(class_index)
    if not label:
        return -1
    if label in class_index:
        return class_index[label]
    if is_class_index(label) and -1 <= int(label) < num:
        return int(label)
    raise ReaderError(f'{where}: label {label!r} is not one of the {num} classes')


def check_video_name(name: str, where: Optional[str] = None) -> str:
    """Check that a video name from an annotation file can be a file name (see the module
    docstring) and return it.

    Args:
        name (str): The name.
        where (str, optional): The file and entry it comes from (e.g. ``'train.json: entry
            #3'``), for the message. Defaults to None.

    Returns:
        str: ``name``.

    Raises:
        ReaderError: naming ``where``, the name and why it is refused.
    """
    try:
        return check_path_component(name, 'video name', where)
    except UnsafePathError as e:
        raise ReaderError(str(e)) from None


@dataclass
class VideoIndex:
    """The output of a reader.

    Attributes:
        dataset (str): Dataset name (``annotations/<dataset>_pose.pkl``).
        classes (list[str]): Class names; action labels index them.
        videos (list[dict]): One record per video (see the module docstring), names unique.
    """
    dataset: str
    classes: List[str] = field(default_factory=list)
    videos: List[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [v['video'] for v in self.videos]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})[:5]
            raise ReaderError(f'dataset {self.dataset!r}: duplicate video names, e.g. {dup}')
        for v in self.videos:
            check_video_name(v['video'], f'dataset {self.dataset!r}, video file {v.get("path")}')
            if v.get('split', 'train') not in SPLITS:
                raise ReaderError(f'dataset {self.dataset!r}: video {v["video"]!r} has split '
                                  f'{v.get("split")!r}, expected one of {SPLITS}')


def index_video_files(video_dir: str,
                      exts: Sequence[str] = VIDEO_EXTS,
                      recursive: bool = False) -> Dict[str, str]:
    """Map video names (file stems) to paths.

    Args:
        video_dir (str): Folder of videos.
        exts (Sequence[str]): Recognised extensions. Defaults to :data:`VIDEO_EXTS`.
        recursive (bool): Descend into sub-folders; a video's name is then its path relative to
            ``video_dir`` without extension, ``/`` replaced by ``__``. Defaults to False.

    Returns:
        dict[str, str]: name -> path, sorted by name.

    Raises:
        FileNotFoundError: when ``video_dir`` is not a folder.
        ReaderError: when two files have the same name (e.g. ``a.mp4`` and ``a.webm``).
    """
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'video folder not found: {video_dir}')
    exts = tuple(e.lower() for e in exts)
    found: Dict[str, str] = {}
    walker = os.walk(video_dir) if recursive else [(video_dir, [], os.listdir(video_dir))]
    for root, _, files in walker:
        for fname in files:
            stem, ext = osp.splitext(fname)
            if ext.lower() not in exts or fname.startswith('.'):
                continue
            rel = osp.relpath(osp.join(root, stem), video_dir)
            name = rel.replace(os.sep, '__')
            path = osp.join(root, fname)
            if name in found:
                raise ReaderError(f'{video_dir}: two videos named {name!r}: {found[name]} and '
                                  f'{path}')
            found[name] = path
    return dict(sorted(found.items()))


def resolve_video(name: str,
                  files: Dict[str, str],
                  video_dir: str,
                  ext: str = '.mp4',
                  where: Optional[str] = None) -> str:
    """The path of video ``name``: the indexed file, else the expected ``<video_dir>/<name><ext>``
    (which does not exist: the pipeline reports the video as unreadable).

    Args:
        name (str): Video name from an annotation file, checked with :func:`check_video_name`.
        files (dict[str, str]): :func:`index_video_files` of ``video_dir``.
        video_dir (str): Folder of the videos.
        ext (str): Extension of a video not found. Defaults to ``'.mp4'``.
        where (str, optional): The annotation file and entry, for the message of an unsafe
            name. Defaults to the video folder.

    Returns:
        str: The video's path.

    Raises:
        ReaderError: ``name`` is not a safe file name.
    """
    where = where or f'a video listed for {video_dir}'
    check_video_name(name, where)
    if name in files:
        return files[name]
    try:
        return join_under(video_dir, name, what='video name', where=where, suffix=ext)
    except UnsafePathError as e:
        raise ReaderError(str(e)) from None


def actions_on_prepared_frames(actions: Iterable[dict], src_indices: np.ndarray,
                               src_fps: float) -> Tuple[List[dict], List[dict]]:
    """Map action segments in source units onto the prepared frames.

    Prepared frame ``i`` shows source frame ``src_indices[i]``. An action of ``unit='second'``
    ``[start, end]`` covers the source frames ``floor(start * src_fps)`` to
    ``ceil(end * src_fps)`` (end exclusive); one of ``unit='frame'`` the source frames
    ``[start, end)``. Its prepared range is ``[first, last + 1)`` of the prepared frames that
    show one of those source frames.

    Args:
        actions (Iterable[dict]): Records' actions (``id``, ``label``, ``split``, ``start``,
            ``end``, ``unit``).
        src_indices (np.ndarray): [T] int64 source frame index of each prepared frame,
            increasing.
        src_fps (float): Frame rate of the source video.

    Returns:
        tuple[list[dict], list[dict]]: the mapped actions (``id``, ``label``, ``split``,
        ``start_frame``, ``end_frame``; no ``video`` key) and the actions that cover no
        prepared frame (as given, with a ``reason``).
    """
    src_indices = np.asarray(src_indices, dtype=np.int64)
    past = int(src_indices[-1]) + 1 if len(src_indices) else 0  # a source frame after the last
    kept, dropped = [], []
    for act in actions:
        unit = act.get('unit', 'second')
        if unit == 'video':  # the whole video
            start, end = 0.0, float(past)
            a, b = 0, past
        else:
            start, end = float(act['start']), float(act['end'])
            if not (math.isfinite(start) and math.isfinite(end)):
                raise ValueError(f'action {act.get("id")!r}: start and end must be finite '
                                 f'numbers, got [{start}, {end})')
        if unit == 'video':
            pass
        elif unit == 'second':
            a, b = (math.floor(min(start * src_fps, past) + 1e-6),  # (no float overflow)
                    math.ceil(min(end * src_fps, past) - 1e-6))
        elif unit == 'frame':
            a, b = int(math.floor(start)), int(math.ceil(end))
        else:
            raise ValueError(f'action {act.get("id")!r}: unknown unit {unit!r}')
        a, b = (min(max(t, -1), past) for t in (a, b))  # the same ranges, no int64 overflow
        lo = int(np.searchsorted(src_indices, a, side='left'))
        hi = int(np.searchsorted(src_indices, b, side='left'))
        if hi <= lo:
            dropped.append(dict(act, reason=f'covers no prepared frame (source {unit}s '
                                f'[{start:g}, {end:g}), {len(src_indices)} prepared frames)'))
            continue
        kept.append(
            dict(
                id=str(act['id']),
                label=int(act.get('label', -1)),
                split=act.get('split', 'train'),
                start_frame=lo,
                end_frame=hi))
    return kept, dropped


def build_action_annotations(dataset: str, classes: Sequence[str], videos: Dict[str, dict],
                             actions: Dict[str, List[dict]]) -> dict:
    """The action annotation JSON of :mod:`vpd_mm.datasets.features`.

    Args:
        dataset (str): Dataset name.
        classes (Sequence[str]): Class names.
        videos (dict[str, dict]): Prepared video -> ``fps``, ``num_frames``, ``split``.
        actions (dict[str, list[dict]]): Prepared video -> its mapped actions (from
            :func:`actions_on_prepared_frames`).

    Returns:
        dict: ``dataset``, ``classes``, ``videos``, ``actions`` (sorted by video, then start).
    """
    acts = []
    for name in sorted(actions):
        for act in sorted(actions[name], key=lambda a: (a['start_frame'], a['id'])):
            acts.append(dict(act, video=name))
    return dict(
        dataset=dataset,
        classes=list(classes),
        videos={k: dict(videos[k]) for k in sorted(videos)},
        actions=acts)


class BaseVideoReader:
    """Base of the readers: where the videos are and what the dataset is called.

    Args:
        data_root (str): Folder of the raw dataset.
        video_dir (str): Folder of the video files, relative to ``data_root`` (or absolute).
            Defaults to ``'videos'``.
        dataset (str): Dataset name. Defaults to the reader's ``DEFAULT_NAME``.
        video_ext (str): Extension assumed for a video that is listed in the annotations but
            not found (the pipeline then reports it as unreadable). Defaults to ``'.mp4'``.
        recursive (bool): Look for videos in sub-folders too. Defaults to False.
    """
    DEFAULT_NAME = 'videos'

    def __init__(self,
                 data_root: str,
                 video_dir: str = 'videos',
                 dataset: Optional[str] = None,
                 video_ext: str = '.mp4',
                 recursive: bool = False) -> None:
        self.data_root = data_root
        self.video_dir = osp.join(data_root, video_dir)
        self.dataset = dataset or self.DEFAULT_NAME
        self.video_ext = video_ext
        self.recursive = recursive

    def _path(self, name: str) -> str:
        """``data_root``-relative paths made absolute."""
        return osp.join(self.data_root, name)

    def _video_files(self) -> Dict[str, str]:
        return index_video_files(self.video_dir, recursive=self.recursive)

    def annotation_files(self) -> List[str]:
        """The annotation files the reader reads (its ``ann_file``, ``ann_files``,
        ``label_file``, ``label_files`` and ``val_file``), for messages."""
        files = []
        for attr in ('ann_file', 'ann_files', 'label_file', 'label_files', 'val_file'):
            value = getattr(self, attr, None)
            for v in (value.values() if isinstance(value, dict) else [value]):
                if isinstance(v, str) and v:
                    files.append(self._path(v))
        return files

    def read(self) -> VideoIndex:
        """Read the annotations; see the module docstring for the records."""
        raise NotImplementedError
