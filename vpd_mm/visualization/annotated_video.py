# Copyright (c) vpd_mm contributors. All rights reserved.
"""The annotated video of one prepared video: what the detector, tracker, athlete selector,
teacher and student made of every frame.

Layout of an output frame (``W x H`` the video's size, ``P = H // 2``)::

    +----------------------------+--------+
    |                            | crop   |  P x P: the athlete crop the student sees
    |  video frame: other tracks |--------+
    |  (thin), athlete box, the  | poses  |  P x P: student's decoded pose (thick) over
    |  teacher's skeleton        |        |  the teacher's normalised pose (thin)
    +----------------------------+--------+
    | confident / unconfident / no-pose strip, cursor at the frame  |
    +---------------------------------------------------------------+
"""
import os.path as osp
from typing import Optional, Union

import cv2
import numpy as np
from tqdm import tqdm

from vpd_mm.codecs import KEPT_JOINTS, PoseNormalizer, pose_confidence
from vpd_mm.preparation.stages.video import iter_video_chunks
from .io import AtomicVideoWriter
from .overlays import (STATE_COLORS, STATE_NAMES, confidence_strip, draw_box, frame_states,
                       strip_cursor, track_color)
from .skeleton import ATHLETE_COLOR, draw_skeleton, pose_panel, put_text

__all__ = ['teacher_views', 'tracks_to_rows', 'render_annotated_video', 'annotate_frame']


def tracks_to_rows(tracks: dict) -> np.ndarray:
    """A tracker's output as rows sorted by frame (memory grows with the boxes, not T x tracks).

    Args:
        tracks (dict[int, np.ndarray]): Track id -> [T, 5] ``(x1, y1, x2, y2, score)``, NaN
            rows where the track has no box (:class:`MMDetPersonTracker`'s output).

    Returns:
        np.ndarray: [N, 7] float64 rows ``(frame, track id, x1, y1, x2, y2, score)``.
    """
    rows = []
    for tid, arr in tracks.items():
        arr = np.asarray(arr, dtype=np.float64).reshape(-1, 5)
        t = np.flatnonzero(np.isfinite(arr[:, :4]).all(axis=1))
        rows.append(np.column_stack([t, np.full(len(t), int(tid)), arr[t]]))
    if not rows:
        return np.zeros((0, 7))
    out = np.concatenate(rows)
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def teacher_views(annotation: dict, conf_thr: float = 0.5) -> dict:
    """Per-frame teacher quantities of a prepared video's annotation.

    Args:
        annotation (dict): A PoseDataset annotation (``keypoint`` [1, T, 17, 2],
            ``keypoint_score`` [1, T, 17]).
        conf_thr (float): Confidence threshold. Defaults to 0.5.

    Returns:
        dict: ``keypoints`` [T, 17, 2], ``scores`` [T, 17], ``confidence`` [T] (``-inf``
        without a pose), ``states`` [T] (:func:`frame_states`), ``normalized`` [T, 26] (NaN
        without a pose) and ``kept_scores`` [T, 13].
    """
    kp = np.asarray(annotation['keypoint'], dtype=np.float32)[0]  # [T, 17, 2]
    sc = np.asarray(annotation['keypoint_score'], dtype=np.float32)[0]  # [T, 17]
    conf = pose_confidence(sc, kp, img_shape=annotation.get('img_shape'))  # [T]
    norm = np.full((len(kp), PoseNormalizer.dim), np.nan, np.float32)
    has = np.isfinite(kp).all(axis=(1, 2))
    if has.any():
        norm[has] = PoseNormalizer().encode(kp[has])
    return dict(keypoints=kp, scores=sc, confidence=conf, states=frame_states(conf, conf_thr),
                normalized=norm, kept_scores=sc[:, list(KEPT_JOINTS)])


def annotate_frame(frame: np.ndarray, t: int, teacher: dict, annotation: dict,
                   track_rows: Optional[np.ndarray] = None,
                   athlete_ids: Optional[set] = None,
                   scale: float = 1.0) -> np.ndarray:
    """Draw the tracks, the athlete box and the teacher's skeleton on one video frame.

    Args:
        frame (np.ndarray): [H, W, 3] uint8 RGB frame ``t``.
        t (int): Prepared frame index.
        teacher (dict): :func:`teacher_views` of the annotation.
        annotation (dict): The annotation (``athlete_box`` [T, 4], optional
            ``athlete_interpolated`` [T], ``crop_box`` [T, 4]).
        track_rows (np.ndarray, optional): :func:`tracks_to_rows` of the video.
        athlete_ids (set, optional): Track ids joined into the athlete's track.
        scale (float): The frame is enlarged by this factor before drawing (small videos).
            Defaults to 1.

    Returns:
        np.ndarray: [H * scale, W * scale, 3] uint8 BGR.
    """
    img = np.ascontiguousarray(frame[..., ::-1])
    if scale != 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    h = img.shape[0]
    font = max(0.3, h / 480)
    thin = max(1, int(round(h / 360)))
    if track_rows is not None and len(track_rows):
        lo, hi = np.searchsorted(track_rows[:, 0], [t, t + 1])
        for row in track_rows[lo:hi]:
            tid = int(row[1])
            if athlete_ids and tid in athlete_ids:
                continue
            draw_box(img, row[2:6] * scale, track_color(tid), thin, label=f'#{tid}',
                     font_scale=font)
    crop_box = annotation.get('crop_box')
    if crop_box is not None:
        draw_box(img, np.asarray(crop_box)[t] * scale, (200, 200, 200), 1, dashed=True)
    interp = annotation.get('athlete_interpolated')
    dashed = bool(interp[t]) if interp is not None else False
    draw_box(img, np.asarray(annotation['athlete_box'])[t] * scale, ATHLETE_COLOR, 2 * thin,
             label='athlete (interpolated)' if dashed else 'athlete', dashed=dashed,
             font_scale=font)
    if np.isfinite(teacher['keypoints'][t]).all():
        draw_skeleton(img, teacher['keypoints'][t] * scale, teacher['scores'][t],
                      thickness=2 * thin, radius=2 * thin + 1)
    return img


def render_annotated_video(video: str,
                           annotation: dict,
                           out_path: str,
                           crop_dir: Optional[str] = None,
                           student_poses: Optional[np.ndarray] = None,
                           track_rows: Optional[np.ndarray] = None,
                           athlete_ids: Optional[set] = None,
                           conf_thr: float = 0.5,
                           fps: Optional[float] = None,
                           sampling: Union[None, str, dict] = None,
                           chunk_size: int = 64,
                           backend: str = 'decord',
                           allow_truncated: bool = False,
                           min_height: int = 360,
                           progress: bool = True) -> dict:
    """Write the annotated video (layout in the module docstring), decoding chunk by chunk.

    The video is decoded with the preparation's frame sampling (``fps``, ``sampling``), so
    output frame ``t`` is prepared frame ``t``; the source frames are checked against the
    annotation's ``source_frame_idx``.

    Args:
        video (str): The source video file.
        annotation (dict): Its PoseDataset annotation (the preparation's output).
        out_path (str): The ``.mp4`` to write (atomically).
        crop_dir (str, optional): Its ``rawframes/<video>`` folder; the crops go into the
            panel. Defaults to None (black).
        student_poses (np.ndarray, optional): [T, 26] the student's decoded poses (view 0);
            None for a student that does not decode a 2D pose. Defaults to None.
        track_rows (np.ndarray, optional): :func:`tracks_to_rows` of every tracked person.
        athlete_ids (set, optional): Track ids joined into the athlete's track.
        conf_thr (float): Teacher confidence threshold. Defaults to 0.5.
        fps (float, optional): The preparation's frame rate (None: the source's).
        sampling (None | str | dict): The preparation's frame sampling. Defaults to None.
        chunk_size (int): Frames decoded at a time. Defaults to 64.
        backend (str): ``'decord'`` or ``'opencv'``. Defaults to ``'decord'``.
        allow_truncated (bool): As in the preparation. Defaults to False.
        min_height (int): Smaller videos are enlarged (by a whole factor) to at least this
            height, so that the drawings stay readable. Defaults to 360.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: ``path``, ``frames``, ``size`` ((width, height)) and ``states`` (frames per
        state name).
    """
    num = int(annotation['total_frames'])
    teacher = teacher_views(annotation, conf_thr)
    if student_poses is not None:
        student_poses = np.asarray(student_poses, dtype=np.float32).reshape(num, -1)
    src_idx = np.asarray(annotation.get('source_frame_idx', np.arange(num)), dtype=np.int64)
    src_h, src_w = (int(v) for v in annotation['img_shape'])
    scale = max(1, -(-int(min_height) // src_h))  # whole factor: ceil(min_height / h)
    h, w = src_h * scale, src_w * scale
    panel = max(32, (h // 2) // 2 * 2)
    strip_h = max(6, h // 20) // 2 * 2
    out_w, out_h = (w + panel + 1) // 2 * 2, (h + strip_h + 1) // 2 * 2
    strip = confidence_strip(teacher['states'], out_w, strip_h)
    video_fps = float(annotation.get('fps') or fps or 25.0)
    bar = tqdm(total=num, desc='annotated video', unit='frame', disable=not progress)
    t = 0
    with AtomicVideoWriter(out_path, video_fps, (out_w, out_h)) as writer:
        for idx, frames in iter_video_chunks(video, fps=fps, chunk_size=chunk_size,
                                             backend=backend, allow_truncated=allow_truncated,
                                             sampling=sampling):
            if t + len(idx) > num or not np.array_equal(idx, src_idx[t:t + len(idx)]):
                raise ValueError(f'{video}: the decoded frames differ from those the annotation '
                                 'was prepared from (another video, or another fps / sampling)')
            for frame in frames:
                canvas = np.zeros((out_h, out_w, 3), np.uint8)
                canvas[:h, :w] = annotate_frame(frame, t, teacher, annotation, track_rows,
                                                athlete_ids, scale)
                crop = None
                if crop_dir is not None:
                    crop = cv2.imread(osp.join(crop_dir, f'img_{t + 1:05d}.jpg'), cv2.IMREAD_COLOR)
                if crop is not None:
                    canvas[:panel, w:w + panel] = cv2.resize(crop, (panel, panel),
                                                             interpolation=cv2.INTER_LINEAR)
                student = None if student_poses is None else student_poses[t]
                canvas[panel:2 * panel, w:w + panel] = pose_panel(
                    panel, student, teacher['normalized'][t], teacher['kept_scores'][t])
                canvas[out_h - strip_h:, :] = strip_cursor(strip, t, num)
                state = int(teacher['states'][t])
                conf = teacher['confidence'][t]
                text = f'frame {t}/{num - 1}  teacher ' + (  # 0-based, as --frames
                    f'{conf:.2f} {STATE_NAMES[state]}' if np.isfinite(conf) else 'no pose')
                put_text(canvas, text, (4, max(12, int(14 * max(0.3, h / 480) / 0.4))),
                         STATE_COLORS[state], max(0.3, h / 480))
                writer.write(canvas)
                t += 1
                bar.update(1)
        if t != num:
            raise ValueError(f'{video}: decoded {t} frames, the annotation has {num}')
    bar.close()
    names = {STATE_NAMES[s]: int((teacher['states'] == s).sum()) for s in STATE_NAMES}
    return dict(path=out_path, frames=t, size=(out_w, out_h), states=names)
