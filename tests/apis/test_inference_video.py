# Copyright (c) vpd_mm contributors. All rights reserved.
"""One generated video through the preparation's stages (simulated detector and teacher)."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.apis import (VideoInferenceError, decode_frames, load_prep_config, prepare_single_video,
                         track_video)
from vpd_mm.preparation.stages.video import iter_video_chunks
from vpd_mm.synthetic.sports_corpus import make_sports_corpus

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PREP = osp.join(ROOT, 'configs/preparation/synthetic_sports.py')


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('corpus'))
    out = make_sports_corpus(root, num_videos_per_class=1, classes=['1som_tuck'],
                             image_size=(96, 72), num_frames=(56, 58), test_fraction=0.0,
                             progress=False)
    return osp.join(root, 'videos', out['videos'][0] + '.mp4')


def test_prepare_single_video_layout_and_tracks(video, tmp_path):
    cfg = load_prep_config(PREP, cfg_options=dict(chunk_size=16))  # several chunks
    res = prepare_single_video(video, cfg, str(tmp_path), name='clip', progress=False)
    ann = res['annotation']
    T = int(ann['total_frames'])
    assert res['name'] == 'clip' and ann['frame_dir'] == 'clip' and T >= 56
    assert ann['keypoint'].shape == (1, T, 17, 2)
    files = os.listdir(res['frame_dir'])
    for kind in ('img', 'flow_x', 'flow_y'):
        assert len([f for f in files if f.startswith(kind + '_')]) == T
    assert sorted(os.listdir(tmp_path / 'rawframes')) == ['clip']  # no .tmp_ folder left
    with open(res['pose_pkl'], 'rb') as f:
        saved = pickle.load(f)  # (our own file, just written)
    assert saved['split'] == {'test': ['clip']}
    assert np.array_equal(saved['annotations'][0]['keypoint'], ann['keypoint'], equal_nan=True)
    rows = res['track_rows']
    assert rows.shape[1] == 7 and (np.diff(rows[:, 0]) >= 0).all()
    assert res['athlete_ids'] and res['athlete_ids'] <= set(rows[:, 1].astype(int))
    assert res['options']['chunk_size'] == 16 and res['options']['conf_thr'] == 0.5
    # the first pass alone chooses the same athlete with the same boxes
    tracked = track_video(video, cfg, progress=False)
    assert tracked['num_frames'] == T and tracked['img_shape'] == (72, 96)
    assert tracked['athlete_ids'] == res['athlete_ids']
    np.testing.assert_allclose(tracked['athlete_boxes'], ann['athlete_box'], rtol=1e-6)
    np.testing.assert_array_equal(tracked['track_rows'], rows)
    # decode_frames gives the frames of a plain decode, across chunk borders
    frames = decode_frames(video, [0, 17, T - 1], tracked['options'])
    plain = np.concatenate([f for _, f in iter_video_chunks(video, chunk_size=64)])
    for t in (0, 17, T - 1):
        assert np.array_equal(frames[t], plain[t])
    with pytest.raises(ValueError, match='beyond its'):
        decode_frames(video, [T + 3], tracked['options'])


def test_no_athlete_and_no_confident_pose_are_named(video, tmp_path):
    nobody = load_prep_config(PREP, cfg_options=dict(detector=dict(miss_rate=1.0)))
    with pytest.raises(VideoInferenceError, match=f'cannot process video {video}'):
        prepare_single_video(video, nobody, str(tmp_path), progress=False)
    with pytest.raises(VideoInferenceError, match=f'cannot process video {video}'):
        track_video(video, nobody, progress=False)
    unsure = load_prep_config(PREP, cfg_options=dict(conf_thr=0.999))
    with pytest.raises(VideoInferenceError, match='confident'):
        prepare_single_video(video, unsure, str(tmp_path), progress=False)
    assert os.listdir(tmp_path / 'rawframes') == []  # nothing half-written
    assert not osp.exists(tmp_path / 'annotations')
