# Copyright (c) vpd_mm contributors. All rights reserved.
from . import functional  # noqa: F401  (DTW, retrieval precision: pure functions)
from .metrics import *  # noqa: F401,F403
