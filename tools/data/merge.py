# Copyright (c) vpd_mm contributors. All rights reserved.
"""Merge the finished videos of a (sharded) preparation run into the dataset files.

    python tools/data/merge.py configs/preparation/diving48.py [--allow-missing]
        [--out-dir DIR] [--work-dir DIR] [--no-progress] [--cfg-options key=value ...]

Same as ``tools/data/prepare.py CONFIG --merge-only``.
"""
import sys

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation.cli import main

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:], merge_tool=True))
