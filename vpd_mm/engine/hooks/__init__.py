# Copyright (c) vpd_mm contributors. All rights reserved.
from .non_finite_guard_hook import NonFiniteGuardHook
from .student_visualization_hook import StudentVisualizationHook

__all__ = ['NonFiniteGuardHook', 'StudentVisualizationHook']
