"""Person tracking with mmdet's trackers on injected detections; tracker + athlete selection."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from mmaction.registry import TASK_UTILS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.preparation.stages import AthleteSelector, MMDetPersonTracker

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IMG = (120, 160)
T = 40
MISSED = (12, 13)  # frames where the athlete is not detected


def _scene():
    """Detections of a moving athlete (missed twice) and two static spectators."""
    dets, truth = [], dict(athlete={}, left={}, right={})
    for t in range(T):
        ath = [40 + 2 * t, 30, 70 + 2 * t, 90, 0.95]
        left = [2, 2, 12, 22, 0.8]
        right = [140, 90, 156, 118, 0.75]
        rows = [left, right] + ([] if t in MISSED else [ath])
        for name, row in (('left', left), ('right', right), ('athlete', ath)):
            if name != 'athlete' or t not in MISSED:
                truth[name][t] = row
        dets.append(np.array(rows, np.float32))
    return dets, truth


@pytest.fixture(scope='module')
def tracker():
    return MMDetPersonTracker()


def test_bytetrack_tracks_known_scene(tracker):
    dets, truth = _scene()
    tracks = tracker(dets, IMG)
    assert sorted(tracks) == [0, 1, 2]  # one id per person, kept across the missed frames
    for trk in tracks.values():
        assert trk.shape == (T, 5) and trk.dtype == np.float32
    for name, rows in truth.items():
        # the track holding this person's first box holds all of its boxes
        first = np.array(rows[0], np.float32)
        match = [i for i, trk in tracks.items() if np.allclose(trk[0], first)]
        assert len(match) == 1, name
        trk = tracks[match[0]]
        present = np.flatnonzero(np.isfinite(trk).all(axis=1))
        np.testing.assert_array_equal(present, sorted(rows))
        np.testing.assert_allclose(trk[present], [rows[t] for t in present], atol=1e-5)
    athlete = [trk for trk in tracks.values() if np.isnan(trk[MISSED[0]]).all()]
    assert len(athlete) == 1


def test_tracker_is_reset_between_videos(tracker):
    dets, _ = _scene()
    a = tracker(dets, IMG)
    b = tracker(dets[:20], IMG)
    assert sorted(b) == [0, 1, 2]
    for k in b:
        np.testing.assert_array_equal(a[k][:20], b[k])


def test_empty_and_bad_detections(tracker):
    empty = [np.zeros((0, 5), np.float32)] * 5
    assert tracker(empty, IMG) == {}
    # a person appearing later starts a (tentative, then confirmed) track
    dets = empty + [np.array([[10, 10, 30, 50, 0.9]], np.float32)] * 6
    tracks = tracker(dets, IMG)
    assert len(tracks) == 1 and np.isfinite(list(tracks.values())[0][5:]).all()
    bad = [np.array([[np.nan, 0, 1, 1, 0.9]], np.float32)]
    with pytest.raises(ValueError, match='frame 0'):
        tracker(bad, IMG)


def test_default_scope_is_restored(tracker):
    with DefaultScope.overwrite_default_scope('mmaction'):
        tracker(_scene()[0][:3], IMG)
        assert DefaultScope.get_current_instance().scope_name == 'mmaction'


def test_tracker_then_athlete_selection(tracker):
    dets, truth = _scene()
    res = AthleteSelector(max_interp_gap=3, min_track_len=10)(tracker(dets, IMG), IMG)
    expected = np.array([truth['athlete'].get(t, [np.nan] * 5)[:4] for t in range(T)])
    # missed frames filled by interpolation: the athlete moves 2 px per frame
    expected[12] = [40 + 24, 30, 70 + 24, 90]
    expected[13] = [40 + 26, 30, 70 + 26, 90]
    np.testing.assert_allclose(res.boxes, expected, atol=1e-4)
    np.testing.assert_array_equal(np.flatnonzero(res.interpolated), MISSED)


@pytest.mark.parametrize('kind', ['SORTTracker', 'OCSORTTracker'])
def test_sort_family(kind):
    cfg = dict(type=kind)
    if kind == 'SORTTracker':
        cfg.update(obj_score_thr=0.5, match_iou_thr=0.5)
    if importlib.util.find_spec('motmetrics') is None:
        with pytest.raises(ImportError, match='motmetrics'):
            MMDetPersonTracker(cfg)
    else:
        tracks = MMDetPersonTracker(cfg)(_scene()[0], IMG)
        assert len(tracks) >= 3
        assert all(t.shape == (T, 5) for t in tracks.values())
    with pytest.raises(ValueError, match='ReID'):
        MMDetPersonTracker(dict(type='SORTTracker', reid=dict(num_samples=10)))


def test_base_config_builds():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/preparation/tracker_bytetrack.py'))
    trk = TASK_UTILS.build(cfg.tracker)
    assert isinstance(trk, MMDetPersonTracker)
    assert type(trk.tracker).__name__ == 'ByteTracker'
    assert trk.tracker.num_frames_retain == 30 and trk.tracker.init_track_thr == 0.7
    assert sorted(trk(_scene()[0], IMG)) == [0, 1, 2]
