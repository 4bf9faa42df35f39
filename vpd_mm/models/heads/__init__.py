# Copyright (c) vpd_mm contributors. All rights reserved.
from .distill_head import VPDDistillHead

__all__ = ['VPDDistillHead']
