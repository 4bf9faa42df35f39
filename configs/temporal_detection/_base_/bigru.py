# Few-shot temporal detection (VPD Sec. 4): per-frame BiGRU trained per fold by
# vpd_mm.apis.run_temporal_detection (tools/temporal_detection.py); children set the data.
_base_ = ['../../_base_/default_runtime.py']

feature_dim = 26  # 2D-VPD; VI-VPD: 64
data_root = 'data/'
ann_file = ''
feature_dir = ''

# the per-frame model (padding, loss over the labelled frames, predictions) and its head
model = dict(
    type='FrameSequenceLabeler',
    head=dict(
        type='FrameBiGRUHead',
        in_channels=feature_dim,
        num_classes=2,
        hidden_channels=128,
        num_layers=2,
        input_dropout=0.2,
        dropout=0.5),
    data_preprocessor=dict(type='FrameSequenceDataPreprocessor'))

# every (video, flip view) is a sample; random windows of 256 frames, drawn anew each time
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='FrameLabelDataset',
        ann_file=ann_file,
        feature_dir=feature_dir,
        split='train',  # replaced by each fold's video list
        window=256,
        views=(0, 1)))
# no validation inside a fold: the threshold is chosen on out-of-fold scores
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
# cosine with warm restarts (as the recognition BiGRU)
param_scheduler = [
    dict(
        type='CosineRestartLR',
        periods=[250, 250, 250, 250],
        restart_weights=[1, 1, 1, 1],
        eta_min=1e-5,
        by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1000, save_best=None, max_keep_ckpts=1))

# settings of the protocol (vpd_mm/apis/temporal_detection.py); tools/temporal_detection.py
# overrides folds / train_videos / seed / label from the command line
temporal_detection = dict(
    folds=5,
    train_videos=5,  # few-shot: 5 annotated videos (routines / points)
    seed=0,
    label=None,  # None: every action is foreground; an int: only that class
    train_split='train',
    test_split='test',
    views=(0, 1),
    merge_gap=5,  # frames of lower score bridged between two runs
    min_len_ratio=0.5,  # drop proposals shorter than 0.5 x the shortest training action
    max_len_ratio=2.0,  # split proposals longer than 2 x the longest training action
    thresholds=[round(0.05 * i, 2) for i in range(1, 20)],
    iou_thresholds=[0.3, 0.4, 0.5, 0.6, 0.7],
    dataset='unknown',
    features='unknown')
