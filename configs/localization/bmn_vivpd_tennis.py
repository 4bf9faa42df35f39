# BMN proposals on Tennis7 points,
# from VI-VPD student features (d = 64 per flip view),
# both flip views concatenated. Export:
#   python tools/data/export_localization.py \
#       data/tennis/annotations/tennis_actions.json \
#       data/tennis/features/vivpd data/tennis/localization/vivpd \
#       --views concat --feat-dim 128
_base_ = ['./_base_/bmn_vivpd.py']
dataset = 'tennis'
data_root = f'data/{dataset}/localization/{_base_.features}/'
work_dir = f'./work_dirs/bmn_{_base_.features}_{dataset}'

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = [
    dict(type='ANetMetric', metric_type='AR@AN',
         dump_config=dict(out='{work_dir}/val_proposals.json', output_format='json')),
    dict(type='ProposalAPMetric')
]
test_evaluator = [
    dict(type='ANetMetric', metric_type='AR@AN',
         dump_config=dict(out='{work_dir}/test_proposals.json', output_format='json')),
    dict(type='ProposalAPMetric', dataset=dataset, features=_base_.features, method='bmn',
         result_file='{work_dir}/' + f'localization_{dataset}_{_base_.features}_bmn.result.json')
]
