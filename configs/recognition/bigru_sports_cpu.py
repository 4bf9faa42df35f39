# BiGRU recognition on the synthetic sports benchmark (8 jump classes; docs/synthetic_benchmark.md),
# sized for a 2-core CPU (GRU width 64 instead of 128, batch 16) on any feature type of
# data/sports/features/<type>/ (set feature_dir and cls_head.in_channels; tools/run_demo.py does).
# tools/fewshot.py trains every k for fewshot.steps = 200 steps (about 10 s on one core); at
# lr 3e-3 the training loss has converged by then at every k of the benchmark.
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
optim_wrapper = dict(optimizer=dict(lr=3e-3))
train_cfg = dict(max_epochs=40)
param_scheduler = [
    dict(
        type='CosineRestartLR',
        periods=[10, 30],
        restart_weights=[1.0, 1.0],
        eta_min=3e-5,
        by_epoch=True,
        convert_to_iter_based=True)
]
fewshot = dict(steps=200)
default_hooks = dict(logger=dict(interval=10))
result_info = dict(task='recognition', dataset='sports', features='pose2d', method='bigru')
