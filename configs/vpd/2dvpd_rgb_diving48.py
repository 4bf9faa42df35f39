# Ablation "RGB only": the student sees the athlete crop without optical flow (3 input channels).
_base_ = ['./2dvpd_diving48.py']
model = dict(backbone=dict(in_channels=3))

train_pipeline = [
    dict(type='LoadVPDFrame', with_flow=False, with_mask=True),
    dict(type='VPDBackgroundNoise', sigma=0.05**0.5, std={{_base_.rgb_std}}),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDRandomResizedCrop', size={{_base_.crop_size}}, scale=(0.5, 1.0),
         ratio=(0.9, 1.1)),
    dict(type='VPDColorJitter', brightness=0.2, contrast=0.2, saturation=0.05, hue=0.05),
    dict(type='PackVPDInputs'),
]
test_pipeline = [
    dict(type='LoadVPDFrame', with_flow=False),
    dict(type='VPDResize', size={{_base_.crop_size}}),
    dict(type='PackVPDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
