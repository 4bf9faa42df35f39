# Recognition on Tennis7 (7 swing classes; +-0.5 s around ball contact; 5 matches train / 4 test):
# annotations/tennis_actions.json + features/<type>/ under data/tennis/ (features_common.py).
_base_ = ['./features_common.py']
data_root = 'data/tennis/'
ann_file = data_root + 'annotations/tennis_actions.json'
feature_dir = data_root + 'features/2dvpd'
num_classes = 7

_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths)
val_dataloader = dict(dataset=_paths)
test_dataloader = dict(dataset=_paths)
