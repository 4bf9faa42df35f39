# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot temporal detection: k-fold BiGRU ensemble, threshold from the training folds, AP.

    python tools/temporal_detection.py CONFIG [--work-dir DIR] [--folds 5]
        [--train-videos N] [--seed S] [--label C] [--out RESULT.json]
        [--cfg-options key=value ...] [--make-toy [--toy-separation 3.0]]

Prints the AP table at temporal IoU 0.3 .. 0.7 (and their mean) on the test videos and writes
a result file (``<work_dir>/<config name>.result.json``, task ``temporal_detection``) for
``tools/report.py``. ``--make-toy`` first writes the generated corpus that
``configs/temporal_detection/bigru_tiny_cpu.py`` reads (under the config's ``data_root``;
:func:`vpd_mm.synthetic.make_uncut_features`).
"""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction

import vpd_mm  # noqa: F401  (registers vpd_mm's modules)
from vpd_mm.apis.temporal_detection import TASK, DetectionSettingsError, run_temporal_detection
from vpd_mm.utils import (DATA_ERRORS, data_error_message, exit_with_error, require_configs,
                          require_output)
from vpd_mm.utils.results import write_result


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Few-shot temporal action detection')
    parser.add_argument('config', help='a configs/temporal_detection config')
    parser.add_argument('--work-dir', help='fold logs/checkpoints, scores, summary '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--folds', type=int,
                        help="cross-validation folds, >= 2 (default: the config's "
                        'temporal_detection.folds: 5 in the full configs, 2 in '
                        'bigru_tiny_cpu.py)')
    parser.add_argument('--train-videos', type=int,
                        help='number of training videos drawn (seeded) from the train split, '
                        '>= 2; all of them, with a notice, if fewer have an action')
    parser.add_argument('--seed', type=int, help='seed of the video draw, folds and training')
    parser.add_argument('--label', type=int,
                        help='detect only actions of this class (an index >= 0)')
    parser.add_argument('--out', help='result file (default: <work_dir>/<config>.result.json)')
    parser.add_argument('--make-toy', action='store_true',
                        help='write the generated toy corpus to the config\'s data_root first')
    parser.add_argument('--toy-separation', type=float, default=3.0,
                        help='with --make-toy: foreground/background separation (in noise '
                        'standard deviations; smaller is harder)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value pairs')
    args = parser.parse_args(argv)
    limits = (('--folds', args.folds, 2), ('--train-videos', args.train_videos, 2),
              ('--label', args.label, 0))
    for option, value, least in limits:
        if value is not None and value < least:
            parser.error(f'{option} must be >= {least}, got {value}')
    return args


def format_table(metrics: dict) -> str:
    """A one-row markdown table of the AP values (percent)."""
    keys = [k for k in metrics if k.startswith('AP@')] + ['mAP']
    head = '| ' + ' | '.join(keys) + ' |'
    sep = '|' + '---|' * len(keys)
    row = '| ' + ' | '.join(f'{100 * metrics[k]:.1f}' for k in keys) + ' |'
    return '\n'.join([head, sep, row])


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the protocol of the config; returns the written result record."""
    args = parse_args(argv)
    require_configs(args.config)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    name = osp.splitext(osp.basename(args.config))[0]
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join('work_dirs', name)
    cfg.work_dir = work_dir
    out = args.out or osp.join(work_dir, f'{name}.result.json')
    for option, path, folder in (('--work-dir', work_dir, True), ('--out', out, False)):
        require_output(option, path, folder)
    if args.make_toy:
        from vpd_mm.synthetic import make_uncut_features
        info = make_uncut_features(cfg.data_root, separation=args.toy_separation)
        cfg.train_dataloader.dataset.ann_file = info['ann_file']
        cfg.train_dataloader.dataset.feature_dir = info['feature_dir']
        print(f'toy corpus: {info["ann_file"]}, features in {info["feature_dir"]}')
    try:
        result = run_temporal_detection(
            cfg, work_dir, folds=args.folds, train_videos=args.train_videos, seed=args.seed,
            label=args.label, log=lambda line: print(line, flush=True))
    except DetectionSettingsError as e:  # before any training: a setting the data cannot take
        exit_with_error(str(e))
    except DATA_ERRORS as e:  # a missing or malformed annotation or feature file, named
        raise SystemExit(data_error_message(e)) from None
    det = result['settings']
    print(f'\n{name}: {len(result["train_videos"])} training videos, {result["folds"]} folds, '
          f'threshold {result["threshold"]} (out-of-fold mAP '
          f'{100 * result["oof_metrics"]["mAP"]:.1f}), {len(result["test_videos"])} test videos')
    print(format_table(result['metrics']))
    record = write_result(
        out, TASK, det['dataset'], det['features'], 'framebigru', result['metrics'],
        config=args.config, threshold=result['threshold'], oof_metrics=result['oof_metrics'],
        folds=result['folds'], seed=det['seed'], label=det['label'],
        train_videos=result['train_videos'], num_test_videos=len(result['test_videos']),
        min_len=result['min_len'], max_len=result['max_len'], merge_gap=det['merge_gap'])
    print(f'result written to {out}')
    return record


if __name__ == '__main__':
    main()
