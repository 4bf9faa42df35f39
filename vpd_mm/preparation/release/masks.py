# Copyright (c) vpd_mm contributors. All rights reserved.
"""Cut the VPD authors' released athlete masks into the rawframes layout.

The release's ``<pose_dir>/<video>/mask.json.gz`` lists, per frame, instance masks as
``[score, [x, y, w, h], base64 PNG]``: the PNG is the mask inside the box, its top-left pixel at
image pixel ``(int(x), int(y))`` and of ``int(h) x int(w)`` pixels (the authors'
``extract_square_crops.py`` pastes it so). For every frame of the pose pkl
(:func:`vpd_mm.preparation.release.import_release_poses`) with an athlete box, the athlete's
mask is the one of score above ``score_thr`` whose box has the largest IoU (at least
``iou_thr``) with the athlete box; it is cut with the frame's ``crop_box`` into
``rawframes/<video>/mask_{t:05d}.png`` (:mod:`vpd_mm.preparation.masks`). The authors take the
best-scoring mask above 0.8 without looking at the box; matching the box keeps a bystander's
mask out.
"""
import os
import os.path as osp
from typing import Dict, List, Optional

import cv2
import numpy as np
from tqdm import tqdm

from vpd_mm.datasets.pose_annotations import load_pose_annotations
from vpd_mm.utils.paths import UnsafePathError, join_under
from ..masks import MASK_TMPL, mask_to_crop, remove_stale_masks, write_mask_png
from .poses import (MASK_FILE, ReleaseFormatError, ReleaseMask, box_iou, decode_mask_png,
                    load_json_file, parse_masks)
from .report import ImportReport

#: The authors' ``MASK_THRESHOLD``: masks of score <= 0.8 are not used.
MASK_SCORE_THR = 0.8


def select_athlete_mask(masks: List[ReleaseMask],
                        athlete_box: np.ndarray,
                        score_thr: float = MASK_SCORE_THR,
                        iou_thr: float = 0.5) -> Optional[int]:
    """The index of the athlete's mask among a frame's masks.

    Args:
        masks (list[ReleaseMask]): The frame's masks (:func:`parse_masks`).
        athlete_box (np.ndarray): [4] x1, y1, x2, y2.
        score_thr (float): Masks of score <= ``score_thr`` are ignored. Defaults to 0.8.
        iou_thr (float): Minimum IoU of the mask's box with the athlete box. Defaults to 0.5.

    Returns:
        int | None: The mask of largest IoU (ties: the higher score, then the first), or None
        when no mask qualifies or the athlete box is not finite.
    """
    athlete_box = np.asarray(athlete_box, dtype=np.float64)
    if not masks or not np.isfinite(athlete_box).all():
        return None
    scores = np.array([m.score for m in masks])  # [N]
    iou = box_iou(athlete_box, np.stack([m.box for m in masks]))  # [N]
    ok = (scores > score_thr) & (iou >= iou_thr)
    if not ok.any():
        return None
    order = np.lexsort((-scores, -iou))  # by IoU, then score, both decreasing
    return int(next(i for i in order if ok[i]))


def _crop_size(folder: str, frames: List[int], default: int) -> int:
    """The side of the frame's existing crops (the first ``img_`` file found), else ``default``."""
    for t in frames:
        path = osp.join(folder, f'img_{t + 1:05d}.jpg')
        if osp.isfile(path):
            img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise ReleaseFormatError(path, 'cannot decode the crop to read its size')
            if img.shape[0] != img.shape[1]:
                raise ReleaseFormatError(path, f'crops are square, got {img.shape[1]}x'
                                         f'{img.shape[0]}')
            return int(img.shape[0])
    return default


def cut_release_masks(mask_path: str,
                      athlete_box: np.ndarray,
                      crop_box: np.ndarray,
                      size: int,
                      score_thr: float = MASK_SCORE_THR,
                      iou_thr: float = 0.5) -> Dict[int, np.ndarray]:
    """The athlete's mask crops of one video.

    Args:
        mask_path (str): The video's ``mask.json.gz``.
        athlete_box (np.ndarray): [T, 4] x1, y1, x2, y2 (NaN where missing).
        crop_box (np.ndarray): [T, 4] the crops' boxes.
        size (int): Side of the crops.
        score_thr (float): See :func:`select_athlete_mask`. Defaults to 0.8.
        iou_thr (float): See :func:`select_athlete_mask`. Defaults to 0.5.

    Returns:
        dict[int, np.ndarray]: 0-based frame -> [size, size] uint8 mask crop (0/255), for the
        frames whose athlete has a mask with at least one pixel in the crop.

    Raises:
        ReleaseFormatError: an unreadable or malformed file, or a used mask whose PNG cannot
            be decoded or whose size is not the box's; the message names the file and entry.
    """
    masks = parse_masks(load_json_file(mask_path), mask_path)
    num = len(athlete_box)
    out: Dict[int, np.ndarray] = {}
    for frame in sorted(f for f in masks if f < num):
        idx = select_athlete_mask(masks[frame], athlete_box[frame], score_thr, iou_thr)
        if idx is None or not np.isfinite(crop_box[frame]).all():
            continue
        mask = masks[frame][idx]
        where = f'frame {frame} mask #{idx}'
        patch = decode_mask_png(mask.png, mask_path, where)  # [h, w] bool
        if patch.shape != mask.shape:
            raise ReleaseFormatError(mask_path, f'{where}: the PNG has {patch.shape[1]}x'
                                     f'{patch.shape[0]} pixels, its box {mask.shape[1]}x'
                                     f'{mask.shape[0]} (w x h)')
        crop = mask_to_crop(patch, crop_box[frame], size, origin=mask.origin)
        if crop.any():
            out[frame] = crop
    return out


def import_release_masks(pose_dir: str,
                         ann_file: str,
                         rawframes_dir: str,
                         crop_size: int = 128,
                         score_thr: float = MASK_SCORE_THR,
                         iou_thr: float = 0.5,
                         report_file: Optional[str] = None,
                         progress: bool = True) -> ImportReport:
    """Write the release's athlete masks as ``rawframes/<video>/mask_{t:05d}.png``.

    Every video of ``ann_file`` (the pkl :func:`import_release_poses` wrote from the same
    ``pose_dir``) with a ``mask.json.gz`` gets the mask crops of :func:`cut_release_masks`,
    cut with the pkl's ``crop_box``. The crop side is that of the video's existing crops
    (``img_{t:05d}.jpg``) when there are some, else ``crop_size``. Each file is written
    atomically; mask files of the video's other frames (an earlier import) are removed. A video
    whose mask file is unreadable or malformed is reported (file and problem) and left
    untouched; the run goes on. Videos without a mask file are warnings: their training noise
    falls back to the athlete box.

    Args:
        pose_dir (str): The release's pose folder (one sub-folder per video).
        ann_file (str): The pose pkl of these videos.
        rawframes_dir (str): ``data/<dataset>/rawframes``; folders are created as needed.
        crop_size (int): Crop side when a video has no crop yet. Defaults to 128.
        score_thr (float): See :func:`select_athlete_mask`. Defaults to 0.8.
        iou_thr (float): See :func:`select_athlete_mask`. Defaults to 0.5.
        report_file (str, optional): JSON report; defaults to
            ``<ann_file stem>_masks_report.json``.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        ImportReport: Videos imported (mask file read), skipped, warnings; ``extra`` holds
        ``frames_with_mask`` and ``frames_with_box``.
    """
    report = ImportReport('masks', pose_dir, rawframes_dir)
    anns = load_pose_annotations(ann_file)['annotations']
    with_mask = with_box = 0
    for ann in tqdm(anns, desc='import masks', disable=not progress):
        name = ann['frame_dir']
        mask_path = osp.join(pose_dir, name, MASK_FILE)
        if not osp.isfile(mask_path):
            report.warn(name, None, f'no {MASK_FILE}: the background noise uses the box')
            continue
        try:
            num = int(ann['total_frames'])
            athlete_box, crop_box = (np.asarray(ann[k], np.float64).reshape(num, 4)
                                     for k in ('athlete_box', 'crop_box'))
        except (KeyError, TypeError, ValueError) as e:
            report.skip(name, ann_file, 'the pose annotation needs total_frames T and '
                        f'athlete_box, crop_box [T, 4] ({type(e).__name__}: {e})')
            continue
        try:
            folder = join_under(rawframes_dir, name, what='video name', where=ann_file)
        except UnsafePathError as e:
            report.skip(name, ann_file, str(e))
            continue
        boxed = [t for t in range(num) if np.isfinite(athlete_box[t]).all()]
        try:
            size = _crop_size(folder, boxed, int(crop_size))
            crops = cut_release_masks(mask_path, athlete_box, crop_box, size, score_thr,
                                      iou_thr)
        except ReleaseFormatError as e:
            report.skip(name, e.path, str(e))
            continue
        os.makedirs(folder, exist_ok=True)
        names = []
        for t, crop in crops.items():
            names.append(MASK_TMPL.format(t + 1))
            write_mask_png(osp.join(folder, names[-1]), crop)
        removed = remove_stale_masks(folder, names)
        if removed:
            report.warn(name, folder, f'{removed} mask files of an earlier import removed')
        with_mask += len(crops)
        with_box += len(boxed)
        report.ok(name)
    report.extra.update(
        score_thr=score_thr, iou_thr=iou_thr, frames_with_mask=with_mask,
        frames_with_box=with_box)
    if report_file is None:
        report_file = osp.splitext(ann_file)[0] + '_masks_report.json'
    report.dump(report_file)
    report.extra['report_file'] = report_file
    return report
