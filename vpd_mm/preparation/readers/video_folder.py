# Copyright (c) vpd_mm contributors. All rights reserved.
"""Any folder of videos (unlabeled distillation corpora), with an optional label file."""
from typing import Dict, Optional, Sequence

from mmaction.registry import TASK_UTILS

from vpd_mm.datasets.features import SPLITS
from vpd_mm.utils.io import read_text_lines
from .base import (BaseVideoReader, ReaderError, VideoIndex, class_label, is_class_index,
                   reader_error)
from .diving48 import load_json_file
from .segments import read_class_list


@TASK_UTILS.register_module()
class VideoFolderReader(BaseVideoReader):
    """Every video file of a folder, each one video record named by its file stem.

    The optional label file gives some videos a label (the whole video is then one action) and
    a split:

    * ``.json``: ``{"<video>": "<class name>" | <index> | {"label": ..., "split": "test"}}``;
    * anything else: lines ``<video> <label> [<split>]`` (whitespace or commas), ``#`` comments.

    Videos without a label get label -1 and no action; videos without a split get ``split``.
    A video listed twice, a JSON label that is not a string or an integer, or a split that is
    not a string is refused with the file and the entry (both lines for a repeated video).

    Args:
        data_root (str): Folder of the raw dataset.
        label_file (str, optional): Label file, relative to ``data_root``. Defaults to None.
        classes (Sequence[str] | str, optional): Class names, or a file of them (one per line).
            Defaults to the sorted label names of the label file.
        split (str): Split of videos the label file does not place. Defaults to ``'train'``.
        dataset (str): Dataset name. Defaults to ``'videos'``.
        **kwargs: :class:`BaseVideoReader` arguments (``video_dir`` defaults to ``'videos'``;
            ``recursive=True`` names videos of sub-folders ``<sub>__<stem>``).
    """
    DEFAULT_NAME = 'videos'

    def __init__(self,
                 data_root: str,
                 label_file: Optional[str] = None,
                 classes=None,
                 split: str = 'train',
                 **kwargs) -> None:
        super().__init__(data_root, **kwargs)
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.label_file = label_file
        self.classes = classes
        self.split = split

    def _read_labels(self, path: str) -> Dict[str, dict]:
        out = {}
        if path.lower().endswith('.json'):
            data = load_json_file(path, 'label file')
            if not isinstance(data, dict):
                raise ReaderError(f'{path}: expected {{"<video>": <label> | {{"label": ..., '
                                  f'"split": ...}}}}')
            for name, v in data.items():
                v = v if isinstance(v, dict) else dict(label=v)
                label, split = v.get('label'), v.get('split')
                if isinstance(label, bool) or not isinstance(label, (str, int, type(None))):
                    raise ReaderError(f'{path}: {name}: label must be a class name or index, '
                                      f'got {label!r:.80}')
                if not isinstance(split, (str, type(None))):
                    raise ReaderError(f'{path}: {name}: split must be one of {SPLITS}, got '
                                      f'{split!r:.80}')
                out[name] = dict(
                    label=None if label is None else str(label), split=split,
                    where=f'{path}: {name}')
            return out
        for n, line in read_text_lines(path, 'label file', reader_error):
            parts = line.split('#', 1)[0].replace(',', ' ').split()
            if not parts:
                continue
            if len(parts) not in (2, 3):
                raise ReaderError(f'{path}:{n}: expected "<video> <label> [<split>]", got '
                                  f'{line!r}')
            if parts[0] in out:
                raise ReaderError(f'{path}:{n}: video {parts[0]!r} already listed on '
                                  f'{out[parts[0]]["where"]}')
            out[parts[0]] = dict(
                label=parts[1], split=parts[2] if len(parts) == 3 else None,
                where=f'{path}:{n}')
        return out

    def read(self) -> VideoIndex:
        files = self._video_files()
        labels = self._read_labels(self._path(self.label_file)) if self.label_file else {}
        unknown = sorted(set(labels) - set(files))
        if unknown:
            raise ReaderError(f'{self._path(self.label_file)}: {len(unknown)} labelled videos '
                              f'are not in {self.video_dir}, e.g. {unknown[:5]}')
        classes = self.classes
        if isinstance(classes, str):
            classes = read_class_list(self._path(classes))
        if classes is None:
            classes = sorted({
                v['label']
                for v in labels.values() if v['label'] and not is_class_index(v['label'])
            })
        classes: Sequence[str] = list(classes)
        index = {c: i for i, c in enumerate(classes)}
        videos = []
        for name, path in files.items():
            info = labels.get(name, {})
            split = info.get('split') or self.split
            if split not in SPLITS:
                raise ReaderError(f'{info["where"]}: split {split!r} is not one of {SPLITS}')
            label = class_label(info.get('label') or '', index, info.get('where', ''))
            actions = [] if label == -1 else [
                dict(id=name, label=label, split=split, unit='video', start=0, end=0)
            ]
            videos.append(dict(video=name, path=path, split=split, label=label, actions=actions))
        return VideoIndex(self.dataset, classes, videos)
