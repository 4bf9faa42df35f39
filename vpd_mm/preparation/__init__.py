# Copyright (c) vpd_mm contributors. All rights reserved.
"""Data preparation: raw videos + official annotations -> the distillation layout.

Importing it registers the components (detectors, trackers, teachers, readers) in mmaction's
``TASK_UTILS`` registry; mmdet and mmpose are imported only when a component is built.
"""
from . import readers, release, stages  # noqa: F401
