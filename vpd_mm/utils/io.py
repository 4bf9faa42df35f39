# Copyright (c) vpd_mm contributors. All rights reserved.
"""Atomic file writes: a temporary name in the same folder, then ``os.replace``."""
import json
import os

import numpy as np


def save_npy_atomic(path: str, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` through a temporary file, so no half-written file remains."""
    tmp = f'{path}.tmp.{os.getpid()}.npy'
    np.save(tmp, array)
    os.replace(tmp, path)


def dump_json_atomic(obj, path: str, **kwargs) -> None:
    """``json.dump(obj, ..., **kwargs)`` to ``path`` through a temporary file."""
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(obj, f, **kwargs)
    os.replace(tmp, path)
