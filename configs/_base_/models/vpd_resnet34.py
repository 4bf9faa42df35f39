# The VPD student: ResNet-34 on RGB + flow (5 channels), features of the teacher's dimension d,
# and the pose + motion decoder used only for distillation. d = 26: normalised 2D joints.
model = dict(
    type='VPDDistiller',
    backbone=dict(
        type='VPDStudentResNet',
        depth=34,
        in_channels=5,
        out_channels=26,
        pretrained=None),  # e.g. 'torchvision://resnet34' (then use ImageNet mean/std)
    head=dict(
        type='VPDDistillHead',
        in_channels=26,
        hidden_channels=128,
        with_motion=True,
        loss_pose_weight=1.0,
        loss_motion_weight=1.0),
    data_preprocessor=dict(
        type='VPDDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]),
    test_cfg=dict(flip=True))
