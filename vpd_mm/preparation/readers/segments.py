# Copyright (c) vpd_mm contributors. All rights reserved.
"""A generic "video list + segments + labels" format (figure skating, tennis, your own sport).

CSV (header required; one row per action, or a row without ``start``/``end``/``time`` for a
video without actions)::

    video,split,start,end,label,id
    program_001,train,12.40,13.15,Axel,
    program_001,train,20.00,21.10,Lutz,
    match3_point017,test,,,,
    match3_point018,test,,,forehand,          # with a "time" column instead: a point event

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
unlabeled, -1), ``id`` (default ``<video>_<k>``).

``video`` becomes a file name of the prepared dataset, so it must be one plain name
(:func:`.base.check_video_name`), and ``file`` must stay inside ``video_dir`` (each of its
``/``-separated parts a plain name); an entry that breaks this is refused with its file and
row (CSV) or index (JSON) before anything is prepared.
"""
import csv
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmaction.registry import TASK_UTILS

from vpd_mm.utils.paths import UnsafePathError, join_under
from .base import BaseVideoReader, ReaderError, VideoIndex, check_video_name, resolve_video
from .diving48 import load_json_file


def read_class_list(path: str) -> List[str]:
    """A class file: one name per line (blank lines ignored)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'class list not found: {path}')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


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
        with open(path, newline='') as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or 'video' not in reader.fieldnames:
                raise ReaderError(f'{path}: expected a CSV header with at least a "video" '
                                  f'column (video,split,start,end,label,id), got '
                                  f'{reader.fieldnames}')
            rows = []
            for n, row in enumerate(reader, 2):
                row = {k.strip(): (v or '').strip() for k, v in row.items() if k is not None}
                row['_where'] = f'{path}:{n}'
                rows.append(row)
        return rows

    def _rows_from_json(self, path: str) -> List[dict]:
        data = load_json_file(path, 'segment list')
        if not isinstance(data, dict) or not isinstance(data.get('videos'), list):
            raise ReaderError(f'{path}: expected {{"videos": [{{"video": ..., "actions": '
                              f'[...]}}]}}')
        if data.get('classes') is not None and self.classes is None:
            self.classes = list(data['classes'])
        if data.get('unit') is not None:
            self.unit = data['unit']
        rows = []
        for i, v in enumerate(data['videos']):
            if not isinstance(v, dict) or 'video' not in v:
                raise ReaderError(f'{path}: videos[{i}] has no "video"')
            base = dict(video=str(v['video']), split=v.get('split', ''), file=v.get('file', ''))
            acts = v.get('actions') or []
            if not acts:
                rows.append(dict(base, _where=f'{path}: videos[{i}]'))
            for j, a in enumerate(acts):
                rows.append(
                    dict(
                        base, **{k: '' if a.get(k) is None else str(a[k])
                                 for k in ('start', 'end', 'time', 'label', 'id')},
                        _where=f'{path}: videos[{i}].actions[{j}]'))
        return rows

    def read(self) -> VideoIndex:
        path = self._path(self.ann_file)
        if not osp.isfile(path):
            raise FileNotFoundError(f'segment list not found: {path}')
        rows = (self._rows_from_json(path) if path.lower().endswith('.json') else
                self._rows_from_csv(path))
        classes = self.classes
        if isinstance(classes, str):
            classes = read_class_list(self._path(classes))
        if classes is None:
            classes = sorted({
                r['label']
                for r in rows if r.get('label', '') and not r['label'].lstrip('-').isdigit()
            })
        classes = list(classes)
        class_index = {c: i for i, c in enumerate(classes)}
        files = self._video_files() if osp.isdir(self.video_dir) else {}
        videos: Dict[str, dict] = {}
        for row in rows:
            where, name = row['_where'], row['video']
            check_video_name(name, where)
            split = row.get('split') or 'train'
            rec = videos.get(name)
            if rec is None:
                file = row.get('file')
                rec = videos[name] = dict(
                    video=name,
                    path=self._file(file, where) if file else resolve_video(
                        name, files, self.video_dir, self.video_ext, where),
                    split=split,
                    label=-1,
                    actions=[])
            elif rec['split'] != split:
                raise ReaderError(f'{where}: video {name!r} listed with splits '
                                  f'{rec["split"]!r} and {split!r}')
            seg = self._segment(row, where)
            if seg is None:
                continue
            label = self._label(row.get('label', ''), class_index, len(classes), where)
            rec['actions'].append(
                dict(
                    id=row.get('id') or f'{name}_{len(rec["actions"])}',
                    label=label,
                    split=split,
                    start=seg[0],
                    end=seg[1],
                    unit=self.unit))
        return VideoIndex(self.dataset, classes, [videos[k] for k in sorted(videos)])

    def _file(self, file: str, where: str) -> str:
        """``<video_dir>/<file>``, ``file`` a relative path that stays inside ``video_dir``."""
        try:
            return join_under(self.video_dir, *str(file).split('/'), what='video file',
                              where=where, resolve=False)  # read only: linked folders are fine
        except UnsafePathError as e:
            raise ReaderError(str(e)) from None

    def _segment(self, row: dict, where: str) -> Optional[Sequence[float]]:
        start, end, time = row.get('start', ''), row.get('end', ''), row.get('time', '')
        try:
            if start or end:
                if not (start and end):
                    raise ReaderError(f'{where}: give both start and end (got {start!r}, '
                                      f'{end!r})')
                seg = float(start), float(end)
            elif time:
                t = float(time)
                seg = max(t - self.point_window, 0.0), t + self.point_window
            else:
                return None
        except ValueError as e:
            raise ReaderError(f'{where}: start/end/time must be numbers ({e})') from e
        if seg[1] <= seg[0] or seg[0] < 0:
            raise ReaderError(f'{where}: bad segment [{seg[0]}, {seg[1]})')
        return seg

    @staticmethod
    def _label(label: str, class_index: Dict[str, int], num: int, where: str) -> int:
        if not label:
            return -1
        if label in class_index:
            return class_index[label]
        if label.lstrip('-').isdigit() and -1 <= int(label) < num:
            return int(label)
        raise ReaderError(f'{where}: label {label!r} is not one of the {num} classes')
