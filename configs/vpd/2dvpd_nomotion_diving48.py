# Ablation "without motion" (SPEC section 3): no decoder, the student regresses p_t directly, so
# frames only need a confident teacher output themselves (not at t-1 too).
_base_ = ['./2dvpd_diving48.py']
model = dict(head=dict(with_motion=False))
_no_motion = dict(with_motion=False)
train_dataloader = dict(dataset=_no_motion)
val_dataloader = dict(dataset=_no_motion)
test_dataloader = dict(dataset=_no_motion)
