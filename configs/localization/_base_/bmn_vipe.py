# BMN on VIPE* teacher embeddings, both flip views concatenated
# (d = 128 per flip view, feat_dim = 256). Leaf configs bmn_vipe_<dataset>.py set the
# dataset; see _base_/bmn_vpd.py and docs/localization.md.
_base_ = ['./bmn_vpd.py']
features = 'vipe'
feat_dim = 256
model = dict(feat_dim=feat_dim)
