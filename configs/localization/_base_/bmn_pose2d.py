# BMN on normalised 2D joints of the teacher, both flip views concatenated
# (d = 26 per flip view, feat_dim = 52). Leaf configs bmn_pose2d_<dataset>.py set the
# dataset; see _base_/bmn_vpd.py and docs/localization.md.
_base_ = ['./bmn_vpd.py']
features = 'pose2d'
feat_dim = 52
model = dict(feat_dim=feat_dim)
