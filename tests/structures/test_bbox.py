# Copyright (c) vpd_mm contributors. All rights reserved.
import numpy as np
import pytest

from vpd_mm.structures import box_iou


def test_iou_of_hand_computed_pairs():
    a = np.array([0., 0, 2, 2])
    boxes = np.array([
        [1., 0, 3, 2],  # half overlap: 2 / (4 + 4 - 2)
        [0., 0, 2, 2],  # same box
        [5., 5, 6, 6],  # disjoint
        [0., 0, 1, 1],  # inside: 1 / 4
        [2., 0, 4, 2],  # touching edge: no area
    ])
    np.testing.assert_allclose(box_iou(a, boxes), [1 / 3, 1, 0, 1 / 4, 0])
    assert box_iou(a, boxes).shape == (5, )
    assert box_iou(a, boxes[0]).shape == () and float(box_iou(a, boxes[0])) == pytest.approx(1 / 3)
    # every pair [N, M]; integer boxes are read as float64
    pairs = box_iou(boxes[:2], np.array([[0, 0, 2, 2], [1, 0, 3, 2], [0, 0, 4, 4]]))
    np.testing.assert_allclose(pairs, [[1 / 3, 1, 4 / 16], [1, 1 / 3, 4 / 16]])
    assert pairs.dtype == np.float64


def test_aligned_and_not_finite_boxes():
    a = np.array([[0, 0, 2, 2], [0, 0, 4, 2], [np.nan, 0, 1, 1]], np.float32)
    b = np.array([[1, 1, 3, 3], [0, 0, 2, 2], [0, 0, 1, 1]], np.float32)
    iou = box_iou(a, b, aligned=True)
    assert iou.dtype == np.float32 and iou.shape == (3, )
    np.testing.assert_allclose(iou, [1 / 7, 1 / 2, 0], rtol=1e-6)  # NaN box: IoU 0
    # a degenerate box (zero area) against itself: empty union -> 0, not NaN
    assert float(box_iou([1., 1, 1, 1], [1., 1, 1, 1])) == 0.0


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r'boxes2.*\[3\]'):
        box_iou(np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match='same N'):
        box_iou(np.zeros((2, 4)), np.zeros((3, 4)), aligned=True)


def test_one_iou_everywhere():
    """The release import re-exports this IoU rather than keeping its own."""
    from vpd_mm.preparation.release import box_iou as release_iou
    assert release_iou is box_iou
