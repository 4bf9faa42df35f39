# 1-nearest-neighbour recognition by DTW alignment cost on Diving48, from the VI-VPD student:
# the protocol of dtwnn_2dvpd_diving48.py on the VI-VPD features.
_base_ = ['./dtwnn_2dvpd_diving48.py']
feature_dir = 'data/diving48/features/vivpd'
train_dataloader = dict(dataset=dict(feature_dir=feature_dir))
val_dataloader = dict(dataset=dict(feature_dir=feature_dir))
test_dataloader = dict(dataset=dict(feature_dir=feature_dir))
# fields of the result file written by tools/test.py --result-json
result_info = dict(features='vivpd')
