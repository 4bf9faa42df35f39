# Copyright (c) vpd_mm contributors. All rights reserved.
"""Prepare a dataset: videos + official annotations -> crops, flow, teacher poses, actions.

    python tools/data/prepare.py configs/preparation/diving48.py
        [--shard I --num-shards N] [--merge-only [--allow-missing]] [--device cuda:0]
        [--out-dir DIR] [--work-dir DIR] [--retry-skipped] [--overwrite] [--no-merge]
        [--cfg-options key=value ...]

Resumable (rerun the same command), shardable (``--shard i --num-shards n`` per GPU or node;
the last shard to finish merges, or run ``--merge-only``). See docs/data_preparation.md.

Exit status (every error is one line, ``error: ...``, without a traceback): 0 when done; 1
when some video failed unexpectedly (retried by the next run), ``--merge-only`` found unfinished
videos, or the outputs cannot be written (a read-only folder, a full disk); 2 when the input is
unusable and nothing is prepared: the config is not a file (``error: config not found: PATH``),
an option has a value that cannot work (``fps=0``, ``crop_size=0``, ``--shard 5 --num-shards
2``: the line names the key and the value, and nothing is written), ``--out-dir`` is a file,
the annotations are unusable (e.g. a video name that is not a plain file name: the line names
the file and the entry), list no video or are missing (a label or annotation file not found),
or ``out_dir`` was prepared with other settings (another ``out_dir``, or ``--overwrite``); 3
when no video could be prepared (every one skipped): no empty dataset is written, and the line
gives the reasons and where the skip records are.
"""
import sys

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation.cli import main

if __name__ == '__main__':
    sys.exit(main())
