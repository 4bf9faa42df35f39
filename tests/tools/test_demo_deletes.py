# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/run_demo.py --fresh and tools/benchmarks/gpu_check.sh delete only folders they made."""
import importlib.util
import os.path as osp
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _run_demo_module():
    spec = importlib.util.spec_from_file_location('run_demo_tool',
                                                  osp.join(ROOT, 'tools', 'run_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_demo_paths_resolve_against_the_callers_directory(tmp_path, monkeypatch):
    demo = _run_demo_module()
    monkeypatch.chdir(tmp_path)
    args = demo.parse_args(['--work-dir', 'w', '--data-dir', 'd'])
    assert args.work_dir == str(tmp_path / 'w') and args.data_dir == str(tmp_path / 'd')
    args = demo.parse_args([])
    assert args.work_dir == osp.join(ROOT, 'work_dirs', 'synthetic_benchmark')
    assert args.data_dir == osp.join(ROOT, 'data')


def test_run_demo_fresh_refuses_a_folder_it_did_not_make(tmp_path):
    demo = _run_demo_module()
    work, raw, data = tmp_path / 'work', tmp_path / 'raw', tmp_path / 'data'
    for d in (work, raw, data):
        demo.claim_dir(str(d))
    precious = tmp_path / 'mine'
    precious.mkdir()
    (precious / 'thesis.tex').write_text('years of work')
    (raw / 'corpus.json').write_text('{}')
    with pytest.raises(SystemExit, match=r'refusing to delete .*mine.*\.vpd_demo'):
        demo.fresh_start(str(precious), [str(raw), str(data)])
    # nothing deleted: neither the user's folder nor the demo's (checked before deleting)
    assert (precious / 'thesis.tex').read_text() == 'years of work'
    assert (raw / 'corpus.json').exists()
    with pytest.raises(SystemExit, match='refusing to delete'):
        demo.fresh_start(str(work), [str(raw), str(precious)])
    assert (precious / 'thesis.tex').exists() and (raw / 'corpus.json').exists()


def test_run_demo_main_fresh_refuses_before_doing_anything(tmp_path, monkeypatch):
    demo = _run_demo_module()
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'results').mkdir()
    (tmp_path / 'results' / 'keep.txt').write_text('keep')
    with pytest.raises(SystemExit, match=r'refusing to delete .*results'):
        demo.main(['--fresh', '--work-dir', 'results', '--data-dir', 'd'])
    assert (tmp_path / 'results' / 'keep.txt').exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['results']


def test_run_demo_fresh_deletes_only_the_demos_outputs(tmp_path):
    demo = _run_demo_module()
    work, raw, data = tmp_path / 'work', tmp_path / 'raw', tmp_path / 'data'
    for d in (work, raw, data):
        demo.claim_dir(str(d))
        assert (d / '.vpd_demo').is_file()
    (raw / 'videos').mkdir()
    (data / 'annotations').mkdir()
    for name in ('2dvpd', 'fewshot', 'configs'):
        (work / name).mkdir()
        (work / name / 'x').write_text('x')
    (work / 'report.md').write_text('old')
    (work / 'notes.txt').write_text('the user put this here')
    (work / 'other_run').mkdir()
    demo.fresh_start(str(work), [str(raw), str(data)])
    assert not raw.exists() and not data.exists()
    assert sorted(p.name for p in work.iterdir()) == ['.vpd_demo', 'notes.txt', 'other_run']
    # absent folders are fine; an existing, non-empty, unmarked one is used but not claimed
    demo.fresh_start(str(tmp_path / 'nothing'), [str(tmp_path / 'none')])
    (work / 'other_run' / 'f').write_text('f')
    demo.claim_dir(str(work / 'other_run'))
    assert not (work / 'other_run' / '.vpd_demo').exists()


def _gpu_check(work, cwd):
    # --python true: every python step is a no-op, so only the script's own folder logic runs
    return subprocess.run(['bash', osp.join(ROOT, 'tools', 'benchmarks', 'gpu_check.sh'),
                           '--device', 'cpu', '--python', 'true', '--work-dir', work],
                          cwd=cwd, capture_output=True, text=True)


def test_gpu_check_never_deletes_a_folder_it_did_not_make(tmp_path):
    work = tmp_path / 'results'
    work.mkdir()
    (work / 'keep.txt').write_text('keep')
    proc = _gpu_check('results', tmp_path)
    assert proc.returncode == 2
    assert 'refusing to delete --work-dir' in proc.stderr and str(work) in proc.stderr
    assert (work / 'keep.txt').read_text() == 'keep'

    # a new folder, relative to the caller's directory: made and marked
    proc = _gpu_check('new', tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'new' / '.gpu_check').is_file()
    # a rerun starts over in its own folder
    (tmp_path / 'new' / 'old.log').write_text('old')
    proc = _gpu_check(str(tmp_path / 'new'), ROOT)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in (tmp_path / 'new').iterdir()}
    assert '.gpu_check' in names and 'corpus.log' in names and 'old.log' not in names
