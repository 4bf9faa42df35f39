# Runtime shared by every vpd_mm config: mmaction's registries, with vpd_mm's modules added.
default_scope = 'mmaction'
custom_imports = dict(imports=['vpd_mm'], allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # model selection by validation loss (VPDRegressionMetric's 'vpd/total_mse')
    checkpoint=dict(
        type='CheckpointHook',
        interval=1000,
        by_epoch=False,
        max_keep_ckpts=3,
        save_best='vpd/total_mse',
        rule='less'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))
# a NaN/inf loss or weight stops the run (FloatingPointError naming the iteration) before a
# checkpoint can hold it (vpd_mm/engine/hooks/non_finite_guard_hook.py)
custom_hooks = [dict(type='NonFiniteGuardHook', interval=1)]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=True)
