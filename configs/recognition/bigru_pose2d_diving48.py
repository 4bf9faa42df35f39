# BiGRU recognition on diving48 from normalised 2D joints of the teacher (tools/pose_features.py).
_base_ = [
    '../_base_/models/bigru.py', '../_base_/datasets/diving48_features.py',
    '../_base_/schedules/bigru_adamw_200e.py'
]
data_root = 'data/diving48/'
feature_dir = data_root + 'features/pose2d'
model = dict(cls_head=dict(num_classes=48, in_channels=26))
train_dataloader = dict(dataset=dict(feature_dir=feature_dir))
val_dataloader = dict(dataset=dict(feature_dir=feature_dir))
test_dataloader = dict(dataset=dict(feature_dir=feature_dir))
# fields of the result file written by tools/test.py --result-json
result_info = dict(task='recognition', dataset='diving48', features='pose2d', method='bigru')
