# Copyright (c) vpd_mm contributors. All rights reserved.
import importlib
import sys

import pytest
from mmaction.registry import LOOPS, OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.optim import OptimWrapper
from torch import nn

import vpd_mm  # noqa: F401
from vpd_mm.engine import GalleryBuildLoop, NoParamsOptimWrapperConstructor


def test_registered_names_are_unchanged():
    assert LOOPS.get('GalleryBuildLoop') is GalleryBuildLoop
    assert OPTIM_WRAPPER_CONSTRUCTORS.get(
        'NoParamsOptimWrapperConstructor') is NoParamsOptimWrapperConstructor


def test_no_params_constructor():
    build = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type='NoParamsOptimWrapperConstructor',
             optim_wrapper_cfg=dict(optimizer=dict(type='SGD', lr=0.25))))
    wrapper = build(nn.Module())
    assert isinstance(wrapper, OptimWrapper) and wrapper.get_lr()['lr'] == [0.25]
    with pytest.raises(ValueError, match=r'Linear has 2 trainable parameters'):
        build(nn.Linear(2, 2))
    frozen = nn.Linear(2, 2).requires_grad_(False)
    assert isinstance(build(frozen), OptimWrapper)
    assert not any(p is q for p in frozen.parameters()
                   for g in build(frozen).optimizer.param_groups for q in g['params'])


def test_old_module_warns_and_gives_the_same_classes():
    sys.modules.pop('vpd_mm.models.recognizers.gallery_loop', None)
    with pytest.warns(DeprecationWarning, match='vpd_mm.engine'):
        old = importlib.import_module('vpd_mm.models.recognizers.gallery_loop')
    assert old.GalleryBuildLoop is GalleryBuildLoop
    assert old.NoParamsOptimWrapperConstructor is NoParamsOptimWrapperConstructor
    from vpd_mm.models.recognizers import GalleryBuildLoop as exported
    assert exported is GalleryBuildLoop
    from vpd_mm.models import NoParamsOptimWrapperConstructor as from_models
    assert from_models is NoParamsOptimWrapperConstructor
    with pytest.raises(ImportError, match='NoSuchLoop'):
        from vpd_mm.models.recognizers import NoSuchLoop  # noqa: F401
