"""Every config of configs/vpd builds and takes a training step on a generated corpus."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.synthetic import make_toy_corpus

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'vpd', '*.py')))


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    info = make_toy_corpus(str(root), num_videos=5, num_frames=8, crop_size=32, seed=3,
                           progress=False)
    # teacher embeddings for the VI-VPD config: [T, 2, 128] per video
    emb_dir = root / 'embeddings'
    emb_dir.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        np.save(emb_dir / f'toy_{i:04d}.npy', rng.standard_normal((8, 2, 128)).astype('f4'))
    info['emb_dir'] = str(emb_dir)
    return info


def test_all_paper_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    for name in ('2dvpd_diving48.py', '2dvpd_finegym_fx.py', '2dvpd_fs.py', '2dvpd_tennis.py',
                 'vivpd_diving48.py', '2dvpd_nomotion_diving48.py', '2dvpd_rgb_diving48.py',
                 '2dvpd_tiny_cpu.py'):
        assert name in names


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_config_trains_one_step(config, corpus):
    cfg = Config.fromfile(config)
    # paper hyper-parameters (the tiny config keeps the optimiser, smaller batches)
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    if 'sports' not in config:  # the CPU benchmark's short runs use 1e-3 annealed to 0
        assert cfg.optim_wrapper.optimizer.lr == 5e-4
        # checkpoint selection by validation loss (the CPU benchmark has no validation pass)
        assert cfg.default_hooks.checkpoint.save_best == 'vpd/total_mse'
    else:
        assert cfg.val_dataloader is None and cfg.default_hooks.checkpoint.save_best is None
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.01
    assert cfg.model.backbone.out_channels == cfg.model.head.in_channels
    with DefaultScope.overwrite_default_scope('mmaction'):
        ds_cfg = cfg.train_dataloader.dataset
        ds_cfg.ann_file = corpus['ann_file']
        ds_cfg.data_prefix = dict(img=corpus['rawframes'])
        if ds_cfg.get('target_type') == 'embedding':
            ds_cfg.emb_dir = corpus['emb_dir']
        dataset = DATASETS.build(ds_cfg)
        assert dataset.target_dim == cfg.model.backbone.out_channels
        model = MODELS.build(cfg.model)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        batch = pseudo_collate([dataset[i] for i in range(2)])
        assert batch['inputs'][0].shape[0] == cfg.model.backbone.in_channels
        losses = model.train_step(batch, optim)
        assert torch.isfinite(losses['loss'])
        assert ('loss_motion' in losses) == cfg.model.head.with_motion


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_background_noise_in_units_of_the_normalisation(config):
    """The noise std is sigma x the std the data preprocessor normalises by (a child config's
    rgb_std does not reach a pipeline its base built)."""
    cfg = Config.fromfile(config)
    noise = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] == 'VPDBackgroundNoise']
    assert len(noise) == 1
    assert list(noise[0]['std']) == list(cfg.model.data_preprocessor.std)


def _splits_read(dataset) -> set:
    """The annotation splits a dataset config reads (through wrappers such as RepeatDataset):
    its ``split`` (str or list) and an ``anno_<split>.json`` file name (the BMN exports)."""
    out = set()
    while isinstance(dataset, dict):
        split = dataset.get('split')
        out.update([split] if isinstance(split, str) else list(split or []))
        ann_file = osp.basename(str(dataset.get('ann_file') or ''))
        if ann_file.startswith('anno_') and ann_file.endswith('.json'):
            out.add(ann_file[len('anno_'):-len('.json')])
        dataset = dataset.get('dataset')
    return out


def test_no_checkpoint_is_selected_on_the_test_split():
    """Every config of every family: a "best" checkpoint (save_best, mmaction2's default is
    'auto') only where the val loader does not read the test split (SPEC 4: never select
    anything on test)."""
    reads_test, selects = [], []
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))):
        if osp.basename(osp.dirname(path)) == 'preparation':
            continue  # data preparation, no runner
        cfg = Config.fromfile(path)
        name = osp.relpath(path, osp.join(ROOT, 'configs'))
        val = (cfg.get('val_dataloader') or {}).get('dataset')
        if 'test' in _splits_read(val):
            reads_test.append(name)
            checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
            if checkpoint.get('save_best') is not None:
                selects.append(f'{name}: save_best={checkpoint.get("save_best")!r}')
        else:
            assert 'val' in _splits_read(val) or val is None or 'all' in _splits_read(val), name
    assert selects == []
    # the ST-GCN baselines report on the test split during training, selecting nothing
    assert reads_test == ['skeleton/stgcn_pose2d_diving48.py',
                          'skeleton/stgcn_pose2d_finegym_fx.py']
