# Distillation frames with ImageNet RGB statistics (FineGym FX, figure skating, tennis): the
# layout, pipelines and loaders of diving48_vpd.py, with the noise in units of ImageNet's std
# (a child's rgb_std does not reach a pipeline its base already built: it is rebuilt here).
# Compute a dataset's own statistics for students trained from scratch.
_base_ = ['./diving48_vpd.py']
rgb_mean = [123.675, 116.28, 103.53]
rgb_std = [58.395, 57.12, 57.375]

train_pipeline = [
    dict(type='LoadVPDFrame', with_flow=True, with_mask=True),
    dict(type='VPDBackgroundNoise', sigma=0.05**0.5, std=rgb_std),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDRandomResizedCrop', size={{_base_.crop_size}}, scale=(0.5, 1.0),
         ratio=(0.9, 1.1)),
    dict(type='VPDColorJitter', brightness=0.2, contrast=0.2, saturation=0.05, hue=0.05),
    dict(type='PackVPDInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
