# Distillation frames of Diving48 in the layout of docs/data_layout.md: athlete crops + quantised
# flow under rawframes/, the teacher's poses in a PoseDataset pkl. 20% of the videos (seeded) are
# held out for validation; only frames with a confident teacher (mean joint score >= 0.5, and the
# previous frame too, for the motion target) are trained on.
# Crop size and Diving48's RGB statistics: diving48_frames.py.
_base_ = ['./diving48_frames.py']
dataset_type = 'VPDPoseTargetDataset'
data_root = 'data/diving48/'
ann_file = data_root + 'annotations/diving48_pose.pkl'
conf_thr = 0.5

train_pipeline = [
    # the athlete's mask_%05d.png where the frame has one (docs/data_layout.md)
    dict(type='LoadVPDFrame', with_flow=True, with_mask=True),
    # noise goes on the background (outside the athlete's mask, else outside its box), before
    # any geometric change; sigma^2 = 0.05 in units of the stds the student normalises by
    dict(type='VPDBackgroundNoise', sigma=0.05**0.5, std={{_base_.rgb_std}}),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDRandomResizedCrop', size={{_base_.crop_size}}, scale=(0.5, 1.0),
         ratio=(0.9, 1.1)),
    dict(type='VPDColorJitter', brightness=0.2, contrast=0.2, saturation=0.05, hue=0.05),
    dict(type='PackVPDInputs'),
]
test_pipeline = [
    dict(type='LoadVPDFrame', with_flow=True),
    dict(type='VPDResize', size={{_base_.crop_size}}),
    dict(type='PackVPDInputs'),
]

_dataset = dict(
    type=dataset_type,
    ann_file=ann_file,
    data_prefix=dict(img=data_root + 'rawframes'),
    conf_thr=conf_thr,
    with_motion=True,
    target_type='pose2d')
# frame_collate: one tensor storage per field of a batch (fast hand-over from loader workers)
_loader = dict(
    batch_size=100, num_workers=8, persistent_workers=True,
    collate_fn=dict(type='frame_collate'))

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
