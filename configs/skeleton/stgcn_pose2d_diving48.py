# ST-GCN baseline on the teacher's 2D poses of Diving48 (V2 labels, 48 classes;
# trimmed clips: one action per video).
# Input: the action-level pkl of tools/data/actions_to_pose_pkl.py (NaN joints filled, score 0):
#   python tools/data/actions_to_pose_pkl.py data/diving48/annotations/diving48_pose.pkl \
#       data/diving48/annotations/diving48_actions.json \
#       data/diving48/annotations/diving48_actions_pose.pkl
# Everything else is mmaction2's ST-GCN (COCO-17 joints, 2D, joint stream); one person.
# The "val" loader evaluates the test split for reporting only: no checkpoint is selected on it.
_base_ = 'mmaction::skeleton/stgcn/stgcn_8xb16-joint-u100-80e_ntu60-xsub-keypoint-2d.py'
custom_imports = dict(imports=['vpd_mm'], allow_failed_imports=False)

data_root = 'data/diving48/'
ann_file = data_root + 'annotations/diving48_actions_pose.pkl'
model = dict(cls_head=dict(num_classes=48))

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
