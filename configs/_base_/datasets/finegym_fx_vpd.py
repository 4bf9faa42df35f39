# Distillation frames of FineGym floor exercise (FX35): same layout, pipelines and loaders
# as Diving48 with ImageNet RGB statistics (imagenet_stats_vpd.py).
_base_ = ['./imagenet_stats_vpd.py']
data_root = 'data/finegym_fx/'
ann_file = data_root + 'annotations/finegym_fx_pose.pkl'

train_dataloader = dict(
    dataset=dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes')))
val_dataloader = dict(
    dataset=dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes')))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes')))
