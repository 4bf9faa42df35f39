# Copyright (c) vpd_mm contributors. All rights reserved.
import os
import pickle

import numpy as np
import pytest

from vpd_mm.datasets.pose_annotations import (PoseAnnotationError, PoseKeyError,
                                              annotations_by_video, athlete_track,
                                              dump_pose_annotations, load_pose_annotations)
from vpd_mm.utils.safe_pickle import safe_pickle_load


class _Evil:
    def __reduce__(self):
        return (os.system, ('touch pwned',))


def _ann(name, t=3):
    return dict(frame_dir=name, total_frames=t, keypoint=np.zeros((1, t, 17, 2), np.float32),
                keypoint_score=np.ones((1, t, 17), np.float32), fps=np.float64(25.0),
                label=np.int64(2), raw=b'\x00\x01')


@pytest.mark.parametrize('protocol', [0, 2, pickle.HIGHEST_PROTOCOL])
def test_reads_pose_dataset_pickles_of_every_protocol(tmp_path, protocol):
    path = tmp_path / 'a.pkl'
    path.write_bytes(pickle.dumps(dict(split=dict(train=['v0']), annotations=[_ann('v0')]),
                                  protocol=protocol))
    data = load_pose_annotations(str(path))
    assert data['split'] == dict(train=['v0'])
    ann = data['annotations'][0]
    assert ann['keypoint'].shape == (1, 3, 17, 2) and ann['label'] == 2
    assert ann['raw'] == b'\x00\x01'  # bytes: _codecs.encode under protocols 0-2
    # a plain list of annotations is a file without splits
    path.write_bytes(pickle.dumps([_ann('v0'), _ann('v1')]))
    assert [a['frame_dir'] for a in load_pose_annotations(str(path))['annotations']] == [
        'v0', 'v1']


def test_code_in_a_pickle_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps(dict(annotations=[dict(_ann('v0'), note=_Evil())])))
    with pytest.raises(PoseAnnotationError, match=r'evil\.pkl.*refusing to load posix\.system'):
        load_pose_annotations(str(path))
    assert not (tmp_path / 'pwned').exists()
    # a hand-written protocol-0 pickle calling eval("1")
    (tmp_path / 'e2.pkl').write_bytes(b'cbuiltins\neval\n(S"1"\ntR.')
    with pytest.raises(pickle.UnpicklingError, match='builtins.eval'):
        safe_pickle_load(str(tmp_path / 'e2.pkl'))


def test_malformed_files_are_named(tmp_path):
    cases = {
        'missing.pkl': None,
        'truncated.pkl': pickle.dumps([_ann('v0')])[:40],
        'nolist.pkl': pickle.dumps(dict(videos=[])),
        'noname.pkl': pickle.dumps([dict(total_frames=3)]),
        'dup.pkl': pickle.dumps([_ann('v0'), _ann('v0')]),
        'number.pkl': pickle.dumps(3),
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        err = FileNotFoundError if content is None else PoseAnnotationError
        with pytest.raises(err, match=name.replace('.', r'\.')):
            load_pose_annotations(str(path))


def test_athlete_track_is_person_0_checked():
    ann = _ann('v0')
    ann['keypoint'] = np.arange(2 * 3 * 17 * 2, dtype=np.float64).reshape(2, 3, 17, 2)
    ann['keypoint_score'] = np.arange(2 * 3 * 17, dtype=np.float64).reshape(2, 3, 17)
    kp, sc = athlete_track(ann, 'x.pkl')
    np.testing.assert_array_equal(kp, ann['keypoint'][0])
    np.testing.assert_array_equal(sc, ann['keypoint_score'][0])
    kp, sc = athlete_track(ann, 'x.pkl', dtype=np.float32)
    assert kp.dtype == sc.dtype == np.float32 and kp.shape == (3, 17, 2)
    # one-person [T, 17, 2] keys (ground truth of the synthetic corpora), without scores
    ann['gt_keypoint'] = ann['keypoint'][1]
    kp, sc = athlete_track(ann, 'x.pkl', 'gt_keypoint', score_key=None)
    assert sc is None
    np.testing.assert_array_equal(kp, ann['keypoint'][1])
    # a missing key is both a KeyError and a ValueError, and names the file, video and key
    with pytest.raises(PoseKeyError, match=r"x\.pkl: video 'v0' has no 'nope'") as e:
        athlete_track(ann, 'x.pkl', 'nope')
    assert isinstance(e.value, KeyError) and isinstance(e.value, ValueError)
    bad = dict(ann, keypoint=np.zeros((1, 3, 13, 2)))
    with pytest.raises(PoseAnnotationError, match=r"x\.pkl: video 'v0': keypoint .*COCO-17.*"
                       r'\[1, 3, 13, 2\]'):
        athlete_track(bad, 'x.pkl')
    with pytest.raises(PoseAnnotationError, match=r'\[0, 3, 17, 2\]'):
        athlete_track(dict(ann, keypoint=np.zeros((0, 3, 17, 2))), 'x.pkl', score_key=None)
    with pytest.raises(PoseAnnotationError, match=r'keypoint_score must have shape \[2, 3, 17\]'):
        athlete_track(dict(ann, keypoint_score=np.zeros((2, 3))), 'x.pkl')
    # T must be the annotation's total_frames (a truncated track is not silently shorter)
    with pytest.raises(PoseAnnotationError, match=r"x\.pkl: video 'v0': keypoint holds 3 frames "
                       r'but total_frames is 5'):
        athlete_track(dict(ann, total_frames=5), 'x.pkl')
    with pytest.raises(PoseAnnotationError, match='total_frames'):
        athlete_track(dict(ann, total_frames='three'), 'x.pkl')
    kp, _ = athlete_track(dict(ann, total_frames='3'), 'x.pkl')  # an integral string is read
    assert kp.shape == (3, 17, 2)


def test_dump_round_trip_and_refusals(tmp_path):
    path = str(tmp_path / 'out' / 'p.pkl')
    dump_pose_annotations(path, [_ann('v0'), _ann('v1', 5)], split=dict(test=['v1']))
    data = load_pose_annotations(path)
    assert data['split'] == dict(test=['v1'])
    assert [a['total_frames'] for a in data['annotations']] == [3, 5]
    with open(path, 'rb') as f:
        assert list(pickle.load(f)) == ['split', 'annotations']
    dump_pose_annotations(path, [_ann('v2')])  # no split: the file has no key
    with open(path, 'rb') as f:
        assert list(pickle.load(f)) == ['annotations']
    # an invalid structure is refused before anything is written
    for bad in ([_ann('v0'), _ann('v0')], [dict(total_frames=3)]):
        with pytest.raises(PoseAnnotationError, match=r'p\.pkl'):
            dump_pose_annotations(path, bad)
    assert [a['frame_dir'] for a in load_pose_annotations(path)['annotations']] == ['v2']
    assert os.listdir(tmp_path / 'out') == ['p.pkl']
    # by video, with the keys a reader needs
    dump_pose_annotations(path, [_ann('v0'), dict(frame_dir='v1', total_frames=2)])
    assert list(annotations_by_video(path)) == ['v0', 'v1']
    with pytest.raises(PoseKeyError, match=r'p\.pkl: annotation #1 \(v1\) has no "keypoint"'):
        annotations_by_video(path, required=('keypoint', ))


@pytest.mark.parametrize('name,why', [('../../x', 'contains a path separator'),
                                      ('/etc/passwd', 'is an absolute path'),
                                      ('..', 'is a relative path'), ('', 'is empty'),
                                      ('.hidden', 'starts with a dot')])
def test_frame_dir_must_be_one_file_name(tmp_path, name, why):
    """A frame_dir becomes rawframes/<frame_dir>/ and <emb_dir>/<frame_dir>.npy: a file with a
    name that leaves its folder is refused as a whole, and never written."""
    from vpd_mm.datasets.pose_annotations import UnsafeFrameDirError
    from vpd_mm.utils.paths import UnsafePathError
    path = tmp_path / 'p.pkl'
    path.write_bytes(pickle.dumps([_ann('v0'), _ann(name)]))
    with pytest.raises(UnsafeFrameDirError) as err:
        load_pose_annotations(str(path))
    assert isinstance(err.value, PoseAnnotationError) and isinstance(err.value, UnsafePathError)
    assert str(err.value).startswith(f'{path}: annotation #1: frame_dir {name!r} {why}')
    out = tmp_path / 'out.pkl'
    with pytest.raises(UnsafeFrameDirError, match=r'out\.pkl: annotation #0: frame_dir'):
        dump_pose_annotations(str(out), [_ann(name)])
    assert not out.exists()


@pytest.mark.parametrize('key,value,problem', [
    ('keypoint', [[[1, 2]] * 17, [[3]]], 'keypoint is not a regular array of numbers'),
    ('keypoint', np.full((1, 3, 17, 2), 'x'), 'keypoint must hold numbers, got dtype <U1'),
    ('keypoint_score', [[['a'] * 17] * 3], 'keypoint_score must hold numbers, got dtype <U1'),
    ('keypoint', np.full((1, 3, 17, 2), None), 'keypoint must hold numbers, got dtype object'),
])
def test_athlete_track_refuses_non_numbers(key, value, problem):
    ann = dict(_ann('v0'), **{key: value})
    with pytest.raises(PoseAnnotationError) as err:
        athlete_track(ann, 'x.pkl', dtype=np.float32)
    assert str(err.value).startswith(f"x.pkl: video 'v0': {problem}")
