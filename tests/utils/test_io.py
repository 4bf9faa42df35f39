# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm.utils.io: atomic writes leave no temporary on failure; dead temporaries are swept;
the one JSON loader and id-list reader."""
import gzip
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from vpd_mm.utils.io import (FileFormatError, atomic_path, dump_json_atomic, dump_pickle_atomic,
                             int_field, load_json, parse_temporary_name, pid_running, read_id_list,
                             read_text_lines, save_npy_atomic, sweep_temporaries, temporary_path)


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_names():
    assert temporary_path('/a/b.pkl') == f'/a/b.pkl.tmp.{os.getpid()}'
    assert temporary_path('b', '.npy') == f'b.tmp.{os.getpid()}.npy'
    assert parse_temporary_name('b.pkl.tmp.123') == ('b.pkl', 123)
    assert parse_temporary_name('v.npy.tmp.7.npy') == ('v.npy', 7)
    for other in ('b.pkl', 'b.tmp', 'notes.tmp.txt', '.tmp_video', 'a.tmp.x1', 'a.tmp.1.'):
        assert parse_temporary_name(other) is None, other


def test_failed_writes_leave_nothing(tmp_path):
    path = str(tmp_path / 'x.json')
    with pytest.raises(TypeError):
        dump_json_atomic(dict(a=object()), path)
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(str(tmp_path / 'y.pkl')) as tmp:
            open(tmp, 'w').close()
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []
    dump_json_atomic(dict(a=1), path)
    save_npy_atomic(str(tmp_path / 'z.npy'), np.zeros(2))
    assert sorted(os.listdir(tmp_path)) == ['x.json', 'z.npy']
    assert json.loads(open(path).read()) == dict(a=1)


def test_atomic_writers_create_the_folder(tmp_path):
    dump_json_atomic([1, 2], str(tmp_path / 'a' / 'b' / 'x.json'))
    save_npy_atomic(str(tmp_path / 'c' / 'z.npy'), np.arange(3))
    assert json.loads((tmp_path / 'a' / 'b' / 'x.json').read_text()) == [1, 2]
    np.testing.assert_array_equal(np.load(tmp_path / 'c' / 'z.npy'), [0, 1, 2])
    assert os.listdir(tmp_path / 'c') == ['z.npy']


def test_pid_running():
    assert pid_running(os.getpid()) and pid_running(os.getppid())
    assert not pid_running(_dead_pid())


def test_sweep_rules(tmp_path):
    dead = _dead_pid()
    names = {
        f'a.pkl.tmp.{dead}': True,  # dead and old: swept
        f'v.npy.tmp.{dead}.npy': True,
        f'a.pkl.tmp.{os.getppid()}': False,  # its process runs
        f'a.pkl.tmp.{os.getpid()}': False,  # ours
        'a.pkl': False,  # a final file
        'notes.tmp.txt': False,  # another pattern
    }
    for n in names:
        (tmp_path / n).write_text('x')
        os.utime(tmp_path / n, (1e9, 1e9))
    (tmp_path / f'recent.pkl.tmp.{dead}').write_text('x')  # maybe another machine's writer
    (tmp_path / f'dir.tmp.{dead}').mkdir()  # not a file
    os.utime(tmp_path / f'dir.tmp.{dead}', (1e9, 1e9))
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / f'a.pkl.tmp.{dead}').write_text('x')  # not this folder
    os.utime(tmp_path / 'sub' / f'a.pkl.tmp.{dead}', (1e9, 1e9))
    # restricted to other final names: nothing
    assert sweep_temporaries(str(tmp_path), bases={'b.pkl'}) == []
    removed = sweep_temporaries(str(tmp_path), bases=lambda base: base != 'v.npy')
    assert removed == [str(tmp_path / f'a.pkl.tmp.{dead}')]
    removed = sweep_temporaries(str(tmp_path))
    assert removed == [str(tmp_path / f'v.npy.tmp.{dead}.npy')]
    left = set(os.listdir(tmp_path))
    assert left == {n for n, gone in names.items() if not gone} | {
        f'recent.pkl.tmp.{dead}', f'dir.tmp.{dead}', 'sub'}
    # a caller that knows it is the only writer sweeps any age, any pid
    removed = sweep_temporaries(str(tmp_path), {'recent.pkl'}, dead=lambda path, pid: True)
    assert removed == [str(tmp_path / f'recent.pkl.tmp.{dead}')]
    assert sweep_temporaries(str(tmp_path / 'missing')) == []


def test_dump_pickle_atomic(tmp_path):
    path = str(tmp_path / 'new' / 'a.pkl')  # the folder is created
    dump_pickle_atomic(dict(x=np.arange(3)), path)
    with open(path, 'rb') as f:
        np.testing.assert_array_equal(pickle.load(f)['x'], [0, 1, 2])
    with pytest.raises(Exception):
        dump_pickle_atomic(dict(f=lambda: 0), path)  # not picklable: the old file stays
    with open(path, 'rb') as f:
        assert list(pickle.load(f)) == ['x']
    assert os.listdir(tmp_path / 'new') == ['a.pkl']


def test_load_json(tmp_path):
    (tmp_path / 'a.json').write_text('{"a": [1, 2]}')
    with gzip.open(tmp_path / 'b.json.gz', 'wt') as f:
        json.dump([3], f)
    assert load_json(str(tmp_path / 'a.json')) == dict(a=[1, 2])
    assert load_json(str(tmp_path / 'b.json.gz')) == [3]
    (tmp_path / 'bom.json').write_bytes('\ufeff{"b": 1}'.encode('utf-8'))  # a Windows editor's
    assert load_json(str(tmp_path / 'bom.json')) == dict(b=1)
    with pytest.raises(FileNotFoundError, match=r'label file not found: .*nope\.json'):
        load_json(str(tmp_path / 'nope.json'), 'label file')
    (tmp_path / 'bad.json').write_text('{"a": ')
    with pytest.raises(FileFormatError, match=r'bad\.json: not a readable JSON vocabulary') as e:
        load_json(str(tmp_path / 'bad.json'), 'vocabulary')
    assert e.value.path == str(tmp_path / 'bad.json')
    (tmp_path / 'cut.json.gz').write_bytes(gzip.compress(b'[1, 2, 3]')[:-6])
    with pytest.raises(FileFormatError, match=r'cut\.json\.gz: truncated or corrupt gzip'):
        load_json(str(tmp_path / 'cut.json.gz'))

    class MyError(ValueError):
        pass

    with pytest.raises(MyError, match=r'bad\.json.*not valid JSON'):
        load_json(str(tmp_path / 'bad.json'), error=lambda p, m: MyError(f'{p}: {m}'))
    # a key given twice, at any depth (json would keep the last silently); distinct keys pass
    (tmp_path / 'dup.json').write_text('[{"id": 1, "label": 2}, {"id": 3, "id": 4}]')
    with pytest.raises(FileFormatError, match=r"dup\.json: .*the key 'id' twice"):
        load_json(str(tmp_path / 'dup.json'), 'annotation file')
    (tmp_path / 'nest.json').write_text('{"a": {"a": {"a": 1}}}')
    assert load_json(str(tmp_path / 'nest.json')) == dict(a=dict(a=dict(a=1)))
    # nesting deeper than the parser's recursion limit: a named error, not a RecursionError
    (tmp_path / 'deep.json').write_text('[' * 200_000 + ']' * 200_000)
    with pytest.raises(FileFormatError, match=r'deep\.json: .*nested too deeply'):
        load_json(str(tmp_path / 'deep.json'))


def test_read_id_list(tmp_path):
    assert read_id_list(None) is None
    assert read_id_list(['a', 3]) == ['a', '3']
    (tmp_path / 'ids.txt').write_text(' a \n\nb\n  \n')
    assert read_id_list(str(tmp_path / 'ids.txt')) == ['a', 'b']
    with pytest.raises(FileNotFoundError, match=r'nope\.txt'):
        read_id_list(str(tmp_path / 'nope.txt'))


def test_one_id_list_reader_everywhere():
    """The datasets, the release import and the few-shot tools share this reader."""
    from vpd_mm.datasets import read_id_list as datasets_reader
    from vpd_mm.preparation.release import read_id_list as release_reader
    assert datasets_reader is read_id_list and release_reader is read_id_list


def test_read_text_lines_bom_crlf_and_bad_bytes(tmp_path):
    path = tmp_path / 'ids.txt'
    path.write_bytes('\ufeffa_1\r\n\r\n  b_2 \r\nc\n'.encode('utf-8'))
    assert read_text_lines(str(path)) == [(1, 'a_1'), (3, 'b_2'), (4, 'c')]
    assert read_id_list(str(path)) == ['a_1', 'b_2', 'c']
    bad = tmp_path / 'latin1.txt'
    bad.write_bytes('caf\xe9\n'.encode('latin-1'))
    with pytest.raises(FileFormatError, match=r'latin1\.txt: not a UTF-8 id_list file'):
        read_id_list(str(bad))
    with pytest.raises(FileNotFoundError, match='label file not found'):
        read_text_lines(str(tmp_path / 'none.txt'), 'label file')


def test_int_field_takes_ascii_decimal_text_only():
    assert int_field(' 7 ', 'label', 'a.txt:3') == 7
    assert int_field(np.int64(-2), 'label', 'a.txt:3') == -2
    for bad in ('\u0666', '\u00b2', '7.5', True, 7.5, float('nan'), None):
        with pytest.raises(ValueError, match=r'a\.txt:3: label must be an integer'):
            int_field(bad, 'label', 'a.txt:3')
