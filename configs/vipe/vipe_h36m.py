# VIPE* trained on Human3.6M 3D poses (data/h36m/data_3d_h36m.npz, VideoPose3D's file; see
# docs/data_layout.md), with random orthographic views as in the paper.
_base_ = ['./vipe_synthetic.py']
source = dict(_delete_=True, type='h36m', path='data/h36m/data_3d_h36m.npz')
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = val_dataloader
