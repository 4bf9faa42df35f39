# Copyright (c) vpd_mm contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from vpd_mm.codecs import FlowQuantizer
from vpd_mm.preparation.stages.flow import (BaseFlowEstimator, DISFlowEstimator, crop_pair_flow,
                                            crop_sequence_flow, dis_flow)


def _texture(h, w, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (h // 6, w // 6, 3)).astype(np.float32)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img, 0, 255).astype(np.uint8)


def _shifted_pair(dx=3, dy=-2, size=128, seed=0):
    big = _texture(size + 20, size + 20, seed)
    prev = big[10:10 + size, 10:10 + size]
    cur = big[10 - dy:10 - dy + size, 10 - dx:10 - dx + size]  # content moves by (dx, dy)
    return np.ascontiguousarray(prev), np.ascontiguousarray(cur)


def test_dis_flow_of_a_shift():
    prev, cur = _shifted_pair(3, -2)
    est = DISFlowEstimator('medium')
    flow = est(prev, cur)
    assert flow.shape == (128, 128, 2) and flow.dtype == np.float32
    mean = flow[16:-16, 16:-16].reshape(-1, 2).mean(axis=0)
    np.testing.assert_allclose(mean, [3, -2], atol=0.5)
    # grey inputs, the functional form and the reused estimator agree
    gray = [cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (prev, cur)]
    np.testing.assert_allclose(est(*gray), flow)
    np.testing.assert_allclose(dis_flow(prev, cur), flow)
    np.testing.assert_allclose(est(prev, cur), flow)


def test_flow_quantizer_round_trip():
    prev, cur = _shifted_pair(3, -2)
    flow = dis_flow(prev, cur)
    q = FlowQuantizer(20)
    back = q.decode(q.encode(flow))
    inside = np.abs(flow) <= 20
    assert np.abs(back - flow)[inside].max() <= 40 / 255


def test_crop_pair_flow_uses_the_same_box():
    size = 64
    prev, cur = _shifted_pair(4, -2, size=200, seed=3)
    box = np.array([40., 40., 168., 168.])  # 128 image px -> 64 crop px: flow halves
    crop, flow = crop_pair_flow(prev, cur, box, size, DISFlowEstimator())
    assert crop.shape == (size, size, 3) and flow.shape == (size, size, 2)
    np.testing.assert_allclose(flow[8:-8, 8:-8].reshape(-1, 2).mean(0), [2, -1], atol=0.5)
    crop0, flow0 = crop_pair_flow(None, cur, box, size)
    assert (flow0 == 0).all()
    np.testing.assert_array_equal(crop0, crop)


def test_unknown_preset():
    with pytest.raises(ValueError):
        DISFlowEstimator('slow')


def test_estimators_are_registered_and_batch():
    from mmaction.registry import TASK_UTILS

    est = TASK_UTILS.build(dict(type='DISFlowEstimator', preset='fast'))
    assert isinstance(est, BaseFlowEstimator) and est.preset == 'fast'
    pairs = [_shifted_pair(dx, dy, size=64, seed=s) for s, (dx, dy) in enumerate([(2, 1),
                                                                                  (-3, 0)])]
    prevs, curs = np.stack([p for p, _ in pairs]), np.stack([c for _, c in pairs])
    flows = est.batch(prevs, curs)
    assert flows.shape == (2, 64, 64, 2) and flows.dtype == np.float32
    for i in range(2):
        np.testing.assert_allclose(flows[i], est(prevs[i], curs[i]))
    np.testing.assert_allclose(flows[1, 12:-12, 12:-12].reshape(-1, 2).mean(0), [-3, 0],
                               atol=0.5)
    assert est.batch(prevs[:0], curs[:0]).shape == (0, 64, 64, 2)
    with pytest.raises(ValueError):
        est.batch(prevs, curs[:1])


def test_crop_sequence_flow_matches_pairs():
    frames = np.stack([_shifted_pair(2 * t, 0, size=96, seed=1)[1] for t in range(4)])
    boxes = np.array([[10., 10., 70., 70.], [12., 10., 72., 70.], [14., 8., 74., 68.],
                      [-5., 0., 55., 60.]])
    est = DISFlowEstimator()
    crops, flows = crop_sequence_flow(frames[1:], boxes[1:], 32, est, prev_frame=frames[0])
    crops0, flows0 = crop_sequence_flow(frames, boxes, 32, est)
    for t in range(4):
        crop, flow = crop_pair_flow(frames[t - 1] if t else None, frames[t], boxes[t], 32, est)
        np.testing.assert_array_equal(crops0[t], crop)
        np.testing.assert_allclose(flows0[t], flow)
        if t:
            np.testing.assert_allclose(flows[t - 1], flow)
    assert (flows0[0] == 0).all()


def test_raft_random_weights_on_cpu(tmp_path):
    import torch
    from mmaction.registry import TASK_UTILS
    from torchvision.models.optical_flow import raft_small
    torch.manual_seed(0)
    path = str(tmp_path / 'raft_small.pth')
    torch.save(raft_small(weights=None).state_dict(), path)
    est = TASK_UTILS.build(
        dict(type='RAFTFlowEstimator', weights=path, small=True, device='cpu',
             num_flow_updates=2, batch_size=2))
    prev, cur = _shifted_pair(1, 1, size=128)
    prevs, curs = np.stack([prev, cur, prev]), np.stack([cur, prev, cur])
    flows = est.batch(prevs, curs)
    assert flows.shape == (3, 128, 128, 2) and flows.dtype == np.float32
    assert np.isfinite(flows).all()
    np.testing.assert_allclose(flows[2], flows[0], atol=1e-4)  # same pair, another batch
    np.testing.assert_allclose(est(prev, cur), flows[0], atol=1e-4)
    with pytest.raises(ValueError, match='divisible by 8'):
        est(prev[:120, :120], cur[:120, :120])
    torch.save({'conv.weight': torch.zeros(1)}, str(tmp_path / 'other.pth'))
    with pytest.raises(ValueError, match='other.pth'):
        TASK_UTILS.build(dict(type='RAFTFlowEstimator', weights=str(tmp_path / 'other.pth')))


def test_pipeline_builds_the_flow_stage_through_the_registry(tmp_path):
    """``build_preparer`` builds ``flow`` from TASK_UTILS like every stage: a missing or None
    config is the medium DIS default, a registered plugin type is built with its arguments, an
    already built estimator is used as is."""
    from mmaction.registry import TASK_UTILS
    from test_prepare_pipeline import make_cfg

    from vpd_mm.preparation.pipeline import build_preparer

    @TASK_UTILS.register_module(force=True)
    class ShiftTestFlowEstimator(BaseFlowEstimator):

        def __init__(self, shift=(1.0, 0.0)):
            self.shift = shift

        def __call__(self, prev, cur):
            return np.broadcast_to(np.float32(self.shift), (*cur.shape[:2], 2)).copy()

    root = str(tmp_path)
    cfg = make_cfg(root, root, flow=dict(type='DISFlowEstimator', preset='fast'))
    assert type(build_preparer(cfg).flow) is DISFlowEstimator
    assert build_preparer(cfg).flow.preset == 'fast'
    for flow in (None, 'missing'):
        cfg = make_cfg(root, root)
        if flow is None:
            cfg.flow = None
        else:
            cfg.pop('flow')
        est = build_preparer(cfg).flow
        assert type(est) is DISFlowEstimator and est.preset == 'medium'
    est = build_preparer(make_cfg(root, root, flow=dict(type='ShiftTestFlowEstimator',
                                                        shift=(2.0, -1.0)))).flow
    assert isinstance(est, ShiftTestFlowEstimator)
    flows = est.batch(np.zeros((3, 8, 8, 3), np.uint8), np.zeros((3, 8, 8, 3), np.uint8))
    assert flows.shape == (3, 8, 8, 2)
    assert (flows[..., 0] == 2).all() and (flows[..., 1] == -1).all()
    built = DISFlowEstimator('ultrafast')
    assert build_preparer(make_cfg(root, root, flow=built)).flow is built
    with pytest.raises(KeyError, match='NoSuchFlowEstimator'):
        build_preparer(make_cfg(root, root, flow=dict(type='NoSuchFlowEstimator')))


def test_device_option_reaches_the_flow_stage():
    """``--device`` sets the device of every stage class with a ``device`` argument: RAFT and a
    plugin estimator that has one, not DIS (which has none)."""
    import os.path as osp

    from mmaction.registry import TASK_UTILS

    from vpd_mm.preparation.cli import load_config, parse_args, stage_takes_device

    @TASK_UTILS.register_module(force=True)
    class DeviceTestFlowEstimator(BaseFlowEstimator):

        def __init__(self, device='cpu'):
            self.device = device

    assert stage_takes_device(dict(type='RAFTFlowEstimator'))
    assert stage_takes_device(dict(type='DeviceTestFlowEstimator'))
    assert not stage_takes_device(dict(type='DISFlowEstimator'))
    config = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
                      'preparation', 'video_folder.py')
    cfg = load_config(parse_args([config, '--device', 'cuda:3', '--cfg-options',
                                  'flow.type=DeviceTestFlowEstimator']))
    assert cfg.flow.device == 'cuda:3'
    cfg = load_config(parse_args([config, '--device', 'cuda:3']))
    assert cfg.flow.type == 'DISFlowEstimator' and 'device' not in cfg.flow
