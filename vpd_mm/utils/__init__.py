# Copyright (c) vpd_mm contributors. All rights reserved.
from .io import dump_json_atomic, save_npy_atomic
from .launch import set_work_dir, setup_launcher, teardown_distributed
from .results import load_results, write_result

__all__ = [
    'set_work_dir', 'setup_launcher', 'teardown_distributed', 'save_npy_atomic', 'dump_json_atomic',
    'write_result', 'load_results'
]
