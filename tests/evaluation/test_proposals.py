"""Scores -> proposals (thresholding, merging, length limits, mean scores, exact ends) and AP."""
import numpy as np
import pytest

from vpd_mm.evaluation.functional import (clamp_segment_lengths, detection_ap, length_limits,
                                          merge_runs, runs_above_threshold, scores_to_proposals)


def curve():
    s = np.zeros(30)
    s[2:6] = 0.9  # run [2, 6)
    s[6:8] = 0.2  # gap of 2 frames
    s[8:10] = 0.8  # run [8, 10)
    s[15:17] = 0.7  # run [15, 17)
    s[25] = 0.95  # run [25, 26)
    return s


def test_runs_exact_ends():
    assert runs_above_threshold(curve(), 0.5).tolist() == [[2, 6], [8, 10], [15, 17], [25, 26]]
    # a run at the very start and one at the very end: end exclusive == T, no off-by-one
    s = np.array([0.9, 0.9, 0.1, 0.1, 0.6, 0.7, 0.8])
    assert runs_above_threshold(s, 0.5).tolist() == [[0, 2], [4, 7]]
    assert runs_above_threshold(s, 0.7).tolist() == [[0, 2], [5, 7]]  # >= threshold
    assert runs_above_threshold(np.zeros(5), 0.5).shape == (0, 2)


def test_merge_across_gap():
    runs = runs_above_threshold(curve(), 0.5)
    assert merge_runs(runs, 1).tolist() == runs.tolist()
    assert merge_runs(runs, 2).tolist() == [[2, 10], [15, 17], [25, 26]]
    assert merge_runs(runs, 5).tolist() == [[2, 17], [25, 26]]
    with pytest.raises(ValueError):
        merge_runs(runs, -1)


def test_clamp_drop_and_split():
    segs = np.array([[2, 10], [15, 17], [25, 26]])
    assert clamp_segment_lengths(segs, min_len=2).tolist() == [[2, 10], [15, 17]]
    # length 8 > 3 -> ceil(8/3) = 3 pieces at rounded linspace(0, 8, 4) = 0, 3, 5, 8
    assert clamp_segment_lengths(segs, max_len=3).tolist() == [[2, 5], [5, 7], [7, 10],
                                                               [15, 17], [25, 26]]
    assert clamp_segment_lengths(segs, max_len=8).tolist() == segs.tolist()


def test_proposals_scored_by_mean():
    props = scores_to_proposals(curve(), 0.5, merge_gap=2)
    assert props[:, :2].tolist() == [[2, 10], [15, 17], [25, 26]]
    # the merged segment's mean includes its gap frames: (4*.9 + 2*.2 + 2*.8) / 8
    np.testing.assert_allclose(props[:, 2], [0.7, 0.7, 0.95])
    props = scores_to_proposals(curve(), 0.5, merge_gap=2, min_len=2, max_len=3)
    assert props[:, :2].tolist() == [[2, 5], [5, 7], [7, 10], [15, 17]]
    np.testing.assert_allclose(props[:, 2], [0.9, 0.55, 0.6, 0.7])
    assert scores_to_proposals(np.zeros(4), 0.5).shape == (0, 3)


def test_length_limits():
    assert length_limits([10, 20, 15], 0.5, 2.0) == (5, 40)
    assert length_limits([3], None, 1.5) == (None, 5)
    with pytest.raises(ValueError):
        length_limits([], 0.5, 2.0)


def test_detection_ap_hand_computed():
    gt = {'a': np.array([[0, 10]]), 'b': np.array([[20, 30]]), 'c': np.zeros((0, 2))}
    props = {
        'a': np.array([[0, 10, 0.9], [40, 50, 0.8]]),  # TP (IoU 1), FP (no overlap)
        'b': np.array([[24, 30, 0.7]]),  # IoU 6/10 = 0.6
    }
    m = detection_ap(gt, props)
    # IoU <= 0.6: TP, FP, TP -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> AP = .5 + .5*2/3
    for t in ('AP@0.3', 'AP@0.4', 'AP@0.5', 'AP@0.6'):
        assert m[t] == pytest.approx(0.5 + 0.5 * 2 / 3, abs=1e-6)
    assert m['AP@0.7'] == pytest.approx(0.5, abs=1e-6)  # the third is a FP at 0.7
    assert m['mAP'] == pytest.approx((4 * (0.5 + 1 / 3) + 0.5) / 5, abs=1e-6)
    # a proposal one frame short of the action ([0, 9) vs [0, 10)) has IoU 0.9
    m = detection_ap({'a': np.array([[0, 10]])}, {'a': np.array([[0, 9, 1.0]])}, [0.85, 0.95])
    assert m['AP@0.85'] == pytest.approx(1.0) and m['AP@0.95'] == 0.0
    # proposals in a video without actions are false positives
    m = detection_ap({'a': np.array([[0, 10]])},
                     {'a': np.array([[0, 10, 0.5]]), 'z': np.array([[0, 10, 0.9]])}, [0.5])
    assert m['AP@0.5'] == pytest.approx(0.5)
    with pytest.raises(ValueError, match='no ground-truth'):
        detection_ap({'a': np.zeros((0, 2))}, props)
