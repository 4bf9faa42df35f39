# 2D-VPD on the synthetic sports benchmark (docs/synthetic_benchmark.md): the ResNet-18 / 64x64
# student of 2dvpd_tiny_cpu.py distilled from the SIMULATED teacher's confident frames of
# data/sports/ (tools/data/prepare.py configs/preparation/synthetic_sports.py). Every video is
# used (distillation needs no label); 20% of them, whole, are held out for validation.
# tools/run_demo.py runs it for a few minutes on a 2-core CPU.
_base_ = ['./2dvpd_tiny_cpu.py']
data_root = 'data/sports/'
ann_file = data_root + 'annotations/sports_pose.pkl'
_paths = dict(ann_file=ann_file, data_prefix=dict(img=data_root + 'rawframes'))
train_dataloader = dict(dataset=_paths)
val_dataloader = dict(dataset=_paths)
test_dataloader = dict(dataset=_paths)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=600, val_interval=200)
default_hooks = dict(checkpoint=dict(interval=200, max_keep_ckpts=1))
# a short run converges better with the learning rate annealed to ~0 (T_max = max_iters; set both)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=600, eta_min=1e-5, by_epoch=False)]
