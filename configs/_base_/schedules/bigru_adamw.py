_base_ = ['../default_runtime.py']

# The recognition schedule of VPD, as the authors' code: AdamW lr 1e-3 (weight decay 0.01),
# batch 50, 500 epochs, cosine annealing with warm restarts whose first period is
# max_epochs // 10 and doubles at every restart (50, 100, 200, 400 epochs), the learning rate
# annealed to 1e-7 and the weight decay normalised by the period: wd * eta_t * sqrt(b / (N T_i))
# (WarmRestartCosineLR, WarmRestartWeightDecay). Validation every epoch and the best checkpoint
# by validation top-1 accuracy (never by test). A child that changes max_epochs changes
# first_period of both schedulers with it (the Diving48 configs: 200 epochs, periods of 20).
max_epochs = 500
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(
        type='WarmRestartCosineLR',
        first_period=max_epochs // 10,
        t_mult=2,
        eta_min=1e-7,
        by_epoch=True,
        convert_to_iter_based=True),
    dict(
        type='WarmRestartWeightDecay',
        first_period=max_epochs // 10,
        t_mult=2,
        by_epoch=True,
        convert_to_iter_based=True)
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        by_epoch=True,
        max_keep_ckpts=1,
        save_last=True,
        save_best='acc/top1',
        rule='greater'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=50)
# The few-shot protocol of tools/fewshot.py (vpd_mm/apis/fewshot.py): the same number of
# optimizer steps at every k, linear warm-up over 10% of them, cosine annealing to 1% of the
# learning rate, the last checkpoint tested (no validation carved from the k examples).
fewshot = dict(steps=3000, warmup_ratio=0.1, eta_min_ratio=0.01)
