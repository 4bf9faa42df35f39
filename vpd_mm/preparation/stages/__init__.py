# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-video stages: decoding, person detection, tracking, athlete selection, 2D pose."""
