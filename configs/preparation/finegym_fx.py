# FineGym Gym99 floor exercise (FX35) -> data/finegym_fx/ (the data_root of
# configs/_base_/datasets/finegym_fx_vpd.py).
# data_root holds finegym_annotation_info_v1.1.json, gym99_train_element_v1.1.txt,
# gym99_val_element.txt (the test split), optionally gym99_categories.txt (class names), and the
# floor routines cut at FineGym's event timestamps: event_videos/<youtube id>_E_<s>_<e>.mp4.
#
#   python tools/data/prepare.py configs/preparation/finegym_fx.py [--shard I --num-shards N]
_base_ = ['./video_folder.py']

dataset_name = 'finegym_fx'
data_root = 'data/raw/finegym/'
out_dir = 'data/finegym_fx/'
reader = dict(
    _delete_=True,
    type='FineGymFXReader',
    data_root=data_root,
    video_dir='event_videos',
    ann_file='finegym_annotation_info_v1.1.json',
    label_files=dict(train='gym99_train_element_v1.1.txt', test='gym99_val_element.txt'),
    categories_file='gym99_categories.txt',
    event='FX',
    # the VPD authors' action window: start 0.25 s earlier, source frames
    # floor(start * fps) .. ceil(end * fps) inclusive (fps read from each routine's clip)
    pre_seconds=0.25,
    end_inclusive=True,
    dataset=dataset_name)

# 25 fps as the VPD authors: their accumulator with increment min(1, 25 / src_fps) from balance 1
# (vpd_mm/preparation/stages/video.py; docs/data_preparation.md, "Frame rate")
fps = 25
sampling = dict(type='accumulator', increment_offset=0.0, start_balance=1.0)
