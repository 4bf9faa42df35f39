# Copyright (c) vpd_mm contributors. All rights reserved.
"""A preview of the person tracks of a video and the athlete the selector chose.

Top: a few frames with every tracked person's box (its track's colour and id) and the athlete
box (green; dashed where interpolated). Bottom: when each track has a box, one row per track,
the fragments joined into the athlete's track in green, and the athlete's final box track
(joined, gaps filled) on the top row.
"""
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

from .overlays import draw_box, track_color
from .skeleton import ATHLETE_COLOR


def _runs(frames: np.ndarray) -> list:
    """``(start, length)`` of the runs of consecutive integers in sorted ``frames``."""
    if len(frames) == 0:
        return []
    breaks = np.flatnonzero(np.diff(frames) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(frames)]])
    return [(int(frames[s]), int(e - s)) for s, e in zip(starts, ends)]


def _rgb(bgr) -> tuple:
    return tuple(c / 255 for c in bgr[::-1])


def draw_tracks(frame: np.ndarray, t: int, track_rows: np.ndarray, athlete_box: np.ndarray,
                interpolated: bool = False, athlete_ids: Optional[set] = None,
                min_height: int = 360) -> np.ndarray:
    """Every track's box of frame ``t`` and the athlete box on a copy of ``frame``.

    Args:
        frame (np.ndarray): [H, W, 3] uint8 RGB.
        t (int): Frame index.
        track_rows (np.ndarray): [N, 7] rows ``(frame, id, x1, y1, x2, y2, score)`` sorted by
            frame (:func:`tracks_to_rows`).
        athlete_box (np.ndarray): [4] the athlete's box at ``t`` (NaN: none).
        interpolated (bool): The athlete box was filled in a gap. Defaults to False.
        athlete_ids (set, optional): Track ids joined into the athlete's track.
        min_height (int): A smaller frame is enlarged (by a whole factor) to at least this
            height, so that the labels stay readable. Defaults to 360.

    Returns:
        np.ndarray: [H * s, W * s, 3] uint8 RGB (s the enlargement, 1 for large frames).
    """
    img = np.ascontiguousarray(frame[..., ::-1])
    s = max(1, -(-int(min_height) // img.shape[0]))  # ceil(min_height / H)
    if s > 1:
        img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
    h = img.shape[0]
    scale, thin = max(0.3, h / 480), max(1, int(round(h / 360)))
    lo, hi = np.searchsorted(track_rows[:, 0], [t, t + 1]) if len(track_rows) else (0, 0)
    for row in track_rows[lo:hi]:
        tid = int(row[1])
        mark = '*' if athlete_ids and tid in athlete_ids else ''
        draw_box(img, row[2:6] * s, track_color(tid), thin, label=f'#{tid}{mark} {row[6]:.2f}',
                 font_scale=scale)
    draw_box(img, np.asarray(athlete_box, np.float64) * s + np.array([-2, -2, 2, 2]) * thin,
             ATHLETE_COLOR, 2 * thin, dashed=interpolated)
    return np.ascontiguousarray(img[..., ::-1])


def track_preview(frames: Dict[int, np.ndarray],
                  track_rows: np.ndarray,
                  athlete_boxes: np.ndarray,
                  athlete_interpolated: Optional[np.ndarray] = None,
                  athlete_ids: Optional[set] = None,
                  title: Optional[str] = None,
                  max_rows: int = 30):
    """Draw the track preview.

    Args:
        frames (dict[int, np.ndarray]): Frame index -> [H, W, 3] uint8 RGB frame to show.
        track_rows (np.ndarray): [N, 7] rows of every track (:func:`tracks_to_rows`).
        athlete_boxes (np.ndarray): [T, 4] the athlete's boxes (NaN where missing).
        athlete_interpolated (np.ndarray, optional): [T] bool, boxes filled in gaps.
        athlete_ids (set, optional): Track ids joined into the athlete's track.
        title (str, optional): Figure title.
        max_rows (int): Tracks shown in the timeline (the longest ones, the athlete's first).
            Defaults to 30.

    Returns:
        matplotlib.figure.Figure: The figure.
    """
    from matplotlib.figure import Figure

    athlete_boxes = np.asarray(athlete_boxes, np.float64)
    num = len(athlete_boxes)
    interp = (np.zeros(num, bool) if athlete_interpolated is None else
              np.asarray(athlete_interpolated, bool))
    athlete_ids = set(athlete_ids or ())
    shown = sorted(frames)
    cols = max(1, len(shown))
    h, w = frames[shown[0]].shape[:2] if shown else (1, 1)
    img_w = 3.2
    tids, counts = (np.unique(track_rows[:, 1].astype(np.int64), return_counts=True)
                    if len(track_rows) else (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    order = sorted(range(len(tids)), key=lambda i: (int(tids[i]) not in athlete_ids, -counts[i]))
    order = order[:max_rows]
    timeline_h = 0.9 + 0.16 * (len(order) + 1)
    fig = Figure(figsize=(img_w * cols, img_w * cols * 0 + img_w * h / w + timeline_h + 0.5))
    grid = fig.add_gridspec(2, cols, height_ratios=[img_w * h / w, timeline_h], hspace=0.3,
                            wspace=0.04, left=0.06, right=0.99, top=0.9, bottom=0.1)
    for c, t in enumerate(shown):
        ax = fig.add_subplot(grid[0, c])
        ax.imshow(draw_tracks(frames[t], t, track_rows, athlete_boxes[t], bool(interp[t]),
                              athlete_ids, min_height=240))
        ax.set_xticks([])
        ax.set_yticks([])
        lo, hi = np.searchsorted(track_rows[:, 0], [t, t + 1]) if len(track_rows) else (0, 0)
        ax.set_title(f'frame {t}: {hi - lo} tracked', fontsize=8)

    ax = fig.add_subplot(grid[1, :])
    labels = ['athlete']
    have = np.flatnonzero(np.isfinite(athlete_boxes).all(axis=1))
    for start, length in _runs(have):
        solid = ~interp[start:start + length]
        ax.broken_barh([(start - 0.5, length)], (-0.4, 0.8), color=_rgb(ATHLETE_COLOR),
                       alpha=1.0 if solid.all() else 0.6)
    for start, length in _runs(np.flatnonzero(interp)):
        ax.broken_barh([(start - 0.5, length)], (-0.4, 0.8), facecolor='none',
                       edgecolor='k', hatch='////', linewidth=0)
    for y, i in enumerate(order, 1):
        tid = int(tids[i])
        frames_i = track_rows[track_rows[:, 1] == tid, 0].astype(np.int64)
        color = _rgb(ATHLETE_COLOR) if tid in athlete_ids else _rgb(track_color(tid))
        ax.broken_barh([(s - 0.5, n) for s, n in _runs(np.sort(frames_i))], (y - 0.35, 0.7),
                       color=color)
        labels.append(f'#{tid}' + ('*' if tid in athlete_ids else ''))
    for t in shown:
        ax.axvline(t, color='0.3', linewidth=0.6, linestyle=':')
    ax.set_yticks(range(len(labels)), labels, fontsize=6)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(-0.5, num - 0.5)
    ax.set_xlabel(f'frame (0-based; {len(tids)} tracks; * joined into the athlete track; hatched: '
                  'interpolated)', fontsize=7)
    ax.tick_params(axis='x', labelsize=7)
    ax.grid(axis='x', alpha=0.3)
    fig.suptitle(title or f'{len(tids)} tracks, athlete = tracks '
                 f'{sorted(athlete_ids)}', fontsize=9)
    return fig


def select_preview_frames(num_frames: int, athlete_boxes: np.ndarray, count: int = 4,
                          frames: Optional[Sequence[int]] = None) -> list:
    """Frames to preview: ``frames`` if given, else ``count`` spread over the athlete's span
    (the whole video if it has no box)."""
    if frames is not None:
        out = sorted(set(int(t) for t in frames))
        if not out or out[0] < 0 or out[-1] >= num_frames:
            raise ValueError(f'frames {out} outside the video\'s {num_frames} frames')
        return out
    have = np.flatnonzero(np.isfinite(np.asarray(athlete_boxes)).all(axis=1))
    lo, hi = (int(have[0]), int(have[-1])) if len(have) else (0, num_frames - 1)
    count = max(1, min(int(count), hi - lo + 1))
    return sorted(set(np.round(np.linspace(lo, hi, count)).astype(int).tolist()))
