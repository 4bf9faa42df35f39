# Copyright (c) vpd_mm contributors. All rights reserved.
from .warm_restart import (WarmRestartCosineLR, WarmRestartCosineParamScheduler,
                           WarmRestartWeightDecay, warm_restart_position)

__all__ = [
    'WarmRestartCosineLR', 'WarmRestartCosineParamScheduler', 'WarmRestartWeightDecay',
    'warm_restart_position'
]
