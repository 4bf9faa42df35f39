# Copyright (c) vpd_mm contributors. All rights reserved.
"""configure_test: the config changes of tools/test.py's options (feature dumps, all videos,
amp), shared with tools/benchmarks/dump_features.py; the strict load of the checkpoint under
test (load_test_checkpoint, load_model_weights)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import vpd_mm  # noqa: F401  (registers vpd_mm's modules)
from vpd_mm.evaluation.test_setup import (CheckpointMismatchError, UnsupportedTestOption,
                                          configure_test, load_model_weights, load_test_checkpoint)

CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'vpd', '2dvpd_tiny_cpu.py')


def test_dump_features_of_all_videos(tmp_path):
    ckpt = tmp_path / 'w.pth'
    ckpt.write_bytes(b'')
    cfg = Config.fromfile(CONFIG)
    evaluator = dict(cfg.test_evaluator)
    assert cfg.test_dataloader.dataset.split == 'val' and 'frames' not in cfg.test_dataloader
    out = configure_test(cfg, str(ckpt), all_videos=True, dump_features='F', dump_poses='P',
                         dump='d.pkl', amp=True)
    assert out is cfg and cfg.load_from == str(ckpt) and cfg.resume is False
    ds = cfg.test_dataloader.dataset
    assert (ds.split, ds.source_split, ds.frames) == ('all', None, 'all')
    assert cfg.test_evaluator == [
        evaluator,
        dict(type='DumpVPDFeatures', out_dir='F'),
        dict(type='DumpVPDFeatures', out_dir='P', key='pred_pose', prefix='poses'),
        dict(type='DumpResults', out_file_path='d.pkl'),
    ]
    assert cfg.test_cfg == dict(type='TestLoop', fp16=True)


def test_defaults_change_only_the_weights():
    cfg = Config.fromfile(CONFIG)
    before = cfg.to_dict()
    configure_test(cfg, None, dump_poses='P')  # poses only come with features
    after = cfg.to_dict()
    assert after.pop('load_from') is None and after.pop('resume') is False
    before.pop('load_from', None), before.pop('resume', None)
    assert after.pop('test_evaluator') == [before.pop('test_evaluator')]
    assert after == before


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        configure_test(Config.fromfile(CONFIG), str(tmp_path / 'nope.pth'))


RECOGNITION = osp.join(osp.dirname(CONFIG), '..', 'recognition', 'bigru_tiny_cpu.py')


@pytest.mark.parametrize('option', ['dump_features', 'dump_poses'])
def test_dumps_need_a_student_config(tmp_path, option):
    """Audit item 7: refused up front, naming the config and its model, not a TypeError of
    the dataset (``frames``) once the runner is built."""
    cfg = Config.fromfile(RECOGNITION)
    with pytest.raises(UnsupportedTestOption) as err:
        configure_test(cfg, None, **{option: str(tmp_path / 'F')})
    message = str(err.value)
    assert 'bigru_tiny_cpu.py' in message and '--dump-features' in message
    assert cfg.model.type in message and 'VPDDistiller' in message
    assert '\n' not in message and 'frames' not in cfg.test_dataloader.dataset


class TwoLayers(torch.nn.Module):
    """fc [3, 2] and a BatchNorm (buffers are keys too)."""

    def __init__(self, out: int = 3) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, out)
        self.bn = torch.nn.BatchNorm1d(out)


def test_load_model_weights_is_strict(tmp_path):
    """Audit item 1: a checkpoint of another model is one line naming the checkpoint, the
    config and a few missing and unexpected keys; a right one loads every tensor."""
    torch.manual_seed(0)
    source = TwoLayers()
    good = str(tmp_path / 'good.pth')
    torch.save(dict(state_dict={f'module.{k}': v for k, v in source.state_dict().items()}),
               good)
    model = TwoLayers()
    load_model_weights(model, good, 'cfg.py')
    torch.testing.assert_close(model.fc.weight, source.fc.weight)
    # an older checkpoint without num_batches_tracked still loads (as mmengine's load)
    old = str(tmp_path / 'old.pth')
    state = {k: v for k, v in source.state_dict().items() if 'num_batches' not in k}
    torch.save(state, old)
    load_model_weights(TwoLayers(), old, 'cfg.py')

    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={f'backbone.layer{i}.weight': torch.zeros(1)
                                for i in range(5)}), other)
    with pytest.raises(CheckpointMismatchError) as err:
        load_model_weights(TwoLayers(), other, 'cfg.py')
    message = str(err.value)
    assert message.startswith(f'{other} is not a checkpoint of cfg.py (TwoLayers): ')
    # 7 keys: fc.weight, fc.bias, bn.{weight,bias,running_mean,running_var,num_batches_tracked}
    assert "6 of the model's 7 keys missing from it (fc.weight, fc.bias, bn.weight, ... " \
        '(6 in all))' in message
    assert ('it holds 5 keys the model has not (backbone.layer0.weight, '
            'backbone.layer1.weight, backbone.layer2.weight, ... (5 in all))') in message
    assert '\n' not in message
    # the right keys, other shapes
    wide = str(tmp_path / 'wide.pth')
    torch.save(TwoLayers(out=4).state_dict(), wide)
    with pytest.raises(CheckpointMismatchError) as err:
        load_model_weights(TwoLayers(), wide, 'cfg.py')
    assert str(err.value).startswith(
        f'{wide} does not fit cfg.py: fc.weight: checkpoint [4, 2] vs model [3, 2]; '
        'fc.bias: checkpoint [4] vs model [3]; ')
    assert '\n' not in str(err.value)


def _dtw(num_classes=2):
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):  # a Runner may have set mmengine
        return MODELS.build(dict(type='DTWNearestNeighbour', num_classes=num_classes))


def test_dtw_gallery_counts_as_keys(tmp_path):
    """Audit items 1 and 15: a DTW-NN checkpoint must hold its gallery buffers, and a
    non-empty gallery."""
    built = _dtw()
    built.gallery_feats = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    built.gallery_offsets = torch.tensor([0, 1, 3])
    built.gallery_labels = torch.tensor([0, 1])
    ckpt = str(tmp_path / 'dtw.pth')
    torch.save(dict(state_dict=built.state_dict()), ckpt)
    model = _dtw()
    load_model_weights(model, ckpt, 'dtw.py')
    assert model.gallery_labels.tolist() == [0, 1] and model.gallery_feats.shape == (3, 2)
    # a checkpoint of another model: the gallery buffers are what is missing
    other = str(tmp_path / 'bigru.pth')
    torch.save(dict(state_dict={'cls_head.fc.weight': torch.zeros(2, 2)}), other)
    with pytest.raises(CheckpointMismatchError,
                       match=r"bigru\.pth is not a checkpoint of dtw\.py \(DTWNearestNeighbour\)"
                       r": 3 of the model's 3 keys missing from it \(gallery_feats, "
                       r'gallery_offsets, gallery_labels\), and it holds 1 key'):
        load_model_weights(_dtw(), other, 'dtw.py')
    # the keys, but an empty gallery
    empty = str(tmp_path / 'empty.pth')
    torch.save(dict(state_dict=_dtw().state_dict()), empty)
    with pytest.raises(CheckpointMismatchError,
                       match=r'empty\.pth holds no gallery .*dtw\.py with tools/train\.py'):
        load_model_weights(_dtw(), empty, 'dtw.py')


def _runner(tmp_path, model):
    from mmengine.runner import Runner
    return Runner(model=model, work_dir=str(tmp_path / 'work'), default_scope='mmaction',
                  experiment_name=f'strict_{tmp_path.name}_{id(model)}')


def test_load_test_checkpoint_through_the_runner(tmp_path):
    """tools/test.py's load: the runner's (its hooks, ``runner.test()`` loads nothing again),
    strict, and one line naming the checkpoint and the config."""
    torch.manual_seed(0)
    source = TwoLayers()
    good = str(tmp_path / 'good.pth')
    torch.save(dict(state_dict=source.state_dict(), meta=dict(iter=3)), good)
    runner = _runner(tmp_path, TwoLayers())
    load_test_checkpoint(runner, good, 'cfg.py')
    torch.testing.assert_close(runner.model.fc.weight, source.fc.weight)
    bad = str(tmp_path / 'bad.pth')
    torch.save(dict(state_dict={'fc.weight': source.fc.weight}), bad)
    runner = _runner(tmp_path, TwoLayers())
    with pytest.raises(CheckpointMismatchError,
                       match=r"bad\.pth is not a checkpoint of cfg\.py \(TwoLayers\): 5 of the "
                       r"model's 7 keys missing from it \(fc\.bias, bn\.weight, bn\.bias, "):
        load_test_checkpoint(runner, bad, 'cfg.py')
    wide = str(tmp_path / 'wide.pth')
    torch.save(TwoLayers(out=4).state_dict(), wide)
    with pytest.raises(CheckpointMismatchError,
                       match=r'wide\.pth does not fit cfg\.py: fc\.weight: checkpoint \[4, 2\] '
                       r'vs model \[3, 2\]'):
        load_test_checkpoint(_runner(tmp_path, TwoLayers()), wide, 'cfg.py')
    # a DTW-NN checkpoint without a gallery
    empty = str(tmp_path / 'empty.pth')
    torch.save(dict(state_dict=_dtw().state_dict()), empty)
    with pytest.raises(CheckpointMismatchError, match=r'empty\.pth holds no gallery'):
        load_test_checkpoint(_runner(tmp_path, _dtw()), empty, 'dtw.py')


class Renamed(TwoLayers):
    """Maps the key names of an older release (``linear.*``) on load, as
    FrameSequenceLabeler does."""

    def __init__(self) -> None:
        super().__init__()
        self._register_load_state_dict_pre_hook(self._rename)

    @staticmethod
    def _rename(state_dict, prefix, *args):
        for name in [k for k in state_dict if k.startswith(prefix + 'linear.')]:
            state_dict[prefix + 'fc.' + name[len(prefix + 'linear.'):]] = state_dict.pop(name)


def test_keys_are_compared_after_the_models_load_hooks(tmp_path):
    torch.manual_seed(0)
    source = TwoLayers()
    old = str(tmp_path / 'old_names.pth')
    torch.save({k.replace('fc.', 'linear.'): v for k, v in source.state_dict().items()}, old)
    model = Renamed()
    load_model_weights(model, old, 'cfg.py')
    torch.testing.assert_close(model.fc.bias, source.fc.bias)
    with pytest.raises(CheckpointMismatchError, match=r'2 of the model.s 7 keys missing'):
        load_model_weights(TwoLayers(), old, 'cfg.py')
