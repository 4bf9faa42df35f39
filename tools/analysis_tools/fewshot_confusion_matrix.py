# Copyright (c) vpd_mm contributors. All rights reserved.
"""The confusion matrix of few-shot recognition runs (``tools/fewshot.py``), as a picture.

    python tools/analysis_tools/fewshot_confusion_matrix.py CONFIG_DIR --shots 4 --out OUT.png
        [--subsets 0 1] [--json OUT.json] [--counts] [--device cpu]
        [--config CONFIG [--cfg-options ...]]

``CONFIG_DIR`` is ``WORK_DIR/<config>`` of ``tools/fewshot.py`` (e.g.
``work_dirs/synthetic_benchmark/fewshot/bigru_2dvpd_sports``). Each run's ``predictions.json``
(every test action's prediction, kept by the run) is read, and the class names come from its
``run.json``. A run made before the predictions were kept has its last checkpoint tested again
on its test set (weights only, nothing written into the run): that needs ``--config``, the
config the runs trained with (with the ``--cfg-options`` given to ``tools/fewshot.py``). The
config copy inside a run folder is never executed: a results folder may come from anyone, and
a config is Python. The matrix is summed over the subsets (rows: true class, columns:
predicted; colour: the fraction of the row unless ``--counts``). The top-1 of each run's matrix
is printed beside the one its ``run.json`` recorded. The PNG (and the ``--json`` with the
matrix) is written atomically. (``tools/fewshot.py`` writes ``k<k>.confusion.{json,png}`` of
every k itself.)
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config_dir', help='WORK_DIR/<config> of tools/fewshot.py')
    parser.add_argument('--shots', required=True, help='k (or all)')
    parser.add_argument('--out', required=True, help='output .png')
    parser.add_argument('--subsets', type=int, nargs='+', help='subsets (default: all run)')
    parser.add_argument('--json', help='also write the matrix and per-run top-1 here')
    parser.add_argument('--counts', action='store_true', help='colour by counts, not fractions')
    parser.add_argument('--device', default='cpu',
                        help='device of the models tested on the test split (default: cpu)')
    parser.add_argument('--dpi', type=int, default=100,
                        help='resolution of the picture (default: 100)')
    parser.add_argument('--config',
                        help='the config the runs trained with; needed only to test again the '
                        'checkpoints of runs without predictions.json (the copy in a run folder '
                        'is never executed)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of --config (as given to tools/fewshot.py)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.cfg_options and not args.config:
        print('error: --cfg-options needs --config', file=sys.stderr)
        return 2
    import vpd_mm  # noqa: F401  (registers the models)
    from vpd_mm.apis import VideoInferenceError, fewshot_confusion
    from vpd_mm.utils.io import dump_json_atomic
    from vpd_mm.utils.launch import require_configs
    from vpd_mm.visualization import confusion_matrix_figure, save_figure

    require_configs(args.config)  # a mistyped path: one line, exit status 2
    config = None
    if args.config:
        from mmengine.config import Config
        config = Config.fromfile(args.config)  # named by the user
        if args.cfg_options:
            config.merge_from_dict(args.cfg_options)
    try:
        res = fewshot_confusion(args.config_dir, args.shots, args.subsets, args.device,
                                config=config)
    except (VideoInferenceError, OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    runs = len(res['runs'])
    fig = confusion_matrix_figure(res['matrix'], res['classes'], normalize=not args.counts,
                                  title=f'{res["config"]}, k={res["shots"]}, {runs} subset'
                                  + ('s' if runs != 1 else ''))
    save_figure(fig, args.out, dpi=args.dpi)
    if args.json:
        dump_json_atomic(dict(res, matrix=res['matrix'].tolist()), args.json, indent=1)
    print(f'confusion matrix of {res["config"]} k={res["shots"]}: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
