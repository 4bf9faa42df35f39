# Person detector: mmdet's Faster R-CNN R50-FPN 1x trained on COCO (box AP 37.4).
# score_thr=0.1 keeps the low-score boxes ByteTrack uses in its second association.
detector = dict(
    type='MMDetPersonDetector',
    config='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    checkpoint='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
    'faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth',
    device='cpu',
    batch_size=8,
    score_thr=0.1,
    person_label=0)
