# Copyright (c) vpd_mm contributors. All rights reserved.
"""Generate the synthetic sports corpus (videos + ground truth + annotations).

Example::

    python tools/data/make_sports_corpus.py data/sports --videos-per-class 20 --seed 0

Atomic and resumable: rerun the same command after an interruption and only the missing videos
are rendered. See ``docs/synthetic_benchmark.md``.
"""
import argparse
import sys
import time

import vpd_mm  # noqa: F401  (the stack's workarounds)
from vpd_mm.synthetic.sports_corpus import CorpusArgumentError, make_sports_corpus
from vpd_mm.synthetic.sports_motions import DEFAULT_CLASSES, SPORTS_CLASSES
from vpd_mm.utils import DATA_ERRORS, data_error_message


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Generate the synthetic sports corpus.')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--videos-per-class', type=int, default=20,
                        help='videos rendered per class (default: 20)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the whole corpus: the same seed renders the same videos '
                        '(default: 0)')
    parser.add_argument('--size', type=int, nargs=2, default=(192, 144), metavar=('W', 'H'),
                        help='video width and height in pixels (default: 192 144)')
    parser.add_argument('--fps', type=float, default=25.0,
                        help='frame rate of the videos (default: 25)')
    parser.add_argument('--frames', type=int, nargs=2, default=(64, 96), metavar=('MIN', 'MAX'),
                        help='inclusive range of the video lengths in frames (default: 64 96)')
    parser.add_argument('--distractors', type=int, nargs=2, default=(1, 4), metavar=('MIN', 'MAX'),
                        help='inclusive range of the other people per video, who the athlete '
                        'selection must ignore (default: 1 4)')
    parser.add_argument('--classes', nargs='+', default=list(DEFAULT_CLASSES),
                        choices=sorted(SPORTS_CLASSES), metavar='CLASS',
                        help=f'class names, from {sorted(SPORTS_CLASSES)} (default: '
                        f'{" ".join(DEFAULT_CLASSES)})')
    parser.add_argument('--test-fraction', type=float, default=0.3,
                        help='fraction of the videos of each class in the test split '
                        '(default: 0.3)')
    parser.add_argument('--name', default='sports',
                        help='dataset name of the annotation files (default: sports)')
    parser.add_argument('--overwrite', action='store_true',
                        help='re-render every video (and accept other arguments)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    try:
        out = make_sports_corpus(
            args.out_dir, num_videos_per_class=args.videos_per_class, classes=args.classes,
            image_size=tuple(args.size), fps=args.fps, seed=args.seed,
            num_frames=tuple(args.frames), num_distractors=tuple(args.distractors),
            test_fraction=args.test_fraction, name=args.name, overwrite=args.overwrite,
            progress=not args.no_progress)
    except CorpusArgumentError as e:  # out of range, or another corpus in the folder
        print(f'error: {e}', file=sys.stderr)
        sys.exit(2)
    except DATA_ERRORS as e:  # an unreadable corpus.json
        raise SystemExit(data_error_message(e)) from None
    dt = time.time() - start
    print(f'{len(out["videos"])} videos in {args.out_dir} ({out["generated"]} rendered, '
          f'{out["frames"]} frames, {dt:.1f} s); actions: {out["actions_file"]}; '
          f'video list: {out["videos_file"]}')
    return out


if __name__ == '__main__':
    main()
