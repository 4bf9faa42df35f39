# Copyright (c) vpd_mm contributors. All rights reserved.
"""The authors' released VIPE* encoder, converted, gives their embeddings in VIPEEmbedder."""
import json
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch import nn

from vpd_mm.apis.embed_poses import embed_pose_views, init_vipe_embedder
from vpd_mm.preparation.release import (CheckpointLayoutError, convert_vipe_checkpoint,
                                        convert_vipe_state_dict)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
H, D = 48, 32


class RefBlock(nn.Module):
    """Their residual block: the branch minus the input."""

    def __init__(self, hidden, dropout):
        super().__init__()
        self.block = nn.Sequential(
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x):
        return self.block(x) - x


class RefFCResNet(nn.Module):
    """Their encoder's layout: ``layers`` = Linear, ReLU, blocks, Linear."""

    def __init__(self, in_dim, out_dim, num_blocks, hidden, dropout=0.2):
        super().__init__()
        layers = [nn.Linear(in_dim, hidden), nn.ReLU()]
        layers += [RefBlock(hidden, dropout) for _ in range(num_blocks)]
        layers.append(nn.Linear(hidden, out_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def ref_normalize(kp, flip):
    """Their 2D normalisation: [17, 3] (x, y, score) -> [13, 3]."""
    kp = kp.astype(np.float64).copy()
    kp[:, :2] -= (kp[11, :2] + kp[12, :2]) / 2
    torso = kp[[5, 6, 11, 12], :2]
    dist = max(np.linalg.norm(p - q) for p in torso for q in torso) or 1.0
    kp[:, :2] *= 0.5 / dist
    if flip:
        kp = kp[[0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]]
        kp[:, 0] *= -1
    kp[:, 2] -= 0.5
    return kp[[0] + list(range(5, 17))]


def make_release_model(tmp_path, num_blocks=2, hidden=H, dim=D, seed=0):
    torch.manual_seed(seed)
    ref = RefFCResNet(39, dim, num_blocks, hidden)
    with torch.no_grad():  # trained-looking BN statistics and affine parameters
        for m in ref.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    ref.eval()
    model_dir = tmp_path / 'vipe_model'
    model_dir.mkdir(parents=True)
    torch.save(ref.state_dict(), model_dir / 'best_epoch.encoder.pt')
    (model_dir / 'config.json').write_text(
        json.dumps(dict(embedding_dim=dim, encoder_arch=[num_blocks, hidden], embed_bones=False)))
    return ref, model_dir


def test_converted_model_reproduces_their_embeddings(tmp_path):
    ref, model_dir = make_release_model(tmp_path)
    out, cfg_out = str(tmp_path / 'vipe.pth'), str(tmp_path / 'vipe_model.py')
    cfg = convert_vipe_checkpoint(str(model_dir), out, config_out=cfg_out)
    assert cfg == dict(type='VIPEEmbedder', in_channels=39, hidden_channels=H, embed_dim=D,
                       num_blocks=2, residual_sign=-1, lift_dim=None)
    ckpt = torch.load(out, weights_only=False)
    assert ckpt['meta']['model'] == cfg and 'encoder.blocks.1.layers.5.running_var' in \
        ckpt['state_dict']

    model = init_vipe_embedder(cfg_out, out)
    x = torch.randn(64, 39) * 0.5
    with torch.no_grad():
        expected = ref(x)
    torch.testing.assert_close(model.embed(x), expected, atol=1e-5, rtol=0)

    # end to end from COCO poses in pixels, both flip views, through our input encoder
    rng = np.random.default_rng(1)
    kp = np.concatenate([rng.uniform(0, 200, (6, 17, 2)), rng.uniform(0, 1, (6, 17, 1))], -1)
    ours = embed_pose_views(model, kp[..., :2], kp[..., 2])  # [6, 2, D]
    for view, flip in enumerate((False, True)):
        inp = np.stack([ref_normalize(k, flip) for k in kp]).reshape(6, 39)
        with torch.no_grad():
            theirs = ref(torch.tensor(inp, dtype=torch.float32)).numpy()
        np.testing.assert_allclose(ours[:, view], theirs, atol=1e-5)

    # the sign matters: the same weights with x + f(x) blocks give other embeddings
    plain = init_vipe_embedder(dict(cfg, residual_sign=1), out)
    assert (plain.embed(x) - expected).abs().max() > 1e-2


def test_release_config_loads_a_full_size_conversion(tmp_path, monkeypatch, capsys):
    _, model_dir = make_release_model(tmp_path, hidden=1024, dim=64, seed=1)
    out = str(tmp_path / 'vipe.pth')
    config = osp.join(ROOT, 'configs', 'vipe', 'vipe_vpd_release.py')
    assert Config.fromfile(config).model.residual_sign == -1
    monkeypatch.setattr(sys, 'argv',
                        ['vipe_from_vpd.py', str(model_dir / 'best_epoch.encoder.pt'), out])
    runpy.run_path(osp.join(ROOT, 'tools', 'model_converters', 'vipe_from_vpd.py'),
                   run_name='__main__')
    printed = capsys.readouterr().out
    assert 'residual_sign=-1' in printed and 'decoder' not in printed
    model = init_vipe_embedder(config, out)
    assert all(b.residual_sign == -1 for b in model.encoder.blocks)
    assert model.lift_decoder is None  # only the encoder is converted
    # a lifting decoder saved beside the encoder (their training does) is named, not converted
    torch.save({'fcn.layers.0.weight': torch.zeros(512, 64)},
               model_dir / 'best_epoch.decoder-3d.pt')
    runpy.run_path(osp.join(ROOT, 'tools', 'model_converters', 'vipe_from_vpd.py'),
                   run_name='__main__')
    assert 'best_epoch.decoder-3d.pt) not converted' in capsys.readouterr().out
    # a D=32 conversion does not fit the D=64 config: a clear error, not a silent random init
    _, small_dir = make_release_model(tmp_path / 'small', hidden=1024, dim=32)
    small = str(tmp_path / 'small.pth')
    convert_vipe_checkpoint(str(small_dir), small)
    with pytest.raises(ValueError, match='encoder.fc.weight: checkpoint \\[32, 1024\\]'):
        init_vipe_embedder(config, small)


def test_state_dicts_that_do_not_match_are_refused(tmp_path):
    ref = RefFCResNet(39, D, 2, H)
    sd = ref.state_dict()
    ours, cfg = convert_vipe_state_dict({f'module.{k}': v for k, v in sd.items()})
    assert cfg['num_blocks'] == 2 and set(ours) >= {'encoder.stem.0.weight', 'encoder.fc.bias'}

    broken = dict(sd)
    del broken['layers.3.block.4.weight']
    broken['layers.9.extra'] = torch.zeros(1)
    with pytest.raises(CheckpointLayoutError) as err:
        convert_vipe_state_dict(broken)
    assert 'layers.3.block.4.weight' in str(err.value) and 'layers.9.extra' in str(err.value)

    bones = RefFCResNet(75, D, 2, H).state_dict()  # trained with --embed_bones
    with pytest.raises(CheckpointLayoutError, match='embed_bones'):
        convert_vipe_state_dict(bones)
    wrong = dict(sd, **{'layers.2.block.1.running_var': torch.ones(H + 1)})
    with pytest.raises(CheckpointLayoutError, match='layers.2.block.1.running_var'):
        convert_vipe_state_dict(wrong)

    _, model_dir = make_release_model(tmp_path)
    (model_dir / 'config.json').write_text(json.dumps(dict(embedding_dim=64)))
    with pytest.raises(CheckpointLayoutError, match='embedding_dim 64 vs 32'):
        convert_vipe_checkpoint(str(model_dir), str(tmp_path / 'x.pth'))


@pytest.mark.parametrize('raw, message', [
    (b'[64, [2, 48]]', 'expected a JSON object, got list'),
    (b'\xff\xfe{"embedding_dim": 32}', r'not a readable JSON VIPE\* config.json'),
    (b'{"embedding_dim": "four"}', "embedding_dim must be a positive integer, got 'four'"),
    (b'{"embedding_dim": null}', 'embedding_dim must be a positive integer, got None'),
    (b'{"embedding_dim": true}', 'embedding_dim must be a positive integer, got True'),
    (b'{"encoder_arch": ["a", "b"]}', r"encoder_arch must be \[blocks, hidden\] \(integers\), "
     r"got \['a', 'b'\]"),
    (b'{"encoder_arch": 2}', r'encoder_arch must be \[blocks, hidden\]'),
    (b'{"encoder_arch": [2, 48, 1]}', r'encoder_arch must be \[blocks, hidden\]'),
    (b'{"embed_bones": "false"}', "embed_bones must be true or false, got 'false'"),
])
def test_malformed_config_json_names_the_file(tmp_path, raw, message):
    """config.json is read as UTF-8 JSON (utils.io.load_json) and its fields are checked before
    they are compared with the weights: a clear error naming the file, not a bare
    AttributeError / ValueError / UnicodeDecodeError."""
    _, model_dir = make_release_model(tmp_path)
    (model_dir / 'config.json').write_bytes(raw)
    with pytest.raises(CheckpointLayoutError, match=message) as err:
        convert_vipe_checkpoint(str(model_dir), str(tmp_path / 'x.pth'))
    assert str(err.value).startswith(str(model_dir / 'config.json') + ': ')
    assert not (tmp_path / 'x.pth').exists()


def test_config_json_with_a_byte_order_mark_is_read(tmp_path):
    _, model_dir = make_release_model(tmp_path)
    text = json.dumps(dict(embedding_dim=D, encoder_arch=[2, H], embed_bones=False))
    (model_dir / 'config.json').write_bytes(b'\xef\xbb\xbf' + text.encode())
    cfg = convert_vipe_checkpoint(str(model_dir), str(tmp_path / 'x.pth'))
    assert (cfg['embed_dim'], cfg['num_blocks'], cfg['hidden_channels']) == (D, 2, H)
    assert torch.load(str(tmp_path / 'x.pth'), weights_only=True)['meta']['source_config'] == \
        json.loads(text)
    (model_dir / 'config.json').write_text(json.dumps(dict(encoder_arch=[3, H])))
    with pytest.raises(CheckpointLayoutError, match=r'encoder_arch \[3, 48\] vs \[2, 48\]'):
        convert_vipe_checkpoint(str(model_dir), str(tmp_path / 'x.pth'))
