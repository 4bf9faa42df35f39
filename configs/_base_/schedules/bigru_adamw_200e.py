# The authors' schedule for the BiGRU on the full Diving48 training set: 200 epochs instead of 500,
# so warm-restart periods of 20, 40, 80 (and 60 of 160) epochs.
_base_ = ['./bigru_adamw.py']
max_epochs = 200
train_cfg = dict(max_epochs=max_epochs)
# the base's two schedulers, their first period recomputed from these max_epochs
param_scheduler = [dict(s, first_period=max_epochs // 10) for s in _base_.param_scheduler]
