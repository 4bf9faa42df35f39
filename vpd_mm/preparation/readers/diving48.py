# Copyright (c) vpd_mm contributors. All rights reserved.
"""Diving48 (V2 labels): trimmed dive clips, one action per video."""
import os.path as osp
from typing import List, Optional

from mmaction.registry import TASK_UTILS

from vpd_mm.utils.io import int_field, load_json
from .base import (BaseVideoReader, ReaderError, VideoIndex, check_segment, reader_error,
                   resolve_video)


def load_json_file(path: str, what: str):
    """Read an annotation JSON file (:func:`vpd_mm.utils.io.load_json`).

    Raises:
        FileNotFoundError: no such file (the message names ``what`` and the path).
        ReaderError: not readable JSON; the message names the file and ``what``.
    """
    return load_json(path, what, error=reader_error)


@TASK_UTILS.register_module()
class Diving48Reader(BaseVideoReader):
    """Diving48's official annotations.

    Files (under ``data_root``): ``Diving48_vocab.json`` (a list of 48 sub-label lists, e.g.
    ``["Back", "15som", "05Twis", "FREE"]``; class ``i`` is named by joining list ``i`` with
    spaces), ``Diving48_V2_train.json`` and ``Diving48_V2_test.json`` (lists of entries with
    ``vid_name``, ``label``, ``start_frame``, ``end_frame``) and the clips
    ``<video_dir>/<vid_name>.mp4``.

    Each clip is one video and one action: frames ``[start_frame, end_frame)`` of the clip file
    (0-based source frames, end exclusive, as the VPD authors read them), labelled ``label``.

    Args:
        data_root (str): Folder of the files above.
        ann_files (dict): Split -> annotation file (relative to ``data_root``). Defaults to the
            V2 train and test files.
        vocab_file (str): Class vocabulary. Defaults to ``'Diving48_vocab.json'``.
        **kwargs: :class:`BaseVideoReader` arguments (``video_dir`` defaults to ``'rgb'``,
            the folder name of the official archive).
    """
    DEFAULT_NAME = 'diving48'

    def __init__(self,
                 data_root: str,
                 ann_files: Optional[dict] = None,
                 vocab_file: str = 'Diving48_vocab.json',
                 video_dir: str = 'rgb',
                 **kwargs) -> None:
        super().__init__(data_root, video_dir=video_dir, **kwargs)
        self.ann_files = ann_files or dict(
            train='Diving48_V2_train.json', test='Diving48_V2_test.json')
        self.vocab_file = vocab_file

    def read_classes(self) -> List[str]:
        path = self._path(self.vocab_file)
        vocab = load_json_file(path, 'Diving48 vocabulary')
        if not isinstance(vocab, list) or not all(
                isinstance(v, list) and all(isinstance(s, str) for s in v) for v in vocab):
            raise ReaderError(f'{path}: expected a list of sub-label lists, e.g. '
                              '[["Back", "15som", "05Twis", "FREE"], ...]')
        return [' '.join(v) for v in vocab]

    def read(self) -> VideoIndex:
        classes = self.read_classes()
        files = self._video_files() if osp.isdir(self.video_dir) else {}
        videos, seen = [], {}
        for split, fname in self.ann_files.items():
            path = self._path(fname)
            entries = load_json_file(path, f'Diving48 {split} annotation file')
            if not isinstance(entries, list):
                raise ReaderError(f'{path}: expected a list of clip entries')
            for i, e in enumerate(entries):
                missing = [k for k in ('vid_name', 'label', 'start_frame', 'end_frame')
                           if not isinstance(e, dict) or k not in e]
                if missing:
                    raise ReaderError(f'{path}: entry #{i} has no {missing}')
                name = e['vid_name']
                if not isinstance(name, str):
                    raise ReaderError(f'{path}: entry #{i}: vid_name must be a string, got '
                                      f'{name!r}')
                where = f'{path}: entry #{i} ({name})'
                label = int_field(e['label'], 'label', where, ReaderError)
                start = int_field(e['start_frame'], 'start_frame', where, ReaderError)
                end = int_field(e['end_frame'], 'end_frame', where, ReaderError)
                if not 0 <= label < len(classes):
                    raise ReaderError(f'{where}: label {label} outside the {len(classes)} '
                                      f'classes of {self.vocab_file}')
                check_segment(start, end, 'frame', where)
                if name in seen:
                    raise ReaderError(f'{path}: clip {name!r} also listed in {seen[name]}')
                seen[name] = path
                videos.append(
                    dict(
                        video=name,
                        path=resolve_video(name, files, self.video_dir, self.video_ext,
                                           f'{path}: entry #{i}'),
                        split=split,
                        label=label,
                        actions=[
                            dict(
                                id=name,
                                label=label,
                                split=split,
                                start=start,
                                end=end,
                                unit='frame')
                        ]))
        return VideoIndex(self.dataset, classes, sorted(videos, key=lambda v: v['video']))
