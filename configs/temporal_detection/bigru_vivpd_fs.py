# Few-shot temporal detection on FSJump6 (figure-skating programs, jumps) with vivpd features
# (d=64): 5 training videos, 5-fold ensemble; tools/temporal_detection.py.
_base_ = ['./_base_/bigru.py']
data_root = 'data/fs/'
ann_file = data_root + 'annotations/fs_actions.json'
feature_dir = data_root + 'features/vivpd'

model = dict(head=dict(in_channels=64))
train_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir))
temporal_detection = dict(dataset='fs', features='vivpd')
