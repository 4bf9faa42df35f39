# A BiGRU that a 2-core CPU trains in seconds, for tests and demos: a small generated feature set
# under data/toy/ (e.g. the normalised 2D joints of the toy corpus:
#   python tools/pose_features.py data/toy/annotations/toy_pose.pkl data/toy/features/pose2d \
#       --actions-json data/toy/annotations/toy_actions.json
# ), 3 classes, d = 26. Paths are overridable with --cfg-options.
_base_ = ['./bigru_pose2d_diving48.py']
data_root = 'data/toy/'
ann_file = data_root + 'annotations/toy_actions.json'
feature_dir = data_root + 'features/pose2d'
model = dict(cls_head=dict(num_classes=3, in_channels=26, hidden_channels=32, fc_channels=64))
_loader = dict(batch_size=8, num_workers=0, persistent_workers=False)
train_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir), **_loader)
val_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir), **_loader)
test_dataloader = dict(dataset=dict(ann_file=ann_file, feature_dir=feature_dir), **_loader)
train_cfg = dict(max_epochs=20)
param_scheduler = [
    dict(
        type='CosineRestartLR',
        periods=[5, 15],
        restart_weights=[1.0, 1.0],
        eta_min=1e-5,
        by_epoch=True,
        convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=5))
# fields of the result file written by tools/test.py --result-json
result_info = dict(task='recognition', dataset='toy', features='pose2d', method='bigru')
