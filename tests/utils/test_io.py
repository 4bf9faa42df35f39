# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm.utils.io: atomic writes leave no temporary on failure; dead temporaries are swept."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from vpd_mm.utils.io import (atomic_path, dump_json_atomic, parse_temporary_name, pid_running,
                             save_npy_atomic, sweep_temporaries, temporary_path)


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
