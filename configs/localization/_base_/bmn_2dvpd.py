# BMN on 2D-VPD student features, both flip views concatenated
# (d = 26 per flip view, feat_dim = 52). Leaf configs bmn_2dvpd_<dataset>.py set the
# dataset; see _base_/bmn_vpd.py and docs/localization.md.
_base_ = ['./bmn_vpd.py']
features = '2dvpd'
feat_dim = 52
model = dict(feat_dim=feat_dim)
