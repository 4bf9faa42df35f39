# Copyright (c) vpd_mm contributors. All rights reserved.
"""A contact sheet of one prepared video: crop + teacher pose, flow colours, student pose.

    python tools/visualizations/vis_contact_sheet.py POSE_PKL FRAME_ROOT VIDEO --out OUT.png
        [--poses POSES_DIR] [--num-frames 8 | --frames 0 10 20] [--conf-thr 0.5]

``POSE_PKL`` is the preparation's pose annotations (``annotations/<dataset>_pose.pkl``, read
without running code), ``FRAME_ROOT`` its ``rawframes/`` folder and ``VIDEO`` a ``frame_dir``
of it. ``--poses`` is a folder of the student's decoded poses (``<video>.npy`` [T, 1, 26]:
``tools/test.py --dump-poses``, ``demo/vpd_demo.py``'s ``poses/``); without it only the
teacher's pose is drawn. The PNG is written atomically.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pose_pkl', help='pose annotations of the preparation (.pkl)')
    parser.add_argument('frame_root', help='its rawframes/ folder')
    parser.add_argument('video', help='the video (frame_dir) to show')
    parser.add_argument('--out', required=True, help='output .png')
    parser.add_argument('--poses', help='folder of the student\'s decoded poses (<video>.npy)')
    parser.add_argument('--num-frames', type=int, default=8, help='frames spread evenly')
    parser.add_argument('--frames', type=int, nargs='+', help='0-based frames instead')
    parser.add_argument('--conf-thr', type=float, default=0.5,
                        help='teacher confidence threshold of the distillation')
    parser.add_argument('--flow-bound', type=float, default=20.0, help='flow quantisation bound')
    parser.add_argument('--tile', type=int, default=96, help='picture side, pixels')
    parser.add_argument('--dpi', type=int, default=100,
                        help='resolution of the picture (default: 100)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from vpd_mm.datasets.features import load_feature_sequence
    from vpd_mm.datasets.pose_annotations import load_pose_annotations
    from vpd_mm.utils.paths import join_under
    from vpd_mm.visualization import contact_sheet, save_figure

    try:
        anns = {a['frame_dir']: a for a in load_pose_annotations(args.pose_pkl)['annotations']}
        if args.video not in anns:
            raise ValueError(f'{args.pose_pkl} has no video {args.video!r} ({len(anns)} videos)')
        frame_dir = join_under(args.frame_root, args.video, what='video name')
        poses = None
        if args.poses:
            poses = load_feature_sequence(args.poses, args.video)[:, 0]  # [T, 26] view 0
        fig = contact_sheet(frame_dir, anns[args.video], frames=args.frames,
                            num_frames=args.num_frames, student_poses=poses,
                            conf_thr=args.conf_thr, flow_bound=args.flow_bound, tile=args.tile)
    except (OSError, ValueError) as e:  # missing or unreadable files, bad frames (named)
        print(f'error: {e}', file=sys.stderr)
        return 1
    save_figure(fig, args.out, dpi=args.dpi)
    print(f'contact sheet of {args.video}: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
