# Copyright (c) vpd_mm contributors. All rights reserved.
"""FineGym Gym99, floor exercise subset (FX35): uncut floor routines with action segments."""
import math
import os.path as osp
import re
from typing import Dict, List, Optional, Tuple

from mmaction.registry import TASK_UTILS

from vpd_mm.utils.io import int_field, read_text_lines
from .base import (BaseVideoReader, ReaderError, VideoIndex, check_segment, reader_error,
                   resolve_video)
from .diving48 import load_json_file
from .frame_rate import SourceFrameRates
from .id_lists import read_labelled_ids

#: Gym99 class ids of the floor exercise ("(FX)" in ``gym99_categories.txt``): 6..40.
GYM99_FX_CLASSES: Tuple[int, ...] = tuple(range(6, 41))
_ACTION_ID = re.compile(r'^(?P<video>.+)_(?P<event>E_\d+_\d+)_(?P<action>A_\d+_\d+)$')
_CATEGORY = re.compile(r'^\s*Clabel:\s*(\d+)\s*;\s*set:\s*(\d+)\s*;\s*Glabel:\s*(\d+)\s*;'
                       r'\s*\((\w+)\)\s*(.*?)\s*$')


def parse_action_id(action_id: str) -> Tuple[str, str, str]:
    """``'<youtube id>_E_<s>_<e>_A_<s>_<e>'`` -> (youtube id, ``'E_<s>_<e>'``, ``'A_<s>_<e>'``)."""
    m = _ACTION_ID.match(action_id)
    if m is None:
        raise ValueError(f'not a FineGym action id: {action_id!r}')
    return m['video'], m['event'], m['action']


def authors_action_frames(start: float, end: float, fps: float) -> Tuple[int, int]:
    """Seconds ``[start, end]`` -> the source frames ``floor(start * fps)`` ..
    ``ceil(end * fps)`` *inclusive*, as ``[first, last + 1)`` (the authors' ``finegym/util.py``
    keeps the frames ``start_frame <= f <= end_frame``).

    Args:
        start (float): Start in seconds (already moved earlier, >= 0).
        end (float): End in seconds.
        fps (float): Frame rate of the video.

    Returns:
        tuple[int, int]: ``[first, last + 1)``, source frames, end exclusive.
    """
    return math.floor(start * fps), math.ceil(end * fps) + 1


def load_gym99_labels(path: str) -> Dict[str, int]:
    """A Gym99 split file: lines ``<action id> <gym99 label>``, each action id once.

    Raises:
        FileNotFoundError: no such file.
        ReaderError: the file is not UTF-8 text, a line is not ``<action id> <integer>``, or an
            action id is listed twice (:func:`.id_lists.read_labelled_ids`; both lines named).
    """
    return {
        action_id: int_field(label, 'the label', f'{path}:{n}', ReaderError)
        for n, action_id, label in read_labelled_ids(path)
    }


def load_gym99_categories(path: str) -> Dict[int, Tuple[str, str]]:
    """Gym99 categories: lines ``Clabel: 6; set: 21; Glabel: 67; (FX) name`` -> {6: (FX, name)},
    each Clabel once (else a :class:`ReaderError` naming both lines)."""
    cats, lines = {}, {}
    for n, line in read_text_lines(path, 'FineGym categories file', reader_error):
        m = _CATEGORY.match(line)
        if m is None:
            raise ReaderError(f'{path}:{n}: expected "Clabel: <i>; set: <j>; Glabel: <k>; '
                              f'(<event>) <name>", got {line!r}')
        clabel = int(m[1])
        if clabel in cats:
            raise ReaderError(f'{path}:{n}: Clabel {clabel} already listed on line '
                              f'{lines[clabel]}')
        cats[clabel], lines[clabel] = (m[4], m[5]), n
    return cats


def _action_times(stamps, where: str) -> Tuple[float, float]:
    """``[min start, max end]`` of an action's stage timestamps ``[[s, e], ...]`` (seconds),
    each stage a finite ``0 <= s <= e`` (:func:`.base.check_segment`)."""
    if not isinstance(stamps, list) or not stamps:
        raise ReaderError(f'{where}: timestamps must be a non-empty list of [start, end] '
                          f'pairs, got {stamps!r:.80}')
    for k, stage in enumerate(stamps):
        if not (isinstance(stage, list) and len(stage) == 2):
            raise ReaderError(f'{where}: timestamps[{k}] must be [start, end], got '
                              f'{stage!r:.80}')
        check_segment(stage[0], stage[1], 'second', f'{where}: timestamps[{k}]', empty_ok=True)
    return min(float(s) for s, _ in stamps), max(float(e) for _, e in stamps)


@TASK_UTILS.register_module()
class FineGymFXReader(BaseVideoReader):
    """FineGym's Gym99 annotations restricted to the floor exercise (FX35).

    Files (under ``data_root``):

    * ``finegym_annotation_info_v1.1.json``: ``{youtube id: {event id: {"event": ..,
      "timestamps": [[s, e]], "segments": {action id: {"stages": n, "timestamps": [[s, e],
      ...]}}}}}``; event ids are ``E_<start>_<end>`` (the event's place in the YouTube video)
      and action timestamps are seconds **relative to the event**.
    * ``gym99_train_element_v1.1.txt`` / ``gym99_val_element.txt``: lines
      ``<youtube id>_E_<..>_A_<..> <gym99 label>``. Gym99 has no test split; its val split is
      the test split here (as in the VPD paper).
    * optional ``gym99_categories.txt`` (``Clabel: 6; set: 21; Glabel: 67; (FX) ...``) for
      class names; the floor classes are the Gym99 classes marked ``(FX)``. Without the file,
      the 35 classes are Gym99 6..40 (checked against the file the VPD authors ship) named
      ``gym99_<id>``.
    * the event clips ``<video_dir>/<youtube id>_E_<start>_<end>.mp4``: one video per floor
      routine, cut from the YouTube video at the event's timestamps (FineGym's own event-level
      release uses these names).

    A video is a floor routine (event) with at least one labelled FX action; its actions are the
    labelled FX actions, segment ``[min start, max end]`` over the action's stage timestamps,
    label = index of the Gym99 class among the floor classes (0..34). The video's split is
    ``train`` if it has a training action, else ``test``; each action keeps its own split.

    **The VPD authors' window** (``pre_seconds=0.25, end_inclusive=True``, as in
    ``configs/preparation/finegym_fx.py``): the start moves ``pre_seconds`` earlier (not before
    0) and the action covers the source frames ``floor(start * fps)`` to ``ceil(end * fps)``
    *inclusive* (:func:`authors_action_frames`; ``fps`` is the routine's frame rate, read from
    its clip), given as ``unit='frame'``. By default (``end_inclusive=False``) the action stays
    in seconds and the pipeline maps it onto ``[floor(start * fps), ceil(end * fps))``.

    Args:
        data_root (str): Folder of the files above.
        ann_file (str): Temporal annotations. Defaults to
            ``'finegym_annotation_info_v1.1.json'``.
        label_files (dict): Split -> Gym99 label file. Defaults to train
            ``'gym99_train_element_v1.1.txt'`` and test ``'gym99_val_element.txt'``.
        categories_file (str, optional): Gym99 categories; used when it exists. Defaults to
            ``'gym99_categories.txt'``.
        event (str): Event code to keep. Defaults to ``'FX'``.
        pre_seconds (float): Seconds the start of every action moves earlier (clamped at 0).
            Defaults to 0.
        end_inclusive (bool): Actions in source frames ending at ``ceil(end * fps)``
            inclusive (the authors' rule), which needs each routine's frame rate. Defaults to
            False.
        fps (float, optional): With ``end_inclusive``: the frame rate of every routine; None
            reads each clip's container. Defaults to None.
        default_fps (float): With ``end_inclusive``: the rate assumed for a routine whose rate
            cannot be read (a missing clip, which the pipeline skips). Defaults to 25.0.
        **kwargs: :class:`BaseVideoReader` arguments (``video_dir`` defaults to
            ``'event_videos'``).
    """
    DEFAULT_NAME = 'finegym_fx'

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'finegym_annotation_info_v1.1.json',
                 label_files: Optional[dict] = None,
                 categories_file: Optional[str] = 'gym99_categories.txt',
                 event: str = 'FX',
                 pre_seconds: float = 0.0,
                 end_inclusive: bool = False,
                 fps: Optional[float] = None,
                 default_fps: float = 25.0,
                 video_dir: str = 'event_videos',
                 **kwargs) -> None:
        super().__init__(data_root, video_dir=video_dir, **kwargs)
        self.ann_file = ann_file
        self.label_files = label_files or dict(
            train='gym99_train_element_v1.1.txt', test='gym99_val_element.txt')
        self.categories_file = categories_file
        self.event = event
        if not (math.isfinite(pre_seconds) and pre_seconds >= 0):
            raise ValueError(f'pre_seconds must be >= 0, got {pre_seconds!r}')
        self.pre_seconds = float(pre_seconds)
        self.end_inclusive = bool(end_inclusive)
        self.fps, self.default_fps = fps, default_fps

    def read_classes(self) -> Tuple[List[int], List[str]]:
        """The Gym99 ids of the event's classes and their names."""
        path = None if self.categories_file is None else self._path(self.categories_file)
        if path is not None and osp.isfile(path):
            cats = load_gym99_categories(path)
            ids = sorted(i for i, (ev, _) in cats.items() if ev == self.event)
            if not ids:
                raise ReaderError(f'{path}: no class of event ({self.event})')
            return ids, [cats[i][1] for i in ids]
        if self.event != 'FX':
            raise FileNotFoundError(f'event {self.event!r} needs the categories file {path}')
        return list(GYM99_FX_CLASSES), [f'gym99_{i}' for i in GYM99_FX_CLASSES]

    def read(self) -> VideoIndex:
        ids, classes = self.read_classes()
        index = {g: i for i, g in enumerate(ids)}
        ann_path = self._path(self.ann_file)
        ann = load_json_file(ann_path, 'FineGym annotation file')
        if not isinstance(ann, dict):
            raise ReaderError(f'{ann_path}: expected {{youtube id: {{event id: ...}}}}')
        files = self._video_files() if osp.isdir(self.video_dir) else {}
        rates = SourceFrameRates(self.fps, self.default_fps)
        video_fps: Dict[str, float] = {}
        videos: Dict[str, dict] = {}
        listed: Dict[str, str] = {}  # action id -> label file
        for split, fname in self.label_files.items():
            path = self._path(fname)
            for action_id, gym99 in load_gym99_labels(path).items():
                if action_id in listed:
                    raise ReaderError(f'{path}: action {action_id} is also listed in '
                                      f'{listed[action_id]}')
                listed[action_id] = path
                if gym99 not in index:
                    continue  # another event's class
                try:
                    yt, event_id, seg_id = parse_action_id(action_id)
                except ValueError as e:
                    raise ReaderError(f'{path}: {e}') from e
                try:
                    stamps = ann[yt][event_id]['segments'][seg_id]['timestamps']
                except (KeyError, TypeError) as e:
                    raise ReaderError(f'{path}: action {action_id} has no usable timestamps in '
                                      f'{ann_path} ({type(e).__name__}: {e})') from e
                start, end = _action_times(stamps, f'{ann_path}: action {action_id}')
                name = f'{yt}_{event_id}'
                rec = videos.setdefault(
                    name,
                    dict(
                        video=name,
                        path=resolve_video(name, files, self.video_dir, self.video_ext,
                                           f'{path}: action {action_id}'),
                        split=split,
                        label=-1,
                        actions=[]))
                if split == 'train':
                    rec['split'] = 'train'
                start = max(start - self.pre_seconds, 0.0)
                if self.end_inclusive:
                    if name not in video_fps:
                        video_fps[name] = rates(rec['path'])
                    start, end = authors_action_frames(start, end, video_fps[name])
                rec['actions'].append(
                    dict(
                        id=action_id,
                        label=index[gym99],
                        split=split,
                        start=start,
                        end=end,
                        unit='frame' if self.end_inclusive else 'second'))
        rates.log(self.dataset)
        return VideoIndex(self.dataset, classes, [videos[k] for k in sorted(videos)])
