# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognizers over feature sequences and over frozen-student crops."""
