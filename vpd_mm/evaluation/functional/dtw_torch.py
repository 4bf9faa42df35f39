# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :mod:`vpd_mm.ops.dtw_torch`.

The DTW kernels moved to the neutral ``vpd_mm/ops/`` (models use them too); this module path
goes in the next release. The public functions stay importable from
:mod:`vpd_mm.evaluation.functional` without a warning.
"""
from vpd_mm.ops.dtw_torch import *  # noqa: F401,F403
from vpd_mm.utils.deprecation import moved_module

__getattr__ = moved_module(__name__, 'vpd_mm.ops.dtw_torch', ' (or the functions from vpd_mm.ops)')
