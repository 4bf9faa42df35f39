# BMN proposals on FineGym floor-exercise routines,
# from VI-VPD student features (d = 64 per flip view),
# both flip views concatenated. Export:
#   python tools/data/export_localization.py \
#       data/finegym_fx/annotations/finegym_fx_actions.json \
#       data/finegym_fx/features/vivpd data/finegym_fx/localization/vivpd \
#       --views concat --feat-dim 128
_base_ = ['./_base_/bmn_vivpd.py']
dataset = 'finegym_fx'
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
