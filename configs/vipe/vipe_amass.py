# VIPE* trained on AMASS joint sequences (data/amass/joints/; see docs/data_layout.md), with
# random orthographic views as in the paper.
_base_ = ['./vipe_synthetic.py']
source = dict(_delete_=True, type='amass', path='data/amass/joints/')
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = val_dataloader
