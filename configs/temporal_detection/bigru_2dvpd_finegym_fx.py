# Few-shot temporal detection on FineGym floor exercise (routines, elements) with 2dvpd features
# (d=26): 5 training videos, 5-fold ensemble; tools/temporal_detection.py.
_base_ = ['./_base_/bigru.py']
data_root = 'data/finegym_fx/'
ann_file = data_root + 'annotations/finegym_fx_actions.json'
feature_dir = data_root + 'features/2dvpd'

model = dict(head=dict(in_channels=26))
train_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir))
temporal_detection = dict(dataset='finegym_fx', features='2dvpd')
