# Copyright (c) vpd_mm contributors. All rights reserved.
"""The VPD student: a torchvision ResNet with any number of input channels and a d-dim output."""
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

#: depth -> (torchvision block, blocks per stage)
RESNET_ARCHS = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
}

#: Prefixes stripped from checkpoint keys: a wrapper's, then a whole model's backbone.
_WRAPPER_PREFIX = 'module.'
_BACKBONE_PREFIX = 'backbone.'


#: How :func:`adapt_first_conv_weight` fills the channels of the adapted first conv.
FIRST_CONV_INITS = ('mean', 'keep_rgb')


def adapt_first_conv_weight(weight: Tensor, in_channels: int, mode: str = 'mean') -> Tensor:
    """Adapt an RGB first-conv kernel to ``in_channels`` input channels.

    * ``'mean'`` (the paper's and the authors' code): every input channel, RGB and flow alike,
      gets the mean of the three RGB kernels.
    * ``'keep_rgb'``: the RGB channels keep their kernels and every extra channel (e.g. flow x
      and y) gets the mean of the RGB kernels; with fewer than 3 input channels every channel
      gets that mean.

    An RGB input (``in_channels == 3``) needs no adaptation: the kernel is returned as is in
    both modes (the authors' RGB-only student keeps its ImageNet kernel too).

    Args:
        weight (Tensor): [out, 3, kh, kw] kernel of an RGB model.
        in_channels (int): Number of input channels of the adapted kernel.
        mode (str): ``'mean'`` or ``'keep_rgb'``. Defaults to ``'mean'``.

    Returns:
        Tensor: [out, in_channels, kh, kw] kernel.
    """
    if weight.ndim != 4 or weight.shape[1] != 3:
        raise ValueError(f'expected an RGB kernel [out, 3, kh, kw], got {list(weight.shape)}')
    if in_channels < 1:
        raise ValueError(f'in_channels must be positive, got {in_channels}')
    if mode not in FIRST_CONV_INITS:
        raise ValueError(f'mode must be one of {FIRST_CONV_INITS}, got {mode!r}')
    if in_channels == 3:
        return weight
    mean = weight.mean(dim=1, keepdim=True)  # [out, 1, kh, kw]
    if mode == 'mean' or in_channels < 3:
        return mean.repeat(1, in_channels, 1, 1)  # [out, in_channels, kh, kw]
    extra = mean.repeat(1, in_channels - 3, 1, 1)  # [out, in_channels - 3, kh, kw]
    return torch.cat([weight, extra], dim=1)  # [out, in_channels, kh, kw]


def _strip_prefixes(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Drop the ``module.`` prefix of wrapped models; of a whole model keep the backbone only."""
    state_dict = OrderedDict((k[len(_WRAPPER_PREFIX):] if k.startswith(_WRAPPER_PREFIX) else k, v)
                             for k, v in state_dict.items())
    if any(k.startswith(_BACKBONE_PREFIX) for k in state_dict):
        state_dict = OrderedDict((k[len(_BACKBONE_PREFIX):], v) for k, v in state_dict.items()
                                 if k.startswith(_BACKBONE_PREFIX))
    return state_dict


@MODELS.register_module()
class VPDStudentResNet(BaseModule):
    """ResNet student of Video Pose Distillation.

    Stem, four stages and global average pooling of a torchvision ResNet, followed by a linear
    projection ``fc`` to the teacher's dimension ``d``. The input has RGB and, by default, the
    two optical-flow channels stacked: [N, in_channels, H, W] -> [N, out_channels].

    Inside mmaction2's ``Recognizer2D`` the backbone sees the N * T frames of a batch and returns
    one vector per frame: use ``TSNHead`` with ``spatial_type=None`` (there is no feature map
    left to pool).

    Args:
        depth (int): ResNet depth, 18, 34 or 50. Defaults to 34.
        in_channels (int): Input channels: 5 for RGB + flow (x, y), 3 for RGB only.
            Defaults to 5.
        out_channels (int, optional): Output dimension ``d`` (the teacher's). None removes the
            projection and returns the pooled features (``8 * base_channels``, x4 for depth 50).
            Defaults to 26.
        base_channels (int): Width of the stem and the first stage (doubled at each stage).
            torchvision's ResNets have 64; 32 is a student that a CPU trains about 3x faster
            (ImageNet weights need 64). Defaults to 64.
        pretrained (str, optional): RGB checkpoint (path, URL or ``torchvision://resnet34``)
            loaded by :meth:`init_weights`; the first conv is adapted with
            :func:`adapt_first_conv_weight`, keys whose shape does not match (the ImageNet
            classifier) are skipped. Defaults to None (random init).
        first_conv_init (str): How a pretrained RGB first conv fills ``in_channels`` channels
            (:func:`adapt_first_conv_weight`): ``'mean'``, the RGB kernel mean on every
            channel (SPEC and the authors), or ``'keep_rgb'``, the RGB kernels kept on the RGB
            channels and their mean on the flow channels. Unused without ``pretrained`` or
            with ``in_channels == 3``. Defaults to ``'mean'``.
        norm_eval (bool): Keep BatchNorm layers in eval mode while training. Defaults to False.
        channels_last (bool): Keep weights and activations in the channels-last memory format
            (NHWC), which oneDNN (CPU) and cuDNN (tensor cores) convolve faster; the results
            are the same up to float rounding. Defaults to False.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 depth: int = 34,
                 in_channels: int = 5,
                 out_channels: Optional[int] = 26,
                 base_channels: int = 64,
                 pretrained: Optional[str] = None,
                 first_conv_init: str = 'mean',
                 norm_eval: bool = False,
                 channels_last: bool = False,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth not in RESNET_ARCHS:
            raise ValueError(f'invalid depth {depth} for VPDStudentResNet, '
                             f'expected one of {sorted(RESNET_ARCHS)}')
        if in_channels < 1:
            raise ValueError(f'in_channels must be positive, got {in_channels}')
        if base_channels < 1:
            raise ValueError(f'base_channels must be positive, got {base_channels}')
        if first_conv_init not in FIRST_CONV_INITS:
            raise ValueError(f'first_conv_init must be one of {FIRST_CONV_INITS}, '
                             f'got {first_conv_init!r}')
        self.depth = depth
        self.base_channels = base_channels
        self.in_channels = in_channels
        self.pretrained = pretrained
        self.first_conv_init = first_conv_init
        self.norm_eval = norm_eval
        self.channels_last = channels_last

        block, layers = RESNET_ARCHS[depth]
        self.feat_dim = 8 * base_channels * block.expansion
        self.out_channels = self.feat_dim if out_channels is None else out_channels

        # torchvision's ResNet at width 64; its _make_layer builds the stages at any width
        resnet = ResNet(block, list(layers))
        if base_channels != 64:
            resnet.inplanes = base_channels
            for i, num in enumerate(layers):
                setattr(resnet, f'layer{i + 1}',
                        resnet._make_layer(block, base_channels * 2**i, num, stride=min(i, 1) + 1))
        # stem
        self.conv1, self.bn1 = resnet.conv1, resnet.bn1
        built = []  # what is not torchvision's (and initialised as torchvision does below)
        if in_channels != 3 or base_channels != 64:
            self.conv1 = nn.Conv2d(in_channels, base_channels, kernel_size=7, stride=2, padding=3,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(base_channels)
            built = [self.conv1]
        self.relu = resnet.relu
        self.maxpool = resnet.maxpool
        # stages
        self.layer1 = resnet.layer1
        self.layer2 = resnet.layer2
        self.layer3 = resnet.layer3
        self.layer4 = resnet.layer4
        for m in (self.modules() if base_channels != 64 else built):
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # head: global pooling and projection to the teacher's dimension
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Identity() if out_channels is None else nn.Linear(self.feat_dim, out_channels)
        if channels_last:
            self.to(memory_format=torch.channels_last)  # 4-D weights; init and loading keep it

    def forward(self, x: Tensor) -> Tensor:
        """Embed frames.

        Args:
            x (Tensor): [N, in_channels, H, W] normalised RGB (+ flow).

        Returns:
            Tensor: [N, out_channels] features.
        """
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # [N, 64, H / 4, W / 4]
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)  # [N, feat_dim, H / 32, W / 32]
        x = self.avgpool(x)  # [N, feat_dim, 1, 1]
        x = torch.flatten(x, 1)  # [N, feat_dim]
        return self.fc(x)  # [N, out_channels]

    def init_weights(self) -> None:
        """Random init (torchvision's) or, if ``pretrained`` is set, the RGB checkpoint."""
        super().init_weights()
        if self.pretrained is not None:
            self.load_pretrained(self.pretrained)

    def load_pretrained(self, pretrained: str) -> List[str]:
        """Load RGB ResNet weights, adapting the first conv to ``in_channels``.

        The first conv is adapted with :func:`adapt_first_conv_weight` in the mode
        ``first_conv_init``.

        Args:
            pretrained (str): Checkpoint path, URL or ``torchvision://`` name. A dict with a
                ``state_dict`` entry or a plain state dict; ``module.`` prefixes are stripped
                and, if keys start with ``backbone.``, only those are used.

        Returns:
            list[str]: Checkpoint keys that were skipped (absent from this model or of another
            shape, e.g. the ImageNet classifier ``fc``).
        """
        logger = MMLogger.get_current_instance()
        checkpoint = CheckpointLoader.load_checkpoint(pretrained, map_location='cpu')
        if not isinstance(checkpoint, dict):
            raise TypeError(f'{pretrained} holds a {type(checkpoint)}, not a state dict')
        state_dict = _strip_prefixes(checkpoint.get('state_dict', checkpoint))

        conv1 = state_dict.get('conv1.weight')
        if conv1 is not None and conv1.ndim == 4 and conv1.shape[1] != self.in_channels:
            state_dict['conv1.weight'] = adapt_first_conv_weight(conv1, self.in_channels,
                                                                 self.first_conv_init)

        own_state = self.state_dict()
        loadable, skipped = OrderedDict(), []
        for key, value in state_dict.items():
            if key in own_state and own_state[key].shape == value.shape:
                loadable[key] = value
            else:
                skipped.append(key)
        missing = [
            key for key in own_state
            if key not in loadable and not key.endswith('num_batches_tracked')
        ]
        self.load_state_dict(loadable, strict=False)
        logger.info(f'VPDStudentResNet: loaded {len(loadable)} tensors from {pretrained} '
                    f'(first conv adapted to {self.in_channels} channels, '
                    f'{self.first_conv_init!r})')
        if skipped:
            logger.info(f'VPDStudentResNet: skipped checkpoint keys absent or of another '
                        f'shape (kept random init): {skipped}')
        if missing:
            logger.info(f'VPDStudentResNet: keys not in the checkpoint (random init): {missing}')
        return skipped

    def train(self, mode: bool = True) -> 'VPDStudentResNet':
        """Set train mode, keeping BatchNorm layers in eval mode if ``norm_eval``."""
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
