# Distillation frames of figure skating (FSJump6): same layout, pipelines and loaders
# as Diving48; ImageNet RGB statistics (compute the dataset's own for from-scratch students).
_base_ = ['./diving48_vpd.py']
data_root = 'data/fs/'
ann_file = data_root + 'annotations/fs_pose.pkl'
rgb_mean = [123.675, 116.28, 103.53]
rgb_std = [58.395, 57.12, 57.375]

train_dataloader = dict(
    dataset=dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes')))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes')))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes')))
