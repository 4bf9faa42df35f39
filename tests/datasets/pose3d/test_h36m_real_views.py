# Copyright (c) vpd_mm contributors. All rights reserved.
"""Real camera views and 2D detections of Human3.6M in VIPE*'s pair dataset."""
import zipfile

import numpy as np
import pytest
from mmaction.registry import DATASETS

import vpd_mm  # noqa: F401
import vpd_mm.datasets.pose3d  # noqa: F401  (registers VIPEPairDataset)
from vpd_mm.codecs import VIPEInputEncoder
from vpd_mm.datasets.pose3d.geometry import project_perspective
from vpd_mm.datasets.pose3d.h36m_cameras import (H36M_CALIBRATED_SUBJECTS, H36M_CAMERA_IDS,
                                                 h36m_cameras)
from vpd_mm.datasets.pose3d.readers import (H36M17_TO_KEPT, Z_UP_TO_Y_UP, load_h36m_detections,
                                            load_h36m_npz)
from vpd_mm.datasets.pose3d.synthetic import synthetic_sequences

# Human3.6M's S1, camera 54138969, as published (VideoPose3D's h36m_dataset.py)
S1_CAM0_QUAT = (0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088)
S1_CAM0_POS_MM = (1841.1070556640625, 4955.28466796875, 1563.4454345703125)
CAM0_F = (1145.0494384765625, 1143.7811279296875)
CAM0_C = (512.54150390625, 515.4514770507812)


def _quat_wxyz_to_matrix(w, x, y, z):
    """The rotation matrix of a unit quaternion, written out by hand."""
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def test_pinhole_and_distortion_against_hand_computation():
    K = np.array([[1000.0, 0.0, 500.0], [0.0, 900.0, 400.0], [0.0, 0.0, 1.0]])
    R = np.eye(3)
    t = np.array([0.0, 0.0, 4.0])
    X = np.array([[0.4, -0.2, 1.0]])  # camera coords (0.4, -0.2, 5)
    uv = project_perspective(X, R, t, K)
    np.testing.assert_allclose(uv, [[500 + 1000 * 0.4 / 5, 400 - 900 * 0.2 / 5]], atol=1e-4)
    # Brown model (k1, k2, p1, p2, k3) by hand
    dist = np.array([-0.2, 0.05, 0.001, -0.002, 0.01])
    x, y = 0.4 / 5, -0.2 / 5
    r2 = x * x + y * y
    radial = 1 + dist[0] * r2 + dist[1] * r2**2 + dist[4] * r2**3
    xd = x * radial + 2 * dist[2] * x * y + dist[3] * (r2 + 2 * x * x)
    yd = y * radial + dist[2] * (r2 + 2 * y * y) + 2 * dist[3] * x * y
    uv = project_perspective(X, R, t, K, dist)
    np.testing.assert_allclose(uv, [[500 + 1000 * xd, 400 + 900 * yd]], atol=1e-4)
    # leading shapes are kept; a rotation about y by 90 deg: x_cam = z_world
    R90 = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    pts = np.zeros((2, 3, 3))
    pts[1, 2] = [-5.0, 0.0, 1.0]  # -> camera (1, 0, 9)
    uv = project_perspective(pts, R90, np.array([0.0, 0.0, 4.0]), K)
    assert uv.shape == (2, 3, 2) and uv.dtype == np.float32
    np.testing.assert_allclose(uv[1, 2], [500 + 1000 / 9, 400], atol=1e-4)
    np.testing.assert_allclose(uv[0, 0], [500, 400], atol=1e-4)  # the origin: (0, 0, 4)


def test_h36m_calibration_in_the_y_up_world():
    assert H36M_CALIBRATED_SUBJECTS == ('S1', 'S5', 'S6', 'S7', 'S8', 'S9', 'S11')
    assert h36m_cameras('S2') is None
    cams = h36m_cameras('S1')
    assert cams['R'].shape == (4, 3, 3) and cams['K'].shape == (4, 3, 3)
    np.testing.assert_allclose(cams['K'][0], [[CAM0_F[0], 0, CAM0_C[0]], [0, CAM0_F[1], CAM0_C[1]],
                                              [0, 0, 1]])
    # a point 3 m in front of camera 0 on its optical axis lands on the principal point
    Q = _quat_wxyz_to_matrix(*S1_CAM0_QUAT)  # camera -> Human3.6M world (z up)
    pos = np.array(S1_CAM0_POS_MM) / 1000.0
    on_axis = Z_UP_TO_Y_UP @ (pos + 3.0 * Q[:, 2])  # in vpd_mm's y-up world
    uv = project_perspective(on_axis, cams['R'][0], cams['t'][0], cams['K'][0], cams['dist'][0])
    np.testing.assert_allclose(uv, CAM0_C, atol=1e-3)
    # and a point 0.5 m along the camera's x axis, 0.2 m along y: pinhole plus distortion
    p = Z_UP_TO_Y_UP @ (pos + 3.0 * Q[:, 2] + 0.5 * Q[:, 0] + 0.2 * Q[:, 1])
    x, y = 0.5 / 3, 0.2 / 3
    k1, k2, k3 = -0.20709891617298126, 0.24777518212795258, -0.0030751503072679043
    p1, p2 = -0.0009756988729350269, -0.00142447161488235
    r2 = x * x + y * y
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    uv = project_perspective(p, cams['R'][0], cams['t'][0], cams['K'][0], cams['dist'][0])
    np.testing.assert_allclose(uv, [CAM0_C[0] + CAM0_F[0] * xd, CAM0_C[1] + CAM0_F[1] * yd],
                               atol=1e-3)
    # every calibrated camera sees a person standing at the origin upright, in the image
    head, feet = np.array([0.0, 1.7, 0.0]), np.zeros(3)
    for subject in H36M_CALIBRATED_SUBJECTS:
        cams = h36m_cameras(subject)
        for c in range(len(H36M_CAMERA_IDS)):
            uv = project_perspective(np.stack([head, feet]), cams['R'][c], cams['t'][c],
                                     cams['K'][c], cams['dist'][c])
            assert uv[0, 1] < uv[1, 1]  # head above feet
            assert ((uv > 0) & (uv < 1000)).all()


def _to_h36m17(kept_y_up):
    """vpd_mm's kept joints (y up) -> VideoPose3D's 17-joint z-up layout."""
    out = np.zeros((len(kept_y_up), 17, 3))
    out[:, list(H36M17_TO_KEPT)] = kept_y_up @ Z_UP_TO_Y_UP  # inverse of Z_UP_TO_Y_UP @ x
    return out


def _write_h36m(tmp_path, frames=40):
    """A tiny data_3d_h36m.npz: S1 (calibrated) and S2 (not), each with two actions."""
    seqs = list(synthetic_sequences(4, frames, seed=3).values())
    shift = np.array([0.3, 0.0, -0.5])  # somewhere in the capture volume
    positions = {
        'S1': {'Walk': _to_h36m17(seqs[0] + shift), 'Eat': _to_h36m17(seqs[1] + shift)},
        'S2': {'Walk': _to_h36m17(seqs[2]), 'Sit': _to_h36m17(seqs[3])}}
    path = str(tmp_path / 'data_3d_h36m.npz')
    np.savez(path, positions_3d=positions)
    return path


def _write_detections(tmp_path, path_3d, det_frames=25, layout='h36m', scores=False):
    """2D 'detections' of S1/Walk: the real projections (+1 px) for the first det_frames."""
    poses = load_h36m_npz(path_3d)['S1']['Walk'][:det_frames]
    cams = h36m_cameras('S1')
    per_cam = []
    for c in range(4):
        uv = project_perspective(poses, cams['R'][c], cams['t'][c], cams['K'][c],
                                 cams['dist'][c]) + 1.0  # [T, 13, 2]
        arr = np.zeros((det_frames, 17, 3 if scores else 2), dtype=np.float32)
        index = list(H36M17_TO_KEPT) if layout == 'h36m' else [0] + list(range(5, 17))
        arr[:, index, :2] = uv
        if scores:
            arr[:, index, 2] = 0.25 + 0.05 * c
        per_cam.append(arr)
    path = str(tmp_path / f'data_2d_h36m_{layout}.npz')
    np.savez(path, positions_2d={'S1': {'Walk': per_cam}},
             metadata=dict(layout_name=layout, num_joints=17))
    return path


def _build(path, **kwargs):
    cfg = dict(type='VIPEPairDataset', source=dict(type='h36m', path=path,
                                                   subjects=['S1', 'S2']),
               real_view_prob=0.5, flip_prob=0.0)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def _xy(inputs):
    """[..., 39] encoded views -> [..., 13, 2] normalised joint coordinates."""
    return np.asarray(inputs).reshape(*np.shape(inputs)[:-1], 13, 3)[..., :2]


def test_real_views_at_the_configured_rate_and_only_with_cameras(tmp_path):
    path = _write_h36m(tmp_path)
    ds = _build(path, test_mode=True, num_samples=1000)
    metas = [ds[i]['data_samples'] for i in range(len(ds))]
    kinds = np.array([[k != 'ortho' for k in m.view_kinds] for m in metas])  # [N, 3]
    cams = np.array([m.view_cameras for m in metas])
    seqs = [m.sequence for m in metas]
    s1 = np.array([s.startswith('S1/') for s in seqs])
    assert 0.3 < s1.mean() < 0.7
    # S2 has no calibration: always random orthographic views
    assert not kinds[~s1].any() and (cams[~s1] == -1).all()
    # S1: each view real with p = 0.5, independently; both positives real with p = 0.25
    n = s1.sum()
    for v in range(3):
        assert abs(kinds[s1, v].mean() - 0.5) < 4 * np.sqrt(0.25 / n)
    both = kinds[s1, 0] & kinds[s1, 1]
    assert abs(both.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)
    # the two positives of a real pair come from two different cameras, all four are used
    assert (cams[s1][both, 0] != cams[s1][both, 1]).all()
    assert set(cams[s1][both, 0]) == {0, 1, 2, 3}
    assert ((cams >= 0) == kinds).all()
    # no cameras -> the old behaviour: a source without them, or real_view_prob=0
    off = _build(path, test_mode=True, num_samples=50, real_view_prob=0.0)
    assert all(off[i]['data_samples'].view_kinds == ('ortho', ) * 3 for i in range(50))
    no_cams = _build(path, test_mode=True, num_samples=50, real_view_prob=1.0,
                     source=dict(type='h36m', path=path, subjects=['S1'], cameras=False))
    assert all(no_cams[i]['data_samples'].view_kinds == ('ortho', ) * 3 for i in range(50))
    synth = DATASETS.build(dict(type='VIPEPairDataset', real_view_prob=1.0, test_mode=True,
                                source=dict(type='synthetic', num_sequences=4, frames=10)))
    assert all(synth[i]['data_samples'].view_kinds == ('ortho', ) * 3 for i in range(10))
    # training draws (np.random, batched) follow the same rule
    train = _build(path, real_view_prob=1.0, source=dict(type='h36m', path=path,
                                                         subjects=['S1']))
    np.random.seed(0)
    batch = train.__getitems__(list(range(64)))
    assert all(s['data_samples'].view_kinds == ('camera', ) * 3 for s in batch)
    assert all(len(set(s['data_samples'].view_cameras[:2])) == 2 for s in batch)


def test_camera_views_are_the_projections_of_the_frame(tmp_path):
    path = _write_h36m(tmp_path)
    ds = _build(path, test_mode=True, num_samples=200, real_view_prob=1.0,
                source=dict(type='h36m', path=path, subjects=['S1']))
    world = load_h36m_npz(path)['S1']
    cams = h36m_cameras('S1')
    enc = VIPEInputEncoder()
    for i in range(0, 200, 7):
        out = ds[i]
        meta = out['data_samples']
        pose = world[meta.sequence.split('/')[1]]
        for row, frame in ((0, meta.frame), (1, meta.frame), (2, meta.neg_frame)):
            if row == 2 and not bool(meta.neg_valid):
                continue
            c = meta.view_cameras[row]
            uv = project_perspective(pose[frame], cams['R'][c], cams['t'][c], cams['K'][c],
                                     cams['dist'][c])
            ref = enc.encode_kept(uv, np.ones(13))
            np.testing.assert_allclose(_xy(out['inputs'][row].numpy()), _xy(ref), atol=1e-4)
        # perspective views of two cameras differ (the positives are not copies)
        assert not np.allclose(out['inputs'][0].numpy(), out['inputs'][1].numpy())


@pytest.mark.parametrize('layout,scores', [('h36m', False), ('coco', True)])
def test_detections_are_used_where_they_exist(tmp_path, layout, scores):
    path = _write_h36m(tmp_path)
    det_path = _write_detections(tmp_path, path, det_frames=25, layout=layout, scores=scores)
    src = dict(type='h36m', path=path, subjects=['S1'], detections=det_path)
    ds = _build(path, test_mode=True, num_samples=300, real_view_prob=1.0, source=src)
    world = load_h36m_npz(path)['S1']
    cams = h36m_cameras('S1')
    enc = VIPEInputEncoder()
    seen = set()
    for i in range(300):
        out = ds[i]
        meta = out['data_samples']
        action = meta.sequence.split('/')[1]
        for row, frame in ((0, meta.frame), (1, meta.frame)):
            kind, c = meta.view_kinds[row], meta.view_cameras[row]
            has_det = action == 'Walk' and frame < 25
            assert kind == ('detection' if has_det else 'camera')
            seen.add(kind)
            uv = project_perspective(world[action][frame], cams['R'][c], cams['t'][c],
                                     cams['K'][c], cams['dist'][c])
            uv = uv + 1.0 if has_det else uv
            np.testing.assert_allclose(
                _xy(out['inputs'][row].numpy()), _xy(enc.encode_kept(uv, np.ones(13))),
                atol=1e-4)
            s = out['inputs'][row].numpy().reshape(13, 3)[:, 2] + 0.5
            if has_det and scores:  # the detector's scores
                np.testing.assert_allclose(s, 0.25 + 0.05 * c, atol=1e-6)
            else:  # simulated
                assert ((s >= 0.5) & (s <= 1.0)).all()
    assert seen == {'detection', 'camera'}
    # detection_prob=0: projections only
    proj = _build(path, test_mode=True, num_samples=30, real_view_prob=1.0, source=src,
                  detection_prob=0.0)
    assert all('detection' not in proj[i]['data_samples'].view_kinds for i in range(30))


def test_detection_reader(tmp_path):
    path = _write_h36m(tmp_path)
    det_path = _write_detections(tmp_path, path, det_frames=5, layout='coco', scores=False)
    dets = load_h36m_detections(det_path)
    assert list(dets) == ['S1'] and len(dets['S1']['Walk']) == 4
    d = dets['S1']['Walk'][2]
    assert d.shape == (5, 13, 3) and np.isnan(d[..., 2]).all()
    # the layout can be forced; a wrong one is named
    with pytest.raises(ValueError, match="layout 'body25'"):
        load_h36m_detections(det_path, layout='body25')
    bad = str(tmp_path / 'bad.npz')
    np.savez(bad, positions_2d={'S1': {'Walk': [np.zeros((4, 16, 2))]}},
             metadata=dict(layout_name='h36m'))
    with pytest.raises(ValueError, match=r'bad\.npz:S1/Walk camera 0.*\[4, 16, 2\]'):
        load_h36m_detections(bad)
    nometa = str(tmp_path / 'nometa.npz')
    np.savez(nometa, positions_2d={'S1': {}})
    with pytest.raises(ValueError, match='nometa.npz.*metadata'):
        load_h36m_detections(nometa)
    assert load_h36m_detections(nometa, layout='h36m') == {}
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        load_h36m_detections(str(tmp_path / 'missing.npz'))


class _Boom:

    def __reduce__(self):
        return (print, ('code ran',))


def test_detection_file_runs_no_code(tmp_path, capsys):
    path = str(tmp_path / 'evil.npz')
    with open(tmp_path / 'positions_2d.npy', 'wb') as f:
        np.lib.format.write_array(f, np.array([_Boom()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, 'w') as z:
        z.write(tmp_path / 'positions_2d.npy', 'positions_2d.npy')
    with pytest.raises(ValueError, match='evil.npz'):
        load_h36m_detections(path, layout='h36m')
    assert 'code ran' not in capsys.readouterr().out


def test_unknown_source_keys_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"unknown keys \['detection'\]"):
        DATASETS.build(dict(type='VIPEPairDataset', lazy_init=True,
                            source=dict(type='h36m', path='x.npz', detection='y.npz')))
    with pytest.raises(ValueError, match='real_view_prob'):
        DATASETS.build(dict(type='VIPEPairDataset', lazy_init=True, real_view_prob=1.5))


def test_h36m_config_uses_the_authors_probabilities(tmp_path):
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'vipe', 'vipe_h36m.py'))
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        ds_cfg = loader.dataset
        assert ds_cfg.real_view_prob == 0.5 and ds_cfg.detection_prob == 1.0
        assert ds_cfg.source.type == 'h36m' and ds_cfg.source.cameras
        assert ds_cfg.source.detections is None
    # sources without cameras keep random orthographic views (the class default)
    for name in ('vipe_synthetic.py', 'vipe_amass.py'):
        other = Config.fromfile(osp.join(root, 'configs', 'vipe', name))
        assert other.train_dataloader.dataset.get('real_view_prob', 0.0) == 0.0
    # the config's dataset on a tiny file with detections (S1 as the val subject here)
    path = _write_h36m(tmp_path)
    det_path = _write_detections(tmp_path, path)
    ds_cfg = cfg.val_dataloader.dataset.copy()
    ds_cfg.source = dict(ds_cfg.source, path=path, detections=det_path, subjects=['S1'])
    ds_cfg.num_samples = 400
    ds = DATASETS.build(ds_cfg)
    kinds = [k for i in range(len(ds)) for k in ds[i]['data_samples'].view_kinds]
    counts = {k: kinds.count(k) / len(kinds) for k in ('ortho', 'camera', 'detection')}
    assert 0.4 < counts['ortho'] < 0.6 and counts['detection'] > 0.1 and counts['camera'] > 0.1
