# Copyright (c) vpd_mm contributors. All rights reserved.
"""A generic "video list + segments + labels" format (figure skating, tennis, your own sport).

CSV (header required; one row per action, or a row without ``start``/``end``/``time`` for a
video without actions)::

    video,split,start,end,time,label,id
    program_001,train,12.40,13.15,,Axel,
    program_001,train,20.00,21.10,,Lutz,
    match3_point017,test,,,,,
    match3_point018,test,,,35.2,forehand,     # time: a point event

JSON::

    {"classes": ["Axel", "Lutz"],          # optional (else: the reader's classes, or sorted names)
     "unit": "second",                     # optional: "second" (default) or "frame"
     "videos": [{"video": "program_001", "split": "train",
                 "file": "skating/program_001.mp4",     # optional, relative to video_dir
                 "actions": [{"start": 12.4, "end": 13.15, "label": "Axel", "id": "a1"},
                             {"time": 30.2, "label": "Lutz"}]}]}

Columns / keys: ``video`` (the file stem in ``video_dir`` unless ``file`` is given), ``split``
(``train``/``val``/``test``, default ``train``), ``start``/``end`` (seconds, or source frames
with ``unit='frame'``, end exclusive), or ``time`` (a point event such as a tennis swing's ball
contact: the segment is ``time +- point_window``), ``label`` (a class name or index; empty:
unlabeled, -1), ``id`` (default ``<video>_<k>``). A video listed on several rows (one per
action) has the same ``split`` and ``file`` on each. Without ``classes``, the classes are the
sorted label names of the actions.

``video`` becomes a file name of the prepared dataset, so it must be one plain name
(:func:`.base.check_video_name`), and ``file`` must stay inside ``video_dir`` (each of its
``/``-separated parts a plain name); an entry that breaks this is refused with its file and
row (CSV) or index (JSON) before anything is prepared. So is an entry with a split other than
``train``/``val``/``test``, a time that is not a finite number in ``[0, end)``
(:func:`.base.check_segment`), with ``unit='frame'`` a frame number that is not an integer
(``7.5``; :func:`vpd_mm.utils.io.int_field`), a ``label`` or ``id`` on a row without a segment
(which lists a video without actions), a video listed twice with different splits or files,
an action id or class name given twice, or (JSON) a field of the wrong type (``video``,
``split``, ``file``, ``unit`` strings; ``start``, ``end``, ``time`` numbers; ``label``, ``id``
strings or integers; ``classes`` a list of strings).
"""
import csv
import io
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmaction.registry import TASK_UTILS

from vpd_mm.datasets.features import SPLITS
from vpd_mm.utils.io import int_field, read_text, read_text_lines
from vpd_mm.utils.paths import MAX_NAME_BYTES, UnsafePathError, join_under
from .base import (TIME_UNITS, BaseVideoReader, ReaderError, VideoIndex, check_segment,
                   check_video_name, class_label, is_class_index, reader_error, resolve_video)
from .diving48 import load_json_file


def read_class_list(path: str) -> List[str]:
    """A class file: one name per line (blank lines ignored), each name once.

    Raises:
        FileNotFoundError: no such file.
        ReaderError: the file is not UTF-8 text, or lists a name twice (both lines named).
    """
    names: Dict[str, int] = {}
    for n, name in read_text_lines(path, 'class list', reader_error):
        if name in names:
            raise ReaderError(f'{path}:{n}: class {name!r} already listed on line {names[name]}')
        names[name] = n
    return list(names)


def _json_classes(value, where: str) -> List[str]:
    """The ``classes`` of a JSON segment list: distinct strings."""
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ReaderError(f'{where}: classes must be a list of class names (strings), got '
                          f'{value!r:.80}')
    first: Dict[str, int] = {}
    for i, c in enumerate(value):
        if c in first:
            raise ReaderError(f'{where}: classes[{i}] {c!r} is classes[{first[c]}] again')
        first[c] = i
    return list(value)


_STRING, _NUMBER, _NAME = ((str, ), 'a string'), ((int, float), 'a number'), \
    ((str, int), 'a string or an integer')
#: The JSON types an action's fields may have, and their description.
_ACTION_FIELDS = dict(start=_NUMBER, end=_NUMBER, time=_NUMBER, label=_NAME, id=_NAME)


def _json_text(value, key: str, where: str, kind: tuple = _STRING) -> str:
    """A JSON field as the text a CSV cell would hold ('' for a missing or null field)."""
    if value is None:
        return ''
    if isinstance(value, bool) or not isinstance(value, kind[0]):
        raise ReaderError(f'{where}: {key} must be {kind[1]}, got {value!r:.80}')
    return str(value)


@TASK_UTILS.register_module()
class SegmentListReader(BaseVideoReader):
    """Videos with labelled action segments from a CSV or JSON file (format in the module doc).

    Args:
        data_root (str): Folder of the raw dataset.
        ann_file (str): The CSV (``.csv``) or JSON (``.json``) file, relative to ``data_root``.
        classes (Sequence[str] | str, optional): Class names, or a file of them (one per line,
            relative to ``data_root``). Defaults to the JSON's ``classes``, else the sorted
            label names found.
        unit (str): ``'second'`` or ``'frame'`` (source frames). Defaults to ``'second'``.
        point_window (float): Half-width of the segment around a ``time`` point, in ``unit``.
            Defaults to 0.5 (Tennis7: +-0.5 s around the ball contact).
        dataset (str): Dataset name. Defaults to ``'segments'``.
        **kwargs: :class:`BaseVideoReader` arguments.
    """
    DEFAULT_NAME = 'segments'

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 classes=None,
                 unit: str = 'second',
                 point_window: float = 0.5,
                 **kwargs) -> None:
        super().__init__(data_root, **kwargs)
        if unit not in ('second', 'frame'):
            raise ValueError(f"unit must be 'second' or 'frame', got {unit!r}")
        self.ann_file = ann_file
        self.classes = classes
        self.unit = unit
        self.point_window = float(point_window)

    # ---------------------------------------------------------------- parsing
    def _rows_from_csv(self, path: str) -> List[dict]:
        text = read_text(path, 'segment list', reader_error)
        reader = csv.DictReader(io.StringIO(text, newline=''))
        if reader.fieldnames is None or 'video' not in reader.fieldnames:
            raise ReaderError(f'{path}: expected a CSV header with at least a "video" '
                              f'column (video,split,start,end,label,id), got '
                              f'{reader.fieldnames}')
        rows = []
        for row in reader:
            row = {k.strip(): (v or '').strip() for k, v in row.items() if k is not None}
            row['_where'] = f'{path}:{reader.line_num}'
            rows.append(row)
        return rows

    def _rows_from_json(self, path: str) -> List[dict]:
        data = load_json_file(path, 'segment list')
        if not isinstance(data, dict) or not isinstance(data.get('videos'), list):
            raise ReaderError(f'{path}: expected {{"videos": [{{"video": ..., "actions": '
                              f'[...]}}]}}')
        if data.get('classes') is not None:
            classes = _json_classes(data['classes'], path)  # checked even when not used
            if self.classes is None:
                self.classes = classes
        if data.get('unit') is not None:
            if data['unit'] not in TIME_UNITS:
                raise ReaderError(f'{path}: unit must be one of {TIME_UNITS}, got '
                                  f'{data["unit"]!r:.80}')
            self.unit = data['unit']
        rows = []
        for i, v in enumerate(data['videos']):
            where = f'{path}: videos[{i}]'
            if not isinstance(v, dict) or 'video' not in v:
                raise ReaderError(f'{where} has no "video"')
            if not isinstance(v['video'], str):
                raise ReaderError(f'{where}: video must be a string, got {v["video"]!r:.80}')
            base = dict(video=v['video'],
                        **{k: _json_text(v.get(k), k, where) for k in ('split', 'file')})
            acts = v.get('actions')
            if not isinstance(acts, (list, type(None))):
                raise ReaderError(f'{where}: actions must be a list, got {acts!r:.80}')
            if not acts:
                rows.append(dict(base, _where=where))
            for j, a in enumerate(acts or []):
                at = f'{where}.actions[{j}]'
                if not isinstance(a, dict):
                    raise ReaderError(f'{at}: expected an object {{"start": ..., "end": ..., '
                                      f'"label": ...}}, got {a!r:.80}')
                rows.append(
                    dict(base, _where=at,
                         **{k: _json_text(a.get(k), k, at, t) for k, t in _ACTION_FIELDS.items()}))
        return rows

    def read(self) -> VideoIndex:
        path = self._path(self.ann_file)
        rows = (self._rows_from_json(path) if path.lower().endswith('.json') else
                self._rows_from_csv(path))
        classes = self.classes
        if isinstance(classes, str):
            classes = read_class_list(self._path(classes))
        if classes is None:  # the labels of the actions (a row without a segment has none)
            classes = sorted({
                r['label']
                for r in rows
                if r.get('label', '') and _has_segment(r) and not is_class_index(r['label'])
            })
        classes = list(classes)
        class_index = {c: i for i, c in enumerate(classes)}
        files = self._video_files() if osp.isdir(self.video_dir) else {}
        videos: Dict[str, dict] = {}
        first: Dict[str, str] = {}  # video -> where it is first listed
        ids: Dict[str, str] = {}  # action id -> where
        for row in rows:
            where, name = row['_where'], row['video']
            check_video_name(name, where)
            split = row.get('split') or 'train'
            if split not in SPLITS:
                raise ReaderError(f'{where}: split {split!r} is not one of {SPLITS}')
            file = row.get('file')
            video_path = self._file(file, where) if file else resolve_video(
                name, files, self.video_dir, self.video_ext, where)
            rec = videos.get(name)
            if rec is None:
                first[name] = where
                rec = videos[name] = dict(
                    video=name, path=video_path, split=split, label=-1, actions=[])
            elif rec['split'] != split:
                raise ReaderError(f'{where}: video {name!r} listed with splits '
                                  f'{rec["split"]!r} (at {first[name]}) and {split!r}')
            elif rec['path'] != video_path:
                raise ReaderError(f'{where}: video {name!r} listed with files {rec["path"]} '
                                  f'(at {first[name]}) and {video_path}')
            seg = self._segment(row, where)
            if seg is None:
                extra = [k for k in ('label', 'id') if row.get(k, '')]
                if extra:
                    raise ReaderError(
                        f'{where}: {" and ".join(extra)} '
                        f'{", ".join(repr(row[k]) for k in extra)} without start/end or time '
                        '(a row without a segment lists a video without actions)')
                continue
            label = class_label(row.get('label', ''), class_index, where)
            action_id = row.get('id') or f'{name}_{len(rec["actions"])}'
            if action_id in ids:
                raise ReaderError(f'{where}: action id {action_id!r} is also the id of '
                                  f'{ids[action_id]}')
            ids[action_id] = where
            rec['actions'].append(
                dict(
                    id=action_id,
                    label=label,
                    split=split,
                    start=seg[0],
                    end=seg[1],
                    unit=self.unit))
        return VideoIndex(self.dataset, classes, [videos[k] for k in sorted(videos)])

    def _file(self, file: str, where: str) -> str:
        """``<video_dir>/<file>``, ``file`` a relative path that stays inside ``video_dir``."""
        try:
            return join_under(
                self.video_dir,
                *str(file).split('/'),
                what='video file',
                where=where,
                resolve=False,  # read only: linked folders are fine
                max_bytes=MAX_NAME_BYTES)  # no file is named after it
        except UnsafePathError as e:
            raise ReaderError(str(e)) from None

    def _segment(self, row: dict, where: str) -> Optional[Sequence[float]]:
        start, end, time = row.get('start', ''), row.get('end', ''), row.get('time', '')
        if (start or end) and not (start and end):
            raise ReaderError(f'{where}: give both start and end (got {start!r}, {end!r})')
        try:
            if start:
                given = dict(start=float(start), end=float(end))
                seg = given['start'], given['end']
            elif time:
                given = dict(time=float(time))
                t = given['time']
                seg = max(t - self.point_window, 0.0), t + self.point_window
            else:
                return None
        except ValueError as e:
            raise ReaderError(f'{where}: start/end/time must be numbers ({e})') from e
        check_segment(seg[0], seg[1], self.unit, where)
        if self.unit == 'frame':  # source frame numbers: 7 or 7.0, not 7.5
            for key, value in given.items():
                int_field(value, f"{key} (a frame number, unit='frame')", where, ReaderError)
        return seg


def _has_segment(row: dict) -> bool:
    """Whether a row gives an action segment (``start``/``end`` or ``time``)."""
    return any(row.get(k, '') for k in ('start', 'end', 'time'))
