# Diving48 (V2 labels) -> data/diving48/ (the data_root of configs/_base_/datasets/diving48_vpd.py).
# data_root holds Diving48_vocab.json, Diving48_V2_train.json, Diving48_V2_test.json and the clips
# rgb/<vid_name>.mp4 of the official archive.
#
#   python tools/data/prepare.py configs/preparation/diving48.py [--shard I --num-shards N]
_base_ = ['./video_folder.py']

dataset_name = 'diving48'
data_root = 'data/raw/diving48/'
out_dir = 'data/diving48/'
reader = dict(
    _delete_=True,
    type='Diving48Reader',
    data_root=data_root,
    video_dir='rgb',
    ann_files=dict(train='Diving48_V2_train.json', test='Diving48_V2_test.json'),
    vocab_file='Diving48_vocab.json',
    dataset=dataset_name)

# 25 fps as the VPD authors: their accumulator with increment min(1, 25 / src_fps) + 0.01 from
# balance 0 (vpd_mm/preparation/stages/video.py; docs/data_preparation.md, "Frame rate")
fps = 25
sampling = dict(type='accumulator', increment_offset=0.01, start_balance=0.0)
