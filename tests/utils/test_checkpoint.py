# Copyright (c) vpd_mm contributors. All rights reserved.
"""Checkpoints read weights-only with one-line errors, written with plain contents (issue 16):
vpd_mm.utils.checkpoint, the mmengine loaders vpd_mm.compat routes through it, RAFT weights,
the VIPE* converter and the pose embedder."""
import io
import os
import os.path as osp
import pickle
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import vpd_mm  # noqa: F401  (vpd_mm.compat: mmengine's loaders)
from vpd_mm.utils.checkpoint import (HISTORY_BUFFER_KEY, MAX_NESTING_DEPTH, NDARRAY_KEY,
                                     CheckpointLoadError, from_weights_only, load_checkpoint_file,
                                     save_checkpoint_atomic, to_weights_only)


class _Evil:
    """Runs a command when unpickled without restriction."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _evil_checkpoint(tmp_path, name='evil.pth'):
    marker = tmp_path / 'pwned'
    path = tmp_path / name
    torch.save(dict(state_dict=dict(w=torch.ones(2)), meta=_Evil(str(marker))), path)
    return str(path), marker


def _assert_refused(message, path, marker):
    assert message.startswith(f'{path}: holds objects a weights-only load refuses ('), message
    assert 'system' in message  # the object refused (posix.system / nt.system)
    assert 'weights_only' not in message and '\n' not in message
    assert not marker.exists()  # nothing ran


def test_refused_damaged_and_missing_files(tmp_path):
    path, marker = _evil_checkpoint(tmp_path)
    with pytest.raises(CheckpointLoadError) as err:
        load_checkpoint_file(path)
    _assert_refused(str(err.value), path, marker)
    for name, data in (('junk.pth', b'not a checkpoint at all'), ('empty.pth', b'')):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CheckpointLoadError) as err:
            load_checkpoint_file(str(tmp_path / name))
        msg = str(err.value)
        assert msg.startswith(f'{tmp_path / name}: not a readable checkpoint ('), msg
        assert 'weights_only' not in msg and '\n' not in msg
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.arange(3.0))), good)
    assert torch.equal(load_checkpoint_file(str(good))['state_dict']['w'], torch.arange(3.0))
    with pytest.raises(FileNotFoundError, match='missing.pth does not exist'):
        load_checkpoint_file(str(tmp_path / 'missing.pth'))


def test_mmengine_loading_goes_through_it(tmp_path):
    """``load_from``, ``--resume`` and ``init_cfg`` load through mmengine's CheckpointLoader."""
    from mmengine.runner import load_checkpoint
    from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
    path, marker = _evil_checkpoint(tmp_path)
    for load in (lambda: CheckpointLoader.load_checkpoint(path),
                 lambda: _load_checkpoint(path, map_location='cpu'),
                 lambda: load_checkpoint(torch.nn.Linear(2, 1), path)):
        with pytest.raises(CheckpointLoadError) as err:
            load()
        _assert_refused(str(err.value), path, marker)
    ref = torch.nn.Linear(2, 1)
    torch.save(dict(state_dict=ref.state_dict()), tmp_path / 'ok.pth')
    model = torch.nn.Linear(2, 1)
    load_checkpoint(model, str(tmp_path / 'ok.pth'))
    assert torch.equal(model.weight, ref.weight)


def _checkpoint_like_mmengine():
    from mmengine.config import ConfigDict
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer(max_length=7)
    for v in (1.5, 2.5, 4.0):
        buf.update(v)
    state = torch.nn.BatchNorm1d(2).state_dict()  # an OrderedDict with _metadata
    return dict(
        meta=dict(seed=np.int64(3), score=np.float64(0.25), dataset_meta=ConfigDict(a=1),
                  arr=np.arange(4, dtype=np.int32), names=np.array(['a', 'b'])),
        state_dict=state,
        message_hub=dict(log_scalars=OrderedDict(loss=buf), runtime_info=dict(iter=np.int64(9)),
                         resumed_keys=dict(loss=True)))


def test_plain_contents_round_trip(tmp_path):
    ckpt = _checkpoint_like_mmengine()
    plain = to_weights_only(ckpt)
    assert plain['state_dict'] is ckpt['state_dict']  # nothing to change: not copied
    hub = plain['message_hub']['log_scalars']['loss'][HISTORY_BUFFER_KEY]
    assert hub['log_history'].tolist() == [1.5, 2.5, 4.0] and hub['max_length'] == 7
    assert plain['meta']['seed'] == 3 and type(plain['meta']['seed']) is int
    assert type(plain['meta']['dataset_meta']) is dict
    assert plain['meta']['arr'][NDARRAY_KEY].dtype == torch.int32
    assert plain['meta']['names'] == ['a', 'b']
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint_atomic(ckpt, path)
    assert os.listdir(tmp_path) == ['ckpt.pth']  # no temporary left
    back = load_checkpoint_file(path)
    buf = back['message_hub']['log_scalars']['loss']
    assert type(buf).__name__ == 'HistoryBuffer' and buf.max_length == 7
    assert buf.current() == 4.0 and buf.mean() == pytest.approx(8.0 / 3)
    np.testing.assert_array_equal(back['meta']['arr'], np.arange(4, dtype=np.int32))
    assert back['meta']['arr'].dtype == np.int32
    assert back['state_dict']._metadata == ckpt['state_dict']._metadata
    assert from_weights_only(dict(x=[1, (2, 3)])) == dict(x=[1, (2, 3)])


def _torch_zip_with_pickle(path, pkl_bytes):
    """Write a torch zip checkpoint whose data.pkl is ``pkl_bytes`` (a file torch.save can't)."""
    buf = io.BytesIO()
    torch.save({'a': 1}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, \
            zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, pkl_bytes if info.filename.endswith('data.pkl') else data)
    return str(path)


def test_deeply_nested_checkpoint_is_one_line_error(tmp_path):
    # containers nested 5000 deep pass the weights-only unpickler; walking them must not
    # overflow the stack (it was a bare RecursionError)
    lists = _torch_zip_with_pickle(tmp_path / 'lists.pth',
                                   b'\x80\x02' + b']' * 5000 + b'a' * 4999 + b'.')
    dicts = _torch_zip_with_pickle(
        tmp_path / 'dicts.pth', b'\x80\x02}' + b'X\x01\x00\x00\x00k}' * 5000 + b's' * 5000 + b'.')
    for path in (lists, dicts):
        with pytest.raises(CheckpointLoadError) as err:
            load_checkpoint_file(path)
        assert str(err.value) == (f'{path}: not a readable checkpoint (containers nested more '
                                  f'than {MAX_NESTING_DEPTH} levels deep)')
    # the control: the same rewriting of a plain dict loads; so does a nesting at the bound
    ok = _torch_zip_with_pickle(tmp_path / 'ok.pth', pickle.dumps({'a': 1}, protocol=2))
    assert load_checkpoint_file(ok) == {'a': 1}
    nested = [1]  # the innermost list at depth MAX_NESTING_DEPTH
    for _ in range(MAX_NESTING_DEPTH):
        nested = [nested]
    torch.save(nested, tmp_path / 'deep_ok.pth')
    back = load_checkpoint_file(str(tmp_path / 'deep_ok.pth'))
    for _ in range(MAX_NESTING_DEPTH):
        back = back[0]
    assert back == [1]
    torch.save([nested], tmp_path / 'deeper.pth')
    with pytest.raises(CheckpointLoadError, match=r'deeper\.pth: .*nested more than'):
        load_checkpoint_file(str(tmp_path / 'deeper.pth'))


@pytest.mark.parametrize('marker,problem', [
    ({HISTORY_BUFFER_KEY: {}}, 'positive integer max_length, got None'),
    ({HISTORY_BUFFER_KEY: dict(log_history=torch.ones(2), max_length=3)},
     f'{HISTORY_BUFFER_KEY} count_history must be a real tensor of a numpy dtype, got NoneType'),
    ({HISTORY_BUFFER_KEY: dict(log_history=torch.ones(2), count_history=torch.ones(3),
                               max_length=3)}, 'must be 1-D of one length, got shapes [2] and [3]'),
    ({NDARRAY_KEY: [[1], [1, 2]]},
     f'{NDARRAY_KEY} must be a real tensor of a numpy dtype, got list'),
    ({NDARRAY_KEY: torch.ones(2, dtype=torch.bfloat16)}, 'got torch.bfloat16'),
])
def test_malformed_markers_are_named(tmp_path, marker, problem):
    path = str(tmp_path / 'marker.pth')
    torch.save(dict(meta=dict(x=marker)), path)
    with pytest.raises(CheckpointLoadError) as err:
        load_checkpoint_file(path)
    assert str(err.value).startswith(f'{path}: ') and problem in str(err.value), str(err.value)


def test_plain_checkpoint_loads_without_vpd_mm(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint_atomic(_checkpoint_like_mmengine(), path)
    code = ('import sys, torch; c = torch.load(sys.argv[1], weights_only=True); '
            "assert not [m for m in sys.modules if m.startswith(('vpd_mm', 'mmengine'))]; "
            "print(sorted(c), c['meta']['seed'])")
    proc = subprocess.run([sys.executable, '-c', code, path], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["['message_hub',", "'meta',", "'state_dict']", '3']


def test_raft_weights_errors_name_the_file(tmp_path):
    from vpd_mm.preparation.stages.flow import RAFTFlowEstimator
    path, marker = _evil_checkpoint(tmp_path, 'raft.pth')
    with pytest.raises(ValueError) as err:
        RAFTFlowEstimator(weights=path)
    assert str(err.value).startswith('RAFT weights ')
    _assert_refused(str(err.value)[len('RAFT weights '):], path, marker)
    junk = tmp_path / 'raft_junk.pth'
    junk.write_bytes(b'\x80\x04junk')
    with pytest.raises(ValueError, match=f'RAFT weights {junk}: not a readable checkpoint'):
        RAFTFlowEstimator(weights=str(junk))


def test_vipe_converter_and_embedder_refuse(tmp_path):
    from vpd_mm.apis.embed_poses import init_vipe_embedder
    from vpd_mm.preparation.release import CheckpointLayoutError, convert_vipe_checkpoint
    path, marker = _evil_checkpoint(tmp_path, 'best_epoch.encoder.pt')
    with pytest.raises(CheckpointLayoutError) as err:
        convert_vipe_checkpoint(path, str(tmp_path / 'out.pth'))
    _assert_refused(str(err.value), path, marker)
    assert not osp.exists(tmp_path / 'out.pth')
    cfg = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
                   'vipe', 'vipe_synthetic_tiny.py')
    with pytest.raises(CheckpointLoadError) as err:
        init_vipe_embedder(cfg, path)
    _assert_refused(str(err.value), path, marker)
