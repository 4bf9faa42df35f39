# Copyright (c) vpd_mm contributors. All rights reserved.
"""VIPE*: a view-invariant embedding of normalised 2D poses, trained on 3D pose data."""
from typing import Dict, Optional, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from ..utils import check_state_dict_shapes

#: Row of each pose in a training sample's [3, 39] input.
VIEW1, VIEW2, NEGATIVE = 0, 1, 2


class VIPEResidualBlock(nn.Module):
    """``x + f(x)`` with ``f = [Linear, BatchNorm1d, ReLU, Dropout] x 2``.

    With ``residual_sign=-1`` the block computes ``f(x) - x``, the convention of the VPD authors'
    released VIPE* network (their ``FcResidualBlock.forward`` returns ``block(x) - x``); it
    cannot be folded into the weights (``f`` ends in a ReLU, so its output is never negative,
    while ``f(x) - 2 x`` would have to be), hence the switch. See ``docs/vpd_release.md``.

    Args:
        channels (int): Width of the block. Defaults to 1024.
        dropout (float): Dropout probability. Defaults to 0.2.
        residual_sign (int): Sign of the skip connection, ``1`` (``x + f(x)``) or ``-1``
            (``f(x) - x``). Defaults to 1.
    """

    def __init__(self, channels: int = 1024, dropout: float = 0.2, residual_sign: int = 1) -> None:
        super().__init__()
        if residual_sign not in (1, -1):
            raise ValueError(f'residual_sign must be 1 or -1, got {residual_sign!r}')
        self.residual_sign = residual_sign
        layers = []
        for _ in range(2):
            layers += [
                nn.Linear(channels, channels),
                nn.BatchNorm1d(channels),
                nn.ReLU(inplace=True),
                nn.Dropout(dropout)
            ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """[N, C] -> [N, C]."""
        if self.residual_sign < 0:
            return self.layers(x) - x
        return x + self.layers(x)


class VIPEEncoder(nn.Module):
    """The VIPE* network: Linear -> ReLU -> residual blocks -> Linear.

    Args:
        in_channels (int): Input size (13 joints x (x, y, score - 0.5)). Defaults to 39.
        hidden_channels (int): Width. Defaults to 1024.
        embed_dim (int): Embedding size D. Defaults to 64.
        num_blocks (int): Residual blocks. Defaults to 2.
        dropout (float): Dropout probability in the blocks. Defaults to 0.2.
        residual_sign (int): Skip-connection sign of the blocks (:class:`VIPEResidualBlock`):
            ``1`` or ``-1`` (the authors' released network). Defaults to 1.
    """

    def __init__(self,
                 in_channels: int = 39,
                 hidden_channels: int = 1024,
                 embed_dim: int = 64,
                 num_blocks: int = 2,
                 dropout: float = 0.2,
                 residual_sign: int = 1) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.embed_dim = embed_dim
        self.stem = nn.Sequential(nn.Linear(in_channels, hidden_channels), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(
            *[
                VIPEResidualBlock(hidden_channels, dropout, residual_sign)
                for _ in range(num_blocks)
            ])
        self.fc = nn.Linear(hidden_channels, embed_dim)

    def forward(self, x: Tensor) -> Tensor:
        """Embed poses.

        Args:
            x (Tensor): [..., in_channels].

        Returns:
            Tensor: [..., embed_dim].
        """
        if x.shape[-1] != self.in_channels:
            raise ValueError(f'VIPEEncoder expects inputs [..., {self.in_channels}], '
                             f'got {list(x.shape)}')
        lead = x.shape[:-1]
        x = x.reshape(-1, self.in_channels)  # [prod(lead), in_channels]
        x = self.fc(self.blocks(self.stem(x)))  # [prod(lead), D]
        return x.reshape(*lead, self.embed_dim)


class VIPELiftDecoder(nn.Sequential):
    """The 3D-lifting decoder: ``[Linear, ReLU] x len(hidden) -> Linear(hidden[-1], lift_dim)``.

    With the default ``hidden_channels=(512, 512)`` it is the VPD authors' decoder
    (their ``FCPoseDecoder`` with hidden dims [512, 512] and no dropout):
    ``Linear(D, 512) -> ReLU -> Linear(512, 512) -> ReLU -> Linear(512, lift_dim)``. Their code
    has one output layer per 3D dataset (each dataset's skeleton has its own target layout);
    vpd_mm maps every 3D source to one target layout (``LIFT_DIM``), so one output layer.
    Parameter names: ``{2 i}.weight`` for the i-th Linear (the ReLUs sit at odd indices).

    Args:
        embed_dim (int): Input size D.
        hidden_channels (Sequence[int]): Widths of the hidden layers (at least one).
        lift_dim (int): Output size.
    """

    def __init__(self, embed_dim: int, hidden_channels: Sequence[int], lift_dim: int) -> None:
        hidden = [int(h) for h in hidden_channels]
        if not hidden or min(hidden) < 1:
            raise ValueError('lift_hidden_channels must be a non-empty sequence of positive '
                             f'widths, got {hidden_channels!r}')
        layers = []
        widths = [int(embed_dim)] + hidden
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(c_in, c_out), nn.ReLU(inplace=True)]
        layers.append(nn.Linear(widths[-1], int(lift_dim)))
        super().__init__(*layers)
        self.hidden_channels = tuple(hidden)


def _decoder_hidden_in(state_dict: dict, prefix: str) -> Optional[Sequence[int]]:
    """The hidden widths of the lifting decoder stored in a state dict (None if it has none)."""
    weights = {}
    for key, value in state_dict.items():
        rest = key[len(prefix):] if key.startswith(prefix) else None
        parts = rest.split('.') if rest else []
        if len(parts) == 2 and parts[1] == 'weight' and parts[0].isdigit() \
                and isinstance(value, torch.Tensor) and value.dim() == 2:
            weights[int(parts[0])] = value
    if not weights:
        return None
    ordered = [weights[i] for i in sorted(weights)]
    return tuple(int(w.shape[0]) for w in ordered[:-1])


@MODELS.register_module()
class VIPEEmbedder(BaseModel):
    """VIPE*: view-invariant pose embedding, the teacher of VI-VPD.

    Trained on samples of three 2D poses, ``inputs`` [N, 3, 39]: two views of the same 3D
    pose (rows 0 and 1) and a negative (row 2: a pose of the same sequence with some bone
    direction >= 45 deg away). The loss per anchor is

    ``w_pos * ||e1 - e2|| + w_neg * max(0, margin - ||e1 - e_neg||) + w_lift * lift``,

    each term averaged over the batch. The negative term is averaged over the samples whose
    ``neg_valid`` is True (a sample without a negative contributes nothing; a batch without
    any gives ``0 * sum``, keeping the graph). The lifting term is the mean squared error of
    an auxiliary decoder (:class:`VIPELiftDecoder`, by default the authors'
    ``Linear(D, 512) -> ReLU -> Linear(512, 512) -> ReLU -> Linear(512, lift_dim)``) to the
    sample's ``lift_target`` [lift_dim] (the 3D pose's bone features); the decoder is applied
    to both views' embeddings (both project the same canonicalised 3D pose) and the two
    errors are averaged.

    Modes of :meth:`forward`:

    - ``'tensor'``: embeddings [..., D] of inputs [..., 39].
    - ``'loss'``: ``loss_pos``, ``loss_neg`` and, with ``lift_dim``, ``loss_lift``.
    - ``'predict'``: data samples with ``pred_embedding`` [V, D], the embeddings of the views
      (the first two rows of each input; the negative is not embedded).

    Args:
        in_channels (int): Input size. Defaults to 39.
        hidden_channels (int): Width of the encoder. Defaults to 1024.
        embed_dim (int): Embedding size D. Defaults to 64 (the paper's).
        lift_dim (int, optional): Size of the 3D lifting target; None: no decoder and no
            lifting loss. Defaults to None.
        lift_hidden_channels (Sequence[int]): Hidden widths of the lifting decoder. Defaults to
            (512, 512), the authors'; ``(1024,)`` is vpd_mm's earlier one-hidden-layer decoder
            (checkpoints trained before the change load with it).
        margin (float): Margin of the negative hinge. Defaults to 1.0.
        loss_weights (dict, optional): Weights ``pos``, ``neg``, ``lift``. Defaults to 1 each.
        num_blocks (int): Residual blocks of the encoder. Defaults to 2.
        dropout (float): Dropout probability. Defaults to 0.2.
        residual_sign (int): Skip-connection sign of the encoder's residual blocks: ``1``
            (``x + f(x)``) or ``-1`` (``f(x) - x``, checkpoints converted from the VPD authors'
            release by ``tools/model_converters/vipe_from_vpd.py``). Defaults to 1.
        data_preprocessor (dict, optional): Defaults to ``VIPEDataPreprocessor``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 39,
                 hidden_channels: int = 1024,
                 embed_dim: int = 64,
                 lift_dim: Optional[int] = None,
                 lift_hidden_channels: Sequence[int] = (512, 512),
                 margin: float = 1.0,
                 loss_weights: Optional[Dict[str, float]] = None,
                 num_blocks: int = 2,
                 dropout: float = 0.2,
                 residual_sign: int = 1,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VIPEDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # built here with mmaction's registry, whatever the default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.embed_dim = embed_dim
        self.lift_dim = lift_dim
        self.margin = margin
        self.loss_weights = dict(pos=1.0, neg=1.0, lift=1.0)
        unknown = set(loss_weights or {}) - set(self.loss_weights)
        if unknown:
            raise ValueError(f'unknown loss_weights keys {sorted(unknown)}: use pos, neg, lift')
        self.loss_weights.update(loss_weights or {})

        self.encoder = VIPEEncoder(in_channels, hidden_channels, embed_dim, num_blocks, dropout,
                                   residual_sign)
        self.lift_decoder = None
        if lift_dim is not None:
            self.lift_decoder = VIPELiftDecoder(embed_dim, lift_hidden_channels, lift_dim)
        self._register_load_state_dict_pre_hook(self._check_shapes_on_load)

    def forward(self,
                inputs: Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> Union[Tensor, Dict[str, Tensor], SampleList]:
        """Run the model in one of the modes ``'tensor'``, ``'loss'`` or ``'predict'``.

        Args:
            inputs (Tensor): [N, 3, 39] for ``'loss'``; [N, V, 39] (V >= 1) for
                ``'predict'``; [..., 39] for ``'tensor'``.
            data_samples (list[BaseDataElement], optional): N samples with ``lift_target``
                [lift_dim] and ``neg_valid`` (bool); required for ``'loss'``.
            mode (str): Defaults to ``'tensor'``.

        Returns:
            Tensor | dict | list: embeddings, losses, or data samples with predictions.
        """
        if mode == 'tensor':
            return self.encoder(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}": VIPEEmbedder supports "tensor", "loss" and '
                           f'"predict"')

    @torch.no_grad()
    def embed(self, x: Tensor) -> Tensor:
        """Embed poses in eval mode (no dropout, running BN statistics), without gradients.

        The model's training flag is restored afterwards.

        Args:
            x (Tensor): [..., 39] encoded poses (``VIPEInputEncoder``), any device and dtype.

        Returns:
            Tensor: [..., D] float32 embeddings on the model's device.
        """
        was_training = self.training
        self.eval()
        try:
            param = next(self.encoder.parameters())
            return self.encoder(torch.as_tensor(x).to(device=param.device, dtype=param.dtype))
        finally:
            self.train(was_training)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        """The triplet and lifting losses of a batch (see the class docstring).

        Args:
            inputs (Tensor): [N, 3, 39] (view 1, view 2, negative).
            data_samples (list[BaseDataElement]): N samples with ``neg_valid`` and, with
                ``lift_dim``, ``lift_target``.

        Returns:
            dict[str, Tensor]: ``loss_pos``, ``loss_neg`` and, with ``lift_dim``, ``loss_lift``.
        """
        if data_samples is None or len(data_samples) != len(inputs):
            raise ValueError("VIPEEmbedder needs one data sample per input in 'loss' mode")
        if inputs.dim() != 3 or inputs.shape[1] != 3:
            raise ValueError('VIPEEmbedder expects training inputs [N, 3, 39] (view 1, view 2, '
                             f'negative), got {list(inputs.shape)}')
        emb = self.encoder(inputs)  # [N, 3, D]
        e1, e2, neg = emb[:, VIEW1], emb[:, VIEW2], emb[:, NEGATIVE]  # [N, D] each

        loss_pos = (e1 - e2).norm(dim=-1).mean()
        neg_valid = torch.stack([torch.as_tensor(s.neg_valid) for s in data_samples]).reshape(-1)
        neg_valid = neg_valid.to(device=emb.device, dtype=torch.bool)  # [N]
        hinge = (self.margin - (e1 - neg).norm(dim=-1)).clamp(min=0)  # [N]
        if neg_valid.any():
            loss_neg = hinge[neg_valid].mean()
        else:
            loss_neg = hinge.sum() * 0.0
        losses = dict(
            loss_pos=self.loss_weights['pos'] * loss_pos,
            loss_neg=self.loss_weights['neg'] * loss_neg)

        if self.lift_decoder is not None:
            target = torch.stack([torch.as_tensor(s.lift_target) for s in data_samples])
            target = target.to(device=emb.device, dtype=emb.dtype)  # [N, L]
            if target.shape[-1] != self.lift_dim:
                raise ValueError(f'dataset lift targets have L={target.shape[-1]} but the model '
                                 f'has lift_dim={self.lift_dim}: set model.lift_dim to '
                                 f'{target.shape[-1]}')
            pred = self.lift_decoder(emb[:, [VIEW1, VIEW2]])  # [N, 2, L]
            loss_lift = ((pred - target[:, None]) ** 2).mean()  # averaged over both views
            losses['loss_lift'] = self.loss_weights['lift'] * loss_lift
        return losses

    def predict(self, inputs: Tensor, data_samples: OptSampleList = None) -> SampleList:
        """Embed the views of each sample.

        Args:
            inputs (Tensor): [N, V, 39] or [N, 39]; only the first two rows are embedded.

        Returns:
            list[BaseDataElement]: the samples (new ones if None) with ``pred_embedding``
            [min(V, 2), D].
        """
        if inputs.dim() == 2:
            inputs = inputs[:, None]  # [N, 1, 39]
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(len(inputs))]
        emb = self.encoder(inputs[:, :2])  # [N, V', D]
        for i, sample in enumerate(data_samples):
            sample.set_field(emb[i], 'pred_embedding')
        return data_samples

    def _check_shapes_on_load(self, state_dict: dict, prefix: str, *args) -> None:
        """Load-state-dict pre-hook: a tensor of another shape is an error, not a warning.

        A lifting decoder of other hidden widths than the model's is named with the
        ``lift_hidden_channels`` that would load it (e.g. ``(1024,)`` for checkpoints of the
        earlier one-hidden-layer decoder).
        """
        if self.lift_decoder is not None:
            stored = _decoder_hidden_in(state_dict, prefix + 'lift_decoder.')
            if stored is not None and tuple(stored) != self.lift_decoder.hidden_channels:
                raise ValueError(
                    'checkpoint does not fit the model: its lifting decoder has hidden widths '
                    f'{tuple(stored)}, the model {self.lift_decoder.hidden_channels}. Set '
                    f'model.lift_hidden_channels={tuple(stored)} in the config (checkpoints '
                    'from before the authors\' two-layer decoder have one hidden layer).')
        check_state_dict_shapes(
            self, state_dict, prefix,
            hint='Check model.embed_dim, model.hidden_channels, model.in_channels, '
            'model.lift_dim and model.lift_hidden_channels in the config against the checkpoint.')
