# Copyright (c) vpd_mm contributors. All rights reserved.
from .non_finite_guard_hook import NonFiniteGuardHook
from .student_visualization_hook import StudentVisualizationHook
from .work_dir_outputs_hook import WorkDirOutputsHook, resolve_work_dir_outputs

__all__ = [
    'NonFiniteGuardHook', 'StudentVisualizationHook', 'WorkDirOutputsHook',
    'resolve_work_dir_outputs'
]
