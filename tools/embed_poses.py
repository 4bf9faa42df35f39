# Copyright (c) vpd_mm contributors. All rights reserved.
"""Precompute VI-VPD teacher targets: VIPE* embeddings of every frame of a pose annotation file.

    python tools/embed_poses.py CONFIG CHECKPOINT ANN_FILE OUT_DIR [--vertical-flip]
        [--device cpu] [--batch-size 4096] [--overwrite] [--no-progress]

Writes OUT_DIR/<frame_dir>.npy, float32 [T, 2, d] (view 0 as is, view 1 of the horizontally
flipped pose, re-embedded; d = D, or 2 D with --vertical-flip; NaN rows without a pose), and
OUT_DIR/embeddings.json. Existing files are skipped (resume) unless --overwrite. CHECKPOINT must
be one of CONFIG's embedder (read weights-only, loaded strictly): another model's checkpoint is
one line naming both and a few of the keys that do not match.
"""
import argparse

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.apis.embed_poses import embed_pose_dataset
from vpd_mm.utils import DATA_ERRORS, data_error_message, require_configs
from vpd_mm.utils.checkpoint import CheckpointLoadError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Embed 2D poses with a VIPE* embedder')
    parser.add_argument('config', help='embedder config, e.g. configs/vipe/vipe_h36m.py')
    parser.add_argument('checkpoint', help='embedder checkpoint')
    parser.add_argument('ann_file', help='PoseDataset annotation pkl')
    parser.add_argument('out_dir', help='output folder, e.g. data/diving48/embeddings/vipe')
    parser.add_argument('--vertical-flip', action='store_true',
                        help='concatenate the embedding of the vertically flipped pose '
                        '(d = 2 D; Diving48)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0 (default: cpu)')
    parser.add_argument('--batch-size', type=int, default=4096,
                        help='poses per forward pass (default: 4096)')
    parser.add_argument('--overwrite', action='store_true',
                        help='recompute videos whose file exists (default: skip them)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    require_configs(args.config)
    try:
        result = embed_pose_dataset(
            args.ann_file,
            args.config,
            args.checkpoint,
            args.out_dir,
            vertical_flip=args.vertical_flip,
            batch_size=args.batch_size,
            device=args.device,
            overwrite=args.overwrite,
            progress=not args.no_progress)
    except CheckpointLoadError as e:  # refused, damaged, another model's
        raise SystemExit(f'error: {e}') from None
    except DATA_ERRORS as e:  # a missing or malformed annotation or checkpoint file, named
        raise SystemExit(data_error_message(e)) from None
    print(f"embedded {result['num_written']} videos ({result['num_skipped']} already done) "
          f"into {result['out_dir']}: d={result['dim']} (D={result['embed_dim']}), "
          f"{result['num_frames_without_pose']} frames without a pose")


if __name__ == '__main__':
    main()
