# Copyright (c) vpd_mm contributors. All rights reserved.
import os
import os.path as osp
import re

import numpy as np
import pytest

import vpd_mm  # noqa: F401
import vpd_mm.datasets.pose3d  # noqa: F401  (registers VIPEPairDataset)
from vpd_mm.datasets.pose3d.readers import (H36M17_TO_KEPT, H36M32_TO_KEPT, SMPL_TO_KEPT,
                                            load_amass_joints, load_h36m_detections, load_h36m_npz)


def _z_up_joints(num_frames, num_joints, seed):
    """Distinct joint positions, z up."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(num_frames, num_joints, 3))


def _to_y_up(joints):
    return np.stack([joints[..., 0], joints[..., 2], -joints[..., 1]], axis=-1)


def test_h36m_32_and_17_layouts(tmp_path):
    j32 = _z_up_joints(6, 32, 0)
    j17 = _z_up_joints(5, 17, 1)
    j32[:, 14, 2] = 1.7  # neck/nose high up (z up)
    j32[:, [1, 6], 2] = 1.0  # hips
    nan = _z_up_joints(4, 32, 2)
    nan[1, 19] = np.nan  # a kept joint (LWrist): frame dropped
    nan[2, 4] = np.nan  # a joint that is not kept: frame kept
    short = _z_up_joints(3, 32, 3)
    short[1:, 0, 0] = np.nan  # the root is not kept either ...
    short[1:, 3, 0] = np.nan  # ... but RFoot is: 1 frame left -> sequence dropped
    path = str(tmp_path / 'data_3d_h36m.npz')
    np.savez(path, positions_3d={'S1': {'Walking': j32, 'Eating': nan, 'Short': short},
                                 'S9': {'Sitting 1': j17}})
    data = load_h36m_npz(path)
    assert sorted(data) == ['S1', 'S9']
    assert sorted(data['S1']) == ['Eating', 'Walking']
    walk = data['S1']['Walking']
    assert walk.shape == (6, 13, 3) and walk.dtype == np.float32
    np.testing.assert_allclose(walk, _to_y_up(j32[:, list(H36M32_TO_KEPT)]), rtol=1e-6)
    # explicit spot checks of the 32-joint mapping: nose <- 14, LWrist <- 19, RAnkle <- 3
    np.testing.assert_allclose(walk[:, 0], _to_y_up(j32[:, 14]), rtol=1e-6)
    np.testing.assert_allclose(walk[:, 5], _to_y_up(j32[:, 19]), rtol=1e-6)
    np.testing.assert_allclose(walk[:, 12], _to_y_up(j32[:, 3]), rtol=1e-6)
    assert (walk[:, 0, 1] > walk[:, [7, 8], 1].mean(1)).all()  # z up became y up
    sit = data['S9']['Sitting 1']
    np.testing.assert_allclose(sit, _to_y_up(j17[:, list(H36M17_TO_KEPT)]), rtol=1e-6)
    np.testing.assert_allclose(sit[:, 0], _to_y_up(j17[:, 9]), rtol=1e-6)  # nose
    np.testing.assert_allclose(sit[:, 7], _to_y_up(j17[:, 4]), rtol=1e-6)  # LHip
    eat = data['S1']['Eating']
    assert len(eat) == 3
    np.testing.assert_allclose(eat, _to_y_up(nan[[0, 2, 3]][:, list(H36M32_TO_KEPT)]), rtol=1e-6)


def test_h36m_bad_input(tmp_path):
    missing = str(tmp_path / 'nope.npz')
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        load_h36m_npz(missing)
    path = str(tmp_path / 'bad.npz')
    np.savez(path, positions_3d={'S1': {'Walking': np.zeros((4, 25, 3))}})
    with pytest.raises(ValueError, match='S1/Walking'):
        load_h36m_npz(path)
    path = str(tmp_path / 'nokey.npz')
    np.savez(path, other=np.zeros(3))
    with pytest.raises(ValueError, match='positions_3d'):
        load_h36m_npz(path)


class _Evil:
    def __reduce__(self):
        return (os.system, ('touch pwned',))


def test_h36m_npz_runs_no_code(tmp_path, monkeypatch):
    # positions_3d is a pickled object array: its pickle may name only numpy and builtins
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / 'evil.npz')
    np.savez(path, positions_3d={'S1': {'Walking': _Evil()}})
    with pytest.raises(ValueError, match=r'evil\.npz.*refusing to load posix\.system'):
        load_h36m_npz(path)
    assert not (tmp_path / 'pwned').exists()
    path = str(tmp_path / 'garbage.npz')
    with open(path, 'wb') as f:
        f.write(b'PK\x03\x04 not a zip archive')
    with pytest.raises(ValueError, match='garbage.npz'):
        load_h36m_npz(path)


def test_amass_folder_and_file(tmp_path):
    os.makedirs(tmp_path / 'CMU' / '01')
    a = _z_up_joints(5, 24, 4)
    a[:, 15, 2] = 1.6  # head above the hips (z up)
    a[:, [1, 2], 2] = 0.9
    b = _z_up_joints(4, 52, 5)
    b[2, 20] = np.nan  # LWrist: frame dropped
    np.savez(tmp_path / 'CMU' / '01' / 'a_poses.npz', joints=a)
    np.savez(tmp_path / 'b.npz', joints=b, extra=np.zeros(2))
    data = load_amass_joints(str(tmp_path))
    assert sorted(data) == ['CMU/01/a_poses.npz', 'b.npz']
    seq = data['CMU/01/a_poses.npz']
    assert seq.shape == (5, 13, 3) and seq.dtype == np.float32
    np.testing.assert_allclose(seq, _to_y_up(a[:, list(SMPL_TO_KEPT)]), rtol=1e-6)
    np.testing.assert_allclose(seq[:, 0], _to_y_up(a[:, 15]), rtol=1e-6)  # nose <- head
    np.testing.assert_allclose(seq[:, 2], _to_y_up(a[:, 17]), rtol=1e-6)  # RShoulder
    assert (seq[:, 0, 1] > seq[:, [7, 8], 1].mean(1)).all()
    assert len(data['b.npz']) == 3
    # a single file, y up: no conversion
    single = load_amass_joints(str(tmp_path / 'b.npz'), up_axis='y')
    assert list(single) == ['b.npz']
    np.testing.assert_allclose(single['b.npz'], b[[0, 1, 3]][:, list(SMPL_TO_KEPT)], rtol=1e-6)


def test_amass_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing_dir'):
        load_amass_joints(str(tmp_path / 'missing_dir'))
    np.savez(tmp_path / 'few.npz', joints=np.zeros((4, 10, 3)))
    with pytest.raises(ValueError, match='few.npz'):
        load_amass_joints(str(tmp_path))
    os.remove(tmp_path / 'few.npz')
    short = np.zeros((3, 24, 3))
    short[1:] = np.nan
    np.savez(tmp_path / 'short.npz', joints=short)
    assert load_amass_joints(str(tmp_path)) == {}
    with pytest.raises(ValueError, match='up_axis'):
        load_amass_joints(str(tmp_path / 'short.npz'), up_axis='x')
    assert osp.isfile(tmp_path / 'short.npz')


def _npz_bytes(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize('positions,problem', [
    ({'S1': [np.zeros((4, 32, 3))]}, r':S1: expected a dict action -> array, got list'),
    ({'S1': 5}, r':S1: expected a dict action -> array, got int'),
    ({'S1': 'Walking'}, r':S1: expected a dict action -> array, got str'),
    ({'S1': {}, 1: {}}, r':positions_3d: keys must be strings .*got 1'),
    ({'S1': {'Walking': np.full((4, 32, 3), 'a')}},
     r':S1/Walking: the entry must hold numbers, got dtype <U1'),
    ({'S1': {'Walking': [np.zeros((32, 3)), np.zeros((5, 3))]}},
     r':S1/Walking: the entry is not a regular array of numbers'),
    (np.zeros(3), r': positions_3d must hold a dict subject -> action -> array, got float64'),
])
def test_h36m_hostile_contents_are_named(tmp_path, positions, problem):
    # containers of the wrong type, mixed keys, string or ragged arrays: a ValueError naming
    # the file and the subject/action (they were bare TypeErrors / numpy ValueErrors)
    path = str(tmp_path / 'data_3d_h36m.npz')
    np.savez(path, positions_3d=positions)
    with pytest.raises(ValueError, match=re.escape(path) + problem):
        load_h36m_npz(path)


@pytest.mark.parametrize('positions,metadata,problem', [
    ({'S1': {'Walk': [np.zeros((4, 17, 2))]}}, dict(layout_name=['h36m']),
     r": unknown 2D joint layout \['h36m'\]"),
    ({'S1': {'Walk': 3}}, dict(layout_name='h36m'),
     r':S1/Walk: expected a list of per-camera arrays, got int'),
    ({'S1': [np.zeros((4, 17, 2))]}, dict(layout_name='h36m'),
     r':S1: expected a dict action -> list of per-camera arrays, got list'),
    ({'S1': {'Walk': [np.full((4, 17, 2), 'abc')]}}, dict(layout_name='h36m'),
     r':S1/Walk camera 0: the entry must hold numbers, got dtype <U3'),
    ({'S1': {'Walk': [np.zeros((4, 17, 2))]}}, 'h36m',
     r': metadata must hold a dict with a layout_name, got <U4 array of shape \[\]'),
])
def test_detections_hostile_contents_are_named(tmp_path, positions, metadata, problem):
    path = str(tmp_path / 'data_2d_h36m_cpn.npz')
    np.savez(path, positions_2d=positions, metadata=metadata)
    with pytest.raises(ValueError, match=re.escape(path) + problem):
        load_h36m_detections(path)


def test_amass_hostile_files_are_named(tmp_path):
    def fails(path, problem):
        with pytest.raises(ValueError, match=re.escape(path) + problem):
            load_amass_joints(path)

    # damaged or misnamed files (were BadZipFile, EOFError, a TypeError from a bare .npy)
    fails(_npz_bytes(tmp_path, 'corrupt.npz', b'PK\x03\x04junk'), r': not an npz file')
    fails(_npz_bytes(tmp_path, 'empty.npz', b''), r': not an npz file')
    np.save(tmp_path / 'bare.npy', np.zeros((5, 24, 3)))
    os.rename(tmp_path / 'bare.npy', tmp_path / 'bare.npz')
    fails(str(tmp_path / 'bare.npz'), r': not an npz file \(not a zip archive\)')
    # arrays that are not numbers (were numpy ValueErrors without the file)
    np.savez(tmp_path / 'obj.npz', joints=np.array([None, 1], dtype=object))
    fails(str(tmp_path / 'obj.npz'), r': the "joints" entry is not a readable array .*Object')
    np.savez(tmp_path / 'str.npz', joints=np.full((5, 24, 3), 'a'))
    fails(str(tmp_path / 'str.npz'), r': joints: the entry must hold numbers, got dtype <U1')
    # a folder names the file at fault, not just the folder
    os.makedirs(tmp_path / 'corpus')
    np.savez(tmp_path / 'corpus' / 'good.npz', joints=np.zeros((3, 24, 3)))
    os.rename(tmp_path / 'str.npz', tmp_path / 'corpus' / 'z_bad.npz')
    fails(str(tmp_path / 'corpus'), '')
    with pytest.raises(ValueError, match=r'corpus/z_bad\.npz: joints'):
        load_amass_joints(str(tmp_path / 'corpus'))
