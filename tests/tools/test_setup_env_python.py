# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/setup_env.sh picks a supported Python, or refuses before installing anything.

The interpreters here are stand-in scripts that report a version (the script asks each one for
``sys.version_info``); ``--which-python`` prints the choice and changes nothing.
"""
import os
import os.path as osp
import shutil
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'setup_env.sh')


def _fake_pythons(folder, versions):
    """``folder/<name>`` scripts that print their version for ``python -c ...``."""
    os.makedirs(folder, exist_ok=True)
    for name, version in versions.items():
        path = osp.join(folder, name)
        with open(path, 'w') as f:
            f.write(f'#!/bin/sh\necho {version}\n')
        os.chmod(path, 0o755)
    os.symlink(shutil.which('dirname'), osp.join(folder, 'dirname'))  # the script's one tool
    return folder


def _run(tmp_path, bin_dir, *args, **env):
    venv = str(tmp_path / 'venv')
    proc = subprocess.run(
        ['/bin/bash', SCRIPT, *args],
        env=dict(PATH=bin_dir, HOME=str(tmp_path), VPD_MM_VENV=venv, **env),
        capture_output=True, text=True)
    assert not osp.exists(venv), 'nothing may be created'
    return proc


@pytest.mark.parametrize('versions, chosen', [
    ({'python3': '3.13', 'python3.12': '3.12'}, 'python3.12'),
    ({'python3': '3.9', 'python3.10': '3.10', 'python3.12': '3.12'}, 'python3.12'),
    ({'python3': '3.10'}, 'python3'),
    ({'python3': '3.12', 'python3.11': '3.11'}, 'python3.11'),  # the tested one first
])
def test_finds_a_supported_python(tmp_path, versions, chosen):
    bin_dir = _fake_pythons(str(tmp_path / 'bin'), versions)
    proc = _run(tmp_path, bin_dir, '--which-python')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f'{bin_dir}/{chosen} (Python {versions[chosen]})'


def test_refuses_when_none_is_supported(tmp_path):
    bin_dir = _fake_pythons(str(tmp_path / 'bin'), {'python3': '3.13', 'python3.10': '3.9'})
    proc = _run(tmp_path, bin_dir, '--tests')
    assert proc.returncode == 1
    assert 'no supported Python found (tried: python3.10 (3.9) python3 (3.13))' in proc.stderr
    assert 'PYTHON=/path/to/python3.11' in proc.stderr


def test_refuses_an_unsupported_PYTHON(tmp_path):
    bin_dir = _fake_pythons(str(tmp_path / 'bin'), {'python3': '3.11', 'py313': '3.13'})
    proc = _run(tmp_path, bin_dir, PYTHON=f'{bin_dir}/py313')
    assert proc.returncode == 1
    assert f'PYTHON={bin_dir}/py313 is Python 3.13' in proc.stderr
    assert 'needs Python 3.10, 3.11 or 3.12' in proc.stderr


def _fake_df(bin_dir, free_kb):
    """A ``df -Pk`` that reports ``free_kb`` available, and the tools the script needs up to
    the disk check."""
    with open(osp.join(bin_dir, 'df'), 'w') as f:
        f.write('#!/bin/sh\necho "Filesystem 1024-blocks Used Available Capacity Mounted on"\n'
                f'echo "/dev/x 100000000 90000000 {free_kb} 90% /"\n')
    os.chmod(osp.join(bin_dir, 'df'), 0o755)
    for tool in ('cat', 'sha256sum', 'cut', 'awk'):
        os.symlink(shutil.which(tool), osp.join(bin_dir, tool))


@pytest.mark.parametrize('free_gb, skip, refused', [
    (2, '0', True),     # too little room: refused before anything is created
    (2, '1', False),    # ... unless the check is skipped
    (50, '0', False),   # room enough
])
def test_refuses_a_new_environment_without_disk_space(tmp_path, free_gb, skip, refused):
    bin_dir = _fake_pythons(str(tmp_path / 'bin'), {'python3.11': '3.11'})
    _fake_df(bin_dir, free_gb * 1024 * 1024)
    proc = _run(tmp_path, bin_dir, '--tests', VPD_MM_SKIP_DISK_CHECK=skip)
    assert proc.returncode != 0  # the stand-in Python cannot build an environment anyway
    message = (f'a new environment needs about 7 GB free, but the filesystem of {tmp_path} '
               f'has {free_gb} GB')
    assert (message in proc.stderr) == refused, proc.stderr
    if not refused:  # it went on to create the environment
        assert f'creating {tmp_path}/venv' in proc.stdout
