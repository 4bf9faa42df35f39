# Copyright (c) vpd_mm contributors. All rights reserved.
from .bigru_head import BiGRUHead
from .distill_head import VPDDistillHead

__all__ = ['VPDDistillHead']
__all__ += ['BiGRUHead']
