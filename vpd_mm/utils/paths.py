# Copyright (c) vpd_mm contributors. All rights reserved.
"""Names from files becoming paths: the one check every writer and deleter goes through.

Video names, ``frame_dir`` values and other ids read from annotation files end up as file and
folder names (``rawframes/<video>/``, ``work/pose/<video>.pkl``, ``<out_dir>/<frame_dir>.npy``).
A hostile or broken entry (``"/home/user"``, ``"../../data"``, ``""``) must never become a path
that escapes its output root, since the preparation pipeline deletes left-overs of interrupted
runs under those names. :func:`check_path_component` accepts a name only if it is one plain file
name; :func:`join_under` joins checked names to a root and verifies the result lies inside it;
:func:`remove_under` deletes only inside a root and never follows a symbolic link.
"""
import os
import os.path as osp
import shutil
from typing import Optional

#: Longest file name most file systems accept, in bytes.
MAX_NAME_BYTES = 255
#: The longest suffixes vpd_mm adds to a checked name to make a file name, temporaries of the
#: atomic writers (:func:`vpd_mm.utils.io.temporary_path`) included, with a process id of 10
#: digits (the most :data:`vpd_mm.utils.io.TMP_NAME` accepts).
DERIVED_SUFFIXES = (
    '.pkl.tmp.4294967295',  # work/pose/<video>.pkl (tools/data/prepare.py)
    '.json.tmp.4294967295',  # work/skipped/<video>.json (tools/data/prepare.py)
    '.npy.tmp.4294967295.npy',  # <out_dir>/<frame_dir>.npy (features, embeddings, scores)
    '_pose.pkl.tmp.4294967295',  # annotations/<video>_pose.pkl (inference on one video)
    '_neighbours.json.tmp.4294967295',  # <out_dir>/<video>_neighbours.json (the demo)
)
#: Bytes a name must leave free for :data:`DERIVED_SUFFIXES`.
DERIVED_SUFFIX_BYTES = max(len(os.fsencode(s)) for s in DERIVED_SUFFIXES)
#: Longest name :func:`check_path_component` accepts, in bytes (``os.fsencode``): every file
#: name derived from it still fits in :data:`MAX_NAME_BYTES`.
MAX_PLAIN_NAME_BYTES = MAX_NAME_BYTES - DERIVED_SUFFIX_BYTES


class UnsafePathError(ValueError):
    """A name that cannot safely be a file name, or a path outside its root.

    The message names where the value came from (file and entry, when known), the value and
    the reason.
    """


#: The placeholder a config's output path may hold for the runner's work_dir (resolved at run
#: time by :class:`vpd_mm.engine.hooks.WorkDirOutputsHook`, after ``--work-dir``).
WORK_DIR = '{work_dir}'


def _fail(name, what: str, reason: str, where: Optional[str], plain: bool = True) -> None:
    prefix = f'{where}: ' if where else ''
    rule = ('; it becomes a file name, so it must be one plain name (no "/", "\\", "..", leading '
            'dot or control character)') if plain else ''
    raise UnsafePathError(f'{prefix}{what} {name!r} {reason}{rule}')


def check_path_component(name: str,
                         what: str = 'name',
                         where: Optional[str] = None,
                         max_bytes: int = MAX_PLAIN_NAME_BYTES) -> str:
    """Check that ``name`` is one plain file name and return it.

    Refused: non-strings, the empty string, absolute paths, path separators (``/`` and ``\\``),
    ``.`` and ``..``, names starting with a dot (hidden; ``.tmp_*`` is how the pipeline marks
    unfinished folders), NUL and other control characters, and names longer than ``max_bytes``
    bytes (``os.fsencode``). The default, :data:`MAX_PLAIN_NAME_BYTES`, leaves room for the
    longest suffix vpd_mm adds to a name (:data:`DERIVED_SUFFIXES`, e.g.
    ``<name>.npy.tmp.<pid>.npy``), so that no file named after it is longer than the
    :data:`MAX_NAME_BYTES` file systems accept (80 CJK characters, 3 bytes each, are too many).

    Args:
        name (str): The candidate (e.g. a video name from an annotation file).
        what (str): What the value is, for the message (e.g. ``'video name'``). Defaults to
            ``'name'``.
        where (str, optional): Where it came from, for the message (e.g.
            ``'ann.json: videos[3]'``). Defaults to None.
        max_bytes (int): Longest name accepted, in bytes. Defaults to
            :data:`MAX_PLAIN_NAME_BYTES`; :data:`MAX_NAME_BYTES` for the name of an existing
            file that is only read.

    Returns:
        str: ``name``, unchanged.

    Raises:
        UnsafePathError: with ``where``, the value and the reason.
    """
    if not isinstance(name, str):
        _fail(name, what, f'is a {type(name).__name__}, not a string', where)
    if not name:
        _fail(name, what, 'is empty', where)
    if osp.isabs(name) or name.startswith(('/', '\\')):
        _fail(name, what, 'is an absolute path', where)
    if '/' in name or '\\' in name or (os.altsep and os.altsep in name):
        _fail(name, what, 'contains a path separator', where)
    if name in ('.', '..'):
        _fail(name, what, 'is a relative path', where)
    if name.startswith('.'):
        _fail(name, what, 'starts with a dot', where)
    bad = [c for c in name if ord(c) < 32 or ord(c) == 127]
    if bad:
        _fail(name, what, f'contains the control character {bad[0]!r}', where)
    try:
        name.encode('utf-8')
        size = len(os.fsencode(name))
    except UnicodeEncodeError:
        _fail(name, what, 'is not valid unicode', where)
    if size > max_bytes:
        if max_bytes >= MAX_NAME_BYTES:
            why = f'is {size} bytes long (at most {max_bytes})'
        else:
            why = (f'is {size} bytes long (at most {max_bytes}: the files named after it, up '
                   f'to {MAX_NAME_BYTES - max_bytes} bytes longer, e.g. <name>.npy.tmp.<pid>.npy, '
                   f'must fit in the {MAX_NAME_BYTES} bytes a file name may have); use a shorter '
                   'name')
        _fail(name, what, why, where, plain=False)
    return name


def is_inside(path: str, root: str) -> bool:
    """Whether ``path`` lies strictly inside ``root``, after resolving the symbolic links of
    both *except the last component of* ``path`` (a link inside ``root`` is inside)."""
    real_root = osp.realpath(root)
    parent = osp.realpath(osp.dirname(osp.abspath(path)))
    base = osp.basename(osp.abspath(path))
    if not base or base in ('.', '..'):
        return False
    return osp.commonpath([real_root, parent]) == real_root


def join_under(root: str,
               *names: str,
               what: str = 'name',
               where: Optional[str] = None,
               prefix: str = '',
               suffix: str = '',
               resolve: bool = True,
               max_bytes: int = MAX_PLAIN_NAME_BYTES) -> str:
    """``osp.join(root, *names)`` once every name is checked and the result lies in ``root``.

    Args:
        root (str): The folder the result must stay in (need not exist yet).
        *names (str): Path components, each checked with :func:`check_path_component` (several
            for a sub-folder path such as ``('skating', 'program_001.mp4')``).
        what (str): What the names are, for the message. Defaults to ``'name'``.
        where (str, optional): Where they came from, for the message. Defaults to None.
        prefix (str): Added before the last name once it is checked (e.g. ``'.tmp_'``).
            Defaults to ''.
        suffix (str): Added after the last name once it is checked (e.g. ``'.npy'``).
            Defaults to ''.
        resolve (bool): Also resolve the symbolic links on the way (all but the last
            component) and check that the result is still inside ``root``; without it the
            check is by name only, which lets a path to *read* pass through a linked
            sub-folder. Defaults to True (for every path written or deleted).
        max_bytes (int): Longest name accepted (:func:`check_path_component`). Defaults to
            :data:`MAX_PLAIN_NAME_BYTES`; :data:`MAX_NAME_BYTES` for an existing file that is
            only read.

    Returns:
        str: The joined path.

    Raises:
        UnsafePathError: a name is unsafe, the last component with its prefix and suffix is too
            long, or (through a symbolic link) the result is not inside ``root``.
    """
    if not names:
        raise ValueError('join_under needs at least one name')
    for name in names:
        check_path_component(name, what, where, max_bytes)
    last = prefix + names[-1] + suffix
    if len(os.fsencode(last)) > MAX_NAME_BYTES:
        reason = f'makes the file name {last!r} longer than {MAX_NAME_BYTES} bytes'
        _fail(names[-1], what, reason, where, plain=False)
    path = osp.join(root, *names[:-1], last)
    if resolve and not is_inside(path, root):
        prefix_where = f'{where}: ' if where else ''
        raise UnsafePathError(f'{prefix_where}{what} {"/".join(names)!r} leads to {path}, which '
                              f'is not inside {root} (a symbolic link on the way?)')
    return path


def remove_under(path: str, root: str) -> bool:
    """Delete ``path`` (a file, a folder tree, or a symbolic link itself) if it lies in ``root``.

    A symbolic link is unlinked, never followed; a folder tree is removed with
    :func:`shutil.rmtree`, which does not follow the links inside it either.

    Args:
        path (str): What to delete.
        root (str): The folder it must be inside.

    Returns:
        bool: Whether something was deleted (False: nothing at ``path``).

    Raises:
        UnsafePathError: ``path`` is not inside ``root``; nothing is deleted.
    """
    if not is_inside(path, root):
        raise UnsafePathError(f'refusing to delete {path}: it is not inside {root}')
    if osp.islink(path) or osp.isfile(path):
        os.unlink(path)
        return True
    if osp.isdir(path):
        shutil.rmtree(path)
        return True
    if osp.lexists(path):  # a socket, a fifo
        os.unlink(path)
        return True
    return False


def output_path_problem(path: str, folder: bool) -> Optional[str]:
    """Why an output cannot be written at ``path`` (None if it can): a folder (``folder``) or
    a file whose nearest existing parent is a writable folder. Tools check their outputs with
    it before any long computation, so a file in the way stops them at once.

    Args:
        path (str): The output folder or file.
        folder (bool): Whether ``path`` is a folder.

    Returns:
        str | None: The problem (``'not a folder'``, ``'is a folder'``, ``'not writable'``,
        ``'<parent> is not a folder'``, ``'<parent> is not writable'``), or None.
    """
    if osp.exists(path):
        if osp.isdir(path) != folder:
            return 'not a folder' if folder else 'is a folder'
        if folder:
            return None if os.access(path, os.W_OK | os.X_OK) else 'not writable'
    parent = osp.dirname(osp.abspath(path))
    while not osp.exists(parent):  # the nearest existing folder above is created into
        parent = osp.dirname(parent)
    if not osp.isdir(parent):
        return f'{parent} is not a folder'
    return None if os.access(parent, os.W_OK | os.X_OK) else f'{parent} is not writable'
