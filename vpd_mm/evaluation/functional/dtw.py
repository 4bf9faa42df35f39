# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated location of :mod:`vpd_mm.ops.dtw`.

The DTW kernels moved to the neutral ``vpd_mm/ops/`` (models use them too); this module path
goes in the next release. The public functions stay importable from
:mod:`vpd_mm.evaluation.functional` without a warning.
"""
import warnings

from vpd_mm.ops import dtw as _moved
from vpd_mm.ops.dtw import *  # noqa: F401,F403

warnings.warn(
    'vpd_mm.evaluation.functional.dtw is deprecated and will be removed in the next '
    'release: import vpd_mm.ops.dtw (or the functions from vpd_mm.ops)',
    DeprecationWarning,
    stacklevel=2)


def __getattr__(name: str):
    """Every other name of :mod:`vpd_mm.ops.dtw` (PEP 562)."""
    return getattr(_moved, name)
