# DTW nearest-neighbour recognition on the synthetic sports benchmark (8 jump classes;
# docs/synthetic_benchmark.md) from any feature type of data/sports/features/<type>/ (set
# feature_dir; tools/run_demo.py does). One numba thread: tools/fewshot.py --jobs runs several.
# The paper's protocol, as the Diving48 configs: dtw-python's symmetricP2 step pattern and the two
# flip views of a frame concatenated (view='concat', gallery samples with both views). The
# demo's actions last 38-50 frames, within symmetricP2's slope limit (3/2): every pair aligns.
_base_ = ['./dtwnn_2dvpd_diving48.py']
data_root = 'data/sports/'
ann_file = data_root + 'annotations/sports_actions.json'
feature_dir = data_root + 'features/pose2d'
model = dict(num_classes=8, num_threads=1, step_pattern='symmetricP2', view='concat')
_loader = dict(batch_size=16, num_workers=0, persistent_workers=False)
_paths = dict(ann_file=ann_file, feature_dir=feature_dir)
train_dataloader = dict(dataset=_paths, **_loader)
val_dataloader = dict(dataset=_paths, **_loader)
test_dataloader = dict(dataset=_paths, **_loader)
default_hooks = dict(logger=dict(interval=10))
result_info = dict(task='recognition', dataset='sports', features='pose2d', method='dtwnn')
