# Copyright (c) vpd_mm contributors. All rights reserved.
"""The annotated video: boxes and skeletons at the right places, atomic writing."""
import os

import cv2
import numpy as np
import pytest

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.visualization import (CONFIDENT, NO_POSE, UNCONFIDENT, AtomicVideoWriter,
                                  annotate_frame, teacher_views)
from vpd_mm.visualization.skeleton import ATHLETE_COLOR


def _annotation(T=3):
    kp = np.zeros((1, T, 17, 2), np.float32)
    kp[0, :, :, 0] = np.linspace(20, 40, 17)
    kp[0, :, :, 1] = np.linspace(10, 50, 17)
    sc = np.ones((1, T, 17), np.float32)
    sc[0, 1] = 0.2  # frame 1: unconfident
    kp[0, 2] = np.nan  # frame 2: no pose
    sc[0, 2] = 0
    box = np.tile(np.array([[15, 5, 45, 55]], np.float32), (T, 1))
    return dict(keypoint=kp, keypoint_score=sc, athlete_box=box, total_frames=T,
                img_shape=(60, 80))


def test_teacher_views_states_and_normalised_pose():
    ann = _annotation()
    tv = teacher_views(ann, conf_thr=0.5)
    assert tv['states'].tolist() == [CONFIDENT, UNCONFIDENT, NO_POSE]
    assert tv['confidence'][0] == pytest.approx(1.0) and tv['confidence'][2] == -np.inf
    assert tv['normalized'].shape == (3, 26) and np.isnan(tv['normalized'][2]).all()
    expect = PoseNormalizer().encode(ann['keypoint'][0, :1])[0]
    assert tv['normalized'][0] == pytest.approx(expect)
    assert tv['kept_scores'].shape == (3, 13)


def test_annotate_frame_draws_athlete_box_scaled():
    ann = _annotation()
    tv = teacher_views(ann)
    frame = np.zeros((60, 80, 3), np.uint8)
    out = annotate_frame(frame, 2, tv, ann)  # no pose at frame 2: only the box
    assert out.shape == (60, 80, 3)
    edge = out[30, 15].astype(int)  # the left edge of the box (thickness 2)
    assert np.abs(edge - ATHLETE_COLOR).max() <= 40
    assert not out[30, 30].any()  # inside: nothing (no skeleton at frame 2)
    big = annotate_frame(frame, 2, tv, ann, scale=2)
    assert big.shape == (120, 160, 3)
    assert np.abs(big[60, 30].astype(int) - ATHLETE_COLOR).max() <= 40  # at twice the place
    with_pose = annotate_frame(frame, 0, tv, ann)
    assert with_pose[10:50, 20:40].any()  # the skeleton between the joints


def test_atomic_video_writer(tmp_path):
    path = str(tmp_path / 'v' / 'out.mp4')
    with AtomicVideoWriter(path, 10.0, (32, 24)) as w:
        for i in range(5):
            w.write(np.full((24, 32, 3), 40 * i, np.uint8))
        assert not os.path.exists(path)  # only the temporary file so far
    cap = cv2.VideoCapture(path)
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    cap.release()
    assert os.listdir(tmp_path / 'v') == ['out.mp4']
    failed = str(tmp_path / 'f' / 'out.mp4')
    with pytest.raises(ValueError, match='frame of shape'):
        with AtomicVideoWriter(failed, 10.0, (32, 24)) as w:
            w.write(np.zeros((24, 32, 3), np.uint8))
            w.write(np.zeros((10, 10, 3), np.uint8))
    assert os.listdir(tmp_path / 'f') == []  # nothing left behind
