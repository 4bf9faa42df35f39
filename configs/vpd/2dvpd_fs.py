# 2D-VPD on fs (same student, targets and schedule as configs/vpd/2dvpd_diving48.py).
_base_ = [
    '../_base_/models/vpd_resnet34.py', '../_base_/datasets/fs_vpd.py',
    '../_base_/schedules/vpd_adamw_200k.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(mean={{_base_.rgb_mean}}, std={{_base_.rgb_std}}))
