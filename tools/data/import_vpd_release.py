# Copyright (c) vpd_mm contributors. All rights reserved.
"""Import what the VPD authors released (poses, features, VIPE* model) into vpd_mm's layout.

    python tools/data/import_vpd_release.py OUT_ROOT [--dataset NAME] [--poses POSE_DIR]
        [--split NAME=IDS.txt ...] [--num-frames COUNTS.json] [--video-dir VIDEOS]
        [--iou-thr 0.5] [--no-masks] [--features NAME=EMB_DIR ...] [--dense-features]
        [--vipe-model MODEL_DIR]
        [--no-progress]

Writes (OUT_ROOT = data/<dataset>, NAME defaults to its basename):
  annotations/<dataset>_pose.pkl (+ _pose_report.json)     from --poses
  features/<NAME>/<video>.npy + features.json + import_report.json   from each --features
  checkpoints/vipe_vpd_release.pth + vipe_vpd_release_model.py       from --vipe-model
Unreadable or malformed files are reported (JSON report + summary) and skipped; the run goes on.
When nothing at all could be imported from a source (an empty or wrong folder, every entry
skipped), nothing is written for it (an earlier import there is left as it was), one line
``error: <folder>: nothing imported: ...`` says why, the other sources are still imported, and
the exit status is 1. See docs/vpd_release.md.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.datasets.pose_annotations import load_pose_annotations
from vpd_mm.preparation.release import (CheckpointLayoutError, ReleaseFormatError,
                                        convert_vipe_checkpoint, import_release_features,
                                        import_release_poses, read_frame_counts)
from vpd_mm.preparation.release.poses import NothingImportedError
from vpd_mm.utils import DATA_ERRORS, data_error_message
from vpd_mm.utils.io import read_id_list


def _pairs(values: List[str], what: str) -> Dict[str, str]:
    out = {}
    for v in values or []:
        if '=' not in v:
            sys.exit(f'error: {what} must be NAME=PATH, got {v!r}')
        k, p = v.split('=', 1)
        out[k] = p
    return out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Import the VPD authors\' released files')
    parser.add_argument('out_root', help='dataset folder, e.g. data/diving48')
    parser.add_argument('--dataset', default=None, help='name (default: basename of out_root)')
    parser.add_argument('--poses', default=None, help='release pose folder (one dir per video)')
    parser.add_argument('--split', action='append', default=[], metavar='NAME=IDS',
                        help='named video list (one id per line) stored in the pkl\'s split')
    parser.add_argument('--num-frames', default=None,
                        help='JSON {video: num_frames} or an action annotation file')
    parser.add_argument('--video-dir', default=None,
                        help='folder of <video>.mp4 to probe frame counts and sizes')
    parser.add_argument('--iou-thr', type=float, default=0.5,
                        help='min IoU of the athlete box and the chosen detection')
    parser.add_argument('--no-masks', action='store_true', help='do not validate mask.json.gz')
    parser.add_argument('--features', action='append', default=[], metavar='NAME=DIR',
                        help='folder of <video>.emb.pkl -> OUT_ROOT/features/NAME')
    parser.add_argument('--dense-features', action='store_true',
                        help='fill frames without features as the authors do for figure '
                        'skating, tennis and detection (gaps interpolated, zeros outside)')
    parser.add_argument('--vipe-model', default=None,
                        help='their VIPE* model folder or .encoder.pt')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    return parser.parse_args()


def _source_failed(error: ReleaseFormatError) -> None:
    """Print what a source that imported nothing tried (its summary, if any) and the one-line
    error naming the source."""
    report = getattr(error, 'report', None)
    if isinstance(error, NothingImportedError) and report is not None and report.skipped:
        print(report.summary())
    print(data_error_message(error), file=sys.stderr)


def import_release(args: argparse.Namespace) -> int:
    """Import what the command line names; returns the exit status (1: something failed)."""
    name = args.dataset or osp.basename(osp.normpath(args.out_root))
    features = _pairs(args.features, '--features')
    splits = {k: read_id_list(p) for k, p in _pairs(args.split, '--split').items()}
    if not (args.poses or features or args.vipe_model):
        sys.exit('error: nothing to import: give --poses, --features and/or --vipe-model')
    failed = False
    lengths = None
    ann_file = osp.join(args.out_root, 'annotations', f'{name}_pose.pkl')
    if args.poses:
        try:
            counts = read_frame_counts(args.num_frames) if args.num_frames else None
        except (ReleaseFormatError, FileNotFoundError) as e:
            sys.exit(f'error: --num-frames: {e}')
        try:
            report = import_release_poses(
                args.poses, ann_file, iou_thr=args.iou_thr, frame_counts=counts,
                video_dir=args.video_dir, splits=splits, masks=not args.no_masks,
                progress=not args.no_progress)
        except ReleaseFormatError as e:  # nothing imported: nothing written
            _source_failed(e)
            failed = True
        else:
            print(report.summary())
            print(f'report: {report.extra["report_file"]}')
    if osp.isfile(ann_file):  # align features with the poses' frame counts
        anns = load_pose_annotations(ann_file)['annotations']
        lengths = {a['frame_dir']: int(a['total_frames']) for a in anns}
    for feat_name, emb_dir in features.items():
        try:
            report = import_release_features(
                emb_dir, osp.join(args.out_root, 'features', feat_name), num_frames=lengths,
                progress=not args.no_progress, dense=args.dense_features)
        except ReleaseFormatError as e:  # nothing imported, or another model's folder
            _source_failed(e)
            failed = True
            continue
        print(report.summary())
        print(f'report: {report.extra["report_file"]}')
    if args.vipe_model:
        out = osp.join(args.out_root, 'checkpoints', 'vipe_vpd_release.pth')
        cfg_out = osp.join(args.out_root, 'checkpoints', 'vipe_vpd_release_model.py')
        try:
            cfg = convert_vipe_checkpoint(args.vipe_model, out, config_out=cfg_out)
            print(f'VIPE*: wrote {out} (D={cfg["embed_dim"]}) and its config {cfg_out}')
        except (CheckpointLayoutError, FileNotFoundError) as e:
            print(f'VIPE*: not converted: {e}', file=sys.stderr)
            failed = True
    return 1 if failed else 0


def main() -> None:
    args = parse_args()
    try:
        status = import_release(args)
    except DATA_ERRORS as e:  # a missing folder or id list, a malformed release file, named
        raise SystemExit(data_error_message(e)) from None
    sys.exit(status)


if __name__ == '__main__':
    main()
