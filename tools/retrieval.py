# Copyright (c) vpd_mm contributors. All rights reserved.
"""Action retrieval by DTW alignment cost: precision@k (the paper's Table 3).

    python tools/retrieval.py --ann-file A --feature-dir D [D2 ...] [--query-split test]
        [--ks 1 10 50] [--view concat|0|1|mean|min] [--step-pattern symmetricP2]
        [--block-size 128] [--threads N] [--backend numba|torch [--device cuda]]
        [--features NAME] [--out OUT.result.json]

Every labeled action of the annotation file is in the corpus; the queries are all of them, or
only those of ``--query-split`` (they still search the whole corpus). Several feature folders
are concatenated along the feature dimension. The defaults are the authors' protocol: frame
vector = the two flip views concatenated (``--view concat``), dtw-python's ``symmetricP2``
step pattern (pairs it cannot align rank last). ``--backend torch`` runs the DTW batched over
pairs in torch (a GPU when available: for large corpora), same costs. The result is printed
and, with ``--out``, written as a ``*.result.json`` (task 'retrieval') for ``tools/report.py``.
"""
import argparse
import os.path as osp
import time
from typing import Optional

import numpy as np

from vpd_mm.apis.retrieval import check_view, dtw_retrieval, load_action_sequences
from vpd_mm.datasets.features import SPLITS, load_action_annotations
from vpd_mm.ops import DEFAULT_STEP_PATTERN, STEP_PATTERNS
from vpd_mm.utils import (DATA_ERRORS, FileFormatError, data_error_message, exit_with_error,
                          require_output)
from vpd_mm.utils.results import write_result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DTW retrieval precision@k')
    parser.add_argument('--ann-file', required=True, help='action annotation JSON')
    parser.add_argument('--feature-dir', nargs='+', required=True,
                        help='feature folder(s); several are concatenated')
    parser.add_argument('--query-split', choices=SPLITS, default=None,
                        help='only actions of this split are queries (default: all)')
    parser.add_argument('--ks', type=int, nargs='+', default=[1, 10, 50],
                        help='the k of precision@k, >= 1 (default: 1 10 50)')
    parser.add_argument('--view', default='concat',
                        help="'concat' (flip views side by side, the authors'; default), a view "
                        "index (0, 1, ...), 'mean' or 'min'")
    parser.add_argument('--step-pattern', choices=STEP_PATTERNS, default=DEFAULT_STEP_PATTERN,
                        help='DTW step pattern (default: the authors\' symmetricP2)')
    parser.add_argument('--block-size', type=int, default=128,
                        help='queries per block, >= 1 (default: 128)')
    parser.add_argument('--threads', type=int, default=None,
                        help="numba threads, >= 1 (default: numba's, all CPUs)")
    parser.add_argument('--backend', choices=('numba', 'torch'), default='numba',
                        help='numba CPU kernels (default) or torch batched over pairs')
    parser.add_argument('--device', default=None,
                        help='torch backend device (default: cuda when available, else cpu)')
    parser.add_argument('--features', default=None,
                        help='feature name for the result file (default: folder names)')
    parser.add_argument('--out', default=None, help='write a *.result.json here')
    args = parser.parse_args(argv)
    for k in args.ks:
        if k < 1:
            parser.error(f'--ks must be >= 1, got {k}')
    for option, value in (('--block-size', args.block_size), ('--threads', args.threads)):
        if value is not None and value < 1:
            parser.error(f'{option} must be >= 1, got {value}')
    try:  # the view's index is checked against the features once they are read
        args.view = check_view(args.view)
    except ValueError:
        parser.error(f"--view must be 'concat', 'mean', 'min' or a view index >= 0, got "
                     f'{args.view!r}')
    if args.backend == 'torch' and args.device is not None:
        problem = device_problem(args.device)
        if problem:
            parser.error(f'--device {args.device}: {problem}')
    return args


def device_problem(device: str) -> Optional[str]:
    """Why torch cannot compute on ``device`` (None if it can)."""
    import torch
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        return "not a torch device (e.g. 'cpu', 'cuda', 'cuda:1')"
    if dev.type == 'cuda':
        if not torch.cuda.is_available():
            return 'CUDA is not available here'
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            return f'there are {torch.cuda.device_count()} CUDA device(s)'
    elif dev.type == 'mps':
        mps = getattr(torch.backends, 'mps', None)
        if mps is None or not mps.is_available():
            return 'MPS is not available here'
    elif dev.type != 'cpu':
        return "the torch backend runs on 'cpu', 'cuda' or 'mps'"
    return None


def main(argv=None) -> dict:
    args = parse_args(argv)
    view = args.view  # 'concat', 'mean', 'min' or an index >= 0
    if args.out:
        require_output('--out', args.out, folder=False)
    t0 = time.perf_counter()
    try:
        actions, seqs = load_action_sequences(args.ann_file, args.feature_dir)
    except DATA_ERRORS as e:  # a missing or malformed annotation or feature file, named
        raise SystemExit(data_error_message(e)) from None
    if len(actions) < 2:  # the file's content: exit status 1, as the other file errors
        raise SystemExit(data_error_message(FileFormatError(
            args.ann_file, f'retrieval needs at least 2 labeled actions, got {len(actions)}')))
    num_views = seqs[0].shape[1]
    if isinstance(view, int) and view >= num_views:
        exit_with_error(f'--view {view}: the features have {num_views} views (indices 0 to '
                        f'{num_views - 1})')
    if args.query_split is None:
        query_index = np.arange(len(actions))
    else:
        query_index = np.array(
            [i for i, a in enumerate(actions) if a['split'] == args.query_split], dtype=np.int64)
        if len(query_index) == 0:
            exit_with_error(f'--query-split {args.query_split}: {args.ann_file} has no labeled '
                            'action in that split to use as queries')
    print(f'retrieval: {len(actions)} labeled actions in the corpus, {len(query_index)} '
          f'queries, view {view}, step pattern {args.step_pattern}, loaded in '
          f'{time.perf_counter() - t0:.1f} s', flush=True)
    res = dtw_retrieval(
        seqs, [a['label'] for a in actions],
        query_index=query_index,
        ks=args.ks,
        view=view,
        block_size=args.block_size,
        num_threads=args.threads,
        ids=[a['id'] for a in actions],
        progress=True,
        step_pattern=args.step_pattern,
        backend=args.backend,
        device=args.device)
    metrics = {k: v for k, v in res.items() if k.startswith('precision@')}
    for k, v in metrics.items():
        print(f'{k}: {100 * v:.1f}')
    if args.out:
        dataset = load_action_annotations(args.ann_file).get('dataset') or osp.splitext(
            osp.basename(args.ann_file))[0]
        features = args.features or '+'.join(
            osp.basename(osp.normpath(d)) for d in args.feature_dir)
        write_result(
            args.out, 'retrieval', dataset, features, 'dtw', metrics,
            query_split=args.query_split or 'all', view=str(view),
            step_pattern=args.step_pattern, backend=args.backend,
            num_queries=res['num_queries'], num_corpus=res['num_corpus'],
            ann_file=osp.abspath(args.ann_file),
            feature_dirs=[osp.abspath(d) for d in args.feature_dir])
        print(f'wrote {args.out}')
    return metrics


if __name__ == '__main__':
    main()
