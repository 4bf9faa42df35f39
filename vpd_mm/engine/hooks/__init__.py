# Copyright (c) vpd_mm contributors. All rights reserved.
from .non_finite_guard_hook import NonFiniteGuardHook

__all__ = ['NonFiniteGuardHook']
