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
    dataset=dataset_name)
