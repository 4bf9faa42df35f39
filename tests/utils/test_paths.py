# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm.utils.paths: names from files as path components, deletion confined to a root."""
import os
import os.path as osp

import numpy as np
import pytest

from vpd_mm.utils.io import dump_json_atomic, dump_pickle_atomic, save_npy_atomic
from vpd_mm.utils.paths import (DERIVED_SUFFIXES, MAX_NAME_BYTES, MAX_PLAIN_NAME_BYTES,
                                UnsafePathError, check_path_component, is_inside, join_under,
                                remove_under)

REFUSED = {
    '': 'is empty',
    '/abs/dir': 'absolute path',
    '\\\\server\\share': 'absolute path',
    '../../dir': 'path separator',
    'a/b': 'path separator',
    'a\\b': 'path separator',
    '.': 'relative path',
    '..': 'relative path',
    '.tmp_video': 'starts with a dot',
    'nul\x00byte': "control character '\\x00'",
    'new\nline': 'control character',
    'del\x7f': 'control character',
    'x' * 256: '256 bytes long',
    'é' * 128: '256 bytes long',
    # too long for <name>.npy.tmp.<pid>.npy and the like: 80 CJK characters are 240 bytes
    'x' * 225: 'is 225 bytes long (at most 224: the files named after it',
    '名' * 80: 'is 240 bytes long (at most 224',
    '\udc80': 'not valid unicode',
}


@pytest.mark.parametrize('name', sorted(REFUSED))
def test_refused_names_say_where_and_why(name):
    with pytest.raises(UnsafePathError) as e:
        check_path_component(name, 'video name', 'ann.json: entry #3')
    msg = str(e.value)
    assert msg.startswith(f'ann.json: entry #3: video name {name!r} ')
    assert REFUSED[name] in msg


@pytest.mark.parametrize('name', ['a_run', '-mmq0PT-u8k_00155', 'S001C001P001R001A001',
                                  'a..b', 'x.mp4', '名前', 'with space', 'x' * 224,
                                  '名' * 74 + 'ab'])
def test_plain_names_pass(name):
    assert check_path_component(name) == name


def test_non_strings_are_refused():
    with pytest.raises(UnsafePathError, match='is a int, not a string'):
        check_path_component(3, 'frame_dir')


def test_join_under(tmp_path):
    root = str(tmp_path / 'root')
    assert join_under(root, 'a', suffix='.pkl') == osp.join(root, 'a.pkl')
    assert join_under(root, 'a', prefix='.tmp_') == osp.join(root, '.tmp_a')
    assert join_under(root, '2018', 'a.mp4') == osp.join(root, '2018', 'a.mp4')
    for bad in (('..', 'x'), ('a', '../x'), ('/etc',)):
        with pytest.raises(UnsafePathError):
            join_under(root, *bad)
    with pytest.raises(UnsafePathError, match='is 252 bytes long'):
        join_under(root, 'x' * 252, suffix='.json')
    with pytest.raises(UnsafePathError, match='longer than 255'):
        join_under(root, 'x' * 220, suffix='.' + 'y' * 40)
    # a file that is only read may have a name of up to 255 bytes
    long_file = 'x' * 251 + '.mp4'
    assert join_under(root, 'sub', long_file, max_bytes=MAX_NAME_BYTES,
                      resolve=False) == osp.join(root, 'sub', long_file)
    with pytest.raises(UnsafePathError, match='is 255 bytes long'):
        join_under(root, 'sub', long_file)


def test_symlinks_out_of_the_root(tmp_path):
    root, outside = tmp_path / 'root', tmp_path / 'outside'
    (outside / 'deep').mkdir(parents=True)
    root.mkdir()
    os.symlink(outside, root / 'link')
    # a path through a link that leaves the root is refused, the link itself is inside
    with pytest.raises(UnsafePathError, match='not inside'):
        join_under(str(root), 'link', 'deep')
    assert is_inside(str(root / 'link'), str(root))
    # a path only read may go through a linked sub-folder (names still checked)
    assert join_under(str(root), 'link', 'deep', resolve=False) == str(root / 'link' / 'deep')
    with pytest.raises(UnsafePathError):
        join_under(str(root), 'link', '..', resolve=False)
    # a root that is itself a link (data on another disk) is fine
    os.symlink(outside, tmp_path / 'alias')
    assert join_under(str(tmp_path / 'alias'), 'deep') == str(tmp_path / 'alias' / 'deep')


def test_remove_under_never_leaves_the_root(tmp_path):
    root, victim = tmp_path / 'root', tmp_path / 'victim'
    (root / 'tree' / 'sub').mkdir(parents=True)
    victim.mkdir()
    (victim / 'keep.txt').write_text('x')
    (root / 'tree' / 'sub' / 'f').write_text('x')
    os.symlink(victim, root / 'tree' / 'to_victim')
    os.symlink(victim, root / 'link')
    for path in (str(victim), str(root / '..' / 'victim'), str(root)):
        with pytest.raises(UnsafePathError, match='refusing to delete'):
            remove_under(path, str(root))
    assert remove_under(str(root / 'link'), str(root))  # the link, not its target
    assert remove_under(str(root / 'tree'), str(root))  # links inside are not followed
    assert not remove_under(str(root / 'missing'), str(root))
    assert os.listdir(root) == [] and os.listdir(victim) == ['keep.txt']


def test_files_named_after_the_longest_name_can_be_written(tmp_path, monkeypatch):
    """Every file vpd_mm derives from a name of :data:`MAX_PLAIN_NAME_BYTES` bytes fits in a file
    name, temporaries of the atomic writers included (with a 10-digit process id); one byte more
    is refused (a 240-byte name used to fail as ``<name>.pkl.tmp.<pid>``, File name too long)."""
    assert MAX_PLAIN_NAME_BYTES == MAX_NAME_BYTES - max(len(s.encode()) for s in DERIVED_SUFFIXES)
    name = '名' * 74 + 'ab'  # 224 bytes
    assert len(name.encode()) == MAX_PLAIN_NAME_BYTES
    os.makedirs(tmp_path / 'derived')
    for suffix in DERIVED_SUFFIXES:
        with open(join_under(str(tmp_path / 'derived'), name) + suffix, 'wb'):
            pass
    assert len(os.listdir(tmp_path / 'derived')) == len(DERIVED_SUFFIXES)
    root = str(tmp_path / 'written')
    monkeypatch.setattr(os, 'getpid', lambda: 4294967295)  # the longest pid of a temporary
    save_npy_atomic(join_under(root, name, suffix='.npy'), np.zeros(2))
    suffixes = ('.pkl', '.json', '_pose.pkl', '_neighbours.json')
    for suffix in suffixes:
        write = dump_pickle_atomic if suffix.endswith('.pkl') else dump_json_atomic
        write([1], join_under(root, name, suffix=suffix))
    assert sorted(os.listdir(root)) == sorted(name + s for s in suffixes + ('.npy', ))
    longer = name + 'c'
    with pytest.raises(UnsafePathError, match='is 225 bytes long'):
        join_under(root, longer, suffix='.pkl')
    with pytest.raises(OSError):  # what the check prevents
        open(osp.join(root, longer + max(DERIVED_SUFFIXES, key=len)), 'wb')
