# A tiny detector for the generated corpus of vpd_mm.synthetic.make_uncut_features (d=8): the
# tests and a one-minute CPU demo. Generate the data first:
#   python tools/temporal_detection.py configs/temporal_detection/bigru_tiny_cpu.py --make-toy
_base_ = ['./_base_/bigru.py']
data_root = 'data/toy_detection/'
ann_file = data_root + 'annotations/toy_actions.json'
feature_dir = data_root + 'features'

model = dict(head=dict(in_channels=8, hidden_channels=32))
train_dataloader = dict(
    batch_size=8, dataset=dict(ann_file=ann_file, feature_dir=feature_dir, window=64))
train_cfg = dict(max_iters=120)
param_scheduler = [
    dict(type='CosineRestartLR', periods=[60, 60], restart_weights=[1, 1], eta_min=1e-4,
         by_epoch=False)
]
optim_wrapper = dict(optimizer=dict(lr=3e-3))
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=120))
temporal_detection = dict(folds=2, train_videos=None, merge_gap=2, dataset='toy', features='toy')
