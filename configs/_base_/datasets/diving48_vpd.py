# Distillation frames of Diving48 in the layout of docs/data_layout.md: athlete crops + quantised
# flow under rawframes/, the teacher's poses in a PoseDataset pkl. 20% of the videos (seeded) are
# held out for validation; only frames with a confident teacher (mean joint score >= 0.5, and the
# previous frame too, for the motion target) are trained on.
dataset_type = 'VPDPoseTargetDataset'
data_root = 'data/diving48/'
ann_file = data_root + 'annotations/diving48_pose.pkl'
crop_size = 128
conf_thr = 0.5
# Diving48's RGB statistics (0..255); the noise is sigma^2 = 0.05 in units of these stds.
rgb_mean = [86.955, 118.065, 131.58]
rgb_std = [41.565, 43.605, 49.215]

train_pipeline = [
    # the athlete's mask_%05d.png where the frame has one (docs/data_layout.md)
    dict(type='LoadVPDFrame', with_flow=True, with_mask=True),
    # noise goes on the background (outside the athlete's mask, else outside its box), before
    # any geometric change
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

_dataset = dict(
    type=dataset_type,
    ann_file=ann_file,
    data_prefix=dict(img=data_root + 'rawframes'),
    conf_thr=conf_thr,
    with_motion=True,
    target_type='pose2d')
_loader = dict(batch_size=100, num_workers=8, persistent_workers=True)

train_dataloader = dict(
    **_loader,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**_dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    **_loader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, split='val', pipeline=test_pipeline, test_mode=True))
# Every frame of the held-out videos: the regression metric uses the confident ones, and
# `tools/test.py --dump-features DIR` writes features of all of them (`--all-videos`: of every
# video of the annotation file).
test_dataloader = dict(
    **_loader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, split='val', frames='all', pipeline=test_pipeline, test_mode=True))

val_evaluator = dict(type='VPDRegressionMetric')
test_evaluator = val_evaluator
