"""Athlete selection: salience, fragment joining, gap interpolation, errors."""
import os.path as osp

import numpy as np
import pytest
from mmaction.registry import TASK_UTILS
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.preparation.stages import AthleteSelector, AthleteTrack, NoAthleteError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
IMG = (120, 160)  # H, W
T = 40


def _track(boxes, frames=None, score=0.9):
    """[T, 5] track with the given [T, 4] (or per-frame) boxes at ``frames``."""
    out = np.full((T, 5), np.nan, np.float32)
    frames = np.arange(T) if frames is None else np.asarray(frames)
    out[frames, :4] = np.asarray(boxes, np.float32).reshape(-1, 4)[:len(frames)]
    out[frames, 4] = score
    return out


def _athlete_boxes():
    """A big, central box that moves and changes shape (a jumping athlete)."""
    t = np.arange(T)
    cx, cy = 80 + 10 * np.sin(t / 4), 60 - 8 * np.abs(np.sin(t / 6))
    w, h = 30 + 8 * np.sin(t / 3), 60 - 10 * np.sin(t / 3)
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def _static(x1, y1, x2, y2):
    return np.tile([x1, y1, x2, y2], (T, 1))


def test_picks_the_athlete_among_distractors():
    tracks = {
        0: _track(_static(2, 2, 12, 22)),  # small spectator in a corner
        1: _track(_static(140, 90, 156, 118)),  # another one
        7: _track(_athlete_boxes()),
        3: _track(_static(60, 100, 70, 118), frames=np.arange(10, 25)),  # a judge, briefly
    }
    sel = AthleteSelector(min_track_len=10)
    res = sel(tracks, IMG)
    assert isinstance(res, AthleteTrack)
    assert res.track_ids == [7]
    np.testing.assert_allclose(res.boxes, _athlete_boxes(), rtol=0, atol=1e-4)
    assert res.boxes.dtype == np.float32 and res.boxes.shape == (T, 4)
    assert res.scores.shape == (T, ) and np.allclose(res.scores, 0.9)
    assert not res.interpolated.any()
    # all four terms are maximal for the athlete -> salience = sum of weights
    assert res.salience == pytest.approx(4.0)


def test_weights_change_the_choice():
    big_static = _track(_static(100, 10, 150, 110))  # larger than the athlete, off-centre
    tracks = {0: _track(_athlete_boxes()), 1: big_static}
    assert AthleteSelector()(tracks, IMG).track_ids == [0]
    assert AthleteSelector(weights=dict(size=1.0))(tracks, IMG).track_ids == [1]
    assert AthleteSelector(weights=dict(centrality=1.0))(tracks, IMG).track_ids == [0]
    with pytest.raises(ValueError, match='unknown salience'):
        AthleteSelector(weights=dict(speed=1.0))


def test_salience_terms_known_values():
    sel = AthleteSelector()
    # a static 20x20 box centred in the image, present in half of the frames
    boxes = np.full((T, 4), np.nan)
    boxes[:T // 2] = [70, 50, 90, 70]
    terms = sel.salience_terms(boxes, IMG)
    assert terms['length'] == pytest.approx(0.5)
    assert terms['size'] == pytest.approx(20 / np.sqrt(120 * 160))
    assert terms['motion'] == pytest.approx(0.0)
    assert terms['centrality'] == pytest.approx(1.0)
    # moving by 2 px per frame in x with a 20 px box: motion = 2 / 20
    moving = np.array([[70 + 2 * t, 50, 90 + 2 * t, 70] for t in range(T)], float)
    assert sel.salience_terms(moving, IMG)['motion'] == pytest.approx(0.1)
    # normalised by the maximum over candidates
    sal = sel.salience([boxes, moving], IMG)
    assert sal[1] > sal[0]


def test_interpolation_weights_are_not_reversed():
    boxes = _static(0, 0, 10, 10).astype(float)
    boxes[14:] = [40, 0, 50, 10]  # jump between frame 10 and frame 14
    frames = [t for t in range(T) if t not in (11, 12, 13)]
    trk = _track(boxes[frames], frames=frames)
    trk[10, 4], trk[14, 4] = 0.8, 0.4
    res = AthleteSelector(max_interp_gap=3, min_track_len=5)({0: trk}, IMG)
    # frame 11 is 1/4 of the way from frame 10 to 14: 3/4 of the left box + 1/4 of the right
    np.testing.assert_allclose(res.boxes[11], [10, 0, 20, 10], atol=1e-5)
    np.testing.assert_allclose(res.boxes[12], [20, 0, 30, 10], atol=1e-5)
    np.testing.assert_allclose(res.boxes[13], [30, 0, 40, 10], atol=1e-5)
    np.testing.assert_allclose(res.scores[11:14], [0.7, 0.6, 0.5], atol=1e-5)
    np.testing.assert_array_equal(np.flatnonzero(res.interpolated), [11, 12, 13])


def test_long_gaps_and_ends_stay_nan():
    frames = [t for t in range(3, T - 2) if not 10 < t < 20]  # gap of 9 frames, ends missing
    trk = _track(_athlete_boxes()[frames], frames=frames)
    res = AthleteSelector(max_interp_gap=8, min_track_len=5)({0: trk}, IMG)
    missing = [0, 1, 2, *range(11, 20), T - 2, T - 1]
    assert np.isnan(res.boxes[missing]).all()
    assert (res.scores[missing] == 0).all()
    assert not res.interpolated.any()
    assert np.isfinite(res.boxes[frames]).all()
    # with a larger limit the inner gap is filled, the ends are never extrapolated
    res = AthleteSelector(max_interp_gap=9, min_track_len=5)({0: trk}, IMG)
    np.testing.assert_array_equal(np.flatnonzero(res.interpolated), np.arange(11, 20))
    assert np.isnan(res.boxes[[0, 1, 2, T - 2, T - 1]]).all()


def test_fragments_are_joined():
    ath = _athlete_boxes()
    tracks = {
        1: _track(ath[:20], frames=np.arange(20)),
        5: _track(ath[23:], frames=np.arange(23, T)),  # same athlete, new id after 3 frames
        2: _track(_static(2, 2, 12, 22)),  # spectator
        9: _track(_static(130, 2, 140, 22)[25:], frames=np.arange(25, T)),  # far away
    }
    sel = AthleteSelector(max_join_gap=5, max_interp_gap=3, min_track_len=10)
    chains = sel.join_fragments({k: v.astype(float) for k, v in tracks.items()})
    assert [1, 5] in chains and [2] in chains and [9] in chains
    res = sel(tracks, IMG)
    assert res.track_ids == [1, 5]
    assert np.isfinite(res.boxes).all()
    np.testing.assert_array_equal(np.flatnonzero(res.interpolated), [20, 21, 22])
    # gap longer than max_join_gap: not joined
    sel = AthleteSelector(max_join_gap=2, max_interp_gap=3, min_track_len=10)
    assert [1, 5] not in sel.join_fragments({k: v.astype(float) for k, v in tracks.items()})


def test_no_person_and_too_short():
    sel = AthleteSelector(min_track_len=10)
    with pytest.raises(NoAthleteError) as err:
        sel({}, IMG)
    assert err.value.reason == 'no person'
    with pytest.raises(NoAthleteError) as err:
        sel({3: np.full((T, 5), np.nan, np.float32)}, IMG, video=dict(video='clip_7'))
    assert err.value.reason == 'no person' and 'clip_7' in str(err.value)
    short = _track(_athlete_boxes()[:6], frames=np.arange(6))
    with pytest.raises(NoAthleteError) as err:
        sel({0: short}, IMG)
    assert err.value.reason == 'track too short' and '6' in str(err.value)
    with pytest.raises(ValueError, match='lengths'):
        sel({0: short, 1: short[:10]}, IMG)


def test_base_config_builds():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/preparation/athlete_salience.py'))
    sel = TASK_UTILS.build(cfg.athlete)
    assert isinstance(sel, AthleteSelector)
    assert sel.weights == dict(length=1.0, size=1.0, motion=1.0, centrality=1.0)
    assert sel({0: _track(_athlete_boxes())}, IMG).track_ids == [0]


def _court_tracks():
    """A tennis broadcast: a big near player low in the frame (track 0, the more salient) and a
    small far player high in it (track 1), both moving."""
    t = np.arange(T)
    near = np.stack([60 + 10 * np.sin(t / 5), 70 + 0 * t, 100 + 10 * np.sin(t / 5),
                     115 + 0 * t], axis=1)  # centre row ~92 of 120
    far = np.stack([70 + 6 * np.sin(t / 4), 15 + 0 * t, 82 + 6 * np.sin(t / 4), 40 + 0 * t],
                   axis=1)  # centre row ~27
    return {0: _track(near), 1: _track(far)}


def test_player_regions_pick_each_players_track():
    tracks = _court_tracks()
    # without regions both players' videos get the most salient person: the near player
    plain = AthleteSelector()
    assert plain(tracks, IMG, video=dict(video='back__p1', player='back')).track_ids == [0]
    cfg = Config.fromfile(osp.join(ROOT, 'configs/preparation/tennis.py'))
    sel = TASK_UTILS.build(cfg.athlete)
    assert sel.player_regions == dict(front=(0.5, 1.0), back=(0.0, 0.5))
    assert sel(tracks, IMG, video=dict(video='front__p1', player='front')).track_ids == [0]
    back = sel(tracks, IMG, video=dict(video='back__p1', player='back'))
    assert back.track_ids == [1]
    np.testing.assert_allclose(back.boxes, tracks[1][:, :4])
    # a record without a player is not filtered
    assert sel(tracks, IMG, video=dict(video='clip')).track_ids == [0]
    # the far player alone in the frame: nobody for the near player's video
    with pytest.raises(NoAthleteError, match="front__p2.*player 'front'.*rows 0.5-1") as err:
        sel({1: tracks[1]}, IMG, video=dict(video='front__p2', player='front'))
    assert err.value.reason == 'no person'
    with pytest.raises(ValueError, match="umpire.*no region"):
        sel(tracks, IMG, video=dict(video='umpire__p1', player='umpire'))
    for bad in ((0.5, 0.5), (-0.1, 0.5), (0.2, 1.5)):
        with pytest.raises(ValueError, match='player_regions'):
            AthleteSelector(player_regions=dict(front=bad))
