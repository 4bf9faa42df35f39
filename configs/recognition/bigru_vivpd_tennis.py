# BiGRU recognition on tennis from the VI-VPD student.
_base_ = [
    '../_base_/models/bigru.py', '../_base_/datasets/tennis_features.py',
    '../_base_/schedules/bigru_adamw.py'
]
data_root = 'data/tennis/'
feature_dir = data_root + 'features/vivpd'
model = dict(cls_head=dict(num_classes=7, in_channels=64))
train_dataloader = dict(dataset=dict(feature_dir=feature_dir))
val_dataloader = dict(dataset=dict(feature_dir=feature_dir))
test_dataloader = dict(dataset=dict(feature_dir=feature_dir))
# fields of the result file written by tools/test.py --result-json
result_info = dict(task='recognition', dataset='tennis', features='vivpd', method='bigru')
