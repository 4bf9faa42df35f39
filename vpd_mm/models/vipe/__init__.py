# Copyright (c) vpd_mm contributors. All rights reserved.
"""The view-invariant pose embedder VIPE* (the VI-VPD teacher), trained on 3D pose data."""
from .vipe_data_preprocessor import VIPEDataPreprocessor
from .vipe_embedder import VIPEEmbedder, VIPEEncoder, VIPELiftDecoder, VIPEResidualBlock

__all__ = [
    'VIPEDataPreprocessor', 'VIPEEmbedder', 'VIPEEncoder', 'VIPELiftDecoder', 'VIPEResidualBlock'
]
