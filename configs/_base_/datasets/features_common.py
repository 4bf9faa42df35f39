# Recognition on per-video features (shared by <dataset>_features.py, which set the paths):
# labelled actions from an action annotation file (vpd_mm.datasets.features), per-frame
# features [T, 2, d] from features/<type>/<video>.npy (tools/test.py --dump-features for students,
# tools/embed_poses.py / tools/pose_features.py for teachers). When the file has no val split,
# a seeded 20% per class of the training actions is held out for validation (checkpoint
# selection); training sequences are single flip views, test samples average both.
dataset_type = 'VPDFeatureSequenceDataset'
data_root = 'data/<dataset>/'  # set by each dataset's file
ann_file = None
feature_dir = None
num_classes = None

train_pipeline = [dict(type='LoadFeatureSequence'), dict(type='PackFeatureSequence')]
test_pipeline = train_pipeline
_dataset = dict(
    type=dataset_type,
    ann_file=ann_file,
    feature_dir=feature_dir,
    id_list=None,
    val_ratio=0.2,
    val_seed=0,
    target_fps=None)
_loader = dict(
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='sequence_collate'))

train_dataloader = dict(
    batch_size=50,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**_dataset, split='train', views='split', pipeline=train_pipeline),
    **_loader)
val_dataloader = dict(
    batch_size=50,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **_dataset, split='val', views='both', pipeline=test_pipeline, test_mode=True),
    **_loader)
test_dataloader = dict(
    batch_size=50,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        **_dataset, split='test', views='both', pipeline=test_pipeline, test_mode=True),
    **_loader)

val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator
