# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot recognition: accuracy vs examples per class (the paper's Figure 3 / Table 2).

    python tools/fewshot.py CONFIG [CONFIG ...] [--shots 4 8 16 32 64 128] [--subsets 5]
        [--seed 0] [--id-lists FILE ...] [--work-dir DIR] [--cfg-options ...]

For every config x k x subset: train on k training actions per class (seeded subsets, nested
across k, independent across subsets; or the ids of ``--id-lists`` files, one action id per
line, each file one subset), select the checkpoint on validation, test on the full test split.
Runs go to ``WORK_DIR/<config>/k<k>/subset<s>/`` and end with a ``run.json``: a finished run is
not repeated (resume by running the same command again); a subset with the same actions as an
earlier one of its k (k at least every class's size) is not run twice. At the end: a table of
mean ± std top-1 per config and k, ``WORK_DIR/fewshot.{csv,json,png}`` and one
``WORK_DIR/<config>/k<k>.result.json`` per config and k for ``tools/report.py``.
Default WORK_DIR: ``work_dirs/fewshot``.
"""
import argparse
import json
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmengine.config import Config, DictAction  # noqa: E402

import vpd_mm  # noqa: E402,F401  (registers vpd_mm's modules)
from vpd_mm.apis.fewshot import (check_test_split, count_per_class, format_table,  # noqa: E402
                                 read_id_list_file, run_fewshot_subset, sample_fewshot_subsets,
                                 summarize, training_actions, write_summary_files)
from vpd_mm.datasets.features import load_action_annotations  # noqa: E402
from vpd_mm.utils.io import dump_json_atomic  # noqa: E402
from vpd_mm.utils.results import write_result  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Few-shot recognition protocol')
    parser.add_argument('configs', nargs='+', help='recognition config(s)')
    parser.add_argument('--shots', type=int, nargs='+', default=[4, 8, 16, 32, 64, 128])
    parser.add_argument('--subsets', type=int, default=5, help='random subsets per k')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--id-lists', nargs='+', default=None,
                        help='subset files (one action id per line) instead of sampling; '
                        'reported as k = the largest number of ids of a class')
    parser.add_argument('--work-dir', default='work_dirs/fewshot')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, key=value pairs')
    return parser.parse_args(argv)


def _names(cfg, config_path: str):
    ds = cfg.train_dataloader.dataset
    ann = load_action_annotations(ds.ann_file)
    dataset = ann.get('dataset') or osp.splitext(osp.basename(ds.ann_file))[0]
    features = osp.basename(osp.normpath(str(ds.get('feature_dir', 'features'))))
    method = osp.splitext(osp.basename(config_path))[0].split('_')[0]
    return ann, dataset, features, method


def main(argv=None) -> list:
    args = parse_args(argv)
    rows = []
    for config_path in args.configs:
        cfg = Config.fromfile(config_path)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        name = osp.splitext(osp.basename(config_path))[0]
        ann, dataset, features, method = _names(cfg, config_path)
        num_test = check_test_split(cfg.test_dataloader.dataset.ann_file)
        train = training_actions(ann)
        if args.id_lists:
            known = [a['id'] for a in train]
            subsets = {}
            for path in args.id_lists:
                ids = read_id_list_file(path, known)
                k = max(count_per_class(ids, train).values())
                subsets.setdefault(k, []).append(ids)
            notices = []
        else:
            subsets, notices = sample_fewshot_subsets(
                train, args.shots, args.subsets, args.seed, classes=ann.get('classes'))
        for n in notices:
            print(f'[fewshot] {name}: NOTICE {n}', flush=True)
        total = sum(len(v) for v in subsets.values())
        done = 0
        for k in sorted(subsets):
            seen = set()
            for s, ids in enumerate(subsets[k]):
                done += 1
                if frozenset(ids) in seen:  # k >= every class's size: all subsets are equal
                    print(f'[fewshot] {name} k={k} subset {s}: the same actions as an earlier '
                          'subset (every class taken whole), not repeated', flush=True)
                    continue
                seen.add(frozenset(ids))
                run_dir = osp.join(args.work_dir, name, f'k{k}', f'subset{s}')
                run_file = osp.join(run_dir, 'run.json')
                tag = f'[fewshot] {name} k={k} subset {s} ({done}/{total})'
                if osp.isfile(run_file):
                    with open(run_file) as f:
                        row = json.load(f)
                    print(f'{tag}: done before, top1 {100 * row["top1"]:.1f} (skipped)',
                          flush=True)
                else:
                    print(f'{tag}: training on {len(ids)} actions, testing on {num_test}',
                          flush=True)
                    t0 = time.perf_counter()
                    res = run_fewshot_subset(cfg, ids, run_dir, seed=args.seed + s)
                    row = dict(config=name, shots=k, subset=s, top1=res['top1'],
                               num_train=len(ids), checkpoint=res['checkpoint'],
                               test_metrics=res['test_metrics'], ids=list(ids),
                               seconds=time.perf_counter() - t0)
                    dump_json_atomic(row, run_file, indent=1)
                    print(f'{tag}: top1 {100 * row["top1"]:.1f} '
                          f'({row["seconds"]:.0f} s)', flush=True)
                rows.append(row)
        for summ in summarize([r for r in rows if r['config'] == name]):
            write_result(
                osp.join(args.work_dir, name, f'k{summ["shots"]}.result.json'), 'fewshot',
                dataset, features, method,
                dict(top1=summ['mean'], top1_std=summ['std']),
                shots=summ['shots'], num_subsets=summ['num_subsets'], config=name,
                seed=args.seed, notices=[n for n in notices if n.startswith(
                    f'k={summ["shots"]}:')])
    summary = summarize(rows)
    print('\nFew-shot top-1 accuracy (%), mean ± std over subsets:')
    print(format_table(summary))
    for path in write_summary_files(summary, osp.join(args.work_dir, 'fewshot')):
        print(f'wrote {path}')
    return summary


if __name__ == '__main__':
    main()
