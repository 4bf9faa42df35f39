# The authors' schedule for the BiGRU on the full Diving48 training set: 200 epochs instead of 500,
# so warm-restart periods of 20, 40, 80 (and 60 of 160) epochs.
_base_ = ['./bigru_adamw.py']
max_epochs = 200
train_cfg = dict(max_epochs=max_epochs)
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
