"""The pinned stack's workarounds (vpd_mm/compat.py)."""
import numpy as np
import pytest
import torch

import vpd_mm  # noqa: F401


def test_mmaction_models_import_and_drn_placeholder_raises():
    import mmaction.models  # noqa: F401  (fails without the placeholder)
    from mmaction.registry import MODELS
    with pytest.raises(ImportError, match='DRN'):
        MODELS.build(dict(type='DRN'))


def test_checkpoint_with_mmengine_objects_loads_weights_only(tmp_path):
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    ckpt = dict(meta=dict(message_hub=dict(log_scalars=dict(loss=buf)),
                          arr=np.arange(3, dtype=np.float32), seed=np.int64(3)),
                state_dict=dict(w=torch.ones(2)))
    path = tmp_path / 'ckpt.pth'
    torch.save(ckpt, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['meta']['message_hub']['log_scalars']['loss'].current() == 1.5
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3))
    # anything else is still refused by the safe loader
    torch.save(dict(obj=tmp_path.__class__), tmp_path / 'bad.pth')
    with pytest.raises(Exception):
        torch.load(tmp_path / 'bad.pth', weights_only=True)
