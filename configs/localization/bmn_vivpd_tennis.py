# BMN proposals on Tennis7 points,
# from VI-VPD student features (d = 128 per flip view),
# both flip views concatenated. Export:
#   python tools/data/export_localization.py \
#       data/tennis/annotations/tennis_actions.json \
#       data/tennis/features/vivpd data/tennis/localization/vivpd \
#       --views concat --feat-dim 256
_base_ = ['./_base_/bmn_vpd.py']
dataset, features = 'tennis', 'vivpd'
feat_dim = 256
data_root = f'data/{dataset}/localization/{features}/'
work_dir = './work_dirs/bmn_vivpd_tennis'

model = dict(feat_dim=feat_dim)
train_dataloader = dict(
    dataset=dict(ann_file=data_root + 'anno_train.json',
                 data_prefix=dict(video=data_root + 'features')))
val_dataloader = dict(
    dataset=dict(ann_file=data_root + 'anno_val.json',
                 data_prefix=dict(video=data_root + 'features')))
test_dataloader = dict(
    dataset=dict(ann_file=data_root + 'anno_test.json',
                 data_prefix=dict(video=data_root + 'features')))
val_evaluator = [
    dict(type='ANetMetric', metric_type='AR@AN',
         dump_config=dict(out=work_dir + '/val_proposals.json', output_format='json')),
    dict(type='ProposalAPMetric')
]
test_evaluator = [
    dict(type='ANetMetric', metric_type='AR@AN',
         dump_config=dict(out=work_dir + '/test_proposals.json', output_format='json')),
    dict(type='ProposalAPMetric', dataset=dataset, features=features, method='bmn',
         result_file=f'work_dirs/results/localization_{dataset}_{features}_bmn.result.json')
]
