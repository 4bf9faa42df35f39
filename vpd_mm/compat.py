# Copyright (c) vpd_mm contributors. All rights reserved.
"""Workarounds for the pinned OpenMMLab stack, applied once when ``vpd_mm`` is imported.

Every entry point (``tools/*.py``, ``custom_imports=dict(imports=['vpd_mm'])``, the tests)
imports :mod:`vpd_mm` first, so these run before anything from ``mmaction.models``.

1. mmaction2 1.2.0 from PyPI ships without ``mmaction/models/localizers/drn/`` although
   ``mmaction/models/localizers/__init__.py`` imports ``from .drn.drn import DRN``. We register
   placeholder modules whose ``DRN`` raises a clear error when someone builds it.
2. torch >= 2.6 loads checkpoints with ``weights_only=True`` and mmengine 0.10.7 does not pass
   ``weights_only``: ``--resume`` fails on ``mmengine.logging.history_buffer.HistoryBuffer``.
   We allow-list exactly the classes an mmengine checkpoint holds instead of switching the safe
   loader off, and stop ``HistoryBuffer`` from pickling its statistics functions by reference
   (``getattr(HistoryBuffer, 'mean')``: the safe loader rightly refuses ``getattr``). Those
   functions are registered on the class at import time, so nothing is lost. Checkpoints written
   by an unpatched mmengine still hold them and need ``weights_only=False`` to resume.
"""
import importlib.util
import os.path as osp
import sys
import types

_DRN_MODULES = ('mmaction.models.localizers.drn', 'mmaction.models.localizers.drn.drn')


class DRNUnavailable:
    """Placeholder for mmaction2's ``DRN`` localizer, absent from the PyPI release."""

    def __init__(self, *args, **kwargs) -> None:
        raise ImportError(
            "mmaction2 1.2.0 from PyPI does not ship 'mmaction.models.localizers.drn', so the "
            "'DRN' localizer cannot be built. Install mmaction2 from its source repository to "
            'use DRN; vpd_mm registered this placeholder only so that mmaction.models imports.')


def _mmaction_has_drn() -> bool:
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return True  # no mmaction: nothing to patch
    root = list(spec.submodule_search_locations)[0]
    return osp.exists(osp.join(root, 'models', 'localizers', 'drn', 'drn.py'))


def install_drn_placeholder() -> bool:
    """Register placeholder ``drn`` modules if mmaction2 lacks them.

    Returns:
        bool: True if the placeholder was installed (now or earlier).
    """
    if _DRN_MODULES[1] in sys.modules:
        return getattr(sys.modules[_DRN_MODULES[1]], '__vpd_mm_placeholder__', False)
    if _mmaction_has_drn():
        return False
    DRN = type('DRN', (DRNUnavailable, ), {'__module__': _DRN_MODULES[1]})
    pkg = types.ModuleType(_DRN_MODULES[0])
    pkg.__path__ = []  # a package, so that ``drn.drn`` resolves
    mod = types.ModuleType(_DRN_MODULES[1])
    mod.DRN = DRN
    for m in (pkg, mod):
        m.__vpd_mm_placeholder__ = True
    pkg.drn = mod
    sys.modules[_DRN_MODULES[0]] = pkg
    sys.modules[_DRN_MODULES[1]] = mod
    from mmaction.registry import MODELS
    MODELS.register_module(name='DRN', module=DRN, force=True)
    return True


def checkpoint_safe_globals() -> list:
    """The classes (besides tensors and builtins) that an mmengine 0.10.7 checkpoint pickles."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    safe = [HistoryBuffer, np.ndarray, np.dtype, np.core.multiarray._reconstruct,
            np.core.multiarray.scalar]
    # numpy >= 1.25 pickles dtypes by their class (e.g. numpy.dtypes.Float64DType)
    for name in ('bool_', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32',
                 'uint64', 'float16', 'float32', 'float64', 'str_', 'object_'):
        safe.append(type(np.dtype(getattr(np, name))))
    return safe


def _history_buffer_getstate(self) -> dict:
    """``HistoryBuffer.__getstate__`` without the class-level statistics functions."""
    return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}


def allow_checkpoint_globals() -> None:
    """Make mmengine checkpoints loadable with ``torch.load(weights_only=True)``."""
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(checkpoint_safe_globals())


install_drn_placeholder()
allow_checkpoint_globals()
