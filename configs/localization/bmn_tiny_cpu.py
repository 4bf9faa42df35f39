# A small BMN on the toy localization corpus, for CPU smoke runs (about a minute). Data:
#   python tools/data/export_localization.py --toy data/localization_toy/src \
#       data/localization_toy/src/actions.json data/localization_toy/src/features \
#       data/localization_toy/export --temporal-dim 16 --views concat --feat-dim 8
_base_ = ['./_base_/bmn_vpd.py']
dataset, features = 'toy', 'toy'
feat_dim = 8
temporal_dim = 16
data_root = 'data/localization_toy/export/'
work_dir = './work_dirs/bmn_tiny_cpu'

model = dict(
    temporal_dim=temporal_dim,
    num_samples=8,
    num_samples_per_bin=2,
    feat_dim=feat_dim,
    post_process_top_k=20,
    hidden_dim_1d=16,
    hidden_dim_2d=16,
    hidden_dim_3d=32)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root))
test_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root))
val_evaluator = [
    dict(type='ANetMetric', metric_type='AR@AN',
         dump_config=dict(out='{work_dir}/val_proposals.json', output_format='json')),
    dict(type='ProposalAPMetric')
]
test_evaluator = [
    dict(type='ANetMetric', metric_type='AR@AN',
         dump_config=dict(out='{work_dir}/test_proposals.json', output_format='json')),
    dict(type='ProposalAPMetric', dataset=dataset, features=features, method='bmn',
         result_file='{work_dir}/localization_toy_bmn.result.json')
]

max_epochs = 4
train_cfg = dict(max_epochs=max_epochs, val_begin=1, val_interval=2)
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[3], gamma=0.1)
]
default_hooks = dict(logger=dict(interval=5))
