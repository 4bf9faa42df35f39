# 2D-VPD on Diving48 (SPEC section 3): ResNet-34 student on 128x128 RGB + flow crops regressing the
# teacher's normalised 2D pose (d = 26) and its change, AdamW 5e-4, batch 100, 200k steps,
# checkpoint chosen by validation loss.
_base_ = [
    '../_base_/models/vpd_resnet34.py', '../_base_/datasets/diving48_vpd.py',
    '../_base_/schedules/vpd_adamw_200k.py', '../_base_/default_runtime.py'
]
model = dict(data_preprocessor=dict(mean={{_base_.rgb_mean}}, std={{_base_.rgb_std}}))
