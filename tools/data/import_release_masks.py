# Copyright (c) vpd_mm contributors. All rights reserved.
"""Cut the VPD authors' released athlete masks into the rawframes layout (``mask_%05d.png``).

    python tools/data/import_release_masks.py OUT_ROOT --poses POSE_DIR [--dataset NAME]
        [--crop-size 128] [--score-thr 0.8] [--iou-thr 0.5] [--no-progress]

Reads ``OUT_ROOT/annotations/<NAME>_pose.pkl`` (written by ``import_vpd_release.py`` from the
same ``--poses``) and each video's ``POSE_DIR/<video>/mask.json.gz``; writes
``OUT_ROOT/rawframes/<video>/mask_%05d.png`` and ``<NAME>_pose_masks_report.json``. Crops that
already exist set the mask size, else ``--crop-size``. Exit status 1 when no video got masks.
See docs/vpd_release.md.
"""
import argparse
import os.path as osp
import sys

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation.release.masks import MASK_SCORE_THR, import_release_masks
from vpd_mm.utils import DATA_ERRORS, data_error_message


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Import the VPD authors' released masks")
    parser.add_argument('out_root', help='dataset folder, e.g. data/diving48')
    parser.add_argument('--poses', required=True, help='release pose folder (one dir per video)')
    parser.add_argument('--dataset', default=None, help='name (default: basename of out_root)')
    parser.add_argument('--crop-size', type=int, default=128,
                        help='mask side for videos without crops yet')
    parser.add_argument('--score-thr', type=float, default=MASK_SCORE_THR,
                        help='masks of score <= this are not used (the authors: 0.8)')
    parser.add_argument('--iou-thr', type=float, default=0.5,
                        help='min IoU of the mask box and the athlete box')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    name = args.dataset or osp.basename(osp.normpath(args.out_root))
    ann_file = osp.join(args.out_root, 'annotations', f'{name}_pose.pkl')
    try:
        report = import_release_masks(
            args.poses, ann_file, osp.join(args.out_root, 'rawframes'), crop_size=args.crop_size,
            score_thr=args.score_thr, iou_thr=args.iou_thr, progress=not args.no_progress)
    except DATA_ERRORS as e:  # no pose annotations yet, a missing or malformed release file
        raise SystemExit(data_error_message(e)) from None
    print(report.summary())
    print(f'{report.extra["frames_with_mask"]} of {report.extra["frames_with_box"]} frames '
          f'with an athlete box got a mask; report: {report.extra["report_file"]}')
    sys.exit(0 if report.imported else 1)


if __name__ == '__main__':
    main()
