# Copyright (c) vpd_mm contributors. All rights reserved.
"""Convert the VPD authors' released VIPE* encoder into a vpd_mm VIPEEmbedder checkpoint.

    python tools/model_converters/vipe_from_vpd.py SRC OUT.pth [--epoch N] [--config-out CFG.py]

SRC is their model folder (``config.json`` + ``best_epoch.encoder.pt``) or an ``.encoder.pt``
file. OUT.pth is an mmengine checkpoint (``state_dict`` + ``meta.model``) for
``configs/vipe/vipe_vpd_release.py`` (``residual_sign=-1``; D = 64) or, with ``--config-out``, for
the written config of the checkpoint's exact dimensions (e.g. D = 32). See docs/vpd_release.md.

Only the encoder is converted. The authors' training also saves a 3D-lifting decoder
(``<name>.decoder-3d.pt``: their ``FCPoseDecoder``, hidden [512, 512], one output layer
``fc_<dataset>`` per 3D dataset); the documented release holds no such file, and where one is
present it is left out: its output layers predict the authors' per-dataset skeleton features
(e.g. Human3.6M's 20 bones x 7 values), not vpd_mm's lifting target (95 values), and embedding
poses does not need a decoder. The converted model has ``lift_dim=None``.
"""
import argparse
import glob
import os.path as osp
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
    folder = args.src if osp.isdir(args.src) else osp.dirname(args.src)
    decoders = sorted(glob.glob(osp.join(glob.escape(folder), '*.decoder-*.pt')))
    if decoders:
        print(f'note: {len(decoders)} lifting decoder file(s) in {folder} (e.g. '
              f'{osp.basename(decoders[0])}) not converted: their output layers predict the '
              'authors\' per-dataset skeleton features, not vpd_mm\'s lifting target; embedding '
              'needs only the encoder')
    if args.config_out:
        print(f'wrote {args.config_out}')
    elif cfg['embed_dim'] != 64 or cfg['hidden_channels'] != 1024 or cfg['num_blocks'] != 2:
        print('note: configs/vipe/vipe_vpd_release.py has D=64, hidden 1024, 2 blocks; rerun '
              'with --config-out to get a config of these dimensions')


if __name__ == '__main__':
    main()
