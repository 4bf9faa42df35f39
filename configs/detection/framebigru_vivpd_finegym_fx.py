# Few-shot temporal detection on FineGym floor exercise (routines, elements) with vivpd features
# (d=64): 5 training videos, 5-fold ensemble; tools/detect_actions.py.
_base_ = ['./_base_/framebigru.py']
data_root = 'data/finegym_fx/'
ann_file = data_root + 'annotations/finegym_fx_actions.json'
feature_dir = data_root + 'features/vivpd'

model = dict(in_channels=64)
train_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir))
detection = dict(dataset='finegym_fx', features='vivpd')
