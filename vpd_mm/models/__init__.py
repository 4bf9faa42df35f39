# Copyright (c) vpd_mm contributors. All rights reserved.
"""Networks: importing this package registers them in mmaction's ``MODELS`` registry."""
from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .distillers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .recognizers import *  # noqa: F401,F403
from .temporal_detectors import *  # noqa: F401,F403
from .vipe import *  # noqa: F401,F403


def __getattr__(name: str):
    """``GalleryBuildLoop`` and ``NoParamsOptimWrapperConstructor``, moved to
    :mod:`vpd_mm.engine` (importable from here for one release, without importing the engine
    before they are asked for)."""
    from . import recognizers
    if name in recognizers._MOVED_TO_ENGINE:
        return getattr(recognizers, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
