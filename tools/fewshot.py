# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot recognition: accuracy vs labelled examples per class (the paper's Figure 3, Table 2).

    python tools/fewshot.py CONFIG [CONFIG ...] [--shots 4 8 16 32 64 128 all] [--subsets 5]
        [--steps N] [--seed 0] [--jobs 2] [--id-lists FILE ...] [--work-dir DIR]
        [--verbose] [--cfg-options ...]

For every config x k x subset: train on k training actions per class (seeded subsets, nested
across k; ``all`` = every training action) for the same number of optimizer steps at every k
(``--steps``, default the config's ``fewshot.steps``) with a fixed schedule, test the **last**
checkpoint on the full test split (no validation is carved from the k examples; nothing is
selected). A DTW nearest-neighbour config stores the k examples as its gallery. See
``vpd_mm/apis/fewshot.py`` and docs/fewshot_retrieval.md for the protocol.

Runs go to ``WORK_DIR/<config>/k<k>/subset<s>/`` and end with a ``run.json``: a finished run is
not repeated (resume by running the same command again). At the end: a table of mean ±
standard error per config and k, ``WORK_DIR/fewshot.{csv,json,png}`` and one
``WORK_DIR/<config>/k<k>.result.json`` per config and k for ``tools/report.py``.
Default WORK_DIR: ``work_dirs/fewshot``.
"""
import argparse
from typing import Optional, Sequence

from mmengine.config import Config, DictAction

import vpd_mm  # noqa: F401  (registers vpd_mm's modules)
from vpd_mm.apis.fewshot import (parse_shots, run_fewshot_protocol, training_actions,
                                 write_fewshot_results)
from vpd_mm.datasets import NumClassesError
from vpd_mm.datasets.features import load_action_annotations
from vpd_mm.evaluation.fewshot_summary import format_table, summarize
from vpd_mm.utils import (DATA_ERRORS, FileFormatError, data_error_message, require_configs,
                          require_output)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Few-shot recognition protocol')
    parser.add_argument('configs', nargs='+', help='recognition config(s)')
    parser.add_argument('--shots', nargs='+', default=['4', '8', '16', '32', '64', '128'],
                        help="k's: positive integers and/or 'all' (default: 4 8 16 32 64 128)")
    parser.add_argument('--subsets', type=int, default=5,
                        help='random subsets per k, >= 1 (default: 5)')
    parser.add_argument('--steps', type=int, default=None,
                        help="optimizer steps of every run (default: the config's "
                        'fewshot.steps)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the subset draws and of the runs (default: 0)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs in parallel processes, >= 1 (default: 1)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads per run, >= 1 (default: CPUs / jobs)')
    parser.add_argument('--id-lists', nargs='+', default=None,
                        help='subset files (one action id per line) instead of sampling; '
                        'reported as k = the largest number of ids of a class')
    parser.add_argument('--work-dir', default='work_dirs/fewshot',
                        help='one folder per config, k and subset, and the results '
                        '(default: work_dirs/fewshot)')
    parser.add_argument('--verbose', action='store_true',
                        help="show the runners' logs (by default they go to the runs' log files)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, key=value pairs')
    args = parser.parse_args(argv)
    try:
        args.shots = parse_shots(args.shots)
    except ValueError as e:
        parser.error(f'--shots: {e}')
    for option, value in (('--subsets', args.subsets), ('--steps', args.steps),
                          ('--jobs', args.jobs), ('--threads', args.threads)):
        if value is not None and value < 1:
            parser.error(f'{option} must be >= 1, got {value}')
    return args


def check_training_actions(configs: Sequence[str], cfg_options: Optional[dict]) -> None:
    """Stop with one line naming the annotation file of a config that has no labeled training
    action (split 'train', label >= 0): there is nothing to draw a few-shot subset from."""
    for config in configs:
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        ann_file = ((cfg.get('train_dataloader') or {}).get('dataset') or {}).get('ann_file')
        if ann_file is None:  # the protocol names what is missing
            continue
        if not training_actions(load_action_annotations(ann_file)):
            raise FileFormatError(
                ann_file, "no labeled training action (split 'train', label >= 0): few-shot "
                f'subsets are drawn from them ({config})')


def main(argv=None) -> list:
    args = parse_args(argv)
    require_configs(*args.configs)
    require_output('--work-dir', args.work_dir, folder=True)
    try:
        check_training_actions(args.configs, args.cfg_options)
        rows = run_fewshot_protocol(
            args.configs, args.shots, args.subsets, work_dir=args.work_dir,
            seed=args.seed, steps=args.steps, id_lists=args.id_lists,
            cfg_options=args.cfg_options, jobs=args.jobs, threads=args.threads,
            quiet=not args.verbose, log=lambda line: print(line, flush=True))
    except NumClassesError as e:  # an N-class model on a corpus of another class count
        raise SystemExit(f'error: {e}') from None
    except DATA_ERRORS as e:  # a missing or malformed annotation or feature file, named
        raise SystemExit(data_error_message(e)) from None
    summary = summarize(rows)
    print('\nFew-shot top-1 accuracy (%):')
    print(format_table(summary))
    for path in write_fewshot_results(rows, summary, args.work_dir):
        print(f'wrote {path}')
    return summary


if __name__ == '__main__':
    main()
