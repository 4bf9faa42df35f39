# Copyright (c) vpd_mm contributors. All rights reserved.
"""Convert the VPD authors' released VIPE* encoder into a vpd_mm VIPEEmbedder checkpoint.

    python tools/model_converters/vipe_from_vpd.py SRC OUT.pth [--epoch N] [--config-out CFG.py]

SRC is their model folder (``config.json`` + ``best_epoch.encoder.pt``) or an ``.encoder.pt``
file. OUT.pth is an mmengine checkpoint (``state_dict`` + ``meta.model``) for
``configs/vipe/vipe_vpd_release.py`` (``residual_sign=-1``; D = 64) or, with ``--config-out``, for
the written config of the checkpoint's exact dimensions (e.g. D = 32). See docs/vpd_release.md.
"""
import argparse
import sys

import vpd_mm  # noqa: F401  (the stack's workarounds; registers vpd_mm's modules)
from vpd_mm.preparation.release import CheckpointLayoutError, convert_vipe_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='VPD release VIPE* encoder -> VIPEEmbedder')
    parser.add_argument('src', help='their model folder or <name>.encoder.pt')
    parser.add_argument('out', help='output checkpoint, e.g. checkpoints/vipe_vpd_release.pth')
    parser.add_argument('--epoch', type=int, default=None,
                        help='with a folder: epochNNNN.encoder.pt instead of best_epoch')
    parser.add_argument('--config-out', default=None,
                        help='also write a config with the checkpoint\'s exact model dict')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        cfg = convert_vipe_checkpoint(args.src, args.out, args.epoch, args.config_out)
    except (CheckpointLayoutError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    print(f'wrote {args.out}: VIPEEmbedder in={cfg["in_channels"]} '
          f'hidden={cfg["hidden_channels"]} blocks={cfg["num_blocks"]} D={cfg["embed_dim"]} '
          'residual_sign=-1')
    if args.config_out:
        print(f'wrote {args.config_out}')
    elif cfg['embed_dim'] != 64 or cfg['hidden_channels'] != 1024 or cfg['num_blocks'] != 2:
        print('note: configs/vipe/vipe_vpd_release.py has D=64, hidden 1024, 2 blocks; rerun '
              'with --config-out to get a config of these dimensions')


if __name__ == '__main__':
    main()
