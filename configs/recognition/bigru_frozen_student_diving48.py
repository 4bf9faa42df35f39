# The BiGRU on top of a frozen 2D-VPD student reading the athlete crops + flow directly (no
# feature files): every frame of an action is embedded as is and flipped by the student of a
# distillation checkpoint (configs/vpd/2dvpd_diving48.py), then classified as in
# bigru_2dvpd_diving48.py. Set student_checkpoint to your distillation checkpoint.
# The student and its normalisation come from the distillation config's own bases
# (_base_/models/vpd_resnet34.py, _base_/datasets/diving48_frames.py), so the two cannot drift.
_base_ = [
    '../_base_/models/vpd_resnet34.py', '../_base_/datasets/diving48_frames.py',
    '../_base_/datasets/diving48_features.py', '../_base_/schedules/bigru_adamw_200e.py'
]
data_root = 'data/diving48/'
ann_file = data_root + 'annotations/diving48_actions.json'
student_checkpoint = 'work_dirs/2dvpd_diving48/best_vpd_total_mse.pth'
student_preprocessor = dict(
    _base_.model.data_preprocessor, mean=_base_.rgb_mean, std=_base_.rgb_std)

model = dict(
    _delete_=True,
    type='FrozenStudentRecognizer',
    student=dict(_base_.model, data_preprocessor=student_preprocessor),
    student_checkpoint=student_checkpoint,
    data_preprocessor=student_preprocessor,
    chunk_size=256,
    cls_head=dict(
        type='BiGRUHead',
        num_classes=48,
        in_channels=_base_.model.backbone.out_channels,  # the student's feature dimension d
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        average_clips='prob',
        topk=(1, 5)))

pipeline = [
    dict(
        type='LoadVPDFrameSequence',
        frame_pipeline=[
            dict(type='LoadVPDFrame', with_flow=True),
            dict(type='VPDResize', size={{_base_.crop_size}})
        ]),
    dict(type='PackFeatureSequence')
]
_dataset = dict(
    _delete_=True,
    type='VPDActionFramesDataset',
    ann_file=ann_file,
    data_prefix=dict(img=data_root + 'rawframes'),
    id_list=None,
    val_ratio=0.2,
    val_seed=0,
    target_fps=None,
    pipeline=pipeline)
_loader = dict(batch_size=8, collate_fn=dict(type='sequence_collate', time_dim=0))
train_dataloader = dict(dataset=dict(**_dataset, split='train'), **_loader)
val_dataloader = dict(dataset=dict(**_dataset, split='val', test_mode=True), **_loader)
test_dataloader = dict(dataset=dict(**_dataset, split='test', test_mode=True), **_loader)
# fields of the result file written by tools/test.py --result-json
result_info = dict(task='recognition', dataset='diving48', features='2dvpd_frozen',
                   method='bigru_frozen_student')
