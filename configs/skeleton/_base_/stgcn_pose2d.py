# mmaction2's ST-GCN (COCO-17 joints, 2D, joint stream; one person) on the teacher's 2D poses
# of a VPD dataset: the action-level pkl of tools/data/actions_to_pose_pkl.py (NaN joints
# filled, score 0). Leaves set num_classes and ann_file (in the three dataloaders: the
# dataset is wrapped in a RepeatDataset for training).
# The "val" loader evaluates the test split for reporting only: no checkpoint is selected on it.
_base_ = 'mmaction::skeleton/stgcn/stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d.py'
custom_imports = dict(imports=['vpd_mm'], allow_failed_imports=False)

ann_file = ''

train_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset='coco', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset='coco', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=1, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='PreNormalize2D'),
    dict(type='GenSkeFeat', dataset='coco', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=10, test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=1),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    dataset=dict(dataset=dict(ann_file=ann_file, pipeline=train_pipeline, split='train')))
val_dataloader = dict(dataset=dict(ann_file=ann_file, pipeline=val_pipeline, split='test'))
test_dataloader = dict(dataset=dict(ann_file=ann_file, pipeline=test_pipeline, split='test'))
# mmaction2's default runtime keeps the best checkpoint (save_best='auto'): not on the test split
default_hooks = dict(checkpoint=dict(save_best=None))
