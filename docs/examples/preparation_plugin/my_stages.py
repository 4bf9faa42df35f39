# Copyright (c) vpd_mm contributors. All rights reserved.
"""An example preparation plugin: a person detector and a pose teacher of one's own.

docs/data_preparation.md ("Write your own preparation stage") explains it; the config beside this
file (``prepare_bright_videos.py``) uses it, and tests/preparation/test_plugin_stage.py runs it.
The two stages suit videos of one bright figure on a darker background (the detector thresholds
the grey level; the teacher lays a fixed upright COCO skeleton into each box): replace their
bodies with a real model and keep the call signatures.

Stages are plain callables registered in mmaction's ``TASK_UTILS`` (vpd_mm's own stages live
there too, vpd_mm/preparation/stages/), built from the config's ``detector`` / ``teacher`` dicts.
"""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmaction.registry import TASK_UTILS

#: Where the 17 COCO keypoints of an upright person lie in their box, as fractions (x, y) of the
#: box's width and height (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles).
UPRIGHT_TEMPLATE = np.array(
    [[0.50, 0.06], [0.45, 0.04], [0.55, 0.04], [0.40, 0.06], [0.60, 0.06],
     [0.30, 0.20], [0.70, 0.20], [0.20, 0.38], [0.80, 0.38], [0.15, 0.52], [0.85, 0.52],
     [0.38, 0.55], [0.62, 0.55], [0.38, 0.76], [0.62, 0.76], [0.38, 0.97], [0.62, 0.97]],
    dtype=np.float32)


@TASK_UTILS.register_module()
class BrightFigureDetector:
    """Person boxes = the bright connected regions of each frame.

    Args:
        threshold (int): Grey level above which a pixel belongs to a figure. Defaults to 200.
        min_area (int): Smallest region kept, in pixels. Defaults to 20.
        score (float): Score of every box. Defaults to 0.9.
    """

    def __init__(self, threshold: int = 200, min_area: int = 20, score: float = 0.9) -> None:
        self.threshold, self.min_area, self.score = int(threshold), int(min_area), float(score)

    def __call__(self,
                 frames: np.ndarray,
                 video: Optional[dict] = None,
                 frame_indices: Optional[np.ndarray] = None) -> List[np.ndarray]:
        """Detect the figures of a chunk of frames.

        Args:
            frames (np.ndarray): RGB frames [n, H, W, 3], uint8.
            video (dict, optional): The reader's record of the video (``video``, ``path``, ...).
            frame_indices (np.ndarray, optional): The chunk's source frame indices [n]. The
                preparer always passes it (simulated stages read ground truth with it); a real
                model ignores it, but the keyword must be accepted.

        Returns:
            list[np.ndarray]: Per frame, boxes [N_i, 5] (x1, y1, x2, y2, score), float32.
        """
        out = []
        for frame in frames:
            grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            mask = (grey > self.threshold).astype(np.uint8)
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [[x, y, x + w, y + h, self.score] for x, y, w, h, area in stats[1:n]
                     if area >= self.min_area]
            out.append(np.asarray(boxes, np.float32).reshape(-1, 5))
        return out


@TASK_UTILS.register_module()
class UprightTemplateTeacher:
    """COCO keypoints of :data:`UPRIGHT_TEMPLATE` laid into each athlete box.

    Args:
        upright_score (float): Score of the joints of a box taller than wide. Defaults to 0.9.
        lying_score (float): Score of the joints of a box wider than tall (the template does
            not fit a lying person: such frames count as unconfident). Defaults to 0.2.
    """

    def __init__(self, upright_score: float = 0.9, lying_score: float = 0.2) -> None:
        self.upright_score, self.lying_score = float(upright_score), float(lying_score)

    def __call__(self,
                 frames: np.ndarray,
                 boxes: Sequence,
                 video: Optional[dict] = None,
                 frame_indices: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Pose of the athlete in each frame of a chunk.

        Args:
            frames (np.ndarray): RGB frames [n, H, W, 3] (unused by the template).
            boxes (Sequence): Athlete boxes [n, 4] (x1, y1, x2, y2); NaN rows where the
                athlete has no box in that frame.
            video (dict, optional): The reader's record of the video.
            frame_indices (np.ndarray, optional): Source frame indices [n] (required keyword).

        Returns:
            tuple[np.ndarray, np.ndarray]: Keypoints [n, 17, 2] in frame pixels (NaN without a
            box) and scores [n, 17] (0 without a box), float32.
        """
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        size = boxes[:, 2:] - boxes[:, :2]  # [n, 2] width, height
        keypoints = boxes[:, None, :2] + UPRIGHT_TEMPLATE[None] * size[:, None]
        upright = size[:, 1] >= size[:, 0]
        scores = np.where(upright, self.upright_score, self.lying_score)[:, None].repeat(17, 1)
        missing = ~np.isfinite(boxes).all(1)
        keypoints[missing], scores[missing] = np.nan, 0.0
        return keypoints.astype(np.float32), scores.astype(np.float32)
