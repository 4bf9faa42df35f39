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
