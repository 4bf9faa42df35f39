# Copyright (c) vpd_mm contributors. All rights reserved.
import json
import os
import os.path as osp
import shutil

import cv2
import mmengine
import numpy as np
import pytest

from vpd_mm.codecs import pose_confidence
from vpd_mm.structures import athlete_crop_boxes
from vpd_mm.synthetic import TOY_CLASSES, make_toy_corpus, simulate_video

TINY = dict(
    num_videos=3,
    num_frames=8,
    crop_size=32,
    image_size=(96, 128),
    seed=0,
    progress=False,
    missing_rate=0.15)


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('toy'))
    return make_toy_corpus(out, **TINY)


def _names(num_frames):
    return sorted(f'{p}_{t:05d}.jpg' for p in ('img', 'flow_x', 'flow_y')
                  for t in range(1, num_frames + 1))


def test_files(corpus):
    assert corpus['num_videos'] == 3 and corpus['num_frames'] == 8
    assert corpus['classes'] == TOY_CLASSES[:3]
    assert osp.isfile(corpus['ann_file'])
    assert corpus['ann_file'] == osp.join(corpus['data_root'], 'annotations', 'toy_pose.pkl')
    assert sorted(os.listdir(corpus['rawframes'])) == ['toy_0000', 'toy_0001', 'toy_0002']
    for name in os.listdir(corpus['rawframes']):
        folder = osp.join(corpus['rawframes'], name)
        assert sorted(os.listdir(folder)) == _names(8)
        assert cv2.imread(osp.join(folder, 'img_00008.jpg')).shape == (32, 32, 3)
        flow = cv2.imread(osp.join(folder, 'flow_y_00003.jpg'), cv2.IMREAD_UNCHANGED)
        assert flow.shape == (32, 32) and flow.dtype == np.uint8
        for d in ('x', 'y'):  # frame 1: zero flow
            first = cv2.imread(osp.join(folder, f'flow_{d}_00001.jpg'), cv2.IMREAD_UNCHANGED)
            assert np.abs(first.astype(int) - 128).max() <= 1
    with open(osp.join(corpus['data_root'], 'corpus.json')) as f:
        assert json.load(f)['num_videos'] == 3


def test_annotations(corpus):
    data = mmengine.load(corpus['ann_file'])
    assert data['split'] == dict(train=['toy_0000', 'toy_0001'], test=['toy_0002'])
    annos = data['annotations']
    assert [a['frame_dir'] for a in annos] == ['toy_0000', 'toy_0001', 'toy_0002']
    assert [a['label'] for a in annos] == [0, 1, 2]
    conf = []
    for a in annos:
        assert a['total_frames'] == 8
        assert a['img_shape'] == a['original_shape'] == (96, 128)
        shapes = dict(
            keypoint=(1, 8, 17, 2),
            keypoint_score=(1, 8, 17),
            athlete_box=(8, 4),
            crop_box=(8, 4),
            gt_keypoint=(8, 17, 2))
        for key, shape in shapes.items():
            assert a[key].shape == shape and a[key].dtype == np.float32, key
        missing = np.isnan(a['keypoint'][0]).any(axis=(1, 2))
        np.testing.assert_array_equal(np.isnan(a['athlete_box']).any(axis=1), missing)
        assert (a['keypoint_score'][0][missing] == 0).all()
        assert np.isfinite(a['crop_box']).all() and np.isfinite(a['gt_keypoint']).all()
        side = a['crop_box'][:, 2] - a['crop_box'][:, 0]
        np.testing.assert_allclose(side, a['crop_box'][:, 3] - a['crop_box'][:, 1], rtol=1e-5)
        # crop boxes from the athlete boxes, a missing box replaced by the last valid one
        box = a['athlete_box'].astype(np.float64)
        for t in range(len(box)):
            if missing[t]:
                valid = np.flatnonzero(~missing[:t])
                box[t] = box[valid[-1]] if len(valid) else box[np.flatnonzero(~missing)[0]]
        np.testing.assert_allclose(a['crop_box'], athlete_crop_boxes(box), rtol=1e-5, atol=1e-3)
        conf.append(pose_confidence(a['keypoint_score'][0], a['keypoint'][0]))
        # the teacher is close to the ground truth where confident
        c = conf[-1]
        err = np.linalg.norm(a['keypoint'][0] - a['gt_keypoint'], axis=-1).mean(-1)  # [T]
        assert np.all(err[c >= 0.5] < 10)
    conf = np.concatenate(conf)
    assert np.isinf(conf).any()  # no detection
    assert ((conf < 0.5) & np.isfinite(conf)).any()  # low confidence
    assert (conf >= 0.5).any()


def test_teacher_rates():
    """~20-30% unconfident frames and ~3% without detection with the default rates."""
    conf = np.concatenate([
        pose_confidence(s['keypoint_score'], s['keypoint'])
        for s in (simulate_video(i, 32, (180, 240)) for i in range(60))
    ])
    assert 0.01 < np.isinf(conf).mean() < 0.06
    assert 0.18 < (conf < 0.5).mean() < 0.35


def test_determinism(corpus, tmp_path):
    again = make_toy_corpus(str(tmp_path / 'again'), **TINY)
    a, b = (mmengine.load(c['ann_file'])['annotations'] for c in (corpus, again))
    for x, y in zip(a, b):
        for key in ('keypoint', 'keypoint_score', 'gt_keypoint', 'athlete_box', 'crop_box'):
            np.testing.assert_array_equal(x[key], y[key])
    for name in ('img_00005.jpg', 'flow_x_00005.jpg'):
        with open(osp.join(corpus['rawframes'], 'toy_0001', name), 'rb') as f1, \
                open(osp.join(again['rawframes'], 'toy_0001', name), 'rb') as f2:
            assert f1.read() == f2.read()
    other = simulate_video(1, 8, (96, 128), seed=1)
    assert not np.allclose(other['gt_keypoint'], b[1]['gt_keypoint'])
    # a video does not depend on the size of the corpus
    np.testing.assert_allclose(
        simulate_video(1, 8, (96, 128), seed=0)['gt_keypoint'], b[1]['gt_keypoint'], rtol=1e-6)


def test_resume(tmp_path):
    out = str(tmp_path / 'toy')
    info = make_toy_corpus(out, **TINY)
    before = mmengine.load(info['ann_file'])
    jpg = osp.join(info['rawframes'], 'toy_0000', 'img_00001.jpg')
    mtime = os.stat(jpg).st_mtime_ns
    ann_mtime = os.stat(info['ann_file']).st_mtime_ns

    make_toy_corpus(out, **TINY)  # complete: nothing rewritten
    assert os.stat(jpg).st_mtime_ns == mtime
    assert os.stat(info['ann_file']).st_mtime_ns == ann_mtime

    # an interrupted run: video 1 half written, the pkl not yet written
    raw = info['rawframes']
    shutil.move(osp.join(raw, 'toy_0001'), osp.join(raw, '.tmp_toy_0001'))
    os.remove(osp.join(raw, '.tmp_toy_0001', 'img_00008.jpg'))
    os.remove(info['ann_file'])
    make_toy_corpus(out, **TINY)
    assert sorted(os.listdir(raw)) == ['toy_0000', 'toy_0001', 'toy_0002']
    assert sorted(os.listdir(osp.join(raw, 'toy_0001'))) == _names(8)
    assert os.stat(jpg).st_mtime_ns == mtime  # finished videos reused
    after = mmengine.load(info['ann_file'])
    assert after['split'] == before['split']
    for x, y in zip(before['annotations'], after['annotations']):
        assert x.keys() == y.keys()
        for key in ('keypoint', 'keypoint_score', 'gt_keypoint', 'crop_box'):
            np.testing.assert_array_equal(x[key], y[key])


def test_changed_arguments(tmp_path):
    out = str(tmp_path / 'toy')
    make_toy_corpus(out, **TINY)
    with pytest.raises(ValueError, match='other arguments'):
        make_toy_corpus(out, **dict(TINY, num_frames=6))
    info = make_toy_corpus(out, **dict(TINY, num_frames=6, num_videos=2), overwrite=True)
    assert sorted(os.listdir(info['rawframes'])) == ['toy_0000', 'toy_0001']
    assert sorted(os.listdir(osp.join(info['rawframes'], 'toy_0000'))) == _names(6)
    assert mmengine.load(info['ann_file'])['annotations'][0]['total_frames'] == 6
    with pytest.raises(ValueError):
        make_toy_corpus(out, **dict(TINY, num_classes=7), overwrite=True)
