# Athlete masks (optional stage): mmdet's RTMDet-Ins-s trained on COCO (mask AP 38.7), the
# person instance that best overlaps the athlete box. Its masks become rawframes/<video>/
# mask_%05d.png, outside of which the training noise goes (docs/data_layout.md). About the cost
# of the person detector again per frame; leave `segmenter` out to use the athlete box instead.
segmenter = dict(
    type='MMDetAthleteSegmenter',
    config='mmdet::rtmdet/rtmdet-ins_s_8xb32-300e_coco.py',
    checkpoint='https://download.openmmlab.com/mmdetection/v3.0/rtmdet/'
    'rtmdet-ins_s_8xb32-300e_coco/rtmdet-ins_s_8xb32-300e_coco_20221121_212604-fdc5d7ec.pth',
    device='cpu',
    batch_size=8,
    score_thr=0.3,
    iou_thr=0.5,
    person_label=0)
