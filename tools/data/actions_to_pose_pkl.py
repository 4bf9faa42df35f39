# Copyright (c) vpd_mm contributors. All rights reserved.
"""Action-level PoseDataset pkl (for mmaction2's ST-GCN) from a per-video teacher pose pkl.

    python tools/data/actions_to_pose_pkl.py POSE_PKL ACTIONS_JSON OUT_PKL [--splits train test]

One entry per labelled action (``frame_dir`` = action id), the ``split`` dict from the actions'
splits, NaN joints replaced by the image centre with score 0
(``vpd_mm.apis.actions_to_pose_pkl``).
"""
import argparse

from vpd_mm.apis.actions_to_pose_pkl import actions_to_pose_pkl
from vpd_mm.datasets.features import SPLITS
from vpd_mm.utils import DATA_ERRORS, data_error_message


def main() -> None:
    parser = argparse.ArgumentParser(description='Slice a pose pkl into actions')
    parser.add_argument('pose_pkl', help='per-video teacher pose pkl')
    parser.add_argument('actions_json', help='action annotations (<dataset>_actions.json)')
    parser.add_argument('out_pkl', help='output action-level pkl')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, help='only actions of these splits')
    args = parser.parse_args()
    try:
        stats = actions_to_pose_pkl(args.pose_pkl, args.actions_json, args.out_pkl, args.splits)
    except DATA_ERRORS as e:  # a missing or malformed pose pkl or action file, an action id
        # that cannot be a frame_dir, an action outside its video's poses: the file named
        raise SystemExit(data_error_message(e)) from None
    print(f'{args.out_pkl}: {stats["num_actions"]} actions per split, '
          f'{stats["skipped_unlabeled"]} unlabelled actions skipped')


if __name__ == '__main__':
    main()
