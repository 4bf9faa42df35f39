# Copyright (c) vpd_mm contributors. All rights reserved.
from .bigru_head import BiGRUHead
from .distill_head import VPDDistillHead
from .frame_bigru_head import FrameBiGRUHead

__all__ = ['VPDDistillHead']
__all__ += ['BiGRUHead']
__all__ += ['FrameBiGRUHead']
