# VI-VPD on the synthetic sports benchmark: the student of 2dvpd_sports_cpu.py regresses the
# VIPE* embedding (configs/vipe/vipe_synthetic_tiny.py, D = 64) of the simulated teacher's pose
# concatenated with that of the vertically flipped pose (inverted athletes), d = 128, precomputed
# by tools/embed_poses.py --vertical-flip into data/sports/embeddings/vipe/. VIPE* is not
# equivariant to in-plane rotation, so the crops are not rotated (VPDRandomRotate refuses
# embedding targets); PoseBalancedSampler still draws the rare orientations more often.
_base_ = ['./2dvpd_sports_cpu.py']
target_dim = 128
emb_dir = 'data/sports/embeddings/vipe'

model = dict(backbone=dict(out_channels=target_dim), head=dict(in_channels=target_dim))
train_pipeline = [
    dict(type='LoadVPDFrame', with_flow=True),
    dict(type='VPDBackgroundNoise', sigma=0.05**0.5, std={{_base_.rgb_std}}),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDRandomResizedCrop', size={{_base_.crop_size}}, scale=(0.5, 1.0),
         ratio=(0.9, 1.1)),
    dict(type='VPDColorJitter', brightness=0.2, contrast=0.2, saturation=0.05, hue=0.05),
    dict(type='PackVPDInputs'),
]
_targets = dict(target_type='embedding', emb_dir=emb_dir)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline, **_targets))
test_dataloader = dict(dataset=_targets)
