# A small VIPE* that a 2-core CPU trains in minutes (hidden width 256, D = 64, 300 steps) on a
# small synthetic corpus: for the tests, the demo and quick checks of tools/embed_poses.py.
_base_ = ['./vipe_synthetic.py']
model = dict(hidden_channels=256)
source = dict(type='synthetic', num_sequences=40, frames=50, seed=0)
train_dataloader = dict(num_workers=1, dataset=dict(source=source))
val_dataloader = dict(num_workers=1, dataset=dict(source=source))
test_dataloader = val_dataloader

train_cfg = dict(max_iters=300, val_interval=100)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100, max_keep_ckpts=2))
