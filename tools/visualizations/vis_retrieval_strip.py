# Copyright (c) vpd_mm contributors. All rights reserved.
"""A retrieval strip: a query action and its nearest labelled actions by DTW, frames side by side.

    python tools/visualizations/vis_retrieval_strip.py ANN_FILE FEATURES FRAME_ROOT \
        --query ACTION_ID --out OUT.png [--top-k 4] [--splits train] [--num-frames 6]
        [--step-pattern symmetric2]

``ANN_FILE`` holds the actions (``docs/data_layout.md``), ``FEATURES`` a feature folder
(``<video>.npy`` [T, V, d], e.g. the student's of ``tools/test.py --dump-features``) and
``FRAME_ROOT`` the ``rawframes/`` folder of the same videos. The query (row 1) is compared with
every other labelled action of ``--splits`` (default: all) by the smallest DTW alignment cost over
the flip views (``vpd_mm.apis.gallery_neighbours``); the ``--top-k`` nearest follow, one row each,
labelled with their class and cost, green when their class is the query's. The PNG is written
atomically.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='action annotations (.json)')
    parser.add_argument('features', help='feature folder (<video>.npy)')
    parser.add_argument('frame_root', help='rawframes/ folder of the videos')
    parser.add_argument('--query', required=True, help='id of the query action')
    parser.add_argument('--out', required=True, help='output .png')
    parser.add_argument('--top-k', type=int, default=4, help='hits shown, >= 1 (default: 4)')
    parser.add_argument('--splits', nargs='+', help='splits searched (default: all)')
    parser.add_argument('--num-frames', type=int, default=6,
                        help='frames per action, >= 1 (default: 6)')
    parser.add_argument('--size', type=int, default=72,
                        help='frame side in pixels, >= 1 (default: 72)')
    parser.add_argument('--step-pattern', help='DTW step pattern (default: the DTW default)')
    parser.add_argument('--dpi', type=int, default=100,
                        help='resolution of the picture, >= 1 (default: 100)')
    args = parser.parse_args(argv)
    for option in ('top_k', 'num_frames', 'size', 'dpi'):
        value = getattr(args, option)
        if value < 1:
            parser.error(f'--{option.replace("_", "-")} must be >= 1, got {value}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from vpd_mm.apis import VideoInferenceError, gallery_neighbours
    from vpd_mm.datasets.features import load_action_annotations, load_feature_sequence
    from vpd_mm.utils.paths import join_under
    from vpd_mm.visualization import action_frames, retrieval_strip, save_figure

    try:
        ann = load_action_annotations(args.ann_file)
        by_id = {a['id']: a for a in ann['actions']}
        if args.query not in by_id:
            raise ValueError(f'{args.ann_file} has no action {args.query!r}')
        q = by_id[args.query]
        classes = list(ann.get('classes') or [])
        feats = load_feature_sequence(args.features, q['video'])
        found = gallery_neighbours(feats, args.ann_file, args.features,
                                   [(int(q['start_frame']), int(q['end_frame']))],
                                   top_k=args.top_k + 1, splits=args.splits,
                                   step_pattern=args.step_pattern)
        hits = [h for h in found['queries'][0]['neighbours'] if h['id'] != q['id']][:args.top_k]
        for rank, h in enumerate(hits, 1):  # the query itself (cost 0) is not a hit
            h['rank'] = rank

        def frames(action: dict) -> list:
            folder = join_under(args.frame_root, action['video'], what='video name')
            return action_frames(folder, int(action['start_frame']), int(action['end_frame']),
                                 args.num_frames, args.size)

        label = int(q['label'])
        q_class = classes[label] if 0 <= label < len(classes) else str(label)
        query = dict(frames=frames(q), text=f'query\n{q_class}\n{q["id"]}')
        rows = []
        for h in hits:
            cost = 'inf' if h['cost'] is None else f'{h["cost"]:.3f}'
            rows.append(dict(frames=frames(h), relevant=(label >= 0 and h['label'] == label),
                             text=f'#{h["rank"]} {h["class"] or h["label"]}\ncost {cost}\n'
                             f'{h["id"]}'))
    except (VideoInferenceError, OSError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    fig = retrieval_strip(query, rows, title=f'{args.query}: nearest actions by DTW '
                          f'({osp.basename(osp.normpath(args.features))} features)')
    save_figure(fig, args.out, dpi=args.dpi)
    print(f'retrieval strip of {args.query}: {args.out}')
    for h in hits:
        print(f'  #{h["rank"]} {h["id"]} {h["class"]} cost {h["cost"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
