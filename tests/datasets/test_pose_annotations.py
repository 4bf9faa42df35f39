# Copyright (c) vpd_mm contributors. All rights reserved.
import os
import pickle

import numpy as np
import pytest

from vpd_mm.datasets.pose_annotations import PoseAnnotationError, load_pose_annotations
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
