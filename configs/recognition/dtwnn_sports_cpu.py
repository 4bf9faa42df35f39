# DTW nearest-neighbour recognition on the synthetic sports benchmark (8 jump classes;
# docs/synthetic_benchmark.md) from any feature type of data/sports/features/<type>/ (set
# feature_dir; tools/run_demo.py does). One numba thread: tools/fewshot.py --jobs runs several.
_base_ = ['./dtwnn_2dvpd_diving48.py']
data_root = 'data/sports/'
ann_file = data_root + 'annotations/sports_actions.json'
feature_dir = data_root + 'features/pose2d'
model = dict(num_classes=8, num_threads=1)
_loader = dict(batch_size=16, num_workers=0, persistent_workers=False)
_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths, **_loader)
val_dataloader = dict(dataset=_paths, **_loader)
test_dataloader = dict(dataset=_paths, **_loader)
default_hooks = dict(logger=dict(interval=10))
result_info = dict(task='recognition', dataset='sports', features='pose2d', method='dtwnn')
