# Copyright (c) vpd_mm contributors. All rights reserved.
"""Configs through the ``vpd_mm::`` prefix, as a user's own project inherits them.

``pip install [-e] .`` puts the configs into ``vpd_mm/.mim/configs`` (setup.py: links for an
editable install, copies in a wheel), ``import vpd_mm`` maps the scope for mmengine, and
:mod:`vpd_mm.registry` gives the ``vpd_mm`` scope that mmengine stamps on such a base's dicts.
Here: the installed (editable) copy resolves, the result equals the config read from the
repository (but for that scope), the model builds from it, a child config trains and validates
with ``tools/train.py`` on a tiny generated corpus, and a wheel built from a copy of the sources
(without any ``vpd_mm/.mim`` in it) ships real copies that resolve the same way.
"""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm
from vpd_mm.registry import MODELS as VPD_MM_MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM = osp.join(osp.dirname(vpd_mm.__file__), '.mim')


def _strip_scope(obj):
    """``obj`` without the ``_scope_`` keys mmengine adds to the dicts of a ``pkg::`` base."""
    if isinstance(obj, dict):
        return {k: _strip_scope(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return [_strip_scope(v) for v in obj]
    return obj


def test_package_ships_configs():
    assert osp.isdir(osp.join(MIM, 'configs')), (
        f'{MIM}/configs is missing: reinstall vpd_mm (pip install -e . or tools/setup_env.sh), '
        'which links or copies configs/ and tools/ there')
    assert osp.isfile(osp.join(MIM, 'configs', 'vpd', '2dvpd_diving48.py'))
    assert osp.isfile(osp.join(MIM, 'tools', 'train.py'))
    assert osp.isfile(osp.join(MIM, 'model-index.yml'))


def test_vpd_mm_base_equals_repository_config(tmp_path):
    child = tmp_path / 'my_vpd.py'
    child.write_text("_base_ = 'vpd_mm::vpd/2dvpd_diving48.py'\n"
                     'train_dataloader = dict(batch_size=8)\n')
    cfg = Config.fromfile(str(child))
    ref = Config.fromfile(osp.join(ROOT, 'configs', 'vpd', '2dvpd_diving48.py'))
    # mmengine marks what came through 'vpd_mm::' with the vpd_mm scope
    assert cfg.model._scope_ == 'vpd_mm' and cfg.model.type == 'VPDDistiller'
    assert cfg.train_dataloader.batch_size == 8
    cfg.train_dataloader.batch_size = ref.train_dataloader.batch_size
    got, want = _strip_scope(cfg.to_dict()), _strip_scope(ref.to_dict())
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == want[key], key
    # ... and the scope builds the same modules (the vpd_mm registries fall through to mmaction's)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = VPD_MM_MODELS.build(cfg.model)
    assert type(model).__name__ == 'VPDDistiller'
    assert model.backbone.depth == ref.model.backbone.depth


def test_child_of_vpd_mm_base_trains(tmp_path):
    """tools/train.py on a config whose only base is 'vpd_mm::vpd/2dvpd_tiny_cpu.py'."""
    from vpd_mm.synthetic import make_toy_corpus
    corpus = make_toy_corpus(
        str(tmp_path / 'toy'), num_videos=3, num_frames=8, crop_size=64, seed=2, progress=False)
    child = tmp_path / 'my_tiny.py'
    paths = dict(ann_file=corpus['ann_file'], data_prefix=dict(img=corpus['rawframes']))
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=paths)
    child.write_text("_base_ = 'vpd_mm::vpd/2dvpd_tiny_cpu.py'\n"
                     f'train_dataloader = {loader!r}\n'
                     f'val_dataloader = {loader!r}\n'
                     f'test_dataloader = {loader!r}\n'
                     'train_cfg = dict(max_iters=3, val_interval=3)\n'
                     'default_hooks = dict(logger=dict(interval=1), '
                     'checkpoint=dict(interval=3))\n')
    work_dir = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', str(child), '--work-dir', str(work_dir)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONWARNINGS='ignore'),
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert osp.isfile(work_dir / 'iter_3.pth')
    records = []
    for path in glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json')):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    assert [r['step'] for r in records if 'loss_pose' in r] == [1, 2, 3]
    assert any('vpd/total_mse' in r for r in records)


@pytest.mark.parametrize('config', ['preparation/synthetic_sports.py', 'vipe/vipe_synthetic.py'])
def test_other_families_resolve(tmp_path, config):
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = 'vpd_mm::{config}'\n")
    cfg = Config.fromfile(str(child))
    ref = Config.fromfile(osp.join(ROOT, 'configs', config))
    assert _strip_scope(cfg.to_dict()) == _strip_scope(ref.to_dict())


def _copy_sources(dst: str) -> None:
    """What an sdist of vpd_mm holds (MANIFEST.in), without ``vpd_mm/.mim`` or caches."""
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in ('setup.py', 'README.md', 'MANIFEST.in'):
        shutil.copy(osp.join(ROOT, name), dst)
    for name in ('requirements', 'configs', 'tools', 'vpd_mm'):
        shutil.copytree(osp.join(ROOT, name), osp.join(dst, name), ignore=ignore)


def test_wheel_ships_configs_as_files(tmp_path):
    """A non-editable install: ``pip wheel`` of the sources, unpacked and imported from there."""
    src, wheels, site = tmp_path / 'src', tmp_path / 'wheels', tmp_path / 'site'
    src.mkdir()
    _copy_sources(str(src))
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation',
         '--disable-pip-version-check', '-w', str(wheels), str(src)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel, ) = glob.glob(str(wheels / 'vpd_mm-*.whl'))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(site)
    # every config and tool of the repository, as a regular file with the same bytes
    for folder in ('configs', 'tools'):
        for path in glob.glob(osp.join(ROOT, folder, '**', '*.py'), recursive=True):
            rel = osp.relpath(path, ROOT)
            assert f'vpd_mm/.mim/{rel}' in names, rel
    copied = site / 'vpd_mm' / '.mim' / 'configs' / 'vpd' / '2dvpd_diving48.py'
    assert not osp.islink(copied)
    with open(copied, 'rb') as a, open(osp.join(ROOT, 'configs/vpd/2dvpd_diving48.py'), 'rb') as b:
        assert a.read() == b.read()
    assert 'vpd_mm/.mim/model-index.yml' in names
    assert not any(n.endswith('.pyc') or '__pycache__' in n for n in names)
    # a user's config inherits through vpd_mm:: from the unpacked wheel (not the repository)
    child = tmp_path / 'mine.py'
    child.write_text("_base_ = 'vpd_mm::vpd/2dvpd_diving48.py'\n"
                     'optim_wrapper = dict(optimizer=dict(lr=0.5))\n')
    script = ('import vpd_mm, sys\n'
              'from mmengine.config import Config\n'
              'cfg = Config.fromfile(sys.argv[1])\n'
              'print(vpd_mm.__file__)\n'
              'print(cfg.model.type, cfg.model.backbone.depth, cfg.optim_wrapper.optimizer.lr)\n')
    proc = subprocess.run(
        [sys.executable, '-c', script, str(child)], cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=str(site), PYTHONWARNINGS='ignore'),
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    where, built = proc.stdout.strip().splitlines()[-2:]
    assert where == str(site / 'vpd_mm' / '__init__.py')
    ref = Config.fromfile(osp.join(ROOT, 'configs', 'vpd', '2dvpd_diving48.py'))
    assert built == f'VPDDistiller {ref.model.backbone.depth} 0.5'


def test_editable_build_links_configs(tmp_path):
    """``pip install -e``'s build step (PEP 660 ``build_editable``) links configs/ and tools/."""
    src = tmp_path / 'src'
    src.mkdir()
    _copy_sources(str(src))
    assert not osp.exists(src / 'vpd_mm' / '.mim')
    proc = subprocess.run(
        [sys.executable, '-c',
         'import sys; from setuptools import build_meta; build_meta.build_editable(sys.argv[1])',
         str(tmp_path / 'wheel')],
        cwd=str(src), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    mim = src / 'vpd_mm' / '.mim'
    for name in ('configs', 'tools'):
        assert osp.islink(mim / name)
        assert osp.realpath(mim / name) == osp.realpath(src / name)
    assert osp.isfile(mim / 'configs' / 'vpd' / '2dvpd_diving48.py')
    assert osp.isfile(mim / 'model-index.yml')
