# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot temporal detection: per-frame models over feature sequences."""
