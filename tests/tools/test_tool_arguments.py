# Copyright (c) vpd_mm contributors. All rights reserved.
"""Arguments the evaluation tools cannot use stop them with one line (``error: ...`` on stderr,
or argparse's own message), exit status 2 and no traceback, before anything is computed or
written: tools/fewshot.py, tools/retrieval.py, tools/temporal_detection.py and
tools/visualizations/vis_retrieval_strip.py, on tiny generated data. The tools run in this
process (their ``main`` with a command line)."""
import importlib.util
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch

import vpd_mm  # noqa: F401
from vpd_mm.apis import temporal_detection as td
from vpd_mm.apis.fewshot import read_id_list_file
from vpd_mm.apis.retrieval import check_view, dtw_retrieval, select_view
from vpd_mm.synthetic import make_uncut_features
from vpd_mm.utils import FileFormatError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DTWNN = osp.join(ROOT, 'configs', 'recognition', 'dtwnn_tiny_cpu.py')
DETECTION = osp.join(ROOT, 'configs', 'temporal_detection', 'bigru_tiny_cpu.py')
_TOOLS = {}


def tool(path):
    """The tool's module (loaded once)."""
    if path not in _TOOLS:
        name = 'args_' + re.sub(r'\W', '_', path)
        spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _TOOLS[path] = module
    return _TOOLS[path]


def run_main(path, argv, capsys):
    """(exit status, the last line on stderr) of a tool's ``main`` that stops.

    ``raise SystemExit('error: ...')`` (the tools' file errors) is status 1 with that line;
    argparse's ``PROG: error: ...`` after its usage lines is returned as ``usage error: ...``."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        tool(path).main([str(a) for a in argv])
    code = exc.value.code
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    if isinstance(code, str):
        return 1, code
    lines = err.strip().splitlines()
    line = lines[-1] if lines else ''
    if err.startswith('usage:'):
        line = re.sub(r'^\S+: error: ', 'usage error: ', line)
    return code, line


def _never(*args, **kwargs):
    raise AssertionError('called although the arguments were refused')


# ------------------------------------------------------------------------------- few-shot
@pytest.fixture
def fewshot_data(tmp_path):
    """3 classes x (4 train + 2 test) actions of [T, 2, 4] features, and the --cfg-options."""
    rng = np.random.default_rng(0)
    fdir = tmp_path / 'features'
    fdir.mkdir()
    ann = dict(dataset='toyargs', classes=['a', 'b', 'c'], videos={}, actions=[])
    for c in range(3):
        for i in range(6):
            vid, split = f'v{c}_{i}', 'train' if i < 4 else 'test'
            feats = (c + 0.1 * rng.normal(size=(5, 2, 4))).astype(np.float32)
            np.save(fdir / f'{vid}.npy', feats)
            ann['videos'][vid] = dict(fps=25.0, num_frames=5, split=split)
            ann['actions'].append(dict(id=vid, video=vid, start_frame=0, end_frame=5, label=c,
                                       split=split))
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    opts = ['--cfg-options']
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.dataset.ann_file={path}',
                 f'{loader}_dataloader.dataset.feature_dir={fdir}']
    return dict(ann=ann, ann_file=path, opts=opts, work=tmp_path / 'work')


@pytest.mark.parametrize('argv, message', [
    (['--shots', '0'], "--shots: shots must be positive integers or 'all', got '0'"),
    (['--shots', '4', 'foo'], "--shots: shots must be positive integers or 'all', got 'foo'"),
    (['--subsets', '0'], '--subsets must be >= 1, got 0'),
    (['--steps', '0'], '--steps must be >= 1, got 0'),
    (['--jobs', '0'], '--jobs must be >= 1, got 0'),
    (['--threads', '0'], '--threads must be >= 1, got 0'),
    (['--threads', '-1'], '--threads must be >= 1, got -1'),
])
def test_fewshot_refuses_arguments(argv, message, fewshot_data, capsys):
    code, line = run_main('tools/fewshot.py', [DTWNN, '--work-dir', fewshot_data['work'], *argv,
                                               *fewshot_data['opts']], capsys)
    assert (code, line) == (2, f'usage error: {message}')
    assert not fewshot_data['work'].exists()


def test_fewshot_refuses_a_work_dir_that_is_a_file(fewshot_data, tmp_path, capsys):
    afile = tmp_path / 'afile'
    afile.write_text('not a folder')
    for work, problem in ((afile, 'not a folder'), (afile / 'sub', f'{afile} is not a folder')):
        code, line = run_main('tools/fewshot.py', [DTWNN, '--shots', '2', '--work-dir', work,
                                                   *fewshot_data['opts']], capsys)
        assert (code, line) == (2, f'error: --work-dir {work}: {problem}')
    assert afile.read_text() == 'not a folder'


@pytest.mark.parametrize('ids, message', [
    (['v0_0', 'nope'], r"1 id is not a labeled training action \(split 'train', label >= 0\) "
     r"of the annotation file \(first: \['nope'\]\)"),
    (['v0_0', 'v0_4', 'v1_5'], r"2 ids are not labeled training actions .* \(first: "
     r"\['v0_4', 'v1_5'\]\)"),  # test-split actions
    ([], r'the id list is empty \(one action id per line expected\)'),
    (['v0_0', 'v1_0', 'v0_0', 'v1_0', 'v2_0'], r"2 ids are listed more than once \(first: "
     r"\['v0_0', 'v1_0'\]\)"),
])
def test_fewshot_id_list_errors_name_the_file(ids, message, fewshot_data, tmp_path, capsys):
    path = tmp_path / 'ids.txt'
    path.write_text(''.join(f'{i}\n' for i in ids))
    known = [a['id'] for a in fewshot_data['ann']['actions'] if a['split'] == 'train']
    with pytest.raises(FileFormatError, match=message) as exc:
        read_id_list_file(str(path), known)
    assert exc.value.path == str(path)
    code, line = run_main('tools/fewshot.py', [DTWNN, '--id-lists', path, '--work-dir',
                                               fewshot_data['work'], *fewshot_data['opts']],
                          capsys)
    assert code == 1 and re.fullmatch(f'error: {re.escape(str(path))}: {message}', line), line
    assert not fewshot_data['work'].exists()


@pytest.mark.parametrize('change', ['all_test', 'unlabeled'])
def test_fewshot_without_labeled_training_actions_names_the_file(change, fewshot_data,
                                                                 capsys):
    ann = fewshot_data['ann']
    for a in ann['actions']:
        if a['split'] == 'train':
            if change == 'all_test':
                a['split'] = ann['videos'][a['video']]['split'] = 'test'
            else:
                a['label'] = -1
    fewshot_data['ann_file'].write_text(json.dumps(ann))
    code, line = run_main('tools/fewshot.py', [DTWNN, '--shots', '2', '--work-dir',
                                               fewshot_data['work'], *fewshot_data['opts']],
                          capsys)
    assert (code, line) == (1, f"error: {fewshot_data['ann_file']}: no labeled training action "
                            "(split 'train', label >= 0): few-shot subsets are drawn from them "
                            f'({DTWNN})')
    assert not fewshot_data['work'].exists()


# ------------------------------------------------------------------------------- retrieval
@pytest.fixture
def retrieval_data(tmp_path):
    """6 labeled actions (train and test, no val) of [T, 2, 1] features."""
    fdir = tmp_path / 'f'
    fdir.mkdir()
    ann = dict(dataset='toyretr', classes=['a', 'b'], videos={}, actions=[])
    for i in range(6):
        video, split = f'vid{i}', 'train' if i < 3 else 'test'
        np.save(fdir / f'{video}.npy', np.full((4, 2, 1), float(i), np.float32))
        ann['videos'][video] = dict(fps=25.0, num_frames=4, split=split)
        ann['actions'].append(dict(id=f'act{i}', video=video, start_frame=0, end_frame=4,
                                   label=i % 2, split=split))
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    return ['--ann-file', path, '--feature-dir', fdir]


@pytest.mark.parametrize('argv, message', [
    (['--ks', '1', '0'], 'usage error: --ks must be >= 1, got 0'),
    (['--block-size', '0'], 'usage error: --block-size must be >= 1, got 0'),
    (['--block-size', '-1'], 'usage error: --block-size must be >= 1, got -1'),
    (['--threads', '0'], 'usage error: --threads must be >= 1, got 0'),
    (['--view', 'foo'], "usage error: --view must be 'concat', 'mean', 'min' or a view "
     "index >= 0, got 'foo'"),
    (['--view', '-1'], "usage error: --view must be 'concat', 'mean', 'min' or a view "
     "index >= 0, got '-1'"),
    (['--backend', 'torch', '--device', 'nonsense'], "usage error: --device nonsense: "
     "not a torch device (e.g. 'cpu', 'cuda', 'cuda:1')"),
    (['--view', '5'], 'error: --view 5: the features have 2 views (indices 0 to 1)'),
    (['--query-split', 'val'], 'error: --query-split val: {ann} has no labeled action in that '
     'split to use as queries'),
])
def test_retrieval_refuses_arguments_before_computing(argv, message, retrieval_data, tmp_path,
                                                      monkeypatch, capsys):
    monkeypatch.setattr(tool('tools/retrieval.py'), 'dtw_retrieval', _never)
    out = tmp_path / 'res' / 'x.result.json'
    code, line = run_main('tools/retrieval.py', [*retrieval_data, '--out', out, *argv], capsys)
    assert (code, line) == (2, message.format(ann=retrieval_data[1]))
    assert not (tmp_path / 'res').exists()


def test_retrieval_refuses_a_cuda_device_without_cuda(retrieval_data, monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    code, line = run_main('tools/retrieval.py', [*retrieval_data, '--backend', 'torch',
                                                 '--device', 'cuda:0'], capsys)
    assert (code, line) == (2, 'usage error: --device cuda:0: CUDA is not available '
                            'here')


def test_retrieval_checks_out_before_reading_anything(retrieval_data, tmp_path, monkeypatch,
                                                      capsys):
    monkeypatch.setattr(tool('tools/retrieval.py'), 'load_action_sequences', _never)
    afile = tmp_path / 'afile'
    afile.write_text('keep')
    for out, problem in ((afile / 'x.result.json', f'{afile} is not a folder'),
                         (afile / 'a' / 'x.result.json', f'{afile} is not a folder'),
                         (tmp_path, 'is a folder')):
        code, line = run_main('tools/retrieval.py', [*retrieval_data, '--out', out], capsys)
        assert (code, line) == (2, f'error: --out {out}: {problem}')
    assert afile.read_text() == 'keep'


def test_retrieval_records_a_view_index(retrieval_data, tmp_path, capsys):
    out = tmp_path / 'res' / 'x.result.json'
    tool('tools/retrieval.py').main([str(a) for a in retrieval_data] +
                                    ['--view', '1', '--ks', '1', '--out', str(out)])
    assert json.loads(out.read_text())['view'] == '1'


def test_dtw_retrieval_checks_view_and_block_size_before_any_dtw(monkeypatch):
    import vpd_mm.apis.retrieval as retrieval
    monkeypatch.setattr(retrieval, 'dtw_cost_matrix', _never)
    seqs = [np.full((3, 2, 1), float(i), np.float32) for i in range(4)]
    bad_views = ((-1, r'view index >= 0 .* got -1'), ('x', "got 'x'"), (True, 'got True'),
                 (2, r'view 2 out of range for 2 views \(indices 0 to 1\)'))
    for view, message in bad_views:
        with pytest.raises(ValueError, match=message):
            dtw_retrieval(seqs, [0, 0, 1, 1], view=view)
    for block in (0, -1, 1.5):
        with pytest.raises(ValueError, match=rf'block_size must be an integer >= 1, got '
                           rf'{block}'):
            dtw_retrieval(seqs, [0, 0, 1, 1], block_size=block)
    assert check_view('1') == 1 and check_view(np.int64(0), 2) == 0 and check_view('min') == 'min'
    np.testing.assert_array_equal(select_view(seqs[1], '1'), seqs[1][:, 1])
    for view in (-1, -2, '-1', 'min'):
        with pytest.raises(ValueError):
            select_view(seqs[0], view)


# ---------------------------------------------------------------------- temporal detection
@pytest.fixture(scope='module')
def toy_uncut(tmp_path_factory):
    root = tmp_path_factory.mktemp('uncut')
    info = make_uncut_features(str(root), num_train=3, num_test=1, num_frames=40, seed=0)
    return ['--cfg-options', f'train_dataloader.dataset.ann_file={info["ann_file"]}',
            f'train_dataloader.dataset.feature_dir={info["feature_dir"]}',
            'train_dataloader.dataset.window=32', 'train_cfg.max_iters=2',
            'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'], info


@pytest.mark.parametrize('argv, message', [
    (['--folds', '0'], 'usage error: --folds must be >= 2, got 0'),
    (['--folds', '1'], 'usage error: --folds must be >= 2, got 1'),
    (['--train-videos', '0'], 'usage error: --train-videos must be >= 2, got 0'),
    (['--train-videos', '1'], 'usage error: --train-videos must be >= 2, got 1'),
    (['--label', '-5'], 'usage error: --label must be >= 0, got -5'),
    (['--label', '99'], 'error: label 99 is not a class of {ann} (its classes: 0)'),
])
def test_temporal_detection_refuses_arguments_before_training(argv, message, toy_uncut,
                                                              tmp_path, monkeypatch, capsys):
    opts, info = toy_uncut
    monkeypatch.setattr(td, 'train_fold_model', _never)
    work = tmp_path / 'work'
    code, line = run_main('tools/temporal_detection.py',
                          [DETECTION, '--work-dir', work, *argv, *opts], capsys)
    assert (code, line) == (2, message.format(ann=info['ann_file']))
    assert not work.exists()


def test_temporal_detection_checks_work_dir_and_out_first(toy_uncut, tmp_path, monkeypatch,
                                                          capsys):
    opts, _ = toy_uncut
    monkeypatch.setattr(tool('tools/temporal_detection.py'), 'run_temporal_detection', _never)
    afile = tmp_path / 'afile'
    afile.write_text('keep')
    for argv, message in (
            (['--work-dir', afile], f'--work-dir {afile}: not a folder'),
            (['--work-dir', tmp_path / 'w', '--out', afile / 'r.json'],
             f'--out {afile / "r.json"}: {afile} is not a folder'),
            (['--work-dir', tmp_path / 'w', '--out', tmp_path], f'--out {tmp_path}: is a folder')):
        code, line = run_main('tools/temporal_detection.py', [DETECTION, *argv, *opts], capsys)
        assert (code, line) == (2, f'error: {message}')
    assert not (tmp_path / 'w').exists() and afile.read_text() == 'keep'


def test_detection_settings_errors_come_before_the_work_dir(toy_uncut, tmp_path):
    from mmengine.config import Config
    _, info = toy_uncut
    cfg = Config.fromfile(DETECTION)
    cfg.train_dataloader.dataset.ann_file = info['ann_file']
    cfg.train_dataloader.dataset.feature_dir = info['feature_dir']
    for overrides, message in ((dict(folds=1), 'folds must be an integer >= 2'),
                               (dict(train_videos=1), 'train_videos must be an integer >= 2'),
                               (dict(label=-1), 'label must be a class index >= 0'),
                               (dict(label=3), 'label 3 is not a class of')):
        with pytest.raises(td.DetectionSettingsError, match=message):
            td.run_temporal_detection(cfg, str(tmp_path / 'w'), **overrides)
    assert not (tmp_path / 'w').exists()
    # a class without a training video: the labels there are are named
    ann = dict(actions=[dict(video='v0', split='train', label=0),
                        dict(video='v1', split='test', label=1)])
    with pytest.raises(td.DetectionSettingsError,
                       match=r"label 1: no 'train' video has an action of this class \(labels "
                       r"of the 'train' actions: \[0\]\)"):
        td.select_training_videos(ann, 'train', 1, None, 0)


def test_temporal_detection_more_train_videos_than_there_are(toy_uncut, tmp_path, capsys):
    opts, info = toy_uncut
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        record = tool('tools/temporal_detection.py').main(
            [DETECTION, '--work-dir', str(tmp_path / 'work'), '--train-videos', '100000',
             *opts])
    finally:
        torch.set_num_threads(n)
    out = capsys.readouterr().out
    assert ("NOTICE train_videos=100000, but only 3 'train' videos have an action: taking all 3"
            in out.splitlines())
    assert record['train_videos'] == info['train_videos']


# ---------------------------------------------------------------------- retrieval strip
@pytest.mark.parametrize('argv, message', [
    (['--top-k', '-1'], '--top-k must be >= 1, got -1'),
    (['--top-k', '0'], '--top-k must be >= 1, got 0'),
    (['--size', '0'], '--size must be >= 1, got 0'),
    (['--dpi', '0'], '--dpi must be >= 1, got 0'),
    (['--num-frames', '0'], '--num-frames must be >= 1, got 0'),
])
def test_retrieval_strip_refuses_arguments(argv, message, tmp_path, capsys):
    out = tmp_path / 'strip.png'
    code, line = run_main('tools/visualizations/vis_retrieval_strip.py',
                          [tmp_path / 'ann.json', tmp_path / 'f', tmp_path / 'frames', '--query',
                           'q', '--out', out, *argv], capsys)
    assert (code, line) == (2, f'usage error: {message}')
    assert not out.exists()
