# Copyright (c) vpd_mm contributors. All rights reserved.
"""FSJump6: figure-skating short programs with six jump classes, the VPD authors' label files."""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from mmaction.registry import TASK_UTILS

from .base import BaseVideoReader, ReaderError, VideoIndex, resolve_video
from .frame_rate import SourceFrameRates
from .id_lists import check_label_names, read_labels_and_val

#: The six jumps, in the order of the authors' ``recognize.py`` (label i = class i).
FSJUMP6_CLASSES: Tuple[str, ...] = ('axel', 'lutz', 'flip', 'loop', 'salchow', 'toe_loop')
#: A routine clip: ``<event>_<year>_<nn>_<start>_<end>`` (start/end: frames of the broadcast).
_ROUTINE = re.compile(r'^(?P<event>[A-Za-z0-9_-]+?)_(?P<year>\d{4})_(?P<num>\d+)_'
                      r'(?P<start>\d+)_(?P<end>\d+)$', re.ASCII)
#: An action id of ``all.txt``: ``<routine>:<start>:<end>``.
_ACTION_ID = re.compile(r'^(?P<routine>[^:]+):(?P<start>[0-9]+):(?P<end>[0-9]+)$')


def parse_routine(name: str) -> Dict[str, object]:
    """``'men_world_short_program_2018_25_00350300_00354450'`` -> ``event``
    (``'men_world_short_program'``), ``year`` (2018), ``num`` (25), ``start``, ``end``.

    Raises:
        ValueError: a name of another form.
    """
    m = _ROUTINE.match(name)
    if m is None:
        raise ValueError(f'not a routine name of the form <event>_<year>_<nn>_<start>_<end>: '
                         f'{name!r}')
    return dict(event=m['event'], year=int(m['year']), num=int(m['num']),
                start=int(m['start']), end=int(m['end']))


def widen_jump(start: int, end: int, fps: float, before: float = 2.5,
               after: float = 0.5) -> Tuple[int, int]:
    """The authors' FSJump6 window: ``[start, end)`` widened to at least ``mid - before`` ..
    ``mid + after`` seconds, ``mid = (start + end) / 2``.

    ``new_start = min(start, int(mid - before * fps))`` and ``new_end = max(end, int(mid +
    after * fps))`` as in the authors' ``recognize.py``, with the start clamped at frame 0 (their
    negative start would index from the end of the routine).

    Args:
        start (int): First frame of the jump label.
        end (int): Its end (exclusive).
        fps (float): Frame rate of the routine.
        before (float): Seconds before the middle. Defaults to 2.5.
        after (float): Seconds after the middle. Defaults to 0.5.

    Returns:
        tuple[int, int]: ``[new_start, new_end)`` in frames.
    """
    mid = (start + end) / 2
    return max(0, min(start, int(mid - fps * before))), max(end, int(mid + fps * after))


@TASK_UTILS.register_module()
class FSJump6Reader(BaseVideoReader):
    """FSJump6 from the VPD authors' ``action_dataset/fs/`` files.

    Files (under ``data_root``):

    * ``all.txt``: lines ``<routine>:<start>:<end> <label>``, one a jump; ``<routine>`` names a
      routine clip ``<event>_<year>_<nn>_<start>_<end>`` (the authors' ``recut_fs_video.py``
      names), ``<start>``/``<end>`` are frames of that clip (end exclusive), the label one of
      ``classes``. The line's ``<routine>:<start>:<end>`` is the action id.
    * ``val.ids.txt``: action ids of the validation split (optional: ``val_file=None``).
    * the routine clips ``<video_dir>/<routine>.mp4``.

    A video is a routine of ``all.txt``. Routines of the years ``test_years`` (2018, the four
    events the authors hold out) are the test split, with all their actions; the other actions
    are ``val`` when ``val.ids.txt`` lists them, else ``train``. A routine's split is ``test``,
    else ``train`` when one of its actions is, else ``val``. Each jump is widened with
    :func:`widen_jump` (``window`` seconds around its middle) using the routine's frame rate.

    Args:
        data_root (str): Folder of the files above.
        ann_file (str): The labels. Defaults to ``'all.txt'``.
        val_file (str, optional): Validation ids. Defaults to ``'val.ids.txt'``.
        classes (Sequence[str]): Class names as written in ``all.txt``; label ``i`` is
            ``classes[i]``. Defaults to :data:`FSJUMP6_CLASSES`.
        ignore_labels (Sequence[str]): Labels of ``all.txt`` that are left out (any other
            label outside ``classes`` is an error). Defaults to ().
        test_years (Sequence[int]): Years of the test routines. Defaults to (2018, ).
        window (tuple[float, float]): Seconds before and after a jump's middle that its
            window covers at least. Defaults to (2.5, 0.5).
        fps (float, optional): Frame rate of every routine; None reads each clip's container
            (every routine of the authors' release is 25 fps). Defaults to None.
        default_fps (float): Rate assumed for a routine whose rate cannot be read (a missing
            clip, which the pipeline skips). Defaults to 25.0.
        **kwargs: :class:`BaseVideoReader` arguments (``video_dir`` defaults to ``'videos'``).
    """
    DEFAULT_NAME = 'fs'

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'all.txt',
                 val_file: Optional[str] = 'val.ids.txt',
                 classes: Sequence[str] = FSJUMP6_CLASSES,
                 ignore_labels: Sequence[str] = (),
                 test_years: Sequence[int] = (2018, ),
                 window: Tuple[float, float] = (2.5, 0.5),
                 fps: Optional[float] = None,
                 default_fps: float = 25.0,
                 video_dir: str = 'videos',
                 **kwargs) -> None:
        super().__init__(data_root, video_dir=video_dir, **kwargs)
        self.ann_file, self.val_file = ann_file, val_file
        self.classes, self.ignore_labels = check_label_names(classes, ignore_labels)
        self.test_years = {int(y) for y in test_years}
        self.window = (float(window[0]), float(window[1]))
        self.fps, self.default_fps = fps, default_fps
        #: Action ids of ``all.txt`` left out for a label in ``ignore_labels`` (after read()).
        self.ignored_ids: List[str] = []

    def _parse(self, path: str, n: int, action_id: str) -> Tuple[str, int, int]:
        m = _ACTION_ID.match(action_id)
        if m is None:
            raise ReaderError(f'{path}:{n}: expected the id "<routine>:<start>:<end>" with '
                              f'frame numbers, got {action_id!r}')
        routine, start, end = m['routine'], int(m['start']), int(m['end'])
        try:
            parse_routine(routine)
        except ValueError as e:
            raise ReaderError(f'{path}:{n}: {e}') from e
        if end <= start:
            raise ReaderError(f'{path}:{n}: empty jump [{start}, {end}) in {action_id!r}')
        return routine, start, end

    def read(self) -> VideoIndex:
        path = self._path(self.ann_file)
        rows, val = read_labels_and_val(
            path, None if self.val_file is None else self._path(self.val_file))
        class_index = {c: i for i, c in enumerate(self.classes)}
        files = self._video_files() if osp.isdir(self.video_dir) else {}
        rates = SourceFrameRates(self.fps, self.default_fps)
        videos: Dict[str, dict] = {}
        routine_fps: Dict[str, float] = {}
        self.ignored_ids = []
        for n, action_id, label in rows:
            routine, start, end = self._parse(path, n, action_id)
            if label in self.ignore_labels:
                self.ignored_ids.append(action_id)
                continue
            if label not in class_index:
                raise ReaderError(f'{path}:{n}: label {label!r} is not one of the classes '
                                  f'{self.classes}')
            rec = videos.get(routine)
            if rec is None:
                test = parse_routine(routine)['year'] in self.test_years
                video_path = resolve_video(routine, files, self.video_dir, self.video_ext,
                                           f'{path}:{n}')
                rec = videos[routine] = dict(
                    video=routine,
                    path=video_path,
                    split='test' if test else 'val',
                    label=-1,
                    actions=[])
                routine_fps[routine] = rates(video_path)
            if rec['split'] == 'test':
                split = 'test'
            else:
                split = 'val' if action_id in val else 'train'
                if split == 'train':
                    rec['split'] = 'train'
            lo, hi = widen_jump(start, end, routine_fps[routine], *self.window)
            rec['actions'].append(
                dict(id=action_id, label=class_index[label], split=split, start=lo, end=hi,
                     unit='frame'))
        rates.log(self.dataset)
        years = {parse_routine(r)['year'] for r in videos}
        absent = sorted(self.test_years - years)
        if absent:
            raise ReaderError(f'{path}: no routine of the test years {absent}')
        return VideoIndex(self.dataset, list(self.classes), [videos[k] for k in sorted(videos)])
