# VIPE* trained on the embedded synthetic 3D pose corpus (no download): pairs of random
# orthographic views of root-centred, yaw-canonicalised 3D poses and a negative pose of the same
# sequence (VIPEPairDataset). Validation: cross-view retrieval (ViewInvarianceMetric), the best
# checkpoint by vipe/hit@1. Then `tools/embed_poses.py` writes the VI-VPD targets.
_base_ = [
    '../_base_/models/vipe.py', '../_base_/schedules/vipe_adamw.py',
    '../_base_/default_runtime.py'
]
dataset_type = 'VIPEPairDataset'
source = dict(type='synthetic', num_sequences=2000, frames=100, seed=0)

_loader = dict(batch_size=100, num_workers=2, persistent_workers=True)
train_dataloader = dict(
    **_loader,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, source=source, split='train'))
val_dataloader = dict(
    **_loader,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # every 5th frame: neighbouring frames are near duplicates that no embedding tells apart
    dataset=dict(
        type=dataset_type, source=source, split='val', test_mode=True, anchor_stride=5))
test_dataloader = val_dataloader

# hit@k among chunks of 1000 held-out poses
val_evaluator = dict(type='ViewInvarianceMetric', topk=(1, 10), num_candidates=1000)
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(save_best='vipe/hit@1', rule='greater'))
