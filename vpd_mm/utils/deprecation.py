# Copyright (c) vpd_mm contributors. All rights reserved.
"""Deprecated module paths: a module that moved keeps its old path for one release."""
import importlib
import warnings
from typing import Callable


def moved_module(old: str, new: str, hint: str = '') -> Callable[[str], object]:
    """Warn that module ``old`` moved to ``new`` and forward its other names there.

    Called at the top level of the module left at the old path, which re-exports the new
    module's public names and sets ``__getattr__`` to the returned function (PEP 562), so that
    every other name of the new module resolves too::

        from vpd_mm.ops.dtw import *  # noqa: F401,F403
        __getattr__ = moved_module(__name__, 'vpd_mm.ops.dtw')

    Args:
        old (str): The deprecated module path (``__name__`` of the caller).
        new (str): The module it moved to.
        hint (str): Appended to the warning, e.g. ``' (or the functions from vpd_mm.ops)'``.

    Returns:
        Callable[[str], object]: ``__getattr__`` for the old module.
    """
    warnings.warn(
        f'{old} is deprecated and will be removed in the next release: import {new}{hint}',
        DeprecationWarning,
        stacklevel=3)  # the importer of the old module (importlib's frames are skipped)
    moved = importlib.import_module(new)

    def __getattr__(name: str):
        return getattr(moved, name)

    return __getattr__
