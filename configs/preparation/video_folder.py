# Data preparation of any folder of videos (an unlabeled distillation corpus, or labelled clips
# with labels.txt: lines "<video> <label> [<split>]"), and the defaults every preparation config
# inherits: Faster R-CNN person detector, ByteTrack, salience athlete selection, HRNet-W32
# teacher, 128 px square crops, DIS optical flow quantised with bound 20 (docs/data_preparation.md).
#
#   python tools/data/prepare.py configs/preparation/video_folder.py \
#       --cfg-options reader.data_root=data/raw/my_sport/ out_dir=data/my_sport/ \
#       dataset_name=my_sport
# (variables such as data_root are resolved when the file is read: override the keys that use them)
_base_ = [
    '../_base_/preparation/detector_faster_rcnn_r50_coco.py',
    '../_base_/preparation/tracker_bytetrack.py',
    '../_base_/preparation/athlete_salience.py',
    '../_base_/preparation/pose_hrnet_w32_coco.py',
]
default_scope = 'mmaction'
custom_imports = dict(imports=['vpd_mm'], allow_failed_imports=False)

dataset_name = 'videos'  # annotations/<dataset_name>_pose.pkl
data_root = 'data/raw/videos/'  # the raw dataset: videos/ (+ optional labels.txt)
out_dir = 'data/videos/'  # the layout of docs/data_layout.md
reader = dict(
    type='VideoFolderReader',
    data_root=data_root,
    video_dir='videos',
    label_file=None,
    split='train',
    dataset=dataset_name)

# decoding
fps = None  # prepared frame rate (None: the source rate); recorded in the actions JSON
chunk_size = 64  # frames decoded at a time (memory: one chunk + the detections)
video_backend = 'decord'  # or 'opencv'
allow_truncated = False  # True: keep the frames before the damage of a truncated video
# crops and flow
crop_size = 128
crop_pad = 0.1  # of the side, on each side
flow = dict(type='DISFlowEstimator', preset='medium')
# RAFT with local weights instead (torchvision's raft_small state dict):
# flow = dict(type='RAFTFlowEstimator', weights='checkpoints/raft_small_C_T_V2-01064c6d.pth',
#             small=True, device='cuda', batch_size=64)
flow_bound = 20.0  # flow clipped to +-20 px, quantised to uint8 (flow_x/flow_y_%05d.jpg)
jpeg_quality = 90
# a video without a frame of mean joint score >= conf_thr is skipped ('no confident pose')
conf_thr = 0.5
