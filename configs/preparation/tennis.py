# Tennis (Tennis7) -> data/tennis/ (configs/_base_/datasets/tennis_vpd.py), from the VPD authors'
# files (action_dataset/tennis/ of their release): all.txt (lines "<match>:<player>:<frame>
# <label>", the ball contact as a frame of the match; 7 swing classes, serves and non-shots left
# out), val.ids.txt, and the point clips videos/<match>_<start>_<end>.mp4. Each clip gives two
# videos, front__<clip> and back__<clip> (the names of the authors' pose folders); a stroke's
# window is +-0.5 s around the contact inside its clip. 4 matches are the test split. Source frame
# rate kept. Few-shot subsets: the authors' train_{K}_{i}.ids.txt hold serves and non-shots too:
# filter them with tools/data/filter_id_lists.py before tools/fewshot.py --id-lists.
#
#   python tools/data/prepare.py configs/preparation/tennis.py [--shard I --num-shards N]
_base_ = ['./video_folder.py']

dataset_name = 'tennis'
data_root = 'data/raw/tennis/'
out_dir = 'data/tennis/'
reader = dict(
    _delete_=True,
    type='Tennis7Reader',
    data_root=data_root,
    video_dir='videos',
    ann_file='all.txt',
    val_file='val.ids.txt',
    window=(0.5, 0.5),  # seconds before / after the ball contact
    players=('front', 'back'),
    fps=None,  # None: each clip's own rate (25 fps Wimbledon, 29.97 fps US Open)
    dataset=dataset_name)
# One person per video: the near player (front) has the box centre in the lower half of the frame,
# the far player (back) in the upper half (broadcast view); only tracks there compete.
athlete = dict(player_regions=dict(front=(0.5, 1.0), back=(0.0, 0.5)))
