# VIPE*'s schedule: AdamW lr 1e-4, weight decay 0.01, batch 100 (set in the dataloaders),
# 50k steps, validation (and best-checkpoint selection by cross-view hit@1) every 1000 steps.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=1000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.01))
param_scheduler = []
auto_scale_lr = dict(enable=False, base_batch_size=100)
