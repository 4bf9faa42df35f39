# Copyright (c) vpd_mm contributors. All rights reserved.
"""The ``vpd_mm`` registry scope: empty children of mmaction's registries.

vpd_mm registers every module straight into mmaction's registries (``mmaction.registry``), as
mmaction2's ``projects/`` do, and its configs use ``default_scope = 'mmaction'``. This module
exists for ``_base_ = 'vpd_mm::vpd/2dvpd_diving48.py'``: mmengine gives the dicts of a base
config read through ``<scope>::`` the key ``_scope_='<scope>'`` and then builds them in that
scope, importing ``<scope>.registry`` and searching the registry tree for registries of that
scope. The registries below have scope ``vpd_mm`` and mmaction's as parents, so such a build
finds nothing here and falls through to mmaction's (and mmengine's) registries, exactly as in
scope ``mmaction``. Nothing should be registered here; register into ``mmaction.registry``.
"""
from mmaction import registry as mmaction_registry
from mmengine.registry import Registry

SCOPE = 'vpd_mm'


def _child(parent: Registry, *locations: str) -> Registry:
    """A registry of scope ``vpd_mm`` below ``parent``.

    Args:
        parent (Registry): mmaction's registry.
        *locations (str): Modules that register into ``parent`` (mmaction's locations of it),
            imported, after vpd_mm, the first time the registry is searched.

    Returns:
        Registry: The child registry (same name as ``parent``).
    """
    return Registry(parent.name, parent=parent, scope=SCOPE, locations=['vpd_mm', *locations])


RUNNERS = _child(mmaction_registry.RUNNERS, 'mmaction.engine.runner')
RUNNER_CONSTRUCTORS = _child(mmaction_registry.RUNNER_CONSTRUCTORS, 'mmaction.engine.runner')
LOOPS = _child(mmaction_registry.LOOPS, 'mmaction.engine.runner')
HOOKS = _child(mmaction_registry.HOOKS, 'mmaction.engine.hooks')
DATASETS = _child(mmaction_registry.DATASETS, 'mmaction.datasets')
DATA_SAMPLERS = _child(mmaction_registry.DATA_SAMPLERS, 'mmaction.datasets')
TRANSFORMS = _child(mmaction_registry.TRANSFORMS, 'mmaction.datasets.transforms')
MODELS = _child(mmaction_registry.MODELS, 'mmaction.models')
MODEL_WRAPPERS = _child(mmaction_registry.MODEL_WRAPPERS, 'mmaction.models')
WEIGHT_INITIALIZERS = _child(mmaction_registry.WEIGHT_INITIALIZERS, 'mmaction.models')
OPTIMIZERS = _child(mmaction_registry.OPTIMIZERS, 'mmaction.engine.optimizers')
OPTIM_WRAPPERS = _child(mmaction_registry.OPTIM_WRAPPERS, 'mmaction.engine.optimizers')
OPTIM_WRAPPER_CONSTRUCTORS = _child(mmaction_registry.OPTIM_WRAPPER_CONSTRUCTORS,
                                    'mmaction.engine.optimizers')
PARAM_SCHEDULERS = _child(mmaction_registry.PARAM_SCHEDULERS, 'mmaction.engine')
METRICS = _child(mmaction_registry.METRICS, 'mmaction.evaluation')
EVALUATOR = _child(mmaction_registry.EVALUATOR, 'mmaction.evaluation')
TASK_UTILS = _child(mmaction_registry.TASK_UTILS, 'mmaction.models')
VISUALIZERS = _child(mmaction_registry.VISUALIZERS, 'mmaction.visualization')
VISBACKENDS = _child(mmaction_registry.VISBACKENDS, 'mmaction.visualization')
LOG_PROCESSORS = _child(mmaction_registry.LOG_PROCESSORS, 'mmaction.engine')
INFERENCERS = _child(mmaction_registry.INFERENCERS, 'mmaction.apis.inferencers')
# (mmaction's FUNCTION registry names a location, 'mmaction.mmengine', that does not exist)
FUNCTION = _child(mmaction_registry.FUNCTION)
