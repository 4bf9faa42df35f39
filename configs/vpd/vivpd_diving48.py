# VI-VPD on Diving48: the student regresses a view-invariant pose embedding (VIPE*, D = 64) of the
# teacher's pose concatenated with the embedding of the vertically flipped pose (inverted
# athletes), d = 128. The targets are precomputed per video by `tools/embed_poses.py` into
# embeddings/vipe/<frame_dir>.npy ([T, 2, 128]: as is, horizontally flipped).
_base_ = ['./2dvpd_diving48.py']
target_dim = 128
emb_dir = 'data/diving48/embeddings/vipe'

model = dict(
    backbone=dict(out_channels=target_dim), head=dict(in_channels=target_dim))
_targets = dict(target_type='embedding', emb_dir=emb_dir)
train_dataloader = dict(dataset=_targets)
val_dataloader = dict(dataset=_targets)
test_dataloader = dict(dataset=_targets)
