# Copyright (c) vpd_mm contributors. All rights reserved.
"""Test-session settings shared by every test module.

Under pytest-xdist (``make test`` runs ``-n 2`` on 2 cores) each worker, and every tool it starts
in a subprocess, uses one compute thread: two workers with torch's default of one thread per core
each oversubscribe the CPU and run several times slower.
"""
import os

if os.environ.get('PYTEST_XDIST_WORKER'):
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'NUMBA_NUM_THREADS'):
        os.environ.setdefault(var, '1')
    import torch

    torch.set_num_threads(1)
