# The VPD authors' released VIPE* network (their FCResNet: Linear(39, 1024) -> ReLU -> 2 residual
# blocks returning block(x) - x -> Linear(1024, D)), for checkpoints converted from their
# VIPE-model.zip by tools/model_converters/vipe_from_vpd.py (docs/vpd_release.md).
# residual_sign=-1 reproduces their blocks exactly. D = 64 (the paper's); their code's default is
# 32: the converter reads D from the weights, refuses a mismatch with a clear error, and with
# --config-out writes a config of the checkpoint's exact dimensions.
# No 3D-lifting decoder (the release's decoder is per-dataset and not needed to embed poses);
# training from this config (fine-tuning) uses the synthetic pairs of vipe_synthetic.py.
_base_ = ['./vipe_synthetic.py']
lift_dim = None
model = dict(
    in_channels=39,
    hidden_channels=1024,
    embed_dim=64,
    num_blocks=2,
    dropout=0.2,
    residual_sign=-1,
    lift_dim=lift_dim)
