# Copyright (c) vpd_mm contributors. All rights reserved.
"""Readers and converters for the files the VPD authors released."""
