# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm.utils.paths: names from files as path components, deletion confined to a root."""
import os
import os.path as osp

import pytest

from vpd_mm.utils.paths import (UnsafePathError, check_path_component, is_inside, join_under,
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
                                  'a..b', 'x.mp4', '名前', 'with space', 'x' * 255])
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
    with pytest.raises(UnsafePathError, match='longer than 255'):
        join_under(root, 'x' * 252, suffix='.json')


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
