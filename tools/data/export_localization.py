# Copyright (c) vpd_mm contributors. All rights reserved.
"""Export VPD features + action segments for mmaction2's temporal localizers (BMN, BSN).

    python tools/data/export_localization.py ANN_FILE FEATURE_DIR [FEATURE_DIR ...] OUT_DIR
        [--temporal-dim 100] [--views concat|mean|0|1] [--feat-dim D | --config CONFIG]
        [--resample mean|linear] [--labels 0 3] [--val-fraction 0.2] [--seed 0]
        [--default-fps FPS] [--on-bad-segment clip|error] [--pad-to-multiple 4]
    python tools/data/export_localization.py --toy ROOT ANN_FILE FEATURE_DIR OUT_DIR ...

Several FEATURE_DIRs are concatenated along the feature axis (Concat-VPD). ``--config`` takes
``temporal_dim`` and ``feat_dim`` from a BMN config's ``model`` and fails on a mismatch.
``--toy ROOT`` first writes the toy corpus (``ROOT/actions.json``, ``ROOT/features``;
:func:`vpd_mm.synthetic.make_uncut_features`, 16 videos, d = 4) that
``configs/localization/bmn_tiny_cpu.py`` uses. Formats and handling rules:
``docs/localization.md``.
"""
import argparse
import json
import sys

from vpd_mm.apis.localization_export import LocalizationExportError, export_localization
from vpd_mm.utils import require_configs


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='action annotation file (docs/data_layout.md)')
    parser.add_argument('paths', nargs='+', metavar='FEATURE_DIR... OUT_DIR',
                        help='feature folder(s) of <video>.npy [T, V, d], then the output folder')
    parser.add_argument('--temporal-dim', type=int, default=None,
                        help="rows per video (BMN's temporal_dim; default 100)")
    parser.add_argument('--views', default='concat',
                        help="flip views: 'concat' (V*d), 'mean' (d) or a view index")
    parser.add_argument('--feat-dim', type=int, default=None,
                        help='expected exported dimension (fail before writing otherwise)')
    parser.add_argument('--config', help='take temporal_dim and feat_dim from this BMN config')
    parser.add_argument('--resample', choices=['mean', 'linear'], default='mean')
    parser.add_argument('--pad-to-multiple', type=int, default=4,
                        help='zero columns up to a multiple of this (BMN: 4); 1 = never')
    parser.add_argument('--labels', type=int, nargs='+', help='keep only these action labels')
    parser.add_argument('--val-fraction', type=float, default=0.2,
                        help='train videos held out for validation when there is no val split')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--default-fps', type=float, default=None,
                        help='fps of videos whose annotation has none')
    parser.add_argument('--on-bad-segment', choices=['clip', 'error'], default='clip',
                        help='segments ending after the video: clip (and count) or fail')
    parser.add_argument('--toy', metavar='ROOT',
                        help='first write the toy corpus to ROOT (for bmn_tiny_cpu.py)')
    args = parser.parse_args(argv)
    if len(args.paths) < 2:
        parser.error('give at least one FEATURE_DIR and the OUT_DIR')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    *feature_dirs, out_dir = args.paths
    temporal_dim, feat_dim = args.temporal_dim, args.feat_dim
    if args.config:
        from mmengine.config import Config
        require_configs(args.config)
        model = Config.fromfile(args.config).model
        for name, value in (('temporal_dim', temporal_dim), ('feat_dim', feat_dim)):
            if value is not None and value != model[name]:
                sys.exit(f'--{name.replace("_", "-")} {value} contradicts {args.config} '
                         f'(model.{name} = {model[name]})')
        temporal_dim, feat_dim = model['temporal_dim'], model['feat_dim']
    if args.toy:
        from vpd_mm.synthetic import make_uncut_features
        make_uncut_features(args.toy, num_train=12, num_test=4, dim=4, ann_file='actions.json')
    try:
        report = export_localization(
            args.ann_file, feature_dirs, out_dir, temporal_dim=temporal_dim or 100,
            views=args.views, feat_dim=feat_dim, pad_to_multiple=args.pad_to_multiple,
            resample=args.resample, labels=args.labels, val_fraction=args.val_fraction,
            seed=args.seed, default_fps=args.default_fps, on_bad_segment=args.on_bad_segment)
    except (LocalizationExportError, FileNotFoundError, ValueError) as e:
        sys.exit(f'export_localization: {e}')
    summary = {k: v for k, v in report.items() if k != 'videos'}
    print(json.dumps(summary, indent=1))
    print(f'wrote {out_dir}/anno_{{train,val,test}}.json, {report["num_videos"]} CSV files in '
          f'{out_dir}/features and {out_dir}/export_report.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
