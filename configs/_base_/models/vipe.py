# VIPE*, the view-invariant pose embedder (teacher of VI-VPD): 13 normalised 2D joints x
# (x, y, score - 0.5) = 39 inputs -> Linear(39, 1024) -> ReLU -> 2 residual blocks -> D = 64
# (the paper's; the published code's default is 32). Loss per anchor: ||e1 - e2||
# + max(0, 1 - ||e1 - e_neg||) + the 3D-lifting MSE of an auxiliary decoder, weights 1.
# Size of the 3D lifting target: vpd_mm.datasets.pose3d.geometry.LIFT_DIM (placeholder).
lift_dim = 95  # vpd_mm.datasets.pose3d.geometry.LIFT_DIM
model = dict(
    type='VIPEEmbedder',
    in_channels=39,
    hidden_channels=1024,
    embed_dim=64,
    lift_dim=lift_dim,
    margin=1.0,
    loss_weights=dict(pos=1.0, neg=1.0, lift=1.0),
    dropout=0.2,
    data_preprocessor=dict(type='VIPEDataPreprocessor'))
