# Copyright (c) vpd_mm contributors. All rights reserved.
"""Merge the finished videos of a (sharded) preparation run into the dataset files.

    python tools/data/merge.py configs/preparation/diving48.py [--allow-missing]
        [--out-dir DIR] [--work-dir DIR] [--no-progress] [--cfg-options key=value ...]

Same as ``tools/data/prepare.py CONFIG --merge-only``. Exit status: 0 when merged; 1 when
videos are unfinished (without ``--allow-missing``) or the outputs cannot be written; 2 when the
config or the annotations are unusable; 3 when every video was skipped (nothing to merge). Every
error is one line, ``error: ...``, without a traceback.
"""
import sys

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation.cli import main

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:], merge_tool=True))
