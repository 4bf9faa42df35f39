# Copyright (c) vpd_mm contributors. All rights reserved.
"""The strict load refuses checkpoints whose keys fit but whose values do not: NaN or infinite
floating tensors, integer (bool) tensors where the model's are floating (and the reverse), state
dicts keyed by something else than names. ``load_state_dict`` takes the first two silently (the
test then reports chance accuracy) and the last crashed with an ``AttributeError``."""
import pytest
import torch

import vpd_mm  # noqa: F401  (registers vpd_mm's modules)
from vpd_mm.evaluation.test_setup import (CheckpointMismatchError, load_model_weights,
                                          load_test_checkpoint, state_dict_of)
from vpd_mm.utils.checkpoint import CheckpointLoadError


class TwoLayers(torch.nn.Module):
    """fc [3, 2] and a BatchNorm (its ``num_batches_tracked`` is int64)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 3)
        self.bn = torch.nn.BatchNorm1d(3)


class Renamed(TwoLayers):
    """Maps an older release's key names (``linear.*``) on load, as FrameSequenceLabeler."""

    def __init__(self) -> None:
        super().__init__()
        self._register_load_state_dict_pre_hook(self._rename)

    @staticmethod
    def _rename(state_dict, prefix, *args):
        for name in [k for k in state_dict if k.startswith(prefix + 'linear.')]:
            state_dict[prefix + 'fc.' + name[len(prefix + 'linear.'):]] = state_dict.pop(name)


class WithMask(torch.nn.Module):
    """A bool buffer (older checkpoints stored such masks as uint8)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('mask', torch.zeros(4, dtype=torch.bool))


def _state(**changes) -> dict:
    torch.manual_seed(0)
    state = {k: v.clone() for k, v in TwoLayers().state_dict().items()}
    state.update(changes)
    return state


def _save(tmp_path, name, state) -> str:
    path = str(tmp_path / name)
    torch.save(dict(state_dict=state), path)
    return path


def test_good_checkpoints_still_load(tmp_path):
    """int64 num_batches_tracked, float64 weights (same kind, copied as float32) load."""
    state = _state()
    assert state['bn.num_batches_tracked'].dtype == torch.int64
    model = TwoLayers()
    load_model_weights(model, _save(tmp_path, 'good.pth', state), 'cfg.py')
    torch.testing.assert_close(model.fc.weight, state['fc.weight'])
    double = {k: v.double() if v.is_floating_point() else v for k, v in state.items()}
    model = TwoLayers()
    load_model_weights(model, _save(tmp_path, 'double.pth', double), 'cfg.py')
    assert model.fc.weight.dtype == torch.float32
    torch.testing.assert_close(model.fc.weight, state['fc.weight'])
    # uint8 for a bool buffer is the same kind (integer): accepted
    path = _save(tmp_path, 'mask.pth', dict(mask=torch.tensor([1, 0, 1, 0], dtype=torch.uint8)))
    model = WithMask()
    load_model_weights(model, path, 'cfg.py')
    assert model.mask.tolist() == [True, False, True, False]


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_weights_are_refused_before_loading(tmp_path, bad):
    weight = torch.ones(3, 2)
    weight[1, 0] = bad
    path = _save(tmp_path, 'nan.pth', _state(**{'fc.weight': weight}))
    model = TwoLayers()
    before = model.fc.weight.detach().clone()
    with pytest.raises(CheckpointLoadError) as err:
        load_model_weights(model, path, 'cfg.py')
    message = str(err.value)
    assert message == (f'{path}: not a usable checkpoint: non-finite values (NaN or inf) in '
                       '1 tensor (fc.weight)')
    assert not isinstance(err.value, CheckpointMismatchError)
    torch.testing.assert_close(model.fc.weight, before)  # nothing loaded


def test_non_finite_values_name_the_first_keys(tmp_path):
    """A NaN-filled model (as nan_weights.pth of the audit): the first keys and the count; a
    buffer counts (running_var)."""
    state = _state()
    nan = {k: torch.full_like(v, float('nan')) if v.is_floating_point() else v
           for k, v in state.items()}
    path = _save(tmp_path, 'all_nan.pth', nan)
    with pytest.raises(CheckpointLoadError,
                       match=r'all_nan\.pth: not a usable checkpoint: non-finite values \(NaN or '
                       r'inf\) in 6 tensors \(fc\.weight, fc\.bias, bn\.weight, \.\.\. '
                       r'\(6 in all\)\)$'):
        load_model_weights(TwoLayers(), path, 'cfg.py')
    var = state['bn.running_var'].clone()
    var[2] = float('inf')
    path = _save(tmp_path, 'inf_var.pth', dict(state, **{'bn.running_var': var}))
    with pytest.raises(CheckpointLoadError, match=r'in 1 tensor \(bn\.running_var\)$'):
        load_model_weights(TwoLayers(), path, 'cfg.py')


def test_integer_weights_for_float_parameters_are_refused(tmp_path):
    """int_weights.pth of the audit: every float tensor cast to int64."""
    state = _state()
    ints = {k: v.to(torch.int64) if v.is_floating_point() else v for k, v in state.items()}
    path = _save(tmp_path, 'int.pth', ints)
    with pytest.raises(CheckpointMismatchError) as err:
        load_model_weights(TwoLayers(), path, 'cfg.py')
    message = str(err.value)
    assert message == (
        f'{path} does not fit cfg.py: tensors of another kind (integer, floating, complex): '
        'fc.weight: checkpoint int64 vs model float32; fc.bias: checkpoint int64 vs model '
        'float32; bn.weight: checkpoint int64 vs model float32; ... (6 in all)')
    # one bool tensor is enough
    path = _save(tmp_path, 'bool.pth', dict(state, **{'fc.bias': torch.ones(3, dtype=bool)}))
    with pytest.raises(CheckpointMismatchError,
                       match=r'kind \(integer, floating, complex\): fc\.bias: checkpoint bool vs '
                       r'model float32$'):
        load_model_weights(TwoLayers(), path, 'cfg.py')
    # the reverse: a float count where the model's is int64
    path = _save(tmp_path, 'float_count.pth',
                 dict(state, **{'bn.num_batches_tracked': torch.tensor(3.0)}))
    with pytest.raises(CheckpointMismatchError,
                       match=r'bn\.num_batches_tracked: checkpoint float32 vs model int64$'):
        load_model_weights(TwoLayers(), path, 'cfg.py')


def test_kinds_are_compared_after_the_models_load_hooks(tmp_path):
    """An older release's key names (mapped by the model's own hook) are checked too."""
    state = _state()
    old = {k.replace('fc.', 'linear.'): v for k, v in state.items()}
    model = Renamed()
    load_model_weights(model, _save(tmp_path, 'old.pth', old), 'cfg.py')
    torch.testing.assert_close(model.fc.weight, state['fc.weight'])
    old['linear.weight'] = old['linear.weight'].to(torch.int32)
    with pytest.raises(CheckpointMismatchError,
                       match=r'fc\.weight: checkpoint int32 vs model float32$'):
        load_model_weights(Renamed(), _save(tmp_path, 'old_int.pth', old), 'cfg.py')


def _dtw():
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        return MODELS.build(dict(type='DTWNearestNeighbour', num_classes=2))


def test_dtw_gallery_of_another_kind(tmp_path):
    """A DTW-NN recognizer resizes its gallery buffers to the checkpoint's (dtype included),
    so an integer gallery would have loaded as such; the kinds are the model's before."""
    built = _dtw()
    built.gallery_feats = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    built.gallery_offsets = torch.tensor([0, 1, 3])
    built.gallery_labels = torch.tensor([0, 1])
    good = {k: v.clone() for k, v in built.state_dict().items()}
    model = _dtw()
    load_model_weights(model, _save(tmp_path, 'dtw.pth', good), 'dtw.py')
    assert model.gallery_feats.dtype == torch.float32 and model.gallery_labels.tolist() == [0, 1]
    ints = dict(good, gallery_feats=good['gallery_feats'].to(torch.int64))
    with pytest.raises(CheckpointMismatchError,
                       match=r'dtw_int\.pth does not fit dtw\.py: .*gallery_feats: checkpoint '
                       r'int64 vs model float32$'):
        load_model_weights(_dtw(), _save(tmp_path, 'dtw_int.pth', ints), 'dtw.py')
    floats = dict(good, gallery_labels=good['gallery_labels'].float())
    with pytest.raises(CheckpointMismatchError,
                       match=r'gallery_labels: checkpoint float32 vs model int64$'):
        load_model_weights(_dtw(), _save(tmp_path, 'dtw_float.pth', floats), 'dtw.py')
    nan = dict(good, gallery_feats=torch.full((3, 2), float('nan')))
    with pytest.raises(CheckpointLoadError, match=r'non-finite .* \(gallery_feats\)$'):
        load_model_weights(_dtw(), _save(tmp_path, 'dtw_nan.pth', nan), 'dtw.py')


def test_through_the_runner(tmp_path):
    """tools/test.py's load (StrictLoadCheck in the runner's hooks) refuses them too."""
    from mmengine.runner import Runner

    def runner():
        return Runner(model=TwoLayers(), work_dir=str(tmp_path / 'work'),
                      default_scope='mmaction', experiment_name=f'values_{len(made)}')

    made = []
    state = _state()
    made.append(runner())
    path = _save(tmp_path, 'nan.pth', dict(state, **{'fc.bias': torch.full((3, ), float('nan'))}))
    with pytest.raises(CheckpointLoadError, match=r'nan\.pth: not a usable checkpoint'):
        load_test_checkpoint(made[-1], path, 'cfg.py')
    made.append(runner())
    path = _save(tmp_path, 'int.pth', dict(state, **{'fc.weight': torch.ones(3, 2).long()}))
    with pytest.raises(CheckpointMismatchError, match=r'fc\.weight: checkpoint int64 vs model'):
        load_test_checkpoint(made[-1], path, 'cfg.py')
    made.append(runner())
    load_test_checkpoint(made[-1], _save(tmp_path, 'good.pth', state), 'cfg.py')
    torch.testing.assert_close(made[-1].model.fc.weight, state['fc.weight'])


@pytest.mark.parametrize('key', [1, None, ('fc', 'weight'), b'fc.weight'])
def test_state_dict_keys_must_be_names(tmp_path, key):
    """sd_intkey.pth of the audit: an AttributeError ('int' has no startswith) before."""
    path = str(tmp_path / 'keys.pth')
    torch.save(dict(state_dict={'fc.bias': torch.zeros(3), key: torch.zeros(2)}), path)
    with pytest.raises(CheckpointLoadError) as err:
        load_model_weights(TwoLayers(), path, 'cfg.py')
    message = str(err.value)
    assert message.startswith(f'{path}: not a checkpoint of model weights (the keys of its state '
                              f'dict must be parameter names, got {key!r}')
    assert message.endswith(f'of type {type(key).__name__})') and '\n' not in message
    with pytest.raises(CheckpointLoadError, match='must be parameter names'):
        state_dict_of({key: torch.zeros(1)}, 'bare.pth')
