# BMN (mmaction2's own config: model, pipelines, schedule, ANetMetric) on VPD features exported by
# tools/data/export_localization.py. One base per feature set (bmn_<features>.py) sets feat_dim
# (= the exported dimension, written to <export>/export_report.json); leaf configs set the
# export folder as each dataset's `data_root` and the evaluators' output files (under
# '{work_dir}', see custom_hooks below); see docs/localization.md.
_base_ = ['mmaction::localization/bmn/bmn_2xb8-400x100-9e_activitynet-feature.py']
custom_imports = dict(imports=['vpd_mm'], allow_failed_imports=False)

# One feature row per frame: proposals go back to seconds with the whole video's duration
# (BMN's default interval of 16 frames would cut the last duration_frame % 16 frames).
model = dict(feature_extraction_interval=1)

# Our datasets have hundreds of videos, not ActivityNet's 10k: fewer workers, smaller batches.
# The file names are those tools/data/export_localization.py writes, relative to the export
# folder: mmengine's BaseDataset joins them with the dataset's `data_root`, which leaf configs set.
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    dataset=dict(ann_file='anno_train.json', data_prefix=dict(video='features')))
val_dataloader = dict(
    num_workers=2, persistent_workers=True,
    dataset=dict(ann_file='anno_val.json', data_prefix=dict(video='features')))
test_dataloader = dict(
    num_workers=2, persistent_workers=True,
    dataset=dict(ann_file='anno_test.json', data_prefix=dict(video='features')))

# keep the checkpoint with the best validation AUC (validation split, never test)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, save_best='auc', rule='greater',
                    max_keep_ckpts=2))
# '{work_dir}' in the evaluators' output paths (leaf configs: the proposals ANetMetric dumps, the
# result file of ProposalAPMetric) is the runner's work_dir, filled in at run time, so
# `--work-dir` moves them too
custom_hooks = [dict(type='WorkDirOutputsHook')]
# mmaction2's runtime has no seed (tools/train.py passes `randomness` to the Runner,
# which needs one)
randomness = dict(seed=0, diff_rank_seed=True)
