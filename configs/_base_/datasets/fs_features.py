# Recognition on FSJump6 (figure-skating jumps, 6 classes; 2018 held out for test):
# annotations/fs_actions.json + features/<type>/ under data/fs/ (features_common.py).
_base_ = ['./features_common.py']
data_root = 'data/fs/'
ann_file = data_root + 'annotations/fs_actions.json'
feature_dir = data_root + 'features/2dvpd'
num_classes = 6

_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths)
val_dataloader = dict(dataset=_paths)
test_dataloader = dict(dataset=_paths)
