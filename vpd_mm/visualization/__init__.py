# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pictures for checking data and results (OpenCV and matplotlib; nothing here builds a
network): skeletons coloured by the teacher's confidence, flow colours, the annotated video of
``tools/vpd_demo.py``, and the figures of ``tools/visualizations/`` and
``tools/analysis_tools/`` (contact sheet, track preview, retrieval strip, confusion matrix).
Figures are ``matplotlib.figure.Figure`` objects (no pyplot state); :func:`save_figure` writes
them atomically."""
from .annotated_video import annotate_frame, render_annotated_video, teacher_views, tracks_to_rows
from .confusion_matrix import confusion_matrix_figure
from .contact_sheet import contact_sheet, even_frames, pose_distance
from .io import AtomicVideoWriter, save_figure, save_image
from .overlays import (CONFIDENT, NO_POSE, STATE_NAMES, UNCONFIDENT, confidence_strip, draw_box,
                       flow_to_rgb, frame_states, quantized_flow_to_rgb, strip_cursor, track_color)
from .retrieval_strip import action_frames, retrieval_strip
from .skeleton import (COCO_SKELETON, KEPT_SKELETON, draw_normalized_pose, draw_skeleton,
                       pose_panel, score_color)
from .track_preview import draw_tracks, select_preview_frames, track_preview

__all__ = [
    'annotate_frame', 'render_annotated_video', 'teacher_views', 'tracks_to_rows',
    'confusion_matrix_figure', 'contact_sheet', 'even_frames', 'pose_distance',
    'AtomicVideoWriter', 'save_figure', 'save_image', 'CONFIDENT', 'NO_POSE', 'STATE_NAMES',
    'UNCONFIDENT', 'confidence_strip', 'draw_box', 'flow_to_rgb', 'frame_states',
    'quantized_flow_to_rgb', 'strip_cursor', 'track_color', 'action_frames', 'retrieval_strip',
    'COCO_SKELETON', 'KEPT_SKELETON', 'draw_normalized_pose', 'draw_skeleton', 'pose_panel',
    'score_color', 'draw_tracks', 'select_preview_frames', 'track_preview'
]
