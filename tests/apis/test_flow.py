# Copyright (c) vpd_mm contributors. All rights reserved.
import cv2
import numpy as np
import pytest

from vpd_mm.apis import DISFlowEstimator, crop_pair_flow, dis_flow
from vpd_mm.codecs import FlowQuantizer


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
