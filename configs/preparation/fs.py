# Figure skating (FSJump6) -> data/fs/ (configs/_base_/datasets/fs_vpd.py), from the generic
# segment list: fs_segments.csv with columns video,split,start,end,label[,id] (seconds; the
# programs of 2018 in the test split) and the programs videos/<video>.mp4.
#
#   python tools/data/prepare.py configs/preparation/fs.py [--shard I --num-shards N]
_base_ = ['./video_folder.py']

dataset_name = 'fs'
data_root = 'data/raw/fs/'
out_dir = 'data/fs/'
reader = dict(
    _delete_=True,
    type='SegmentListReader',
    data_root=data_root,
    video_dir='videos',
    ann_file='fs_segments.csv',
    classes=None,  # or a list / a file of class names (one per line); default: sorted names
    unit='second',
    dataset=dataset_name)
