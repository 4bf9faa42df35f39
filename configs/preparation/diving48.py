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
