# Recognition on Diving48 (V2 labels, 48 classes; 15,027 train / 1,970 test clips):
# annotations/diving48_actions.json + features/<type>/ under data/diving48/ (features_common.py).
_base_ = ['./features_common.py']
data_root = 'data/diving48/'
ann_file = data_root + 'annotations/diving48_actions.json'
feature_dir = data_root + 'features/2dvpd'
num_classes = 48

_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths)
val_dataloader = dict(dataset=_paths)
test_dataloader = dict(dataset=_paths)
