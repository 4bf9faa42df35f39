# Copyright (c) vpd_mm contributors. All rights reserved.
from .vpd_distiller import VPDDistiller

__all__ = ['VPDDistiller']
