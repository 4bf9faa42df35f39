# Copyright (c) vpd_mm contributors. All rights reserved.
"""A preview of every person track of a video and the athlete the preparation would choose.

    python tools/visualizations/vis_track_preview.py VIDEO --out OUT.png
        [--prep-config configs/preparation/video_folder.py] [--num-frames 4 | --frames 0 30]
        [--device cuda:0] [--cfg-options key=value ...]

Runs the first pass of the preparation config's stages (person detector, tracker, athlete
selection; no pose, crop or flow) on ``VIDEO`` and draws a few frames with every track's box
(its colour, id and score; ``*`` on the tracks joined into the athlete's) and the athlete box
(green, dashed where interpolated), and below, when each track has a box. The PNG is written
atomically; an unreadable video or one without an athlete stops with a message naming it.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='the video file')
    parser.add_argument('--out', required=True, help='output .png')
    parser.add_argument('--prep-config', default='configs/preparation/video_folder.py',
                        help='preparation config (detector, tracker, athlete)')
    parser.add_argument('--num-frames', type=int, default=4,
                        help='frames spread over the athlete\'s span')
    parser.add_argument('--frames', type=int, nargs='+', help='0-based frames instead')
    parser.add_argument('--device', help='device of the detector (where it takes one)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the preparation config')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    parser.add_argument('--dpi', type=int, default=100,
                        help='resolution of the picture (default: 100)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import vpd_mm  # noqa: F401  (registers the stages)
    from vpd_mm.apis import VideoInferenceError, decode_frames, load_prep_config, track_video
    from vpd_mm.utils import require_configs
    from vpd_mm.visualization import save_figure, select_preview_frames, track_preview

    config = args.prep_config
    if not osp.isfile(config) and osp.isfile(osp.join(ROOT, config)):
        config = osp.join(ROOT, config)
    require_configs(config)
    try:
        cfg = load_prep_config(config, args.device, args.cfg_options)
        tracked = track_video(args.video, cfg, progress=not args.quiet)
        shown = select_preview_frames(tracked['num_frames'], tracked['athlete_boxes'],
                                      args.num_frames, args.frames)
        frames = decode_frames(args.video, shown, tracked['options'])
    except (VideoInferenceError, OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    fig = track_preview(frames, tracked['track_rows'], tracked['athlete_boxes'],
                        tracked['athlete_interpolated'], tracked['athlete_ids'],
                        title=f'{osp.basename(args.video)}: '
                        f'{len(set(tracked["track_rows"][:, 1].astype(int)))} tracks, athlete = '
                        f'tracks {sorted(tracked["athlete_ids"])}')
    save_figure(fig, args.out, dpi=args.dpi)
    print(f'track preview of {args.video}: {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
