# 1-nearest-neighbour recognition by DTW alignment cost on Diving48, from the VI-VPD student.
# "Training" stores every training action in the model's gallery (one pass, GalleryBuildLoop);
# tools/test.py reports AccMetric as for the BiGRU. The authors' protocol: the two flip views of
# a frame concatenated into one frame vector [T, 2d] (view='concat', so the gallery takes both
# views of an action in one sample: views='both'), dtw-python's slope-constrained symmetricP2
# step pattern (pairs it cannot align are infinitely far). view='min' (each view its own
# sequence, the minimum over view pairs) and step_pattern='symmetric1'/'symmetric2' are options.
_base_ = ['../_base_/datasets/diving48_features.py', '../_base_/default_runtime.py']
data_root = 'data/diving48/'
feature_dir = data_root + 'features/vivpd'
model = dict(
    type='DTWNearestNeighbour',
    num_classes=48,
    step_pattern='symmetricP2',
    view='concat',
    prune=True)
train_cfg = dict(type='GalleryBuildLoop', val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    constructor='NoParamsOptimWrapperConstructor', optimizer=dict(type='SGD', lr=0))
param_scheduler = []
# the gallery takes the training set as is: no shuffling, both views of an action in one sample
train_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(feature_dir=feature_dir, views='both'))
val_dataloader = dict(dataset=dict(feature_dir=feature_dir))
test_dataloader = dict(dataset=dict(feature_dir=feature_dir))
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=1, by_epoch=True, max_keep_ckpts=1, save_best=None))
log_processor = dict(by_epoch=True)
# fields of the result file written by tools/test.py --result-json
result_info = dict(task='recognition', dataset='diving48', features='vivpd', method='dtwnn')
