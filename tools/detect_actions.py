# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated (removed in the next release): ``tools/temporal_detection.py``, same arguments.

Warns, then runs that tool with this command line (as a script: no tool imports another).
"""
import os.path as osp
import runpy
import sys
import warnings

if __name__ == '__main__':
    warnings.warn(
        'tools/detect_actions.py is deprecated and will be removed in the next release: use '
        'tools/temporal_detection.py (same arguments)', DeprecationWarning, stacklevel=1)
    sys.argv[0] = osp.join(osp.dirname(osp.abspath(__file__)), 'temporal_detection.py')
    runpy.run_path(sys.argv[0], run_name='__main__')
