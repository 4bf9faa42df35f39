# Copyright (c) vpd_mm contributors. All rights reserved.
"""Action retrieval by DTW alignment cost: precision@k (the paper's Table 3).

    python tools/retrieval.py --ann-file A --feature-dir D [D2 ...] [--query-split test]
        [--ks 1 10 50] [--view 0|1|mean|min] [--block-size 128] [--threads N]
        [--features NAME] [--out OUT.result.json]

Every labeled action of the annotation file is in the corpus; the queries are all of them, or
only those of ``--query-split`` (they still search the whole corpus). Several feature folders
are concatenated along the feature dimension. The result is printed and, with ``--out``,
written as a ``*.result.json`` (task 'retrieval') for ``tools/report.py``.
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from vpd_mm.apis.retrieval import dtw_retrieval, load_action_sequences  # noqa: E402
from vpd_mm.datasets.features import SPLITS, load_action_annotations  # noqa: E402
from vpd_mm.utils.results import write_result  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DTW retrieval precision@k')
    parser.add_argument('--ann-file', required=True, help='action annotation JSON')
    parser.add_argument('--feature-dir', nargs='+', required=True,
                        help='feature folder(s); several are concatenated')
    parser.add_argument('--query-split', choices=SPLITS, default=None,
                        help='only actions of this split are queries (default: all)')
    parser.add_argument('--ks', type=int, nargs='+', default=[1, 10, 50])
    parser.add_argument('--view', default='0', help="view index, 'mean' or 'min'")
    parser.add_argument('--block-size', type=int, default=128, help='queries per block')
    parser.add_argument('--threads', type=int, default=None, help='numba threads')
    parser.add_argument('--features', default=None,
                        help='feature name for the result file (default: folder names)')
    parser.add_argument('--out', default=None, help='write a *.result.json here')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    view = args.view if args.view in ('mean', 'min') else int(args.view)
    t0 = time.perf_counter()
    actions, seqs = load_action_sequences(args.ann_file, args.feature_dir)
    if args.query_split is None:
        query_index = np.arange(len(actions))
    else:
        query_index = np.array(
            [i for i, a in enumerate(actions) if a['split'] == args.query_split], dtype=np.int64)
        if len(query_index) == 0:
            raise ValueError(f'{args.ann_file}: no labeled action in split '
                             f'{args.query_split!r} to use as queries')
    print(f'retrieval: {len(actions)} labeled actions in the corpus, {len(query_index)} '
          f'queries, view {view}, loaded in {time.perf_counter() - t0:.1f} s', flush=True)
    res = dtw_retrieval(
        seqs, [a['label'] for a in actions],
        query_index=query_index,
        ks=args.ks,
        view=view,
        block_size=args.block_size,
        num_threads=args.threads,
        ids=[a['id'] for a in actions],
        progress=True)
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
            num_queries=res['num_queries'], num_corpus=res['num_corpus'],
            ann_file=osp.abspath(args.ann_file),
            feature_dirs=[osp.abspath(d) for d in args.feature_dir])
        print(f'wrote {args.out}')
    return metrics


if __name__ == '__main__':
    main()
