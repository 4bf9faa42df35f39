# Copyright (c) vpd_mm contributors. All rights reserved.
"""Convert the VPD authors' released VIPE* encoder into a ``VIPEEmbedder`` checkpoint.

Their encoder (``FCResNet`` of the release, saved as ``<name>.encoder.pt``: a plain state dict,
with ``config.json`` beside it holding ``embedding_dim``, ``encoder_arch`` = [blocks, hidden] and
``embed_bones``) is ``Sequential(Linear(39, H), ReLU, B x FcResidualBlock, Linear(H, D))``, each
block ``[Linear, BatchNorm1d, ReLU, Dropout] x 2`` returning ``block(x) - x``. Parameter names::

    layers.0.{weight,bias}                       -> encoder.stem.0.*
    layers.{2+i}.block.{0,1,4,5}.<param>         -> encoder.blocks.{i}.layers.{0,1,4,5}.<param>
    layers.{2+B}.{weight,bias}                   -> encoder.fc.*

The sign of the skip connection is not folded into the weights: a block's branch ends in a ReLU
(its output is never negative), so ``f(x) - x`` is not ``x' + f'(x')`` for any affine change of
the hidden state that the next layer could absorb. The converted model sets
``residual_sign=-1`` instead (``configs/vipe/vipe_vpd_release.py``), which reproduces their
embeddings exactly. Their input is ours (13 kept joints x (x, y, score - 0.5), interleaved per
joint, normalised as :class:`vpd_mm.codecs.VIPEInputEncoder`), so the first layer is unchanged.
"""
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from vpd_mm.codecs import VIPEInputEncoder
from vpd_mm.utils.checkpoint import (CheckpointLoadError, load_checkpoint_file,
                                     save_checkpoint_atomic)
from vpd_mm.utils.io import load_json
from .poses import json_int

_BN_PARAMS = ('weight', 'bias', 'running_mean', 'running_var')
_BLOCK_LINEARS = (0, 4)
_BLOCK_NORMS = (1, 5)


class CheckpointLayoutError(ValueError):
    """A state dict that is not the authors' VIPE* encoder; names the keys at fault."""


def _strip_prefix(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop a ``module.`` (DataParallel) or ``encoder.`` prefix shared by every key."""
    for prefix in ('module.', 'encoder.'):
        if state_dict and all(k.startswith(prefix) for k in state_dict):
            state_dict = {k[len(prefix):]: v for k, v in state_dict.items()}
    return state_dict


def vpd_vipe_key_map(num_blocks: int) -> Dict[str, str]:
    """Their parameter name -> ours, for an encoder with ``num_blocks`` residual blocks.

    ``num_batches_tracked`` buffers are included (optional on load).
    """
    keys = OrderedDict()
    for p in ('weight', 'bias'):
        keys[f'layers.0.{p}'] = f'encoder.stem.0.{p}'
    for i in range(num_blocks):
        for j in _BLOCK_LINEARS:
            for p in ('weight', 'bias'):
                keys[f'layers.{2 + i}.block.{j}.{p}'] = f'encoder.blocks.{i}.layers.{j}.{p}'
        for j in _BLOCK_NORMS:
            for p in _BN_PARAMS + ('num_batches_tracked', ):
                keys[f'layers.{2 + i}.block.{j}.{p}'] = f'encoder.blocks.{i}.layers.{j}.{p}'
    for p in ('weight', 'bias'):
        keys[f'layers.{2 + num_blocks}.{p}'] = f'encoder.fc.{p}'
    return keys


def convert_vipe_state_dict(
        state_dict: Dict[str, torch.Tensor]) -> Tuple['OrderedDict[str, torch.Tensor]', dict]:
    """Rename the authors' encoder state dict to ``VIPEEmbedder``'s and infer its dimensions.

    Args:
        state_dict (dict): Their ``FCResNet`` state dict (``layers.*`` keys; a ``module.``
            prefix is accepted).

    Returns:
        tuple[OrderedDict, dict]: Our state dict (``encoder.*``) and the model config
        (``type='VIPEEmbedder'``, ``in_channels``, ``hidden_channels``, ``embed_dim``,
        ``num_blocks``, ``residual_sign=-1``, ``lift_dim=None``).

    Raises:
        CheckpointLayoutError: listing the missing and unexpected keys, or the tensors of an
            unexpected shape (e.g. an input size other than 39: a model trained with
            ``--embed_bones``).
    """
    if not isinstance(state_dict, dict) or not all(
            isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise CheckpointLayoutError('expected a state dict of tensors (their '
                                    '<name>.encoder.pt)')
    sd = _strip_prefix(dict(state_dict))
    blocks = sorted({int(m.group(1)) for k in sd for m in [re.match(r'layers\.(\d+)\.block\.', k)]
                     if m})
    num_blocks = len(blocks)
    key_map = vpd_vipe_key_map(num_blocks)
    optional = {k for k in key_map if k.endswith('num_batches_tracked')}
    missing = [k for k in key_map if k not in sd and k not in optional]
    unexpected = [k for k in sd if k not in key_map]
    if blocks != list(range(2, 2 + num_blocks)) or missing or unexpected:
        raise CheckpointLayoutError(
            'not the VPD authors\' VIPE* encoder (FCResNet: layers.0 Linear, layers.2.. '
            f'residual blocks, then a Linear); found {num_blocks} blocks at layers {blocks}; '
            f'missing keys: {missing[:12]}{" ..." if len(missing) > 12 else ""}; unexpected '
            f'keys: {unexpected[:12]}{" ..." if len(unexpected) > 12 else ""}')
    in_w = sd['layers.0.weight']
    out_w = sd[f'layers.{2 + num_blocks}.weight']
    if in_w.dim() != 2 or out_w.dim() != 2:
        raise CheckpointLayoutError('layers.0.weight and the last layer\'s weight must be 2D '
                                    'Linear weights')
    hidden, in_channels = in_w.shape
    embed_dim = out_w.shape[0]
    if in_channels != VIPEInputEncoder.dim:
        raise CheckpointLayoutError(
            f'layers.0.weight takes {in_channels} inputs, but vpd_mm\'s VIPE* input is '
            f'{VIPEInputEncoder.dim} (13 joints x (x, y, score - 0.5)); a model trained with '
            '--embed_bones (bone features appended) is not supported')
    expected = {
        'layers.0.bias': (hidden, ),
        f'layers.{2 + num_blocks}.weight': (embed_dim, hidden),
        f'layers.{2 + num_blocks}.bias': (embed_dim, )
    }
    for i in range(num_blocks):
        for j in _BLOCK_LINEARS:
            expected[f'layers.{2 + i}.block.{j}.weight'] = (hidden, hidden)
            expected[f'layers.{2 + i}.block.{j}.bias'] = (hidden, )
        for j in _BLOCK_NORMS:
            for p in _BN_PARAMS:
                expected[f'layers.{2 + i}.block.{j}.{p}'] = (hidden, )
    wrong = [f'{k}: {list(sd[k].shape)} (expected {list(s)})' for k, s in expected.items()
             if tuple(sd[k].shape) != s]
    if wrong:
        raise CheckpointLayoutError('tensors of unexpected shape: ' + '; '.join(wrong))
    ours = OrderedDict()
    for k, new_key in key_map.items():  # our order; a missing BN counter starts at 0
        ours[new_key] = sd[k].detach().clone() if k in sd else torch.tensor(0, dtype=torch.long)
    cfg = dict(
        type='VIPEEmbedder',
        in_channels=int(in_channels),
        hidden_channels=int(hidden),
        embed_dim=int(embed_dim),
        num_blocks=num_blocks,
        residual_sign=-1,
        lift_dim=None)
    return ours, cfg


def load_vpd_vipe_encoder(src: str,
                          epoch: Optional[int] = None) -> Tuple[Dict[str, torch.Tensor], str,
                                                                Optional[dict]]:
    """Load the authors' encoder from a model folder or an ``.encoder.pt`` file.

    Args:
        src (str): Their model folder (``config.json`` + ``best_epoch.encoder.pt`` /
            ``epochNNNN.encoder.pt``) or the ``.encoder.pt`` file.
        epoch (int, optional): With a folder: ``epoch{epoch:04d}.encoder.pt`` instead of
            ``best_epoch.encoder.pt``.

    Returns:
        tuple: The state dict, the file read, and ``config.json``'s content (None if absent).

    Raises:
        FileNotFoundError: no weights file.
        CheckpointLayoutError: naming the file: unreadable weights, or a ``config.json`` that
            is not UTF-8 JSON, not an object, or whose ``embedding_dim``, ``encoder_arch`` or
            ``embed_bones`` has the wrong type (:func:`read_vipe_config`).
    """
    config = None
    if osp.isdir(src):
        name = 'best_epoch' if epoch is None else f'epoch{epoch:04d}'
        path = osp.join(src, f'{name}.encoder.pt')
        cfg_path = osp.join(src, 'config.json')
    else:
        path = src
        cfg_path = osp.join(osp.dirname(src), 'config.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'VIPE* encoder weights not found: {path}')
    if osp.isfile(cfg_path):
        config = read_vipe_config(cfg_path)
    try:
        state_dict = load_checkpoint_file(path, what='VIPE* encoder weights')
    except CheckpointLoadError as e:  # one line naming the file, weights-only
        raise CheckpointLayoutError(str(e)) from None
    if isinstance(state_dict, dict) and isinstance(state_dict.get('state_dict'), dict):
        state_dict = state_dict['state_dict']
    return state_dict, path, config


def read_vipe_config(path: str) -> dict:
    """Read the authors' ``config.json`` and check the fields the converter uses.

    ``embedding_dim`` must be a positive integer, ``encoder_arch`` a list ``[blocks, hidden]``
    of non-negative integers (hidden positive) and ``embed_bones`` a boolean, where present;
    other fields are kept as they are.

    Args:
        path (str): The ``config.json`` file.

    Returns:
        dict: Its content.

    Raises:
        CheckpointLayoutError: ``'<path>: <problem>'`` for a file that is not UTF-8 JSON
            (a leading byte-order mark is accepted), not an object, or a field as above.
    """
    config = load_json(path, 'VIPE* config.json', lambda p, m: CheckpointLayoutError(f'{p}: {m}'))

    def fail(msg):
        return CheckpointLayoutError(f'{path}: {msg}')

    def at_least(value, low: int) -> bool:
        n = json_int(value)
        return n is not None and n >= low

    if not isinstance(config, dict):
        raise fail(f'expected a JSON object, got {type(config).__name__}')
    dim = config.get('embedding_dim')
    if 'embedding_dim' in config and not at_least(dim, 1):
        raise fail(f'embedding_dim must be a positive integer, got {dim!r:.40}')
    arch = config.get('encoder_arch')
    good_arch = isinstance(arch, list) and len(arch) == 2 and at_least(arch[0], 0) and \
        at_least(arch[1], 1)
    if 'encoder_arch' in config and not good_arch:
        raise fail(f'encoder_arch must be [blocks, hidden] (integers), got {arch!r:.60}')
    bones = config.get('embed_bones')
    if 'embed_bones' in config and not isinstance(bones, bool):
        raise fail(f'embed_bones must be true or false, got {bones!r:.40}')
    return config


def _check_against_config(cfg: dict, config: dict, path: str) -> None:
    """The dimensions found in the weights must match their ``config.json`` (fields checked
    by :func:`read_vipe_config`)."""
    problems = []
    dim = config.get('embedding_dim')
    if dim is not None and int(dim) != cfg['embed_dim']:
        problems.append(f'embedding_dim {dim} vs {cfg["embed_dim"]}')
    arch = config.get('encoder_arch')
    if arch is not None and \
            (int(arch[0]), int(arch[1])) != (cfg['num_blocks'], cfg['hidden_channels']):
        problems.append(f'encoder_arch {list(arch)} vs [{cfg["num_blocks"]}, '
                        f'{cfg["hidden_channels"]}]')
    if config.get('embed_bones'):
        problems.append('embed_bones is true (bone features are not supported)')
    if problems:
        raise CheckpointLayoutError(f'{path}: config.json disagrees with the weights: ' +
                                    '; '.join(problems))


def convert_vipe_checkpoint(src: str,
                            out_file: str,
                            epoch: Optional[int] = None,
                            config_out: Optional[str] = None) -> dict:
    """Convert the authors' VIPE* encoder into an mmengine checkpoint of ``VIPEEmbedder``.

    The converted weights are loaded into a freshly built ``VIPEEmbedder`` (strict) before the
    checkpoint ``{'state_dict': ..., 'meta': {'model': cfg, 'source': ..., ...}}`` is written
    (atomically).

    Args:
        src (str): Their model folder or ``.encoder.pt`` file (:func:`load_vpd_vipe_encoder`).
        out_file (str): The checkpoint to write (``.pth``).
        epoch (int, optional): See :func:`load_vpd_vipe_encoder`.
        config_out (str, optional): Also write a config holding the checkpoint's exact model
            dict (usable by ``tools/embed_poses.py``). Defaults to None.

    Returns:
        dict: The model config of the checkpoint.
    """
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope

    from vpd_mm.models import vipe  # noqa: F401  (registers VIPEEmbedder)

    state_dict, path, config = load_vpd_vipe_encoder(src, epoch)
    try:
        ours, cfg = convert_vipe_state_dict(state_dict)
    except CheckpointLayoutError as e:
        raise CheckpointLayoutError(f'{path}: {e}') from e
    if config is not None:
        _check_against_config(cfg, config, path)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(dict(cfg))
    model.load_state_dict(ours, strict=True)  # every key of ours and theirs accounted for
    ckpt = dict(
        state_dict=model.state_dict(),
        meta=dict(
            model=cfg,
            source=osp.abspath(path),
            source_config=config,
            converted_by='tools/model_converters/vipe_from_vpd.py'))
    save_checkpoint_atomic(ckpt, out_file)  # plain contents: opens weights-only anywhere
    if config_out is not None:
        os.makedirs(osp.dirname(osp.abspath(config_out)), exist_ok=True)
        text = ('# The VPD authors\' released VIPE* encoder, converted by '
                'tools/model_converters/vipe_from_vpd.py\n'
                f'# from {osp.abspath(path)}; weights: {osp.abspath(out_file)}\n'
                "default_scope = 'mmaction'\n"
                f'model = {cfg!r}\n')
        tmp = f'{config_out}.tmp.{os.getpid()}.py'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, config_out)
    return cfg
