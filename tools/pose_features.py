# Copyright (c) vpd_mm contributors. All rights reserved.
"""Write the 2D-joint teacher's features: normalised COCO-17 poses of a PoseDataset pkl.

    python tools/pose_features.py ANN_FILE OUT_DIR [--keypoint-key keypoint|gt_keypoint]
        [--actions-json FILE [--dataset NAME] [--classes NAME ...]] [--overwrite]
        [--no-progress]

Writes OUT_DIR/<frame_dir>.npy, float32 [T, 2, 26] (view 0 as is, view 1 horizontally flipped;
NaN rows where the keypoints are NaN) and OUT_DIR/features.json, the input of
configs/recognition/bigru_pose2d_*.py. ``--keypoint-key gt_keypoint`` uses ground-truth joints
(the toy corpus has them) as an upper reference. ``--actions-json`` also writes an action file
with one action per video (label and test split from the pkl), e.g. for the toy corpus; its
class names are ``--classes``, else those the corpus records (``class_name`` in the pkl's
annotations, as ``make_toy_corpus`` writes them: ``jumping_jacks``, ``somersault``, ...; or the
``classes`` of a ``corpus.json`` in the folder above the pkl's, as ``make_sports_corpus``
writes it), else ``class 0``...
"""
import argparse

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.apis.pose_features import write_pose_features, write_video_actions
from vpd_mm.utils import DATA_ERRORS, data_error_message


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Normalised 2D joints as per-frame features')
    parser.add_argument('ann_file', help='PoseDataset annotation pkl')
    parser.add_argument('out_dir', help='output folder, e.g. data/diving48/features/pose2d')
    parser.add_argument('--keypoint-key', default='keypoint',
                        help="annotation key of the joints (default: 'keypoint', the teacher; "
                        "'gt_keypoint': ground truth)")
    parser.add_argument('--actions-json', help='also write one action per video to this file')
    parser.add_argument('--dataset', default='toy', help='dataset name in --actions-json')
    parser.add_argument('--classes', nargs='+', default=None,
                        help='class names of labels 0, 1, ... in --actions-json (default: the '
                        "names the corpus records, else 'class 0', 'class 1', ...)")
    parser.add_argument('--overwrite', action='store_true', help='rewrite existing files')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        result = write_pose_features(
            args.ann_file,
            args.out_dir,
            keypoint_key=args.keypoint_key,
            overwrite=args.overwrite,
            progress=not args.no_progress)
    except DATA_ERRORS as e:  # a missing or malformed annotation file, named
        raise SystemExit(data_error_message(e)) from None
    print(f"wrote {result['num_written']} videos ({result['num_skipped']} already there) into "
          f"{result['out_dir']}: d={result['dim']}, {result['num_frames_without_pose']} frames "
          f'without a pose')
    if args.actions_json:
        try:
            ann = write_video_actions(args.ann_file, args.actions_json, dataset=args.dataset,
                                      classes=args.classes)
        except ValueError as e:  # class names that do not fit the labels
            raise SystemExit(f'error: {e}') from None
        print(f"wrote {len(ann['actions'])} actions to {args.actions_json} (classes: "
              f"{', '.join(ann['classes'])})")


if __name__ == '__main__':
    main()
