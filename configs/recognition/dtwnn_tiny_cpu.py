# DTW nearest neighbour on the small generated feature set of bigru_tiny_cpu.py (tests, demos).
_base_ = ['./dtwnn_2dvpd_diving48.py']
data_root = 'data/toy/'
ann_file = data_root + 'annotations/toy_actions.json'
feature_dir = data_root + 'features/pose2d'
model = dict(num_classes=3, num_threads=1)
_loader = dict(batch_size=8, num_workers=0, persistent_workers=False)
train_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir), **_loader)
val_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir), **_loader)
test_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir), **_loader)
default_hooks = dict(logger=dict(interval=5))
# fields of the result file written by tools/test.py --result-json
result_info = dict(task='recognition', dataset='toy', features='pose2d', method='dtwnn')
