# Copyright (c) vpd_mm contributors. All rights reserved.
"""A mistyped config path or a missing / malformed data file stops every tool with one line that
names it (``error: ...``), not a traceback, and writes nothing.

The tools run in-process (``runpy`` with their command line in ``sys.argv``): a subprocess per
case would cost the package's import time each.
"""
import json
import os.path as osp
import pickle
import runpy
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(tool, *args, monkeypatch, capsys):
    """Run ``tool`` as ``__main__``; returns (exit status, the error line it printed).

    The working directory is restored afterwards (a tool may change it).
    """
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [osp.join(ROOT, tool), *map(str, args)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(osp.join(ROOT, tool), run_name='__main__')
    code = exc.value.code
    if isinstance(code, str):  # raise SystemExit('error: ...'): Python prints it, status 1
        return 1, code
    lines = capsys.readouterr().err.strip().splitlines()
    return code, lines[-1] if lines else ''


#: tool -> its command line with ``{cfg}`` where the (missing) config goes
CONFIG_TOOLS = {
    'tools/fewshot.py': ['{cfg}', '--shots', '1'],
    'tools/temporal_detection.py': ['{cfg}'],
    'tools/embed_poses.py': ['{cfg}', 'w.pth', 'poses.pkl', '{tmp}/out'],
    'tools/data/filter_id_lists.py': ['{cfg}', 'ids.txt', '--out-dir', '{tmp}/out'],
    'tools/data/export_localization.py': ['ann.json', 'feats', '{tmp}/out', '--config', '{cfg}'],
    'tools/data/prepare.py': ['{cfg}'],
    'tools/data/merge.py': ['{cfg}'],
    'tools/analysis_tools/distill_learning_curve.py': [
        '--config', '{cfg}', '--data-dir', '{tmp}/data', '--work-dir', '{tmp}/out'],
    'tools/visualizations/vis_track_preview.py': [
        'video.mp4', '--prep-config', '{cfg}', '--out', '{tmp}/out/preview.png'],
}


@pytest.mark.parametrize('tool', sorted(CONFIG_TOOLS))
def test_missing_config_is_one_line_exit_2(tool, tmp_path, monkeypatch, capsys):
    cfg = str(tmp_path / 'configs' / 'bigru_sports_cpux.py')
    argv = [a.format(cfg=cfg, tmp=tmp_path) for a in CONFIG_TOOLS[tool]]
    code, line = run_tool(tool, *argv, monkeypatch=monkeypatch, capsys=capsys)
    assert (code, line) == (2, f'error: config not found: {cfg}')
    assert not (tmp_path / 'out').exists()


def test_actions_to_pose_pkl_names_a_corrupt_pose_pkl(tmp_path, monkeypatch, capsys):
    poses, actions = tmp_path / 'poses.pkl', tmp_path / 'actions.json'
    poses.write_bytes(b'garbage\n')
    actions.write_text(json.dumps({'actions': []}))
    code, line = run_tool('tools/data/actions_to_pose_pkl.py', poses, actions,
                          tmp_path / 'out.pkl', monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1 and line.startswith(f'error: {poses}: not a readable pose annotation')
    assert not (tmp_path / 'out.pkl').exists()


def test_actions_to_pose_pkl_names_a_missing_action_file(tmp_path, monkeypatch, capsys):
    poses = tmp_path / 'poses.pkl'
    with open(poses, 'wb') as f:
        pickle.dump({'split': {}, 'annotations': []}, f)
    code, line = run_tool('tools/data/actions_to_pose_pkl.py', poses, tmp_path / 'none.json',
                          tmp_path / 'out.pkl', monkeypatch=monkeypatch, capsys=capsys)
    assert (code, line) == (1, f'error: action annotation file not found: '
                            f'{tmp_path / "none.json"}')
    assert not (tmp_path / 'out.pkl').exists()


def test_import_release_masks_without_pose_annotations(tmp_path, monkeypatch, capsys):
    out_root = tmp_path / 'diving48'
    code, line = run_tool('tools/data/import_release_masks.py', out_root, '--poses',
                          tmp_path / 'release', monkeypatch=monkeypatch, capsys=capsys)
    ann = osp.join(str(out_root), 'annotations', 'diving48_pose.pkl')
    assert code == 1 and line == f"error: pose annotation file not found: '{ann}'"
    assert not (out_root / 'rawframes').exists()


@pytest.mark.parametrize('case', ['poses', 'features', 'split'])
def test_import_vpd_release_names_what_is_missing(case, tmp_path, monkeypatch, capsys):
    missing = tmp_path / 'missing'
    argv = {
        'poses': ['--poses', missing],
        'features': ['--features', f'vpd={missing}'],
        'split': ['--poses', tmp_path, '--split', f'train={missing}'],
    }[case]
    what = {'poses': 'pose folder', 'features': 'feature folder', 'split': 'id_list file'}[case]
    code, line = run_tool('tools/data/import_vpd_release.py', tmp_path / 'out', *argv,
                          monkeypatch=monkeypatch, capsys=capsys)
    assert (code, line) == (1, f'error: {what} not found: {missing}')
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('argv, message', [
    (['--fps', '0'], 'fps must be a positive number, got 0.0'),
    (['--distractors', '3', '1'], 'num_distractors (3, 1) must be a range of counts >= 0'),
    (['--videos-per-class', '0'], 'num_videos_per_class must be >= 1, got 0'),
])
def test_make_sports_corpus_rejects_arguments_before_writing(argv, message, tmp_path,
                                                             monkeypatch, capsys):
    out = tmp_path / 'corpus'
    code, line = run_tool('tools/data/make_sports_corpus.py', out, '--no-progress', *argv,
                          monkeypatch=monkeypatch, capsys=capsys)
    assert (code, line) == (2, f'error: {message}')
    assert not out.exists()


def test_make_sports_corpus_names_a_corrupt_record(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'corpus'
    out.mkdir()
    (out / 'corpus.json').write_text('{"version": 1,')
    code, line = run_tool('tools/data/make_sports_corpus.py', out, '--no-progress',
                          monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1
    assert line.startswith(f'error: {out / "corpus.json"}: not a readable JSON sports corpus')
    assert sorted(p.name for p in out.iterdir()) == ['corpus.json']  # nothing rendered
