"""VI-VPD end to end: embed a corpus's teacher poses with VIPE*, distil a student on the files."""
import os.path as osp

import numpy as np
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.apis import embed_pose_dataset
from vpd_mm.synthetic import make_toy_corpus

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_vivpd_student_trains_on_embedded_targets(tmp_path):
    corpus = make_toy_corpus(str(tmp_path / 'toy'), num_videos=4, num_frames=10, crop_size=32,
                             seed=5, progress=False)
    vipe_cfg = Config.fromfile(osp.join(ROOT, 'configs', 'vipe', 'vipe_synthetic_tiny.py'))
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmaction'):
        vipe = MODELS.build(vipe_cfg.model)
    ckpt = tmp_path / 'vipe.pth'
    torch.save(dict(state_dict=vipe.state_dict()), ckpt)
    emb_dir = str(tmp_path / 'emb')
    info = embed_pose_dataset(corpus['ann_file'], vipe_cfg, str(ckpt), emb_dir,
                              vertical_flip=True, progress=False)
    assert info['dim'] == 128 and info['num_videos'] == 4
    emb = np.load(osp.join(emb_dir, 'toy_0000.npy'))
    assert emb.shape == (10, 2, 128)

    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'vpd', 'vivpd_diving48.py'))
    cfg.model.backbone.depth = 18
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(ann_file=corpus['ann_file'], data_prefix=dict(img=corpus['rawframes']),
                  emb_dir=emb_dir, split='all')
    ds_cfg.pipeline[3]['size'] = 32  # the RandomResizedCrop at the toy crop size
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = DATASETS.build(ds_cfg)
        student = MODELS.build(cfg.model)
    assert dataset.target_dim == 128
    # the targets are the embedding files' rows (view 0, or view 1 where the sample is flipped)
    sample = dataset[0]
    ds = sample['data_samples']
    row = np.load(osp.join(emb_dir, f'{ds.frame_dir}.npy'))[ds.frame_idx, int(ds.flip)]
    np.testing.assert_allclose(ds.pose_target.numpy(), row, rtol=1e-5)
    batch = pseudo_collate([dataset[i] for i in range(8)])
    optim = build_optim_wrapper(student, cfg.optim_wrapper)
    losses = [float(student.train_step(batch, optim)['loss']) for _ in range(6)]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
