# Copyright (c) vpd_mm contributors. All rights reserved.
"""Readers of the official annotation formats (Diving48, FineGym, generic lists, folders)."""
