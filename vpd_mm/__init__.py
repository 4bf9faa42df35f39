# Copyright (c) vpd_mm contributors. All rights reserved.
"""vpd_mm: Video Pose Distillation as an OpenMMLab plugin.

Importing the package (directly or through ``custom_imports=dict(imports=['vpd_mm'])``) applies
the pinned stack's workarounds first, then registers every vpd_mm module in mmaction's registries,
except the synthetic world (:mod:`vpd_mm.synthetic`: generated corpora, the simulated detector
and teacher), which is imported where it is used or through a config's ``custom_imports``.
It also maps the ``vpd_mm`` scope in mmengine's ``MODULE2PACKAGE`` so that configs can inherit
``_base_ = 'vpd_mm::vpd/2dvpd_diving48.py'`` (the configs installed under ``vpd_mm/.mim/configs``;
see :mod:`vpd_mm.registry` and docs/installation.md).
"""
from . import compat  # noqa: F401,I001  (must come before anything from mmaction.models)
from . import codecs, datasets, engine, evaluation, models, preparation  # noqa: F401
from .version import __version__, version_info


def _map_config_scope() -> None:
    """Let mmengine resolve ``vpd_mm::<config>`` bases to ``vpd_mm/.mim/configs/<config>``.

    mmengine looks a scope up in ``MODULE2PACKAGE`` and searches the configs in the folder of
    that package (``get_installed_path``: the distribution's location joined with the name,
    else the folder of the module spec). The scope is mapped to the module ``vpd_mm.version``,
    which no distribution is named after, so the look-up falls through to the module spec, the
    folder of ``vpd_mm/version.py``: right for a normal install and for an editable one, whose
    distribution lies in site-packages, not beside the code.
    """
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('vpd_mm', 'vpd_mm.version')


_map_config_scope()

__all__ = ['__version__', 'version_info']
