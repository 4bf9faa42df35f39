# Copyright (c) vpd_mm contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from vpd_mm.structures import (athlete_crop_box, athlete_crop_boxes, cut_crop, fill_missing_boxes,
                               image_to_crop_coords)


def _texture(h=200, w=300, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (h // 8, w // 8, 3)).astype(np.float32)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_square_and_padding():
    box = np.array([10., 20., 30., 60.])  # w 20, h 40, centre (20, 40)
    np.testing.assert_allclose(athlete_crop_box(box, pad=0.0), [0, 20, 40, 60])
    # side 40 * (1 + 2 * 0.1) = 48
    np.testing.assert_allclose(athlete_crop_box(box), [-4, 16, 44, 64])
    wide = np.array([0., 0., 100., 10.])  # square from the width: side 100 -> 120
    np.testing.assert_allclose(athlete_crop_box(wide), [-10, -55, 110, 65])


def test_union_with_previous_box():
    box, prev = np.array([10., 20., 30., 60.]), np.array([0., 30., 20., 50.])
    # union [0, 20, 30, 60]: w 30, h 40, centre (15, 40), side 48
    np.testing.assert_allclose(athlete_crop_box(box, prev), [-9, 16, 39, 64])
    # a missing previous box is ignored, a missing box gives NaN
    np.testing.assert_allclose(athlete_crop_box(box, np.full(4, np.nan)), athlete_crop_box(box))
    assert np.isnan(athlete_crop_box(np.full(4, np.nan), prev)).all()


def test_vectorised_boxes_match_loop():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (6, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 50, (6, 2))], axis=1)
    boxes[3] = np.nan
    out = athlete_crop_boxes(boxes)
    assert out.shape == (6, 4)
    assert np.isnan(out[3]).all()
    for t in range(6):
        if t == 3:
            continue
        prev = boxes[t - 1] if t > 0 else None
        np.testing.assert_allclose(out[t], athlete_crop_box(boxes[t], prev))
    np.testing.assert_allclose(out[4], athlete_crop_box(boxes[4]))  # previous row was NaN
    side = out[:, 2] - out[:, 0]
    np.testing.assert_allclose(side[np.isfinite(side)], (out[:, 3] - out[:, 1])[np.isfinite(side)])


@pytest.mark.parametrize('size', [32, 64, 128, 100])
def test_crop_inside_equals_resize(size):
    img = _texture()
    x1, y1, side = 50, 40, 64
    crop = cut_crop(img, np.array([x1, y1, x1 + side, y1 + side], float), size)
    ref = cv2.resize(img[y1:y1 + side, x1:x1 + side], (size, size), interpolation=cv2.INTER_LINEAR)
    assert crop.shape == (size, size, 3) and crop.dtype == np.uint8
    # the outermost crop pixels may differ: cv2.resize replicates the slice's edge where the
    # crop interpolates with the true neighbours outside the slice
    diff = np.abs(crop.astype(int) - ref.astype(int))[1:-1, 1:-1]
    assert diff.max() <= 2


def test_crop_half_outside_is_zero():
    img = np.full((120, 160, 3), 255, np.uint8)
    crop = cut_crop(img, np.array([-50., 10., 50., 110.]), 100)  # 1 crop px = 1 image px
    assert (crop[:, :49] == 0).all()
    assert (crop[:, 51:] == 255).all()
    # entirely outside
    assert (cut_crop(img, np.array([500., 500., 600., 600.]), 16) == 0).all()


def test_crop_channels_and_errors():
    img = _texture()
    box = np.array([10., 10., 74., 74.])
    assert cut_crop(img[..., 0], box, 32).shape == (32, 32)
    assert cut_crop(img[..., :1], box, 32).shape == (32, 32, 1)
    with pytest.raises(ValueError):
        cut_crop(img, np.array([10., 10., 10., 50.]), 32)
    with pytest.raises(ValueError):
        cut_crop(img, np.full(4, np.nan), 32)


def test_image_to_crop_coords():
    box = np.array([-10., 20., 90., 120.])
    pts = np.array([[-10., 20.], [90., 120.], [40., 70.]])
    np.testing.assert_allclose(image_to_crop_coords(pts, box, 50), [[0, 0], [50, 50], [25, 25]])
    # a bright dot lands where the mapping says
    img = np.zeros((200, 200, 3), np.uint8)
    img[80:84, 60:64] = 255  # centre (62, 82) in continuous coordinates
    crop = cut_crop(img, np.array([30., 50., 130., 150.]), 200)  # 2x up
    ys, xs = np.nonzero(crop[..., 0] > 127)
    np.testing.assert_allclose([xs.mean() + 0.5, ys.mean() + 0.5],
                               image_to_crop_coords(
                                   np.array([62., 82.]), np.array([30., 50., 130., 150.]), 200),
                               atol=0.5)


def test_fill_missing_boxes():
    nan = [np.nan] * 4
    boxes = np.array([nan, [1, 2, 3, 4], nan, nan, [5, 6, 7, 8], nan], dtype=np.float32)
    out = fill_missing_boxes(boxes)
    np.testing.assert_array_equal(out[:, 0], [1, 1, 1, 1, 5, 5])
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(boxes[1], [1, 2, 3, 4])  # the input is unchanged
    with pytest.raises(ValueError, match='no valid box'):
        fill_missing_boxes(np.full((3, 4), np.nan))
    with pytest.raises(ValueError):
        fill_missing_boxes(np.zeros((3, 5)))
