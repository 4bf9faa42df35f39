# Copyright (c) vpd_mm contributors. All rights reserved.
"""Colours of joint scores, frame states, the confidence strip, flow colours, track rows."""
import cv2
import numpy as np
import pytest

from vpd_mm.codecs import FlowQuantizer
from vpd_mm.visualization import (CONFIDENT, NO_POSE, UNCONFIDENT, confidence_strip, draw_box,
                                  flow_to_rgb, frame_states, quantized_flow_to_rgb, score_color,
                                  strip_cursor, track_color, tracks_to_rows)
from vpd_mm.visualization.overlays import STATE_COLORS
from vpd_mm.visualization.skeleton import ATHLETE_COLOR, NO_POSE_COLOR


def test_score_color_red_yellow_green():
    assert score_color(0.0) == (0, 0, 255)  # BGR red
    assert score_color(0.5) == (0, 220, 255)  # yellow (green capped at 220)
    assert score_color(1.0) == (0, 220, 0)  # green
    assert score_color(0.75) == (0, 220, 128)
    assert score_color(-3) == score_color(0) and score_color(7) == score_color(1)  # clipped
    assert score_color(float('nan')) == NO_POSE_COLOR


def test_frame_states_and_strip():
    conf = np.array([-np.inf, 0.3, 0.5, 0.9])
    states = frame_states(conf, conf_thr=0.5)
    assert states.tolist() == [NO_POSE, UNCONFIDENT, CONFIDENT, CONFIDENT]
    strip = confidence_strip(states, width=8, height=3)
    assert strip.shape == (3, 8, 3) and strip.dtype == np.uint8
    # two columns per frame, in frame order
    expect = [STATE_COLORS[int(s)] for s in states for _ in range(2)]
    assert [tuple(c) for c in strip[1]] == expect
    cur = strip_cursor(strip, 2, 4)  # frame 2 covers columns 4, 5 (+ 1 on each side)
    assert (cur[:, 3:7] == 255).all() and (cur[:, :3] == strip[:, :3]).all()
    assert (strip[1, 4] != 255).any()  # the input is not changed
    with pytest.raises(ValueError, match='at least one frame'):
        confidence_strip(np.zeros(0, np.int8), 4, 2)


def test_flow_colours_direction_and_speed():
    flow = np.zeros((4, 4, 2), np.float32)
    flow[0, 0] = (5, 0)  # right: hue 0, red
    flow[1, 1] = (-5, 0)  # left: hue 90 (OpenCV), cyan
    rgb = flow_to_rgb(flow, max_magnitude=5)
    assert tuple(rgb[0, 0]) == (255, 0, 0)
    assert tuple(rgb[1, 1]) == (0, 255, 255)
    assert tuple(rgb[2, 2]) == (0, 0, 0)  # no motion: black
    half = flow_to_rgb(flow * 0.5, max_magnitude=5)
    assert abs(int(half[0, 0, 0]) - 127) <= 1  # brightness proportional to speed
    with pytest.raises(ValueError, match=r'\[H, W, 2\]'):
        flow_to_rgb(np.zeros((4, 4)))


def test_quantized_flow_zero_is_black_and_speed_in_pixels():
    q = FlowQuantizer(20.0)
    flow = np.zeros((10, 10, 2), np.float32)
    flow[..., 1] = 8.0  # 8 px down everywhere
    stored = q.encode(flow)
    rgb, speed = quantized_flow_to_rgb(stored[..., 0], stored[..., 1], bound=20.0)
    assert speed == pytest.approx(8.0, abs=2 * 20 / 255)
    zero = q.encode(np.zeros((3, 3, 2), np.float32))
    rgb0, speed0 = quantized_flow_to_rgb(zero[..., 0], zero[..., 1], bound=20.0)
    assert speed0 == 0.0 and not rgb0.any()


def test_tracks_to_rows_sorted_by_frame():
    nan = [np.nan] * 5
    tracks = {3: np.array([[0, 0, 2, 2, 0.9], nan, [1, 1, 3, 3, 0.8]]),
              1: np.array([nan, [5, 5, 6, 6, 0.5], [4, 4, 5, 5, 0.4]])}
    rows = tracks_to_rows(tracks)
    assert rows[:, :2].tolist() == [[0, 3], [1, 1], [2, 1], [2, 3]]
    assert rows[3, 2:].tolist() == [1, 1, 3, 3, 0.8]
    assert tracks_to_rows({}).shape == (0, 7)


def test_track_colour_stable_never_green_and_box_drawn():
    assert track_color(4) == track_color(4)
    for tid in range(50):
        hue = cv2.cvtColor(np.uint8([[track_color(tid)]]), cv2.COLOR_BGR2HSV)[0, 0, 0]
        assert not 40 <= hue <= 80
    img = np.zeros((20, 20, 3), np.uint8)
    draw_box(img, np.array([2, 3, 15, 12]), ATHLETE_COLOR, 1)
    # (anti-aliased lines: near the colour)
    assert np.abs(img[[3, 12], 8].astype(int) - ATHLETE_COLOR).max() <= 30
    assert not img[7, 8].any()  # inside stays empty
    draw_box(img, np.array([np.nan, 0, 1, 1]), (255, 255, 255))  # not finite: nothing drawn
    assert not (img == 255).all(axis=-1).any()
