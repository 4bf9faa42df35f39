# The paper's distillation schedule: AdamW 5e-4, weight decay 0.01, 1000 x 200 steps,
# validation (and best-checkpoint selection) every 1000 steps. `tools/train.py --amp` switches
# on mixed precision as in the paper.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.01))
param_scheduler = []

# the paper's batch of 100 on one GPU
auto_scale_lr = dict(enable=False, base_batch_size=100)
