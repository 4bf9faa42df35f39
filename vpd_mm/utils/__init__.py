# Copyright (c) vpd_mm contributors. All rights reserved.
from .io import dump_json_atomic, save_npy_atomic
from .launch import set_work_dir, setup_launcher, teardown_distributed

__all__ = [
    'set_work_dir', 'setup_launcher', 'teardown_distributed', 'save_npy_atomic', 'dump_json_atomic'
]
