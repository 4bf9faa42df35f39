# Copyright (c) vpd_mm contributors. All rights reserved.
"""Workarounds for the pinned OpenMMLab stack, applied once when ``vpd_mm`` is imported.

Every entry point (``tools/*.py``, ``custom_imports=dict(imports=['vpd_mm'])``, the tests)
imports :mod:`vpd_mm` first, so these run before anything from ``mmaction.models``.

1. mmaction2 1.2.0 from PyPI ships without ``mmaction/models/localizers/drn/`` although
   ``mmaction/models/localizers/__init__.py`` imports ``from .drn.drn import DRN``. We register
   placeholder modules whose ``DRN`` raises a clear error when someone builds it.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine 0.10.7 does not pass
   ``weights_only`` (so an older torch would load without the restriction), pickles
   ``HistoryBuffer`` objects and numpy values into its checkpoints, and a refused file surfaces
   as torch's multi-line traceback. :func:`weights_only_checkpoints` routes mmengine's loading of
   local, ``http(s)://`` and ``torchvision://`` checkpoints through
   :func:`vpd_mm.utils.checkpoint.load_checkpoint_file` (always weights-only; a refused or
   damaged file is one :class:`~vpd_mm.utils.checkpoint.CheckpointLoadError` line naming it) and
   makes ``Runner.save_checkpoint`` write plain contents atomically
   (:func:`~vpd_mm.utils.checkpoint.save_checkpoint_atomic`): a vpd_mm checkpoint opens with
   ``torch.load(path, weights_only=True)`` without vpd_mm. Checkpoints of earlier vpd_mm
   versions hold ``HistoryBuffer`` and numpy objects: :func:`allow_checkpoint_globals`
   allow-lists exactly those classes (and stops ``HistoryBuffer`` from pickling its statistics
   functions by reference, which the safe loader rightly refuses), so they still resume.
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


def weights_only_checkpoints() -> None:
    """Route mmengine's checkpoint loading and saving through :mod:`vpd_mm.utils.checkpoint`.

    Loading: the ``''`` (local file) and ``http(s)://`` schemes of mmengine's
    ``CheckpointLoader`` (``torchvision://``, ``open-mmlab://`` and ``mmcls://`` download
    through the latter). Saving: the ``save_checkpoint`` that ``Runner.save_checkpoint`` calls.
    """
    from mmengine import runner as runner_pkg
    from mmengine.dist import get_dist_info
    from mmengine.runner import checkpoint as ckpt_mod
    from mmengine.runner import runner as runner_mod

    from vpd_mm.utils.checkpoint import (load_checkpoint_file, load_checkpoint_url,
                                         save_checkpoint_atomic, to_weights_only)
    if getattr(ckpt_mod, '__vpd_mm_weights_only__', False):
        return
    mmengine_save = ckpt_mod.save_checkpoint

    def load_from_local(filename, map_location=None):
        """A local checkpoint, weights-only (vpd_mm.utils.checkpoint)."""
        return load_checkpoint_file(filename, map_location)

    def load_from_http(filename, map_location=None, model_dir=None, progress=False):
        """A downloaded checkpoint (rank 0 downloads first), weights-only."""
        import torch
        rank, world_size = get_dist_info()
        if rank == 0:
            checkpoint = load_checkpoint_url(filename, map_location, model_dir, progress)
        if world_size > 1:
            torch.distributed.barrier()
            if rank > 0:
                checkpoint = load_checkpoint_url(filename, map_location, model_dir, progress)
        return checkpoint

    def save_checkpoint(checkpoint, filename, file_client_args=None, backend_args=None):
        """mmengine's ``save_checkpoint`` with plain contents; a local file atomically."""
        if file_client_args is None and backend_args is None and '://' not in str(filename):
            save_checkpoint_atomic(checkpoint, str(filename))
        else:
            mmengine_save(to_weights_only(checkpoint), filename, file_client_args, backend_args)

    ckpt_mod.CheckpointLoader.register_scheme('', load_from_local, force=True)
    ckpt_mod.CheckpointLoader.register_scheme(('http://', 'https://'), load_from_http,
                                              force=True)
    ckpt_mod.load_from_http = load_from_http
    for module in (ckpt_mod, runner_mod, runner_pkg):
        module.save_checkpoint = save_checkpoint
    ckpt_mod.__vpd_mm_weights_only__ = True


install_drn_placeholder()
allow_checkpoint_globals()
weights_only_checkpoints()
