# Copyright (c) vpd_mm contributors. All rights reserved.
"""Flip-consistent transforms of RGB + flow athlete crops (uint8 [H, W, C], C = 5 or 3).

Channel layout of ``results['imgs']``: ``[R, G, B, flow_x, flow_y]`` (flow quantised as in
:class:`vpd_mm.codecs.FlowQuantizer`, 128 ~ zero) or ``[R, G, B]``. Normalisation happens in the
model's data preprocessor; ``results['flow_scale']`` tells it how much a zoom scaled the flow.
"""
from .color import VPDColorJitter
from .crop import VPDRandomResizedCrop, VPDResize
from .flip import VPDRandomFlip
from .formatting import PackVPDInputs, frame_collate
from .loading import LoadVPDFrame
from .noise import VPDBackgroundNoise
from .rotate import VPDRandomRotate
from .sequence import (LoadFeatureSequence, LoadVPDFrameSequence, PackFeatureSequence,
                       sequence_collate)

__all__ = [
    'LoadVPDFrame', 'VPDRandomFlip', 'VPDRandomResizedCrop', 'VPDResize', 'VPDColorJitter',
    'VPDBackgroundNoise', 'PackVPDInputs', 'VPDRandomRotate', 'frame_collate'
]
__all__ += [
    'LoadFeatureSequence', 'LoadVPDFrameSequence', 'PackFeatureSequence', 'sequence_collate'
]
