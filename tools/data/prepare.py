# Copyright (c) vpd_mm contributors. All rights reserved.
"""Prepare a dataset: videos + official annotations -> crops, flow, teacher poses, actions.

    python tools/data/prepare.py configs/preparation/diving48.py
        [--shard I --num-shards N] [--merge-only [--allow-missing]] [--device cuda:0]
        [--out-dir DIR] [--work-dir DIR] [--retry-skipped] [--overwrite] [--no-merge]
        [--cfg-options key=value ...]

Resumable (rerun the same command), shardable (``--shard i --num-shards n`` per GPU or node;
the last shard to finish merges, or run ``--merge-only``). See docs/data_preparation.md.

Exit status: 0 when done, 1 when some video failed unexpectedly (retried by the next run), 2
when the config is not a file (``error: config not found: PATH``) or the annotations are
unusable (e.g. a video name that is not a plain file name) or list no video: nothing is
prepared, written or deleted then, and the one-line error names the file and the entry; 3 when
no video could be prepared (every one skipped): no empty dataset is written, and the one-line
error gives the reasons and where the skip records are.
"""
import sys

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation.cli import main

if __name__ == '__main__':
    sys.exit(main())
