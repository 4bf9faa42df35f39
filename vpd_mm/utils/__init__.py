# Copyright (c) vpd_mm contributors. All rights reserved.
from .launch import set_work_dir, setup_launcher, teardown_distributed

__all__ = ['set_work_dir', 'setup_launcher', 'teardown_distributed']
