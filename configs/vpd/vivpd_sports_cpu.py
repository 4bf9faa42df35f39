# VI-VPD on the synthetic sports benchmark: the student of 2dvpd_sports_cpu.py regresses the
# VIPE* embedding (configs/vipe/vipe_synthetic_tiny.py, D = 64) of the simulated teacher's pose
# concatenated with that of the vertically flipped pose (inverted athletes), d = 128, precomputed
# by tools/embed_poses.py --vertical-flip into data/sports/embeddings/vipe/.
_base_ = ['./2dvpd_sports_cpu.py']
target_dim = 128
emb_dir = 'data/sports/embeddings/vipe'

model = dict(backbone=dict(out_channels=target_dim), head=dict(in_channels=target_dim))
_targets = dict(target_type='embedding', emb_dir=emb_dir)
train_dataloader = dict(dataset=_targets)
val_dataloader = dict(dataset=_targets)
test_dataloader = dict(dataset=_targets)
