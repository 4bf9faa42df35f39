# Copyright (c) vpd_mm contributors. All rights reserved.
"""The VPD authors' id files: labels (``all.txt``), splits (``val.ids.txt``) and few-shot subsets.

``all.txt`` has one action a line, ``<action id> <label>``; ``val.ids.txt`` and the few-shot
subsets ``train_{K}_{i}.ids.txt`` one action id a line. The id forms are the dataset's own
(figure skating ``routine:start:end``, tennis ``match:player:frame``); the readers that build
actions from them keep the ids unchanged, so the subsets name the actions of the prepared
action annotations.
"""
from collections import OrderedDict
from typing import Collection, Dict, List, Optional, Sequence, Set, Tuple

from vpd_mm.utils.io import read_text_lines
from .base import ReaderError, VideoIndex


def _lines(path: str, what: str) -> List[Tuple[int, str]]:
    """(1-based line number, stripped line) of the non-blank lines of a text file."""
    return read_text_lines(path, what, lambda p, msg: ReaderError(f'{p}: {msg}'))


def read_labelled_ids(path: str) -> List[Tuple[int, str, str]]:
    """An ``all.txt``: lines ``<action id> <label>`` -> [(line number, id, label)].

    Raises:
        FileNotFoundError: no such file.
        ReaderError: a line that is not two fields, or an id listed twice (names file and line).
    """
    out, seen = [], {}
    for n, line in _lines(path, 'label file'):
        parts = line.split()
        if len(parts) != 2:
            raise ReaderError(f'{path}:{n}: expected "<action id> <label>", got {line!r}')
        if parts[0] in seen:
            raise ReaderError(f'{path}:{n}: action {parts[0]!r} already listed on line '
                              f'{seen[parts[0]]}')
        seen[parts[0]] = n
        out.append((n, parts[0], parts[1]))
    return out


def check_label_names(classes: Sequence[str],
                      ignore_labels: Collection[str]) -> Tuple[List[str], Set[str]]:
    """The class names of an ``all.txt`` reader and the labels it leaves out, checked.

    Returns:
        tuple[list[str], set[str]]: ``classes`` as a list (label i = class i) and
        ``ignore_labels`` as a set.

    Raises:
        ValueError: a class named twice, or a class that is also ignored.
    """
    classes, ignored = list(classes), set(ignore_labels)
    if len(set(classes)) != len(classes) or ignored & set(classes):
        raise ValueError(f'classes must be distinct and not ignored, got {classes} '
                         f'(ignored {sorted(ignored)})')
    return classes, ignored


def read_labels_and_val(path: str, val_path: Optional[str]
                        ) -> Tuple[List[Tuple[int, str, str]], Dict[str, int]]:
    """An ``all.txt`` and its optional ``val.ids.txt``, every val id checked against it.

    Returns:
        tuple: the rows of :func:`read_labelled_ids` and the val ids of :func:`read_id_file`
        (empty without ``val_path``).

    Raises:
        ReaderError: as those two, or a val id that is not an action of ``path`` (file and
        line named).
    """
    rows = read_labelled_ids(path)
    val: Dict[str, int] = {}
    if val_path is not None:
        val = read_id_file(val_path)
        known = {r[1] for r in rows}
        for action_id, n in val.items():
            if action_id not in known:
                raise ReaderError(f'{val_path}:{n}: {action_id!r} is not an action of {path}')
    return rows, val


def read_id_file(path: str) -> 'OrderedDict[str, int]':
    """An ids file (``val.ids.txt``, ``train_{K}_{i}.ids.txt``) -> {id: line number}, in order.

    Raises:
        FileNotFoundError: no such file.
        ReaderError: a line with more than one field, or an id listed twice.
    """
    ids: 'OrderedDict[str, int]' = OrderedDict()
    for n, line in _lines(path, 'id file'):
        if len(line.split()) != 1:
            raise ReaderError(f'{path}:{n}: expected one action id, got {line!r}')
        if line in ids:
            raise ReaderError(f'{path}:{n}: id {line!r} already listed on line {ids[line]}')
        ids[line] = n
    return ids


def filter_id_list(path: str,
                   index: VideoIndex,
                   ignored_ids: Collection[str] = (),
                   prepared_ids: Optional[Collection[str]] = None
                   ) -> Tuple[List[str], List[Tuple[str, str]]]:
    """The labelled training actions of ``index`` that a few-shot subset file names.

    The authors drew their subsets over every label of ``all.txt``: the tennis ones also hold
    ids of the labels outside the 7 classes (serves, non-shots), which the reader leaves out
    (its ``ignored_ids``). Those are dropped, and so are actions whose video the preparation
    skipped (not in ``prepared_ids``); any other id must be a labelled training action.

    Args:
        path (str): A ``train_{K}_{i}.ids.txt``.
        index (VideoIndex): The reader's index.
        ignored_ids (Collection[str]): Ids the reader read but left out. Defaults to ().
        prepared_ids (Collection[str], optional): Ids of the prepared action annotations;
            None keeps every action of the index. Defaults to None.

    Returns:
        tuple[list[str], list[tuple[str, str]]]: the kept ids (file order) and the dropped
        ``(id, reason)``.

    Raises:
        ReaderError: an id that is not an action of the index, or one of the val or test split
            (names the file and the line).
    """
    actions: Dict[str, dict] = {
        str(a['id']): a
        for v in index.videos for a in v.get('actions', [])
    }
    ignored = set(ignored_ids)
    prepared = None if prepared_ids is None else set(prepared_ids)
    kept: List[str] = []
    dropped: List[Tuple[str, str]] = []
    for action_id, n in read_id_file(path).items():
        act = actions.get(action_id)
        if act is None:
            if action_id in ignored:
                dropped.append((action_id, 'label outside the classes'))
                continue
            raise ReaderError(f'{path}:{n}: {action_id!r} is not an action of dataset '
                              f'{index.dataset!r}')
        if act.get('split') != 'train' or int(act.get('label', -1)) < 0:
            raise ReaderError(f'{path}:{n}: {action_id!r} is a {act.get("split")} action '
                              f'(label {act.get("label")}), not a labelled training action')
        if prepared is not None and action_id not in prepared:
            dropped.append((action_id, 'not in the prepared annotations (video skipped)'))
            continue
        kept.append(action_id)
    return kept, dropped
