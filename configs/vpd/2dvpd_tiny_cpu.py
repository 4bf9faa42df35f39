# A small 2D-VPD student that a 2-core CPU distills in minutes: ResNet-18 at 64x64 on the toy
# corpus in data/toy/, made by
#   python -c "from vpd_mm.synthetic import make_toy_corpus; make_toy_corpus('data/toy')"
# Used by the tests and tools/benchmarks/ (the demo's recipe is 2dvpd_sports_cpu.py).
_base_ = ['./2dvpd_diving48.py']
data_root = 'data/toy/'
ann_file = data_root + 'annotations/toy_pose.pkl'
crop_size = 64
rgb_mean = [123.675, 116.28, 103.53]
rgb_std = [58.395, 57.12, 57.375]

model = dict(
    backbone=dict(depth=18),
    data_preprocessor=dict(mean=rgb_mean, std=rgb_std))

train_pipeline = [
    dict(type='LoadVPDFrame', with_flow=True),
    dict(type='VPDBackgroundNoise', sigma=0.05**0.5, std=rgb_std),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDRandomResizedCrop', size=crop_size, scale=(0.5, 1.0), ratio=(0.9, 1.1)),
    dict(type='VPDColorJitter', brightness=0.2, contrast=0.2, saturation=0.05, hue=0.05),
    dict(type='PackVPDInputs'),
]
test_pipeline = [
    dict(type='LoadVPDFrame', with_flow=True),
    dict(type='VPDResize', size=crop_size),
    dict(type='PackVPDInputs'),
]
_paths = dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes'))
train_dataloader = dict(
    batch_size=32,
    num_workers=1,
    dataset=dict(pipeline=train_pipeline, **_paths))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(pipeline=test_pipeline, **_paths))
test_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(pipeline=test_pipeline, **_paths))

train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100, max_keep_ckpts=2))
