# An example plugin config (docs/data_preparation.md, "Write your own preparation stage"): the
# project's video-folder preparation, inherited through the installed package, with the
# detector and the pose teacher of the plugin module my_stages.py (which must be importable:
# on PYTHONPATH or installed). Run it with vpd_mm's tool, which imports vpd_mm before it reads
# the config (that import is what lets mmengine resolve 'vpd_mm::'):
#
#   PYTHONPATH=docs/examples/preparation_plugin python tools/data/prepare.py \
#       docs/examples/preparation_plugin/prepare_bright_videos.py
_base_ = 'vpd_mm::preparation/video_folder.py'
# custom_imports cannot come through --cfg-options (mmengine applies it while it reads the
# file), hence this file. vpd_mm stays in the list: it registers the tracker and the athlete
# selector that the base config names.
custom_imports = dict(imports=['vpd_mm', 'my_stages'], allow_failed_imports=False)

dataset_name = 'bright'
data_root = 'data/raw/bright/'  # videos/*.mp4 (+ optional labels.txt)
out_dir = 'data/bright/'
reader = dict(data_root=data_root, dataset=dataset_name)
# _delete_: drop the base's Faster R-CNN / HRNet keys, which these stages do not take
detector = dict(_delete_=True, type='BrightFigureDetector', threshold=200, min_area=20)
teacher = dict(_delete_=True, type='UprightTemplateTeacher')
athlete = dict(min_track_len=5)
crop_size = 32
