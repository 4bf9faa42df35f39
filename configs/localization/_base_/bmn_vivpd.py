# BMN on VI-VPD student features, both flip views concatenated
# (VIPE* D = 64 per flip view, feat_dim = 128; only Diving48 concatenates the vertically flipped
# pose's embedding, d = 128, and has no BMN config). Leaf configs bmn_vivpd_<dataset>.py set the
# dataset; see _base_/bmn_vpd.py and docs/localization.md.
_base_ = ['./bmn_vpd.py']
features = 'vivpd'
feat_dim = 128
model = dict(feat_dim=feat_dim)
