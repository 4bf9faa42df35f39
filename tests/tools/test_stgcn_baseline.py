"""ST-GCN baseline configs: they build, read our action-level pose pkl and train a step."""
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.apis import actions_to_pose_pkl
from vpd_mm.datasets import dump_action_annotations

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def pose_pkl(tmp_path_factory):
    """Per-video teacher poses (with NaN) of 2 videos -> an action-level pkl of 4 actions."""
    root = tmp_path_factory.mktemp('stgcn')
    rng = np.random.default_rng(0)
    annos, actions = [], []
    for i in range(2):
        kp = rng.uniform(0, 100, (1, 60, 17, 2)).astype(np.float32)
        sc = rng.uniform(0.5, 1, (1, 60, 17)).astype(np.float32)
        kp[0, 10:14] = np.nan
        annos.append(dict(frame_dir=f'v{i}', total_frames=60, img_shape=(100, 100),
                          original_shape=(100, 100), label=-1, keypoint=kp, keypoint_score=sc))
        actions += [dict(id=f'v{i}_0', video=f'v{i}', start_frame=5, end_frame=25, label=i,
                         split='train'),
                    dict(id=f'v{i}_1', video=f'v{i}', start_frame=30, end_frame=60,
                         label=i + 2, split='train' if i == 0 else 'test')]
    mmengine.dump(dict(annotations=annos), str(root / 'pose.pkl'))
    dump_action_annotations(dict(classes=[str(c) for c in range(48)], actions=actions),
                            str(root / 'actions.json'))
    out = str(root / 'actions_pose.pkl')
    actions_to_pose_pkl(str(root / 'pose.pkl'), str(root / 'actions.json'), out)
    return out


@pytest.mark.parametrize('name,num_classes', [('diving48', 48), ('finegym_fx', 35)])
def test_config_builds_and_trains_one_step(pose_pkl, name, num_classes):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'skeleton', f'stgcn_pose2d_{name}.py'))
    assert cfg.model.type == 'RecognizerGCN' and cfg.model.backbone.type == 'STGCN'
    assert cfg.model.cls_head.num_classes == num_classes
    ds_cfg = cfg.train_dataloader.dataset.dataset  # inside mmaction2's RepeatDataset
    assert ds_cfg.type == 'PoseDataset' and ds_cfg.split == 'train'
    assert cfg.val_dataloader.dataset.split == 'test'
    ds_cfg.ann_file = pose_pkl
    torch.manual_seed(0)
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with DefaultScope.overwrite_default_scope('mmaction'):
            dataset = DATASETS.build(ds_cfg)
            model = MODELS.build(cfg.model)
        assert len(dataset) == 3  # v0_0, v0_1, v1_0
        data = pseudo_collate([dataset[i] for i in range(len(dataset))])
        assert data['inputs'][0].shape == (1, 1, 100, 17, 3)  # clips, M, T, V, C (x, y, score)
        assert all(torch.isfinite(x).all() for x in data['inputs'])
        optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
        before = model.cls_head.fc.weight.detach().clone()
        model.train()
        losses = model.train_step(data, optim)
        assert torch.isfinite(losses['loss_cls'])
        assert not torch.equal(before, model.cls_head.fc.weight)
    finally:
        torch.set_num_threads(n_threads)
