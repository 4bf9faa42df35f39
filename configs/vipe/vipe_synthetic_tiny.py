# A small VIPE* that a 2-core CPU trains in a minute (hidden width 256, D = 64, 1000 steps) on a
# small synthetic corpus: for the tests, the demo and quick checks of tools/embed_poses.py. The
# lifting decoder is the authors' (hidden 512, 512; the model's default).
_base_ = ['./vipe_synthetic.py']
model = dict(hidden_channels=256)
source = dict(type='synthetic', num_sequences=40, frames=50, seed=0)
train_dataloader = dict(num_workers=1, dataset=dict(source=source))
# held out by construction: sequences of another seed
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        source=dict(type='synthetic', num_sequences=30, frames=50, seed=123), split='all'))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=2e-3))
train_cfg = dict(max_iters=1000, val_interval=500)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
