# Copyright (c) vpd_mm contributors. All rights reserved.
"""Target and input codecs: no networks, no files."""
from .flow_quantizer import FlowQuantizer
from .pose_normalizer import (COCO_FLIP_INDICES, KEPT_FLIP_INDICES, KEPT_JOINTS, NUM_KEYPOINTS,
                              PoseNormalizer, plausible_poses, pose_confidence)
from .vipe_input import NUM_KEPT, VIPEInputEncoder, kept_to_coco17

__all__ = [
    'FlowQuantizer', 'PoseNormalizer', 'pose_confidence', 'plausible_poses', 'COCO_FLIP_INDICES',
    'KEPT_FLIP_INDICES',
    'KEPT_JOINTS', 'NUM_KEYPOINTS', 'NUM_KEPT', 'VIPEInputEncoder', 'kept_to_coco17'
]
