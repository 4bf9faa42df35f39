# Tennis (Tennis7) -> data/tennis/ (configs/_base_/datasets/tennis_vpd.py), from the generic segment
# list: tennis_segments.csv with columns video,split,time,label[,id] -- one row per swing, time =
# the ball contact in seconds; the action is time +- 0.5 s (point_window) -- and the point videos
# videos/<video>.mp4 (5 matches train, 4 test).
#
#   python tools/data/prepare.py configs/preparation/tennis.py [--shard I --num-shards N]
_base_ = ['./video_folder.py']

dataset_name = 'tennis'
data_root = 'data/raw/tennis/'
out_dir = 'data/tennis/'
reader = dict(
    _delete_=True,
    type='SegmentListReader',
    data_root=data_root,
    video_dir='videos',
    ann_file='tennis_segments.csv',
    classes=None,
    unit='second',
    point_window=0.5,
    dataset=dataset_name)
