"""Flow stored as uint8 (bound 20): values, clipping, flips."""
import numpy as np
import torch

from vpd_mm.codecs import FlowQuantizer


def test_encode_values_and_clipping():
    q = FlowQuantizer(20).encode(np.array([-25.0, -20.0, 0.0, 10.0, 20.0, 30.0, np.nan]))
    np.testing.assert_array_equal(q, [0, 0, 128, 191, 255, 255, 128])
    assert q.dtype == np.uint8


def test_round_trip_within_one_step():
    flow = np.linspace(-19.9, 19.9, 101).astype(np.float32)
    fq = FlowQuantizer(20)
    back = fq.decode(fq.encode(flow))
    assert np.abs(back - flow).max() <= 40 / 255 / 2 + 1e-5
    norm = fq.decode(fq.encode(flow), normalize=True)
    np.testing.assert_allclose(norm, back / 40, atol=1e-6)
    assert np.abs(norm).max() <= 0.5


def test_decode_tensor_and_flip_x():
    fq = FlowQuantizer(20)
    q = np.array([0, 64, 200, 255], dtype=np.uint8)
    t = fq.decode(torch.from_numpy(q))
    assert isinstance(t, torch.Tensor)
    np.testing.assert_allclose(t.numpy(), fq.decode(q), atol=1e-5)
    # a flip negates the flow exactly in storage
    np.testing.assert_allclose(fq.decode(FlowQuantizer.flip_x(q)), -fq.decode(q), atol=1e-5)
    np.testing.assert_array_equal(FlowQuantizer.flip_x(FlowQuantizer.flip_x(q)), q)
