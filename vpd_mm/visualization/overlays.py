# Copyright (c) vpd_mm contributors. All rights reserved.
"""Boxes, track colours, optical-flow colours and the per-frame confidence strip (OpenCV, BGR)."""
from typing import Optional, Tuple

import cv2
import numpy as np

from vpd_mm.codecs import FlowQuantizer
from .skeleton import CONFIDENT_COLOR, NO_POSE_COLOR, UNCONFIDENT_COLOR, Color

#: Frame states of :func:`frame_states`.
NO_POSE, UNCONFIDENT, CONFIDENT = 0, 1, 2
STATE_COLORS = {NO_POSE: NO_POSE_COLOR, UNCONFIDENT: UNCONFIDENT_COLOR, CONFIDENT: CONFIDENT_COLOR}
STATE_NAMES = {NO_POSE: 'no pose', UNCONFIDENT: 'unconfident', CONFIDENT: 'confident'}


def track_color(track_id: int) -> Color:
    """A stable, distinct BGR colour per track id (golden-angle hues, never green)."""
    hue = int((int(track_id) * 137.508) % 180)
    if 40 <= hue <= 80:  # keep green for the athlete
        hue = (hue + 60) % 180
    hsv = np.uint8([[[hue, 200, 255]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_box(img: np.ndarray,
             box: np.ndarray,
             color: Color,
             thickness: int = 1,
             label: Optional[str] = None,
             dashed: bool = False,
             font_scale: float = 0.4) -> np.ndarray:
    """Draw an x1, y1, x2, y2 box in place (nothing if it is not finite).

    Args:
        img (np.ndarray): [H, W, 3] uint8 BGR image.
        box (np.ndarray): [4] (or more; the first 4 are used) box in pixels.
        color (tuple): BGR colour.
        thickness (int): Line width. Defaults to 1.
        label (str, optional): Text above the box's top-left corner. Defaults to None.
        dashed (bool): Dashed outline (e.g. an interpolated box). Defaults to False.
        font_scale (float): Label size. Defaults to 0.4.

    Returns:
        np.ndarray: ``img``.
    """
    b = np.asarray(box, dtype=np.float64).reshape(-1)[:4]
    if not np.isfinite(b).all():
        return img
    x1, y1, x2, y2 = (int(round(v)) for v in b)
    if not dashed:
        cv2.rectangle(img, (x1, y1), (x2, y2), color, thickness, cv2.LINE_AA)
    else:
        dash = max(3, 4 * thickness)
        for (ax, ay), (bx, by) in (((x1, y1), (x2, y1)), ((x2, y1), (x2, y2)),
                                   ((x2, y2), (x1, y2)), ((x1, y2), (x1, y1))):
            length = max(abs(bx - ax), abs(by - ay))
            for s in range(0, length, 2 * dash):
                e = min(s + dash, length)
                p = (ax + (bx - ax) * s // max(length, 1), ay + (by - ay) * s // max(length, 1))
                q = (ax + (bx - ax) * e // max(length, 1), ay + (by - ay) * e // max(length, 1))
                cv2.line(img, p, q, color, thickness, cv2.LINE_AA)
    if label:
        from .skeleton import put_text
        put_text(img, label, (x1 + 1, max(y1 - 3, int(10 * font_scale / 0.4))), color,
                 font_scale)
    return img


def frame_states(confidence: np.ndarray, conf_thr: float = 0.5) -> np.ndarray:
    """Per-frame state from the teacher's confidence.

    Args:
        confidence (np.ndarray): [T] frame confidences (:func:`vpd_mm.codecs.pose_confidence`;
            ``-inf`` without a pose).
        conf_thr (float): Confidence threshold of the distillation. Defaults to 0.5.

    Returns:
        np.ndarray: [T] int8: :data:`CONFIDENT`, :data:`UNCONFIDENT` (a pose below the
        threshold) or :data:`NO_POSE`.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    states = np.full(conf.shape, NO_POSE, np.int8)
    states[np.isfinite(conf)] = UNCONFIDENT
    states[np.isfinite(conf) & (conf >= conf_thr)] = CONFIDENT
    return states


def confidence_strip(states: np.ndarray, width: int, height: int) -> np.ndarray:
    """A strip of per-frame states, time left to right.

    Args:
        states (np.ndarray): [T] :func:`frame_states` values.
        width (int): Strip width in pixels (frames are resampled to it: nearest frame).
        height (int): Strip height in pixels.

    Returns:
        np.ndarray: [height, width, 3] uint8 BGR.
    """
    states = np.asarray(states).reshape(-1)
    if len(states) == 0:
        raise ValueError('confidence_strip needs at least one frame')
    cols = np.minimum((np.arange(width) + 0.5) * len(states) / width, len(states) - 1)
    lut = np.array([STATE_COLORS[s] for s in (NO_POSE, UNCONFIDENT, CONFIDENT)], np.uint8)
    row = lut[states[cols.astype(np.int64)]]  # [width, 3]
    return np.repeat(row[None], height, axis=0)


def strip_cursor(strip: np.ndarray, t: int, num_frames: int) -> np.ndarray:
    """A copy of ``strip`` with a white cursor at frame ``t`` of ``num_frames``."""
    out = strip.copy()
    w = out.shape[1]
    x0 = int(t * w / num_frames)
    x1 = max(x0 + 1, int((t + 1) * w / num_frames))
    out[:, max(0, x0 - 1):min(w, x1 + 1)] = 255
    return out


def flow_to_rgb(flow: np.ndarray, max_magnitude: Optional[float] = None) -> np.ndarray:
    """Colour-code a dense flow field: hue = direction, brightness = speed.

    Args:
        flow (np.ndarray): [H, W, 2] flow (x, y) in pixels.
        max_magnitude (float, optional): Speed shown at full brightness. Defaults to the
            field's 99th percentile (at least 1 px).

    Returns:
        np.ndarray: [H, W, 3] uint8 RGB.
    """
    f = np.asarray(flow, dtype=np.float32)
    if f.ndim != 3 or f.shape[-1] != 2:
        raise ValueError(f'expected flow [H, W, 2], got {list(f.shape)}')
    mag, ang = cv2.cartToPolar(np.ascontiguousarray(f[..., 0]), np.ascontiguousarray(f[..., 1]))
    if max_magnitude is None:
        max_magnitude = max(1.0, float(np.percentile(mag, 99)))
    hsv = np.empty(f.shape[:2] + (3, ), np.uint8)
    hsv[..., 0] = (ang * (90 / np.pi)).astype(np.uint8) % 180  # OpenCV hue: 0..179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(mag / max_magnitude * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def quantized_flow_to_rgb(flow_x: np.ndarray, flow_y: np.ndarray, bound: float = 20.0,
                          max_magnitude: Optional[float] = None) -> Tuple[np.ndarray, float]:
    """Colour-code a stored flow pair (``flow_x_%05d.jpg``, ``flow_y_%05d.jpg``).

    Args:
        flow_x (np.ndarray): [H, W] uint8 quantised flow x.
        flow_y (np.ndarray): [H, W] uint8 quantised flow y.
        bound (float): Quantisation bound in pixels. Defaults to 20.
        max_magnitude (float, optional): See :func:`flow_to_rgb`.

    Returns:
        tuple: [H, W, 3] uint8 RGB, and the 99th percentile of the speed in pixels.
    """
    q = np.stack([np.asarray(flow_x), np.asarray(flow_y)], axis=-1)  # [H, W, 2]
    flow = FlowQuantizer(bound).decode(q)  # [H, W, 2] px
    # zero flow is stored as 128, which decodes to half a quantisation step: show it as zero
    flow[np.abs(flow) <= 2 * bound / 255] = 0
    speed = float(np.percentile(np.hypot(flow[..., 0], flow[..., 1]), 99))
    return flow_to_rgb(flow, max_magnitude), speed
