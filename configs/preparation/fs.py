# Figure skating (FSJump6) -> data/fs/ (configs/_base_/datasets/fs_vpd.py), from the VPD authors'
# files (action_dataset/fs/ of their release): all.txt (lines "<routine>:<start>:<end> <label>",
# 6 jump classes), val.ids.txt, and the routine clips videos/<routine>.mp4 (their
# recut_fs_video.py names, <event>_<year>_<nn>_<start>_<end>). The 2018 routines are the test
# split; each jump is widened to at least mid - 2.5 s .. mid + 0.5 s. Source frame rate kept.
# Few-shot subsets: the authors' train_{K}_{i}.ids.txt name these actions (tools/fewshot.py
# --id-lists; tools/data/filter_id_lists.py drops actions of skipped videos).
#
#   python tools/data/prepare.py configs/preparation/fs.py [--shard I --num-shards N]
_base_ = ['./video_folder.py']

dataset_name = 'fs'
data_root = 'data/raw/fs/'
out_dir = 'data/fs/'
reader = dict(
    _delete_=True,
    type='FSJump6Reader',
    data_root=data_root,
    video_dir='videos',
    ann_file='all.txt',
    val_file='val.ids.txt',
    test_years=(2018, ),
    window=(2.5, 0.5),  # seconds before / after the middle of a jump
    fps=None,  # None: each clip's own rate (25 fps for every routine of the release)
    dataset=dataset_name)
