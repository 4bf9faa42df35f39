# Copyright (c) vpd_mm contributors. All rights reserved.
"""The one reader and writer of checkpoints: weights-only loading, plain contents.

**Reading.** :func:`load_checkpoint_file` reads a checkpoint with
``torch.load(..., weights_only=True)``: tensors, plain containers and numbers. Whatever the file
holds besides (a class, a function such as ``os.system``) is refused, and the refusal is one
line, :class:`CheckpointLoadError`, naming the file and the object; a damaged or foreign file
gets one line too. vpd_mm never loads a checkpoint with the safe loader switched off.
:mod:`vpd_mm.compat` routes mmengine's loading (``load_from``, ``--resume``,
``load_checkpoint``, ``init_cfg`` pretrained weights, ``http(s)://`` and ``torchvision://``
files) through it, and the project's own readers (:func:`vpd_mm.apis.load_checkpoint_weights`,
RAFT weights, the VIPE* converter) call it directly.

**Writing.** mmengine pickles its ``HistoryBuffer`` objects (the logged scalars of the message
hub) and numpy values (statistics, metric scores) into a checkpoint, which a weights-only load
without an allow-list refuses. :func:`to_weights_only` stores them as plain types instead:

* a ``HistoryBuffer`` as ``{'__history_buffer__': {'log_history': tensor, 'count_history':
  tensor, 'max_length': int}}``;
* a numeric numpy array as ``{'__ndarray__': tensor}`` (same dtype and shape), any other array
  as a (nested) list; a numpy scalar as the Python number; a numpy dtype as its name;
* a dict subclass (``ConfigDict``) as a dict, a tuple subclass as a tuple.

:func:`from_weights_only` turns the markers back into ``HistoryBuffer`` objects and arrays
(resuming gives the message hub it saved). So a checkpoint that ``tools/train.py`` writes opens
with plain ``torch.load(path, weights_only=True)`` in any environment, ``vpd_mm`` imported or
not; :mod:`vpd_mm.compat` makes mmengine's ``save_checkpoint`` write it so, atomically
(``<path>.tmp.<pid>`` then a rename).
"""
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Any, Optional

#: Marker keys of the plain forms (see the module docstring).
HISTORY_BUFFER_KEY = '__history_buffer__'
NDARRAY_KEY = '__ndarray__'


class CheckpointLoadError(ValueError):
    """A checkpoint that cannot be read weights-only; the message names the file (one line)."""


#: torch's words for a global the weights-only unpickler refused (group 1: the global).
_REFUSED_PATTERNS = (
    re.compile(r'GLOBAL (\S+) was not an allowed global'),
    re.compile(r'GLOBAL (\S+) whose module \S+ is blocked'),
)


def _refused_object(message: str) -> Optional[str]:
    """The object a weights-only load refused, read from torch's message (None if not one)."""
    for pattern in _REFUSED_PATTERNS:
        m = pattern.search(message)
        if m:
            return m.group(1).rstrip('.,;')
    return None


def _reason(err: BaseException) -> str:
    """A short reason from an error of ``torch.load``: its first line that does not tell how to
    switch the safe loader off."""
    text = str(err)
    if 'legacy .tar format' in text:
        return f'{type(err).__name__}: the legacy .tar format, which no weights-only load reads'
    m = re.search(r'WeightsUnpickler error:\s*(.*)', text, flags=re.S)
    if m:
        text = m.group(1)
    for line in text.splitlines():
        kept = [
            s for s in re.split(r'(?<=\.)\s+', line.strip())
            if s and not re.search(r'weights_only|Weights only load failed|trust', s)
        ]
        if kept:
            return f'{type(err).__name__}: {" ".join(kept)[:200]}'
    return type(err).__name__


def checkpoint_error(path: str, err: BaseException) -> CheckpointLoadError:
    """The one-line error of a failed weights-only load of ``path``.

    Args:
        path (str): The checkpoint.
        err (BaseException): What ``torch.load`` raised.

    Returns:
        CheckpointLoadError: ``'<path>: holds objects a weights-only load refuses (<object>)
        ...'`` when the file pickles something besides tensors and plain data, else
        ``'<path>: not a readable checkpoint (<reason>)'``.
    """
    refused = _refused_object(str(err)) if isinstance(err, pickle.UnpicklingError) else None
    if refused is not None:
        return CheckpointLoadError(
            f'{path}: holds objects a weights-only load refuses ({refused}); vpd_mm reads '
            'checkpoints weights-only and never runs code from a file: use a checkpoint of '
            'tensors and plain containers (e.g. the state_dict alone)')
    return CheckpointLoadError(f'{path}: not a readable checkpoint ({_reason(err)})')


def load_checkpoint_file(path: str, map_location: Any = 'cpu', what: str = 'checkpoint') -> Any:
    """Load a local checkpoint weights-only, markers of :func:`to_weights_only` undone.

    Args:
        path (str): The file (``~`` expanded).
        map_location: As :func:`torch.load`. Defaults to ``'cpu'``.
        what (str): What the file is, for the message of a missing file. Defaults to
            ``'checkpoint'``.

    Returns:
        The loaded object (usually a dict of tensors, or an mmengine checkpoint dict).

    Raises:
        FileNotFoundError: No such file (the message names it).
        CheckpointLoadError: The file holds objects a weights-only load refuses, is not a
            readable torch file or nests containers deeper than :data:`MAX_NESTING_DEPTH`
            (one line naming the file).
    """
    import torch
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} does not exist')
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - the unpickler fails in many ways on a bad file
        raise checkpoint_error(path, e) from None
    return from_weights_only(obj, path)


def load_checkpoint_url(url: str,
                        map_location: Any = 'cpu',
                        model_dir: Optional[str] = None,
                        progress: bool = False) -> Any:
    """Download ``url`` into torch's hub cache (once) and load it weights-only.

    Raises:
        CheckpointLoadError: As :func:`load_checkpoint_file` (the message names the URL).
    """
    import torch
    try:
        obj = torch.hub.load_state_dict_from_url(
            url, model_dir=model_dir, map_location=map_location, progress=progress,
            weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as e:
        raise checkpoint_error(url, e) from None
    return from_weights_only(obj, url)


#: What :func:`load_checkpoint` downloads rather than opens.
URL_PREFIXES = ('http://', 'https://')


def load_checkpoint(checkpoint: str, map_location: Any = 'cpu') -> Any:
    """A checkpoint path (:func:`load_checkpoint_file`) or ``http(s)://`` URL
    (:func:`load_checkpoint_url`), loaded weights-only.

    Raises:
        FileNotFoundError: No such file.
        CheckpointLoadError: A refused or damaged file (one line naming it).
    """
    if checkpoint.startswith(URL_PREFIXES):
        return load_checkpoint_url(checkpoint, map_location)
    return load_checkpoint_file(checkpoint, map_location)


#: The numpy dtypes that torch tensors hold exactly.
_TORCH_DTYPES = ('bool', 'float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64',
                 'uint8')


def _is_history_buffer(obj: Any) -> bool:
    return type(obj).__name__ == 'HistoryBuffer' and hasattr(obj, '_log_history')


def to_weights_only(obj: Any) -> Any:
    """Plain form of a checkpoint (see the module docstring); tensors are not copied and a
    container with nothing to change is returned as is (a state dict keeps its ``_metadata``).
    """
    import numpy as np
    import torch
    if isinstance(obj, np.generic):  # before float: np.float64 is a float subclass
        return obj.item()
    if torch.is_tensor(obj) or obj is None or type(obj) in (bool, int, float, str, bytes):
        return obj
    if _is_history_buffer(obj):
        return {
            HISTORY_BUFFER_KEY:
            dict(log_history=torch.from_numpy(np.array(obj._log_history)),
                 count_history=torch.from_numpy(np.array(obj._count_history)),
                 max_length=int(obj.max_length))
        }
    if isinstance(obj, np.ndarray):
        if obj.dtype.name in _TORCH_DTYPES:
            return {NDARRAY_KEY: torch.from_numpy(np.array(obj))}
        return obj.tolist()
    if isinstance(obj, np.dtype):
        return str(obj)
    if isinstance(obj, dict):
        items = [(k, to_weights_only(v)) for k, v in obj.items()]
        same = all(new is old for (_, new), old in zip(items, obj.values()))
        if same and type(obj) in (dict, OrderedDict):
            return obj
        out = OrderedDict(items) if isinstance(obj, OrderedDict) else dict(items)
        meta = getattr(obj, '_metadata', None)
        if meta is not None:
            out._metadata = meta
        return out
    if isinstance(obj, (list, tuple)):
        items = [to_weights_only(v) for v in obj]
        if type(obj) in (list, tuple) and all(a is b for a, b in zip(items, obj)):
            return obj
        return items if isinstance(obj, list) else tuple(items)
    return obj


#: The deepest nesting of containers a checkpoint may have (an mmengine checkpoint nests about
#: 6 deep). A deeper file is refused with one line instead of overflowing the stack here or in
#: whatever walks the checkpoint next.
MAX_NESTING_DEPTH = 100


def from_weights_only(obj: Any, source: str = 'checkpoint') -> Any:
    """Undo :func:`to_weights_only`: ``HistoryBuffer`` objects and numpy arrays again.

    Args:
        obj: A weights-only loaded checkpoint; its lists and dicts are changed in place.
        source (str): The file or URL it came from, for the messages. Defaults to
            ``'checkpoint'``.

    Raises:
        CheckpointLoadError: ``'<source>: ...'`` for containers nested deeper than
            :data:`MAX_NESTING_DEPTH` or a marker dict that is not one of
            :func:`to_weights_only`.
    """
    return _from_plain(obj, source, 0)


def _from_plain(obj: Any, source: str, depth: int) -> Any:
    if depth > MAX_NESTING_DEPTH and isinstance(obj, (dict, list, tuple)):
        raise CheckpointLoadError(
            f'{source}: not a readable checkpoint (containers nested more than '
            f'{MAX_NESTING_DEPTH} levels deep)')
    if isinstance(obj, dict):
        if len(obj) == 1 and HISTORY_BUFFER_KEY in obj and isinstance(obj[HISTORY_BUFFER_KEY],
                                                                      dict):
            return _history_buffer(obj[HISTORY_BUFFER_KEY], source)
        if len(obj) == 1 and NDARRAY_KEY in obj:
            return _as_numpy(obj[NDARRAY_KEY], source, NDARRAY_KEY)
        for k, v in obj.items():
            new = _from_plain(v, source, depth + 1)
            if new is not v:
                obj[k] = new
        return obj
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            obj[i] = _from_plain(v, source, depth + 1)
        return obj
    if type(obj) is tuple:
        return tuple(_from_plain(v, source, depth + 1) for v in obj)
    return obj


def _history_buffer(buf: dict, source: str):
    """The ``HistoryBuffer`` of a ``{'__history_buffer__': buf}`` marker."""
    from mmengine.logging import HistoryBuffer
    max_length = buf.get('max_length')
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
        raise CheckpointLoadError(f'{source}: a {HISTORY_BUFFER_KEY} entry needs a positive '
                                  f'integer max_length, got {max_length!r}')
    log, count = (_as_numpy(buf.get(k), source, f'{HISTORY_BUFFER_KEY} {k}')
                  for k in ('log_history', 'count_history'))
    if log.ndim != 1 or count.shape != log.shape:
        raise CheckpointLoadError(
            f'{source}: {HISTORY_BUFFER_KEY} log_history and count_history must be 1-D of one '
            f'length, got shapes {list(log.shape)} and {list(count.shape)}')
    return HistoryBuffer(log.tolist(), count.tolist(), max_length=max_length)


def _as_numpy(value: Any, source: str, what: str):
    """The numeric tensor ``value`` of a marker as a numpy array."""
    import torch
    if torch.is_tensor(value) and not value.is_complex():
        try:
            return value.numpy()
        except (TypeError, RuntimeError):  # bfloat16, quantized, ...: not from to_weights_only
            pass
    raise CheckpointLoadError(f'{source}: {what} must be a real tensor of a numpy dtype, got '
                              f'{getattr(value, "dtype", type(value).__name__)}')


def save_checkpoint_atomic(checkpoint: dict, path: str) -> None:
    """``torch.save`` of :func:`to_weights_only` ``(checkpoint)`` to ``path`` through a temporary
    name in the same folder (``<path>.tmp.<pid>``) and a rename: a killed writer leaves no
    half-written checkpoint under the final name."""
    import torch

    from .io import atomic_path
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(to_weights_only(checkpoint), tmp)
