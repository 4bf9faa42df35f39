# Copyright (c) vpd_mm contributors. All rights reserved.
from .vpd_data_preprocessor import VPDDataPreprocessor, flip_inputs

__all__ = ['VPDDataPreprocessor', 'flip_inputs']
