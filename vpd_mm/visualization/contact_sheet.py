# Copyright (c) vpd_mm contributors. All rights reserved.
"""A contact sheet of one prepared video: what the student trains on, frame by frame.

Columns are frames; rows are the athlete crop with the teacher's skeleton (coloured by its
joint scores), the colour-coded optical flow, and the normalised poses (the student's decoded
pose over the teacher's); a plot below follows the teacher's confidence over the whole video
and, given the student's poses, their distance to the teacher's.
"""
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np

from vpd_mm.structures.crops import image_to_crop_coords
from .annotated_video import teacher_views
from .overlays import STATE_COLORS, STATE_NAMES, quantized_flow_to_rgb
from .skeleton import STUDENT_COLOR, draw_skeleton, pose_panel


def _read(path: str, flag: int) -> np.ndarray:
    img = cv2.imread(path, flag)
    if img is None:
        raise FileNotFoundError(f'cannot read {path} (missing or not an image)')
    return img


def _rgb(bgr: Sequence[int]) -> tuple:
    return tuple(c / 255 for c in bgr[::-1])


def even_frames(num_frames: int, count: int) -> np.ndarray:
    """``count`` frame indices spread evenly over ``[0, num_frames)`` (all if fewer)."""
    count = max(1, min(int(count), int(num_frames)))
    return np.unique(np.round(np.linspace(0, num_frames - 1, count)).astype(np.int64))


def pose_distance(student: np.ndarray, teacher: np.ndarray) -> np.ndarray:
    """Mean joint distance between normalised poses.

    Args:
        student (np.ndarray): [T, 26].
        teacher (np.ndarray): [T, 26] (NaN rows without a pose).

    Returns:
        np.ndarray: [T] (NaN where either is missing).
    """
    d = np.asarray(student, np.float64).reshape(len(student), -1, 2) - np.asarray(
        teacher, np.float64).reshape(len(teacher), -1, 2)
    return np.linalg.norm(d, axis=-1).mean(axis=-1)


def contact_sheet(frame_dir: str,
                  annotation: dict,
                  frames: Optional[Sequence[int]] = None,
                  num_frames: int = 8,
                  student_poses: Optional[np.ndarray] = None,
                  conf_thr: float = 0.5,
                  flow_bound: float = 20.0,
                  tile: int = 96,
                  title: Optional[str] = None):
    """Draw the contact sheet of a prepared video.

    Args:
        frame_dir (str): ``rawframes/<video>`` (``img_/flow_x_/flow_y_%05d.jpg``).
        annotation (dict): The video's PoseDataset annotation (``keypoint``,
            ``keypoint_score``, ``crop_box``, ``total_frames``).
        frames (Sequence[int], optional): 0-based frames to show. Defaults to
            ``num_frames`` frames spread evenly.
        num_frames (int): See ``frames``. Defaults to 8.
        student_poses (np.ndarray, optional): [T, 26] (or [T, 1, 26]) the student's decoded
            poses (``tools/test.py --dump-poses``). Defaults to None.
        conf_thr (float): Teacher confidence threshold. Defaults to 0.5.
        flow_bound (float): Flow quantisation bound, pixels. Defaults to 20.
        tile (int): Side of each picture, pixels. Defaults to 96.
        title (str, optional): Figure title. Defaults to the folder's name and counts.

    Returns:
        matplotlib.figure.Figure: The figure (save it with :func:`save_figure`).
    """
    from matplotlib.figure import Figure

    num = int(annotation['total_frames'])
    teacher = teacher_views(annotation, conf_thr)
    frames = even_frames(num, num_frames) if frames is None else np.asarray(frames, np.int64)
    if len(frames) == 0 or frames.min() < 0 or frames.max() >= num:
        raise ValueError(f'frames {list(frames)} outside the video\'s {num} frames')
    if student_poses is not None:
        student_poses = np.asarray(student_poses, np.float32).reshape(num, -1)
    crop_boxes = np.asarray(annotation['crop_box'], np.float64)

    crops, flows, speeds = [], [], []
    for t in frames:
        name = f'{t + 1:05d}.jpg'
        crop = _read(osp.join(frame_dir, 'img_' + name), cv2.IMREAD_COLOR)  # [S, S, 3] BGR
        size = crop.shape[0]
        crop = cv2.resize(crop, (tile, tile), interpolation=cv2.INTER_LINEAR)
        kp = teacher['keypoints'][t]
        if np.isfinite(kp).all():
            pts = image_to_crop_coords(kp, crop_boxes[t], size) * (tile / size)
            draw_skeleton(crop, pts, teacher['scores'][t], thickness=max(1, tile // 64),
                          radius=max(2, tile // 40))
        crops.append(crop[..., ::-1])
        fx = _read(osp.join(frame_dir, 'flow_x_' + name), cv2.IMREAD_GRAYSCALE)
        fy = _read(osp.join(frame_dir, 'flow_y_' + name), cv2.IMREAD_GRAYSCALE)
        flows.append((fx, fy))
        speeds.append(quantized_flow_to_rgb(fx, fy, flow_bound)[1])
    vmax = max(1.0, max(speeds))
    flow_imgs = [
        cv2.resize(quantized_flow_to_rgb(fx, fy, flow_bound, vmax)[0], (tile, tile),
                   interpolation=cv2.INTER_NEAREST) for fx, fy in flows
    ]
    poses = [
        pose_panel(tile, None if student_poses is None else student_poses[t],
                   teacher['normalized'][t], teacher['kept_scores'][t], label=False)[..., ::-1]
        for t in frames
    ]

    cols = len(frames)
    fig = Figure(figsize=(1.15 * cols + 0.9, 5.6))
    grid = fig.add_gridspec(4, cols, height_ratios=[1, 1, 1, 1.15], hspace=0.25, wspace=0.05,
                            left=0.08, right=0.94, top=0.9, bottom=0.08)
    rows = [(crops, 'crop + teacher'), (flow_imgs, f'flow (bright:\n{vmax:.1f} px)'),
            (poses, 'pose: student\n(thick), teacher')]
    for r, (imgs, label) in enumerate(rows):
        for c, img in enumerate(imgs):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(img, interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=7)
            if r == 0:
                t = int(frames[c])
                state = int(teacher['states'][t])
                conf = teacher['confidence'][t]
                text = f't={t}\n' + (f'{conf:.2f}' if np.isfinite(conf) else 'no pose')
                ax.set_title(text, fontsize=7, color=_rgb(STATE_COLORS[state]))

    ax = fig.add_subplot(grid[3, :])
    x = np.arange(num)  # 0-based frame indices, as the tools' --frames
    states_rgb = np.array([_rgb(STATE_COLORS[int(s)]) for s in teacher['states']])[None]
    ax.imshow(states_rgb, extent=(-0.5, num - 0.5, 0, 1), aspect='auto', alpha=0.3,
              interpolation='nearest')
    conf = np.where(np.isfinite(teacher['confidence']), teacher['confidence'], np.nan)
    ax.plot(x, conf, color='k', linewidth=1, label='teacher confidence')
    ax.axhline(conf_thr, color='k', linestyle=':', linewidth=0.8)
    for t in frames:
        ax.axvline(t, color='0.4', linewidth=0.5)
    ax.set_xlim(-0.5, num - 0.5)
    ax.set_ylim(0, 1)
    counts = ', '.join(f'{STATE_NAMES[s]} {int((teacher["states"] == s).sum())}'
                       for s in sorted(STATE_NAMES, reverse=True))
    ax.set_xlabel(f'frame (0-based; background: {counts})', fontsize=7)
    ax.set_ylabel('confidence', fontsize=7)
    ax.tick_params(labelsize=7)
    handles = ax.get_lines()[:1]
    if student_poses is not None:
        ax2 = ax.twinx()
        dist = pose_distance(student_poses, teacher['normalized'])
        ax2.plot(x, dist, color=_rgb(STUDENT_COLOR), linewidth=1.2,
                 label='student - teacher pose distance')
        ax2.set_ylim(0, max(0.5, float(np.nanmax(dist)) * 1.05 if np.isfinite(dist).any()
                            else 0.5))
        ax2.tick_params(labelsize=7)
        ax2.set_ylabel('pose distance', fontsize=7)
        handles = handles + ax2.get_lines()
    ax.legend(handles=handles, fontsize=6, loc='lower left')
    num_conf = int((teacher['states'] == 2).sum())
    fig.suptitle(title or f'{osp.basename(osp.normpath(frame_dir))}: {num} frames, {num_conf} '
                 f'confident (>= {conf_thr})', fontsize=9)
    return fig
