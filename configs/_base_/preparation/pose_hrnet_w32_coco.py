# 2D pose teacher (paper: HRNet): mmpose's top-down HRNet-W32, 256x192, COCO (AP 74.6).
teacher = dict(
    type='MMPoseTopDownTeacher',
    config='mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py',  # noqa: E501
    checkpoint='https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_hrnet-w32_8xb64-210e_coco-256x192-81c58e40_20220909.pth',
    device='cpu',
    batch_size=32)
