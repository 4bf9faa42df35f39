# ST-GCN baseline on the teacher's 2D poses of FineGym floor exercise
# (FX35; actions cut from the routines).
# Input: the action-level pkl of tools/data/actions_to_pose_pkl.py:
#   python tools/data/actions_to_pose_pkl.py data/finegym_fx/annotations/finegym_fx_pose.pkl \
#       data/finegym_fx/annotations/finegym_fx_actions.json \
#       data/finegym_fx/annotations/finegym_fx_actions_pose.pkl
_base_ = ['./_base_/stgcn_pose2d.py']
data_root = 'data/finegym_fx/'
ann_file = data_root + 'annotations/finegym_fx_actions_pose.pkl'
model = dict(cls_head=dict(num_classes=35))
train_dataloader = dict(dataset=dict(dataset=dict(ann_file=ann_file)))
val_dataloader = dict(dataset=dict(ann_file=ann_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file))
