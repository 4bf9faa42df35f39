# VIPE* trained on Human3.6M 3D poses (data/h36m/data_3d_h36m.npz, VideoPose3D's file; see
# docs/data_layout.md). Positives as the VPD authors': each of the three views is, with
# probability 0.5, a view of one of Human3.6M's four calibrated cameras (the two positives from
# two different cameras), otherwise a random orthographic projection. A real view is the
# camera's 2D detection when a VideoPose3D detection file is given (the authors' real views are
# always detections), else the 3D pose projected through the camera (Human3.6M's published
# calibration, vpd_mm/datasets/pose3d/h36m_cameras.py). To use detections, set `detections`
# below or override both loaders' source, e.g. --cfg-options
#   train_dataloader.dataset.source.detections=data/h36m/data_2d_h36m_cpn_ft_h36m_dbb.npz
#   val_dataloader.dataset.source.detections=data/h36m/data_2d_h36m_cpn_ft_h36m_dbb.npz
_base_ = ['./vipe_synthetic.py']
detections = None  # path of data_2d_h36m_<detector>.npz (positions_2d + metadata), optional
source = dict(
    _delete_=True,
    type='h36m',
    path='data/h36m/data_3d_h36m.npz',
    cameras=True,
    detections=detections,
    detections_layout='auto')
_views = dict(real_view_prob=0.5, detection_prob=1.0)
train_dataloader = dict(dataset=dict(source=source, **_views))
val_dataloader = dict(dataset=dict(source=source, **_views))
test_dataloader = val_dataloader
