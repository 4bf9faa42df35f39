# Copyright (c) vpd_mm contributors. All rights reserved.
"""BiGRU on a frozen VPD student reading toy-corpus crops (random student checkpoint)."""
import copy

import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import vpd_mm  # noqa: F401
from vpd_mm.apis.pose_features import write_video_actions
from vpd_mm.datasets.transforms import sequence_collate
from vpd_mm.synthetic import make_toy_corpus

CONFIG = 'configs/recognition/bigru_frozen_student_diving48.py'


def test_frozen_student_end_to_end(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    corpus = make_toy_corpus(str(tmp_path / 'toy'), num_videos=4, num_frames=4, crop_size=32,
                             seed=2, progress=False)
    actions = str(tmp_path / 'actions.json')
    write_video_actions(corpus['ann_file'], actions)
    cfg = Config.fromfile(CONFIG)
    student_cfg = copy.deepcopy(cfg.model.student.to_dict())
    student_cfg['backbone']['depth'] = 18
    with DefaultScope.overwrite_default_scope('mmaction'):
        student = MODELS.build(student_cfg).eval()
        ckpt = str(tmp_path / 'student.pth')
        torch.save(dict(state_dict=student.state_dict()), ckpt)

        model_cfg = cfg.model.to_dict()
        model_cfg.update(student=student_cfg, student_checkpoint=ckpt)
        model_cfg['cls_head'].update(num_classes=3, hidden_channels=8, fc_channels=8)
        model = MODELS.build(model_cfg)
        model.init_weights()
        ds_cfg = cfg.test_dataloader.dataset.to_dict()
        ds_cfg.update(ann_file=actions, data_prefix=dict(img=corpus['rawframes']), split='train',
                      val_ratio=0.0)
        ds_cfg['pipeline'][0]['frame_pipeline'][1]['size'] = 32
        dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 3  # 3 training videos (the last one is test), one sample each
    batch = sequence_collate([dataset[i] for i in range(3)], time_dim=0)
    assert batch['inputs'].shape == (3, 4, 5, 32, 32) and batch['inputs'].dtype == torch.uint8
    data = model.data_preprocessor(batch, True)

    # the features are the student's own, both flip views (VPDDistiller.predict)
    feats = model.sequence_features(data['inputs'], data['data_samples'])
    assert feats.shape == (3, 2, 4, 26)
    with torch.no_grad():
        ref = student.predict(data['inputs'][1])  # the 4 frames of action 1
    torch.testing.assert_close(feats[1].transpose(0, 1), torch.stack([s.pred_feature for s in ref]))
    assert not torch.allclose(feats[:, 0], feats[:, 1])

    # training moves the head only; the student stays frozen and in eval mode
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head_before = model.cls_head.fc_cls.weight.clone()
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    assert not model.backbone.training and model.cls_head.training
    for _ in range(3):
        loss = model(**data, mode='loss')['loss_cls']
        optim.zero_grad()
        loss.backward()
        optim.step()
    for k, v in model.backbone.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=k)
    assert not torch.equal(head_before, model.cls_head.fc_cls.weight)
    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(batch, False), mode='predict')
    assert all(abs(float(p.pred_score.sum()) - 1) < 1e-5 for p in preds)
