# ST-GCN baseline on the teacher's 2D poses of Diving48 (V2 labels, 48 classes;
# trimmed clips: one action per video).
# Input: the action-level pkl of tools/data/actions_to_pose_pkl.py:
#   python tools/data/actions_to_pose_pkl.py data/diving48/annotations/diving48_pose.pkl \
#       data/diving48/annotations/diving48_actions.json \
#       data/diving48/annotations/diving48_actions_pose.pkl
_base_ = ['./_base_/stgcn_pose2d.py']
data_root = 'data/diving48/'
ann_file = data_root + 'annotations/diving48_actions_pose.pkl'
model = dict(cls_head=dict(num_classes=48))
train_dataloader = dict(dataset=dict(dataset=dict(ann_file=ann_file)))
val_dataloader = dict(dataset=dict(ann_file=ann_file))
test_dataloader = dict(dataset=dict(ann_file=ann_file))
