# 2D-VPD on the synthetic sports benchmark (docs/synthetic_benchmark.md), the student of
# `make demo`, sized for a 2-core CPU: a half-width ResNet-18 (base 32 channels, 2.8M weights)
# on the 64x64 crops of data/sports/ (tools/data/prepare.py configs/preparation/
# synthetic_sports.py), distilled from the SIMULATED teacher's confident frames of every video
# (distillation needs no label) for 2400 steps of 64 frames; about 6 minutes with bfloat16
# autocast (tools/train.py --amp). The recipe and the measurements behind it are in
# configs/vpd/README.md:
# - frames drawn by PoseBalancedSampler: the rare inverted and horizontal teacher poses weigh
#   more (alpha 0.5, at most 10x);
# - VPDRandomRotate: half of the frames turned by a random angle with their pose targets, so
#   the student sees inverted athletes with exact targets;
# - no validation split and the last checkpoint (a validation pass would cost ~10% of the
#   budget); tools/test.py evaluates every video.
_base_ = ['./2dvpd_tiny_cpu.py']
data_root = 'data/sports/'
ann_file = data_root + 'annotations/sports_pose.pkl'
crop_size = 64
rgb_std = [58.395, 57.12, 57.375]
num_steps = 2400

model = dict(backbone=dict(base_channels=32, channels_last=True))
train_pipeline = [
    dict(type='LoadVPDFrame', with_flow=True),
    dict(type='VPDBackgroundNoise', sigma=0.05**0.5, std=rgb_std),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDRandomRotate', prob=0.5),
    dict(type='VPDRandomResizedCrop', size=crop_size, scale=(0.5, 1.0), ratio=(0.9, 1.1)),
    dict(type='VPDColorJitter', brightness=0.2, contrast=0.2, saturation=0.05, hue=0.05),
    dict(type='PackVPDInputs'),
]
_paths = dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes'), split='all')
# num_workers=0: on 2 cores a loader process only takes a core from the model's two threads
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(
    batch_size=64,
    sampler=dict(_delete_=True, type='PoseBalancedSampler', alpha=0.5, max_ratio=10.0),
    dataset=dict(pipeline=train_pipeline, **_paths),
    **_loader)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = dict(batch_size=128, dataset=_paths, **_loader)

optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=num_steps, val_interval=num_steps)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=num_steps, max_keep_ckpts=1, save_best=None))
# cosine annealing to ~0 over the run (a run of N steps: set max_iters, T_max and end to N;
# tools/run_demo.py --iters does)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=num_steps, end=num_steps, eta_min=1e-5, by_epoch=False)
]
