# Copyright (c) vpd_mm contributors. All rights reserved.
"""Plain file I/O of vpd_mm: atomic writes, and the one reader of JSON files and of id lists.

Atomic file writes: a temporary name in the same folder, then ``os.replace``.

A temporary is named ``<path>.tmp.<pid>`` (``<path>.tmp.<pid>.<ext>`` when the writer needs an
extension, as :func:`numpy.save` does), see :func:`temporary_path`. A writer that fails removes
its temporary; one killed outright (``kill -9``, a lost node) leaves it, and the next run of the
job removes it with :func:`sweep_temporaries`: only names of that pattern, only in the folders
the job writes, and only when the writing process is gone.
"""
import gzip
import hashlib
import json
import os
import os.path as osp
import re
import time
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

#: ``<base>.tmp.<pid>`` or ``<base>.tmp.<pid>.<ext>``: the temporaries of the atomic writers.
TMP_NAME = re.compile(r'^(?P<base>.+)\.tmp\.(?P<pid>\d{1,10})(?:\.[A-Za-z0-9]{1,8})?$')
#: A temporary untouched for this long, whose process is not running on this machine, is dead.
#: The delay spares the live writers of other machines that share the file system (shards):
#: their pids mean nothing here, but a live writer keeps its file's mtime recent.
TMP_GRACE_S = 60.0


def temporary_path(path: str, ext: str = '') -> str:
    """The temporary name of an atomic write of ``path`` by this process.

    Args:
        path (str): The final path.
        ext (str): Extension the writer insists on (``'.npy'`` for :func:`numpy.save`).
            Defaults to ''.

    Returns:
        str: ``<path>.tmp.<pid><ext>``.
    """
    return f'{path}.tmp.{os.getpid()}{ext}'


def parse_temporary_name(name: str) -> Optional[Tuple[str, int]]:
    """``(base, pid)`` of a temporary's file name (no folder), or None for any other name."""
    m = TMP_NAME.match(name)
    return (m.group('base'), int(m.group('pid'))) if m else None


@contextmanager
def atomic_path(path: str, ext: str = '') -> Iterator[str]:
    """Yield a temporary path to write; rename it to ``path`` on success, remove it on error.

    The folder of ``path`` is created if needed.

    Example::

        with atomic_path('out/a.pkl') as tmp:
            mmengine.dump(obj, tmp, file_format='pkl')
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = temporary_path(path, ext)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if osp.lexists(tmp):
            os.unlink(tmp)
        raise


def save_npy_atomic(path: str, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` through a temporary file, so no half-written file remains."""
    with atomic_path(path, '.npy') as tmp:
        np.save(tmp, array)


def file_sha256(path: str) -> str:
    """The SHA-256 (hex) of the bytes of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


#: The record of what the files of an output folder are computed from
#: (:func:`claim_output_folder`).
SOURCE_FILE = 'source.json'


def claim_output_folder(out_dir: str,
                        source: dict,
                        paths: Iterable[str] = (),
                        overwrite: bool = False,
                        own_index: Optional[Callable[[str], bool]] = None) -> bool:
    """Record in ``<out_dir>/source.json`` what its files are computed from; whether the files
    already there may be kept.

    A resumable writer (one file per video, existing files skipped) calls this before writing
    anything. Files of an interrupted run of the same inputs are kept. Files the same kind of
    writer made from other inputs (another pose file, checkpoint or setting written into the same
    folder: a record of the same ``source['kind']``, or no record but an index file that
    ``own_index`` recognises, as older versions wrote) are computed again instead of silently
    returning stale results. Files of anything else (another kind, or no record and no index of
    this writer: e.g. a student's features) are refused unless ``overwrite``. The record is then
    ``source``, written atomically before the first file.

    Args:
        out_dir (str): The output folder (created if needed).
        source (dict): JSON-serialisable inputs (e.g. SHA-256 of the input files, settings),
            with a ``kind`` naming the writer.
        paths (Iterable[str]): The files the caller will write; only their presence matters
            when the folder has no valid record.
        overwrite (bool): Replace the files whatever made them. Defaults to False.
        own_index (Callable[[str], bool], optional): ``out_dir -> bool``: whether the folder's
            index file is one this writer writes (folders written before the record existed).

    Returns:
        bool: True when the existing files may be kept (same record, or none of ``paths``
        exists yet).

    Raises:
        FileFormatError: naming the folder and one of its files, when they were made by
            something else and ``overwrite`` is False; nothing is written then.
    """
    record = osp.join(out_dir, SOURCE_FILE)
    source = json.loads(json.dumps(source, sort_keys=True, default=repr))
    try:
        previous = load_json(record, 'output source record') if osp.isfile(record) else None
    except ValueError:  # unreadable: unknown inputs
        previous = None
    if not isinstance(previous, dict):
        previous = None
    existing = next((p for p in paths if osp.exists(p)), None)
    if previous == source:
        return not overwrite
    if existing is not None and not overwrite:
        ours = (previous.get('kind') == source.get('kind') if previous is not None else
                own_index is not None and own_index(out_dir))
        if not ours:
            made_by = (f"by another writer ({previous.get('kind')})" if previous is not None else
                       'by something else (no record of this writer in the folder)')
            raise FileFormatError(out_dir, f'holds files made {made_by}, e.g. {existing}: '
                                  f'choose another output folder, or overwrite them '
                                  f'(overwrite=True, --overwrite)')
    os.makedirs(out_dir, exist_ok=True)
    dump_json_atomic(source, record, indent=1, sort_keys=True)
    return existing is None and not overwrite


def dump_json_atomic(obj, path: str, **kwargs) -> None:
    """``json.dump(obj, ..., **kwargs)`` to ``path`` through a temporary file."""
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as f:
            json.dump(obj, f, **kwargs)


def dump_pickle_atomic(obj: Any, path: str) -> None:
    """``mmengine.dump(obj, path, file_format='pkl')`` through a temporary file and a rename,
    creating the folder if needed."""
    import mmengine
    with atomic_path(path) as tmp:
        mmengine.dump(obj, tmp, file_format='pkl')


class FileFormatError(ValueError):
    """A file that cannot be read or does not follow its format.

    Args:
        path (str): The file at fault, kept as ``self.path``.
        message (str, optional): The problem; the exception's text is ``'<path>: <message>'``.
            Without it ``path`` is the whole text (``self.path`` None): so pickling and
            PyTorch's loader workers, which rebuild an exception from its text, keep its type.
    """

    def __init__(self, path: str, message: Optional[str] = None) -> None:
        self.path = path if message is not None else None
        super().__init__(path if message is None else f'{path}: {message}')


class UnreadableFileError(OSError):
    """A file that exists but cannot be read or decoded (a corrupt image, an unreadable
    frame); its one-argument message names the file, so it survives pickling and PyTorch's
    loader-worker re-raise. An ``OSError`` (``IOError``), as ``open`` and the decoders raise."""


class _DuplicateKey(ValueError):
    """A JSON object names a key twice (``json`` would keep the last value silently)."""


def _unique_keys(pairs: list) -> dict:
    """``object_pairs_hook`` of :func:`load_json`: the object as a dict, or _DuplicateKey."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f'an object has the key {key!r} twice')
            seen.add(key)
    return out


def load_json(path: str,
              what: str = 'JSON file',
              error: Callable[[str, str], Exception] = FileFormatError) -> Any:
    """Read a JSON file, gzip-compressed when its name ends in ``.gz``.

    Args:
        path (str): The file.
        what (str): What the file should be, for the messages (e.g. ``'Diving48 vocabulary'``).
            Defaults to ``'JSON file'``.
        error (Callable[[str, str], Exception]): Builds the exception raised for an unreadable
            or invalid file from ``(path, message)``, so that a format's reader raises its own
            error class. Defaults to :class:`FileFormatError`.

    Returns:
        The decoded JSON value.

    Raises:
        FileNotFoundError: no such file (``'<what> not found: <path>'``).
        Exception: ``error(path, message)`` for a truncated or corrupt gzip stream, an
            unreadable file, invalid JSON, an object with a key twice (which value was meant
            is unknown) or nesting too deep to parse; the message says which.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        if path.endswith('.gz'):
            with gzip.open(path, 'rt', encoding='utf-8-sig') as f:
                return json.load(f, object_pairs_hook=_unique_keys)
        with open(path, encoding='utf-8-sig') as f:  # a leading byte-order mark is dropped
            return json.load(f, object_pairs_hook=_unique_keys)
    except _DuplicateKey as e:
        raise error(path, f'not a valid JSON {what}: {e}') from None
    except RecursionError:
        raise error(path, f'not a readable JSON {what}: nested too deeply') from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise error(path, f'truncated or corrupt gzip file, not a readable JSON {what} '
                    f'({e})') from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise error(path, f'not a readable JSON {what}: not valid JSON ({e})') from e
    except OSError as e:
        raise error(path, f'not a readable JSON {what}: cannot read ({e})') from e


def read_text(path: str,
              what: str = 'text file',
              error: Callable[[str, str], Exception] = FileFormatError) -> str:
    """The text of a UTF-8 file (a leading byte-order mark dropped, as Windows editors write it).

    Args:
        path (str): The file.
        what (str): What the file should be, for the messages. Defaults to ``'text file'``.
        error (Callable[[str, str], Exception]): Builds the exception for an unreadable file
            from ``(path, message)``. Defaults to :class:`FileFormatError`.

    Returns:
        str: The whole text (universal newlines: CRLF files read as LF).

    Raises:
        FileNotFoundError: no such file (``'<what> not found: <path>'``).
        Exception: ``error(path, message)`` for bytes that are not UTF-8 or an unreadable file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    try:
        with open(path, encoding='utf-8-sig') as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise error(path, f'not a UTF-8 {what} ({e})') from e
    except OSError as e:
        raise error(path, f'cannot read the {what} ({e})') from e


def read_text_lines(path: str,
                    what: str = 'text file',
                    error: Callable[[str, str], Exception] = FileFormatError
                    ) -> List[Tuple[int, str]]:
    """(1-based line number, stripped line) of the non-blank lines of a UTF-8 text file; see
    :func:`read_text` for the arguments and errors."""
    lines = read_text(path, what, error).splitlines()
    return [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]


_INT_TEXT = re.compile(r'^\s*[-+]?\d+\s*$', re.ASCII)  # not '٦' or '²'


def int_field(value: Any, what: str, where: str,
              error: Callable[[str], Exception] = ValueError) -> int:
    """An integer field of an annotation entry (a label, a frame number), checked.

    Accepted: an integer (Python or numpy, not a bool), a float with an integral value (``7.0``)
    and a decimal string (``'7'``, as CSV and text files give them). Anything else (``'seven'``,
    ``7.5``, ``None``, a list) is refused instead of being truncated or failing with a bare
    ``invalid literal for int()``.

    Args:
        value: The field's value.
        what (str): The field (e.g. ``'label'``), for the message.
        where (str): The file and entry (e.g. ``'train.json: entry #3 (clip_7)'``).
        error (callable): Builds the exception from the message. Defaults to ValueError.

    Returns:
        int: The value.

    Raises:
        Exception: ``error('<where>: <what> must be an integer, got <value>')``.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and \
            float(value).is_integer():
        return int(value)
    if isinstance(value, str) and _INT_TEXT.match(value):
        return int(value)
    raise error(f'{where}: {what} must be an integer, got {value!r}')


def numeric_array(value: Any, what: str, where: str,
                  error: Callable[[str], Exception] = ValueError,
                  kinds: str = 'biuf') -> np.ndarray:
    """``np.asarray(value)`` of an annotation field, refused unless it is a regular array of
    numbers (no ragged nesting, strings, objects or complex numbers).

    Args:
        value: The field (list, tuple, array or number).
        what (str): The field (e.g. ``'athlete_box'``), for the message.
        where (str): The file and entry, for the message.
        error (callable): Builds the exception from the message. Defaults to ValueError.
        kinds (str): The accepted numpy dtype kinds. Defaults to ``'biuf'`` (bool, integers,
            floats).

    Returns:
        np.ndarray: The array, in its own dtype.

    Raises:
        Exception: ``error('<where>: <what> ...')``.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as e:  # ragged nesting
        raise error(f'{where}: {what} is not a regular array of numbers ({e})') from None
    if arr.dtype.kind not in kinds:
        raise error(f'{where}: {what} must hold numbers, got dtype {arr.dtype}')
    return arr


def read_id_list(id_list: Union[None, str, Sequence[str]]) -> Optional[List[str]]:
    """Ids as a list: None, a sequence, or a text file with one id per line.

    In a file (the authors' ``*.ids.txt``, ``--id-list`` files), surrounding white space is
    stripped and blank lines are ignored.

    Args:
        id_list (str | Sequence[str], optional): A file path or the ids.

    Returns:
        list[str] | None: The ids (None for None).

    Raises:
        FileNotFoundError: ``id_list`` is a path to no file.
        FileFormatError: the file is not UTF-8 text.
    """
    if id_list is None:
        return None
    if isinstance(id_list, str):
        return [line for _, line in read_text_lines(id_list, 'id_list file')]
    return [str(i) for i in id_list]


def pid_running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (this process included)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or unknowable: keep its files
    return True


def sweep_temporaries(folder: str,
                      bases: Union[None, Iterable[str], Callable[[str], bool]] = None,
                      dead: Optional[Callable[[str, int], bool]] = None,
                      grace_s: float = TMP_GRACE_S) -> List[str]:
    """Remove the temporaries of killed atomic writes from ``folder`` (not its sub-folders).

    Only regular files named like :func:`temporary_path` are candidates; with ``bases``, only
    temporaries of those final names (e.g. ``{'a.pkl'}`` for ``a.pkl.tmp.123``, or a predicate
    on the final name). A candidate is
    removed when ``dead(path, pid)`` says so; by default when its process is not running here
    and the file is older than ``grace_s`` seconds (:data:`TMP_GRACE_S`).

    Args:
        folder (str): A folder the job writes (missing: nothing to do).
        bases (Iterable[str] | Callable[[str], bool], optional): The final file names whose
            temporaries may go, or a predicate on the final name. Defaults to any.
        dead (Callable[[str, int], bool], optional): ``(path, pid) -> bool``, for a caller that
            knows better (e.g. the only writer of that file). Defaults to the rule above.
        grace_s (float): Age of a dead temporary under the default rule. Defaults to
            :data:`TMP_GRACE_S`.

    Returns:
        list[str]: The removed paths.
    """
    if not osp.isdir(folder):
        return []
    if bases is None:
        keep_base = None
    elif callable(bases):
        keep_base = bases
    else:
        keep_base = set(bases).__contains__
    now = time.time()

    def default_dead(path: str, pid: int) -> bool:
        try:
            age = now - os.lstat(path).st_mtime
        except FileNotFoundError:
            return False
        return not pid_running(pid) and age > grace_s

    dead = dead or default_dead
    removed = []
    with os.scandir(folder) as entries:
        for entry in entries:
            parsed = parse_temporary_name(entry.name)
            if parsed is None or not entry.is_file(follow_symlinks=False):
                continue
            base, pid = parsed
            if keep_base is not None and not keep_base(base):
                continue
            if dead(entry.path, pid):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:  # its writer renamed or removed it meanwhile
                    continue
                removed.append(entry.path)
    return sorted(removed)
