# Copyright (c) vpd_mm contributors. All rights reserved.
from .gallery_build_loop import GalleryBuildLoop

__all__ = ['GalleryBuildLoop']
