# The BiGRU action classifier of VPD over per-frame features [T, V, d] (students or teachers):
# input dropout 0.2 -> GRU(d, 128, 2 layers, bidirectional) -> max over time -> BN -> dropout 0.5
# -> Linear(256, 256) -> ReLU -> BN -> dropout 0.5 -> Linear(256, C); cross-entropy. At test time
# the softmax is averaged over the two flip views (average_clips='prob').
model = dict(
    type='FeatureSequenceRecognizer',
    cls_head=dict(
        type='BiGRUHead',
        num_classes=48,
        in_channels=26,
        hidden_channels=128,
        num_layers=2,
        fc_channels=256,
        input_dropout=0.2,
        dropout=0.5,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        average_clips='prob',
        topk=(1, 5)),
    data_preprocessor=dict(type='BaseDataPreprocessor'))
