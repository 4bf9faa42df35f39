# Copyright (c) vpd_mm contributors. All rights reserved.
import json
import os.path as osp
import re
import sys

import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.apis.retrieval import clean_sequence, dtw_retrieval, topk_candidates
from vpd_mm.evaluation.functional import retrieval_precision_at_k
from vpd_mm.ops import dtw_cost_matrix

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools'))
import retrieval as retrieval_tool  # noqa: E402

# Constant 1-D sequences of 2 frames: every alignment cell costs |a - b| and the best path has
# 2 cells, so the normalised cost is 2 |a - b| / (2 + 2) = |a - b| / 2: ranking by |a - b|.
VALUES = [0., 1., 10., 12., 30.]
LABELS = [0, 0, 1, 1, 0]
SPLITS = ['train', 'test', 'train', 'test', 'test']


def _corpus():
    return [np.full((2, 1, 1), v, np.float32) for v in VALUES]


def test_hand_computed_precision():
    # Rankings (query: others by distance -> labels):
    # 0: 1, 10, 12, 30 -> A B B A     1: 0, 10, 12, 30 -> A B B A
    # 10: 12, 1, 0, 30 -> B A A A     12: 10, 1, 0, 30 -> B A A A
    # 30: 12, 10, 1, 0 -> B B A A
    res = dtw_retrieval(_corpus(), LABELS, ks=(1, 2, 4, 50), block_size=2)
    assert res['precision@1'] == pytest.approx(4 / 5)
    assert res['precision@2'] == pytest.approx(2 / 5)
    assert res['precision@4'] == pytest.approx(2 / 5)
    assert res['precision@50'] == pytest.approx(2 / 5)  # only 4 others: over those
    np.testing.assert_array_equal(res['topk'][4], [3, 2, 1, 0])
    # Queries restricted to the test split (1, 3, 4), still searching the whole corpus.
    res = dtw_retrieval(_corpus(), LABELS, query_index=[1, 3, 4], ks=(1, 2, 4))
    assert res['precision@1'] == pytest.approx(2 / 3)
    assert res['precision@2'] == pytest.approx(1 / 3)
    assert res['precision@4'] == pytest.approx(1.25 / 3)
    assert res['num_queries'] == 3 and res['num_corpus'] == 5


def test_blockwise_equals_full_matrix():
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(rng.integers(3, 12), 2, 4)).astype(np.float32) for _ in range(17)]
    labels = rng.integers(0, 3, size=17)
    # the default frame vector: the two views of a frame side by side, [T, 2 d]
    concat = [s.reshape(len(s), -1) for s in seqs]
    np.testing.assert_array_equal(concat[0][:, 4:], seqs[0][:, 1])
    for pattern in ('symmetricP2', 'symmetric1'):
        cost = dtw_cost_matrix(concat, concat, step_pattern=pattern)
        if pattern == 'symmetricP2':  # lengths 3-11: some pairs cannot be aligned (rank last)
            assert np.isinf(cost).any()
        full = retrieval_precision_at_k(cost, labels, labels, (1, 3, 5), self_index=np.arange(17))
        for block in (1, 4, 100):
            res = dtw_retrieval(seqs, labels, ks=(1, 3, 5), block_size=block, step_pattern=pattern)
            assert {k: res[k] for k in full} == pytest.approx(full)
    # one view; 'min' over candidate views is never worse than view 0 alone; 'mean' of views.
    flat = [s[:, 0] for s in seqs]
    cost0 = dtw_cost_matrix(flat, flat)
    want = retrieval_precision_at_k(cost0, labels, labels, (1, 3), self_index=np.arange(17))
    assert {k: dtw_retrieval(seqs, labels, ks=(1, 3), view=0)[k] for k in want} == \
        pytest.approx(want)
    cost1 = dtw_cost_matrix(flat, [s[:, 1] for s in seqs])
    want = retrieval_precision_at_k(
        np.minimum(cost0, cost1), labels, labels, (1, 3), self_index=np.arange(17))
    res = dtw_retrieval(seqs, labels, ks=(1, 3), view='min')
    assert {k: res[k] for k in want} == pytest.approx(want)
    mean = [s.mean(axis=1) for s in seqs]
    want = retrieval_precision_at_k(
        dtw_cost_matrix(mean, mean), labels, labels, (1, 3), self_index=np.arange(17))
    res = dtw_retrieval(seqs, labels, ks=(1, 3), view='mean')
    assert {k: res[k] for k in want} == pytest.approx(want)
    with pytest.raises(ValueError, match='view must be'):
        dtw_retrieval(seqs, labels, view='max')


def test_topk_ties_are_stable():
    cost = np.array([3., 1., 2., 1., 1., 0.])
    np.testing.assert_array_equal(topk_candidates(cost, 3), [5, 1, 3])
    np.testing.assert_array_equal(topk_candidates(cost, 10), [5, 1, 3, 4, 2, 0])


def test_clean_sequence():
    seq = np.arange(12, dtype=np.float32).reshape(4, 1, 3)
    seq[1] = np.nan
    out = clean_sequence(seq, 'x')
    np.testing.assert_array_equal(out, seq[[0, 2, 3]])
    seq[2, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r'vid7.*frame\(s\) \[2\]'):
        clean_sequence(seq, 'action a (video vid7)')
    with pytest.raises(ValueError, match='empty or all-NaN'):
        clean_sequence(np.full((3, 1, 2), np.nan), 'action b')


def _write_dataset(tmp_path, partial_nan=False):
    ann = dict(dataset='toy', classes=['a', 'b'], videos={}, actions=[])
    for d in ('f1', 'f2'):
        (tmp_path / d).mkdir()
    for i, (v, lab, split) in enumerate(zip(VALUES, LABELS, SPLITS)):
        video = f'vid{i}'
        feats = np.full((4, 2, 1), v, np.float32)  # [T, V, d]
        feats[0] = np.nan  # a missing frame, outside the action, and one inside
        feats[2] = np.nan
        if partial_nan and i == 3:
            feats[1, 0, 0] = np.nan
            feats[1, 1, 0] = 1.0
        np.save(tmp_path / 'f1' / f'{video}.npy', feats)
        np.save(tmp_path / 'f2' / f'{video}.npy', 2 * feats)
        ann['videos'][video] = dict(fps=25.0, num_frames=4, split=split)
        ann['actions'].append(
            dict(id=f'act{i}', video=video, start_frame=1, end_frame=4, label=lab, split=split))
    ann['actions'].append(  # unlabeled: not in the corpus
        dict(id='unl', video='vid0', start_frame=1, end_frame=2, label=-1, split='test'))
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    return str(path)


def test_tool_end_to_end(tmp_path, capsys):
    ann = _write_dataset(tmp_path)
    out = tmp_path / 'res' / 'toy.result.json'
    metrics = retrieval_tool.main([
        '--ann-file', ann, '--feature-dir', str(tmp_path / 'f1'), str(tmp_path / 'f2'),
        '--query-split', 'test', '--ks', '1', '2', '--out', str(out)
    ])
    assert metrics == pytest.approx({'precision@1': 2 / 3, 'precision@2': 1 / 3})
    rec = json.loads(out.read_text())
    assert rec['task'] == 'retrieval' and rec['dataset'] == 'toy' and rec['features'] == 'f1+f2'
    assert rec['num_queries'] == 3 and rec['num_corpus'] == 5
    assert 'precision@1: 66.7' in capsys.readouterr().out
    assert rec['step_pattern'] == 'symmetricP2' and rec['view'] == 'concat'
    # the torch backend (batched over pairs; the CPU here) and symmetric1 rank the same
    metrics = retrieval_tool.main([
        '--ann-file', ann, '--feature-dir', str(tmp_path / 'f1'), '--query-split', 'test',
        '--ks', '1', '2', '--backend', 'torch', '--device', 'cpu', '--step-pattern', 'symmetric1'
    ])
    assert metrics == pytest.approx({'precision@1': 2 / 3, 'precision@2': 1 / 3})
    # arguments it cannot use: one line, exit status 2 (tests/tools/test_tool_arguments.py)
    capsys.readouterr()
    with pytest.raises(SystemExit) as err:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(tmp_path / 'f1'),
                             '--view', 'max'])
    assert err.value.code == 2 and "--view must be 'concat', 'mean', 'min' or a view index" in \
        capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(tmp_path / 'f1'),
                             '--query-split', 'val'])
    assert err.value.code == 2 and capsys.readouterr().err == (
        f'error: --query-split val: {ann} has no labeled action in that split to use as '
        'queries\n')


def test_tool_missing_files_are_one_line(tmp_path):
    ann = _write_dataset(tmp_path)
    (tmp_path / 'f2' / 'vid3.npy').unlink()
    with pytest.raises(SystemExit) as err:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(tmp_path / 'f1'),
                             str(tmp_path / 'f2')])
    assert str(err.value) == \
        f"error: no features for video 'vid3': {tmp_path / 'f2' / 'vid3.npy'} does not exist"
    with pytest.raises(SystemExit) as err:
        retrieval_tool.main(['--ann-file', str(tmp_path / 'nope.json'), '--feature-dir',
                             str(tmp_path / 'f1')])
    assert str(err.value).startswith('error: ') and 'nope.json' in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_tool_partial_nan_names_file_action_and_video_frame(tmp_path):
    ann = _write_dataset(tmp_path, partial_nan=True)
    with pytest.raises(SystemExit) as e:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(tmp_path / 'f1')])
    assert e.value.code == (f"error: {tmp_path / 'f1' / 'vid3.npy'} (action 'act3'): frame(s) "
                            '[1] have some NaN features but not all (expected whole NaN rows '
                            'for missing frames)')


def test_tool_names_a_file_of_another_shape(tmp_path):
    """A folder with features of two models: one line naming the odd file and the first."""
    ann = _write_dataset(tmp_path)
    f1 = tmp_path / 'f1'
    np.save(f1 / 'vid2.npy', np.zeros((4, 2, 3), np.float32))  # d = 3 among d = 1
    with pytest.raises(SystemExit) as e:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(f1)])
    assert e.value.code == (f'error: {f1 / "vid2.npy"}: features of 2 views x d = 3, but '
                            f'{f1 / "vid0.npy"} has 2 x 1: the folder mixes the features of two '
                            'models')
    np.save(f1 / 'vid2.npy', np.zeros((3, 2, 1), np.float32))  # act2 needs frames [1, 4)
    with pytest.raises(SystemExit) as e:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(f1)])
    assert e.value.code == (f"error: {f1 / 'vid2.npy'}: action 'act2': frames [1, 4) beyond "
                            "the file's 3 frames")
    (f1 / 'vid2.npy').write_bytes(b'\x93NUMPY garbage')  # not a .npy file
    with pytest.raises(SystemExit) as e:
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', str(f1)])
    assert e.value.code.startswith(f'error: {f1 / "vid2.npy"}: not a readable .npy feature file')


def test_tool_folders_disagreeing_on_frames_are_named(tmp_path):
    ann = _write_dataset(tmp_path)
    f1, f2 = str(tmp_path / 'f1'), str(tmp_path / 'f2')
    feats = np.load(tmp_path / 'f2' / 'vid3.npy')
    feats[3] = np.nan  # frame 3 of vid3 (inside act3) has features in f1 only
    np.save(tmp_path / 'f2' / 'vid3.npy', feats)
    with pytest.raises(SystemExit) as e:  # one line, no traceback
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', f1, f2])
    msg = e.value.code
    assert msg.startswith("error: action 'act3' (video 'vid3'): the feature folders")
    assert 'disagree on which frames exist' in msg and '\n' not in msg
    assert f'frame(s) [3] are missing (all NaN) in {f2}/vid3.npy but not in {f1}/vid3.npy' in msg
    assert 'some NaN' not in msg
    # the other way round
    with pytest.raises(SystemExit, match=r'frame\(s\) \[3\] are missing \(all NaN\) in '
                       + re.escape(f'{f2}/vid3.npy but not in {f1}')):
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', f2, f1])
    # each folder alone is fine: missing frames are dropped
    for fdir in (f1, f2):
        retrieval_tool.main(['--ann-file', ann, '--feature-dir', fdir])
