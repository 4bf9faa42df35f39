# BMN on VI-VPD student features, both flip views concatenated
# (d = 128 per flip view, feat_dim = 256). Leaf configs bmn_vivpd_<dataset>.py set the
# dataset; see _base_/bmn_vpd.py and docs/localization.md.
_base_ = ['./bmn_vpd.py']
features = 'vivpd'
feat_dim = 256
model = dict(feat_dim=feat_dim)
