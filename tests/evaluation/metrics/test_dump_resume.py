# Copyright (c) vpd_mm contributors. All rights reserved.
"""DumpVPDFeatures writes a video once its last frame arrives, logs it under a fingerprint, and
a resumed run keeps the logged videos; the pieces a resumed ``tools/test.py`` uses."""
import json
import os

import numpy as np
import pytest
import torch

import vpd_mm.evaluation  # noqa: F401
from vpd_mm.evaluation import DumpVPDFeatures, VPDRegressionMetric
from vpd_mm.evaluation.metrics.dump_vpd_features import DUMP_LOG, DUMP_STATE, logged_videos


def frames(video, total, value, idx=None):
    """The samples of a video's frames (value + frame index in every channel), [V=2, d=3]."""
    return [dict(frame_dir=video, frame_idx=t, total_frames=total,
                 pred_feature=torch.full((2, 3), value + t)) for t in (idx or range(total))]


def test_a_video_is_written_when_its_last_frame_arrives(tmp_path):
    out = tmp_path / 'f'
    metric = DumpVPDFeatures(out_dir=str(out), fingerprint='abc')
    metric.process(None, frames('a', 3, 0.0) + frames('b', 2, 10.0, idx=[0]))
    # 'a' is complete: on disk and logged; 'b' waits for its second frame
    a = np.load(out / 'a.npy')
    assert a.shape == (3, 2, 3) and (a[:, :, 0] == [[0, 0], [1, 1], [2, 2]]).all()
    assert not (out / 'b.npy').exists()
    assert (out / DUMP_LOG).read_text() == 'a 3\n'
    assert json.loads((out / DUMP_STATE).read_text()) == dict(fingerprint='abc',
                                                              key='pred_feature')
    assert len(metric.results) == 1  # one entry for the written video, not its 3 frames
    metric.process(None, frames('b', 2, 10.0, idx=[1]))
    res = metric.evaluate(5)
    assert res == {'features/num_videos': 2, 'features/num_frames': 5}
    assert (out / DUMP_LOG).read_text() == 'a 3\nb 2\n'
    index = json.loads((out / 'features.json').read_text())
    assert index['videos'] == {'a': 3, 'b': 2} and index['dim'] == 3
    assert logged_videos(str(out), 'abc') == {'a': 3, 'b': 2}
    assert logged_videos(str(out), 'other') == {}  # another checkpoint or setting
    # a frame of a written video arriving again would overwrite it with one frame: refused
    metric = DumpVPDFeatures(out_dir=str(out))
    metric.process(None, frames('c', 1, 0.0))
    with pytest.raises(ValueError, match="frame 0 of 'c' came after its 1 frames"):
        metric.process(None, frames('c', 1, 0.0))


def test_resumed_run_keeps_the_logged_videos_and_indexes_all(tmp_path):
    out = tmp_path / 'f'
    first = DumpVPDFeatures(out_dir=str(out), fingerprint='abc')
    first.process(None, frames('a', 2, 0.0) + frames('b', 2, 5.0))
    # killed here: 'a' and 'b' are written and logged, there is no index yet
    assert not (out / 'features.json').exists()
    with open(out / DUMP_LOG, 'a') as f:
        f.write('c 4')  # a line cut short by the kill: not counted
    os.remove(out / 'b.npy')  # a logged file deleted since: not counted
    resumed = logged_videos(str(out), 'abc')
    assert resumed == {'a': 2}
    before = (out / 'a.npy').stat().st_mtime_ns
    second = DumpVPDFeatures(out_dir=str(out), fingerprint='abc', resumed=resumed)
    second.process(None, frames('b', 2, 5.0) + frames('c', 1, 9.0))
    res = second.evaluate(3)
    assert res == {'features/num_videos': 2, 'features/num_frames': 3}
    assert (out / 'a.npy').stat().st_mtime_ns == before  # not written again
    index = json.loads((out / 'features.json').read_text())
    assert index['videos'] == {'a': 2, 'b': 2, 'c': 1} and index['views'] == ['as_is', 'hflip']
    assert logged_videos(str(out), 'abc') == {'a': 2, 'b': 2, 'c': 1}
    # a run of another fingerprint starts a new log: nothing of the old one counts any more
    third = DumpVPDFeatures(out_dir=str(out), fingerprint='new')
    third.process(None, frames('a', 2, 1.0))
    assert (out / DUMP_LOG).read_text() == 'a 2\n'
    assert logged_videos(str(out), 'abc') == {} and logged_videos(str(out), 'new') == {'a': 2}


def test_without_total_frames_the_frames_are_gathered_to_the_end(tmp_path):
    """Samples without total_frames (or several processes): written by compute_metrics."""
    out = tmp_path / 'f'
    metric = DumpVPDFeatures(out_dir=str(out))
    samples = frames('a', 2, 0.0)
    for s in samples:
        del s['total_frames']
    metric.process(None, samples)
    assert not out.exists() and len(metric.results) == 2
    metric.evaluate(2)
    assert np.load(out / 'a.npy').shape == (2, 2, 3)
    assert not (out / DUMP_LOG).exists()  # no fingerprint: no log


def test_regression_metric_may_allow_no_confident_frame():
    sample = dict(pred_pose=torch.zeros(2), pose_target=torch.zeros(2),
                  target_valid=torch.tensor(False), motion_valid=torch.tensor(False))
    metric = VPDRegressionMetric(allow_empty=True)
    metric.process(None, [sample])
    assert metric.evaluate(1) == {'vpd/num_frames': 0}
    metric = VPDRegressionMetric()
    metric.process(None, [sample])
    with pytest.raises(ValueError, match='no frame with a confident'):
        metric.evaluate(1)
