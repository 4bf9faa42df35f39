# Copyright (c) vpd_mm contributors. All rights reserved.
from .pose_balanced_sampler import PoseBalancedSampler, torso_angles

__all__ = ['PoseBalancedSampler', 'torso_angles']
