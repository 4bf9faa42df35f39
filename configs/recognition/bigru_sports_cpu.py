# BiGRU recognition on the synthetic sports benchmark (8 jump classes; docs/synthetic_benchmark.md),
# sized for a 2-core CPU (GRU width 64 instead of 128, 12 epochs) on any feature type of
# data/sports/features/<type>/ (set feature_dir and cls_head.in_channels; tools/run_demo.py does).
_base_ = ['./bigru_pose2d_diving48.py']
data_root = 'data/sports/'
ann_file = data_root + 'annotations/sports_actions.json'
feature_dir = data_root + 'features/pose2d'
model = dict(
    cls_head=dict(num_classes=8, in_channels=26, hidden_channels=64, fc_channels=128))
_loader = dict(batch_size=16, num_workers=0, persistent_workers=False)
_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths, **_loader)
val_dataloader = dict(dataset=_paths, **_loader)
test_dataloader = dict(dataset=_paths, **_loader)
train_cfg = dict(max_epochs=12)
param_scheduler = [
    dict(
        type='CosineRestartLR',
        periods=[4, 8],
        restart_weights=[1.0, 1.0],
        eta_min=1e-5,
        by_epoch=True,
        convert_to_iter_based=True)
]
default_hooks = dict(logger=dict(interval=10))
result_info = dict(task='recognition', dataset='sports', features='pose2d', method='bigru')
