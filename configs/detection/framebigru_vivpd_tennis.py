# Few-shot temporal detection on Tennis7 (points, swings) with vivpd features
# (d=64): 5 training videos, 5-fold ensemble; tools/detect_actions.py.
_base_ = ['./_base_/framebigru.py']
data_root = 'data/tennis/'
ann_file = data_root + 'annotations/tennis_actions.json'
feature_dir = data_root + 'features/vivpd'

model = dict(in_channels=64)
train_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir))
detection = dict(dataset='tennis', features='vivpd')
