# Copyright (c) vpd_mm contributors. All rights reserved.
"""One video in: the VPD student's features, the nearest labelled actions and a picture out.

    python demo/vpd_demo.py VIDEO --student CKPT [--gallery FEATURES ANN] --out-dir OUT
        [--student-config configs/vpd/2dvpd_diving48.py]
        [--prep-config configs/preparation/video_folder.py] [--device cuda:0]
        [--window 32 [--stride 16]] [--top-k 5] [--step-pattern symmetric2] [--no-video]

Runs, on a video of any length (decoded in chunks, progress shown), the data preparation's
stages of ``--prep-config`` (person detector, tracker, athlete selection, pose teacher, crops,
optical flow), then the student of ``--student-config`` with the weights ``--student`` (a path
or an http(s) URL, loaded weights-only), and writes into OUT:

- ``features/<name>.npy``: the student's features, [T, 2, d] float32 (as is, mirrored), the
  format of ``tools/test.py --dump-features`` (docs/data_layout.md), indexed in
  ``features/features.json``; ``poses/<name>.npy`` [T, 1, 26]: the 2D-VPD student's decoded pose;
- ``rawframes/<name>/`` and ``annotations/<name>_pose.pkl``: the prepared crops, flow and the
  teacher's poses (docs/data_layout.md);
- with ``--gallery FEATURES ANN`` (a feature folder of the same student and its action
  annotations): ``<name>_neighbours.json``, the nearest labelled actions by DTW alignment cost,
  of the whole video or of sliding windows (``--window``), also printed as a table;
- ``<name>_vis.mp4``: the video with the athlete box, the teacher's skeleton coloured by its
  confidence, the crop, the student's decoded pose over the teacher's, and a per-frame strip
  (green: confident teacher pose, orange: unconfident, grey: none);
- ``<name>_summary.json``: frame counts, files, seconds per step.

The defaults are the real models of the preparation config (Faster R-CNN, ByteTrack, HRNet-W32;
their weights are downloaded by mmengine on first use). Every file is written under a temporary
name and renamed. A missing or unreadable video, a video without an athlete or without a
confident teacher pose, a bad checkpoint or gallery stops with a message naming the file
(exit status 1).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_STUDENT_CONFIG = 'configs/vpd/2dvpd_diving48.py'
DEFAULT_PREP_CONFIG = 'configs/preparation/video_folder.py'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='VPD on one video: features, gallery neighbours, annotated video')
    parser.add_argument('video', help='the video file')
    parser.add_argument('--student', required=True,
                        help='student weights: a checkpoint path or http(s) URL (weights only)')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--student-config', default=DEFAULT_STUDENT_CONFIG,
                        help='config the student was trained with (configs/vpd/; default: '
                        f'{DEFAULT_STUDENT_CONFIG})')
    parser.add_argument('--prep-config', default=DEFAULT_PREP_CONFIG,
                        help='preparation config: detector, tracker, athlete, teacher, crops, '
                        f'flow (configs/preparation/; default: {DEFAULT_PREP_CONFIG})')
    parser.add_argument('--gallery', nargs=2, metavar=('FEATURES', 'ANN'),
                        help='labelled gallery: a feature folder of the same student and its '
                        'action annotations (docs/data_layout.md)')
    parser.add_argument('--gallery-splits', nargs='+', help='gallery splits (default: all)')
    parser.add_argument('--top-k', type=int, default=5,
                        help='neighbours per query (default: 5)')
    parser.add_argument('--window', type=int,
                        help='look up sliding windows of this many frames (default: the whole '
                        'video as one query)')
    parser.add_argument('--stride', type=int, help='window stride (default: window // 2)')
    parser.add_argument('--step-pattern', help='DTW step pattern (default: the DTW default)')
    parser.add_argument('--name', help='output name (default: the video file\'s stem)')
    parser.add_argument('--device', default='cpu',
                        help='device of the student, and of the detector and teacher where '
                        'their configs take one (default: cpu)')
    parser.add_argument('--batch-size', type=int, default=64,
                        help='student frames per batch (default: 64)')
    parser.add_argument('--no-video', action='store_true', help='skip the annotated video')
    parser.add_argument('--quiet', action='store_true', help='no progress bars')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the student config (key=value)')
    parser.add_argument('--prep-cfg-options', nargs='+', action=DictAction,
                        help='overrides of the preparation config (key=value)')
    return parser.parse_args(argv)


def resolve_config(path: str) -> str:
    """A config path as given, else relative to the repository (run from anywhere)."""
    if osp.isfile(path) or path.startswith('vpd_mm::'):
        return path
    in_repo = osp.join(ROOT, path)
    if osp.isfile(in_repo):
        return in_repo
    raise SystemExit(f'error: config {path} does not exist')


def print_neighbours(neighbours: list) -> None:
    """One block per query: rank, class, DTW cost, action id."""
    for q in neighbours:
        pred = q['prediction']
        print(f'frames [{q["start_frame"]}, {q["end_frame"]}): nearest action '
              + (f'{pred["class"] or pred["label"]}' if pred else 'none (nothing aligns)'))
        print(f'  {"rank":>4}  {"class":<24} {"cost":>9}  action')
        for hit in q['neighbours']:
            cost = 'inf' if hit['cost'] is None else f'{hit["cost"]:.4f}'
            cls = hit['class'] if hit['class'] is not None else str(hit['label'])
            print(f'  {hit["rank"]:>4}  {cls:<24} {cost:>9}  {hit["id"]}')


def main(argv=None) -> int:
    args = parse_args(argv)
    import vpd_mm  # noqa: F401  (registers the modules)
    from vpd_mm.apis import VideoInferenceError, run_video_inference

    try:
        summary = run_video_inference(
            args.video,
            resolve_config(args.student_config),
            args.student,
            args.out_dir,
            resolve_config(args.prep_config),
            gallery=tuple(args.gallery) if args.gallery else None,
            device=args.device,
            name=args.name,
            prep_cfg_options=args.prep_cfg_options,
            cfg_options=args.cfg_options,
            batch_size=args.batch_size,
            top_k=args.top_k,
            window=args.window,
            stride=args.stride,
            gallery_splits=args.gallery_splits,
            step_pattern=args.step_pattern,
            render=not args.no_video,
            progress=not args.quiet)
    except VideoInferenceError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    states = summary['frame_states']
    print(f'{summary["name"]}: {summary["frames"]} frames, features '
          f'{summary["feature_shape"]}, {summary["tracks"]} tracks, athlete = tracks '
          f'{summary["athlete_track_ids"]}'
          + (', teacher: ' + ', '.join(f'{v} {k}' for k, v in states.items()) if states else ''))
    if summary['neighbours'] is not None:
        print_neighbours(summary['neighbours'])
    for key, path in summary['files'].items():
        print(f'{key:>10}: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
