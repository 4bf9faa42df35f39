# Copyright (c) vpd_mm contributors. All rights reserved.
import json

import numpy as np
import pytest

from vpd_mm.datasets import (AnnotationError, dump_action_annotations, load_action_annotations,
                             load_feature_sequence, select_actions)


def _ann(**over):
    ann = dict(
        dataset='toy',
        classes=['a', 'b'],
        videos=dict(v1=dict(fps=25.0, num_frames=50, split='train')),
        actions=[
            dict(id='x1', video='v1', start_frame=0, end_frame=20, label=0),
            dict(id='x2', video='v2', start_frame=5, end_frame=9, label=1, split='test'),
        ])
    ann.update(over)
    return ann


def test_load_actions_fills_defaults_and_round_trips(tmp_path):
    path = str(tmp_path / 'a.json')
    dump_action_annotations(_ann(), path)
    ann = load_action_annotations(path)
    assert ann['actions'][0]['split'] == 'train'  # inherited from the video
    assert ann['videos']['v2']['split'] == 'test'  # created from its action
    assert [a['id'] for a in select_actions(ann, splits=['test'])] == ['x2']
    assert [a['id'] for a in select_actions(ann, ids=['x2', 'x1'])] == ['x2', 'x1']
    with pytest.raises(KeyError, match='nope'):
        select_actions(ann, ids=['x1', 'nope'])


@pytest.mark.parametrize('bad, match', [
    (dict(start_frame=10, end_frame=10), 'bad frame range'),
    (dict(label=2), 'outside the 2 classes'),
    (dict(end_frame=60), 'has 50 frames'),
    (dict(split='dev'), 'split'),
])
def test_load_actions_rejects_bad_entries(tmp_path, bad, match):
    ann = _ann()
    ann['actions'][0].update(bad)
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(ann))
    with pytest.raises(AnnotationError, match=match) as err:
        load_action_annotations(str(path))
    assert 'bad.json' in str(err.value)


def test_load_feature_sequence(tmp_path):
    np.save(tmp_path / 'v.npy', np.ones((4, 2, 3), np.float64))
    np.save(tmp_path / 'w.npy', np.ones((4, 3), np.float32))
    np.save(tmp_path / 'z.npy', np.ones((4,), np.float32))
    (tmp_path / 'c.npy').write_bytes(b'garbage')
    feats = load_feature_sequence(str(tmp_path), 'v')
    assert feats.shape == (4, 2, 3) and feats.dtype == np.float32
    assert load_feature_sequence(str(tmp_path), 'w').shape == (4, 1, 3)
    with pytest.raises(ValueError, match=r'z\.npy.*\[T, V, d\]'):
        load_feature_sequence(str(tmp_path), 'z')
    with pytest.raises(ValueError, match=r'c\.npy'):
        load_feature_sequence(str(tmp_path), 'c')
    with pytest.raises(FileNotFoundError, match='missing'):
        load_feature_sequence(str(tmp_path), 'missing')


def test_feature_path_refuses_names_that_leave_the_folder(tmp_path):
    from vpd_mm.utils.paths import UnsafePathError
    outside = tmp_path / 'secret.npy'
    np.save(outside, np.zeros((2, 1, 3), np.float32))
    feature_dir = tmp_path / 'features'
    feature_dir.mkdir()
    for name in ('../secret', str(tmp_path / 'secret'), 'a/../../secret', ''):
        with pytest.raises(UnsafePathError, match='video name'):
            load_feature_sequence(str(feature_dir), name)


def _npy_with_header(path, shape, descr='<f4', data=b'\0' * 64):
    """A .npy file whose header claims ``shape`` and ``descr`` whatever data follows."""
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    header += ' ' * (117 - len(header)) + '\n'
    path.write_bytes(b'\x93NUMPY\x01\x00' + len(header).to_bytes(2, 'little') +
                     header.encode('latin1') + data)


@pytest.mark.parametrize('mmap', [False, True])
@pytest.mark.parametrize('array', [
    np.full((2, 1, 3), 'abc'), np.full((2, 1, 3), b'abc'), np.ones((2, 1, 3), np.complex64),
    np.zeros((2, 1, 3), dtype=[('a', 'f4'), ('b', 'i4')]), np.zeros((2, 3), 'datetime64[s]')])
def test_feature_files_must_hold_real_numbers(tmp_path, array, mmap):
    np.save(tmp_path / 'v.npy', array)
    with pytest.raises(ValueError) as err:
        load_feature_sequence(str(tmp_path), 'v', mmap=mmap)
    assert str(err.value) == (f'{tmp_path / "v.npy"}: features must be real numbers, got '
                              f'dtype {array.dtype}')


@pytest.mark.parametrize('mmap', [False, True])
@pytest.mark.parametrize('shape,problem', [
    ((10**12, 2, 128), r'the header announces a float32 array of shape \(1000000000000, 2, '
     r'128\) \(1024000000000000 bytes\) but the file holds 64 bytes'),
    ((2**62, 2**62, 2), 'the header announces'),
    ((-1, 2, 2), r'bad feature array shape \(-1, 2, 2\)'),
    ((4, 0, 2), r'bad feature array shape \(4, 0, 2\)'),
])
def test_feature_file_headers_are_not_trusted(tmp_path, shape, problem, mmap):
    """A 200-byte file claiming terabytes is refused from its size, before numpy allocates."""
    _npy_with_header(tmp_path / 'v.npy', shape)
    with pytest.raises(ValueError, match=f'^{tmp_path / "v.npy"}: {problem}'):
        load_feature_sequence(str(tmp_path), 'v', mmap=mmap)


def test_int_and_bool_features_still_load(tmp_path):
    np.save(tmp_path / 'i.npy', np.arange(6, dtype=np.int16).reshape(3, 2))
    np.save(tmp_path / 'e.npy', np.zeros((0, 2, 4), np.float32))
    feats = load_feature_sequence(str(tmp_path), 'i')
    assert feats.dtype == np.float32 and feats[:, 0].tolist() == [[0, 1], [2, 3], [4, 5]]
    assert load_feature_sequence(str(tmp_path), 'i', mmap=True).dtype == np.int16
    assert load_feature_sequence(str(tmp_path), 'e').shape == (0, 2, 4)


def test_integer_action_ids_are_read_as_strings(tmp_path):
    """Integer ids are allowed and read as their string, the form id lists and few-shot subsets
    compare; 5 and '5' are one id, refused as a duplicate."""
    ann = _ann()
    ann['actions'][0]['id'] = 126
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(ann))
    loaded = load_action_annotations(str(path))
    assert loaded['actions'][0]['id'] == '126'
    assert [a['id'] for a in select_actions(loaded, ids=['126'])] == ['126']
    ann['actions'][1]['id'] = '126'
    path.write_text(json.dumps(ann))
    with pytest.raises(AnnotationError, match=r"a\.json: action id '126' appears twice"):
        load_action_annotations(str(path))
    ann['actions'][0]['id'], ann['actions'][1]['id'] = '5', 5
    path.write_text(json.dumps(ann))
    with pytest.raises(AnnotationError, match=r'action id 5 appears twice \(an integer id is its '
                       r'string\)'):
        load_action_annotations(str(path))
