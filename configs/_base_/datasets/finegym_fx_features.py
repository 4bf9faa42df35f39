# Recognition on FineGym FX35 (Gym99 floor exercise, 35 classes; actions of uncut routines):
# annotations/finegym_fx_actions.json + features/<type>/ (features_common.py).
_base_ = ['./features_common.py']
data_root = 'data/finegym_fx/'
ann_file = data_root + 'annotations/finegym_fx_actions.json'
feature_dir = data_root + 'features/2dvpd'
num_classes = 35

_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths)
val_dataloader = dict(dataset=_paths)
test_dataloader = dict(dataset=_paths)
