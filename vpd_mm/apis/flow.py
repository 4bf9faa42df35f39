# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :mod:`vpd_mm.preparation.stages.flow`.

Optical flow is a data-preparation stage, so it moved to ``vpd_mm/preparation/stages/flow.py``
(the registered names ``DISFlowEstimator`` and ``RAFTFlowEstimator`` are unchanged); this module
path goes in the next release. The estimators and functions stay importable from
:mod:`vpd_mm.apis` (and :mod:`vpd_mm.preparation.stages`) without a warning.
"""
from mmaction.registry import TASK_UTILS

from vpd_mm.preparation.stages.flow import (DIS_PRESETS, BaseFlowEstimator, DISFlowEstimator,
                                            RAFTFlowEstimator, crop_pair_flow, crop_sequence_flow,
                                            dis_flow)
from vpd_mm.utils.deprecation import moved_module

__all__ = [
    'DIS_PRESETS', 'BaseFlowEstimator', 'DISFlowEstimator', 'RAFTFlowEstimator',
    'build_flow_estimator', 'crop_pair_flow', 'crop_sequence_flow', 'dis_flow'
]

__getattr__ = moved_module(__name__, 'vpd_mm.preparation.stages.flow',
                           ' (or the names from vpd_mm.preparation.stages)')


def build_flow_estimator(cfg) -> BaseFlowEstimator:
    """Deprecated: build the estimator with ``TASK_UTILS.build(cfg)``, as the preparation
    pipeline builds every stage (None gave the medium DIS estimator, an instance passed
    through).

    Args:
        cfg (dict | BaseFlowEstimator | None): e.g. ``dict(type='DISFlowEstimator',
            preset='medium')``.

    Returns:
        BaseFlowEstimator: The estimator.
    """
    if cfg is None:
        return DISFlowEstimator('medium')
    if isinstance(cfg, BaseFlowEstimator):
        return cfg
    return TASK_UTILS.build(dict(cfg))
