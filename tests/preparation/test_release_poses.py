# Copyright (c) vpd_mm contributors. All rights reserved.
"""Importing the VPD authors' released pose folders into a PoseDataset pkl."""
import base64
import gzip
import json
import os
import os.path as osp
import pickle
import runpy
import sys

import cv2
import mmengine
import numpy as np
import pytest

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.datasets import VPDPoseTargetDataset, load_feature_sequence
from vpd_mm.preparation.release import (ReleaseFormatError, box_iou, import_release_poses,
                                        read_release_video, resolve_ids)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def person(x0, y0, score=0.9, seed=0):
    """A COCO-17 detection [score, [x, y, w, h], [[x, y, s] x 17]] inside a 40 x 80 box."""
    rng = np.random.default_rng(seed)
    kp = np.stack([x0 + rng.uniform(0, 40, 17), y0 + rng.uniform(0, 80, 17),
                   np.full(17, score)], axis=1)
    return [0.99, [x0, y0, 40.0, 80.0], kp.round(3).tolist()]


def png_b64():
    ok, buf = cv2.imencode('.png', np.ones((4, 3), np.uint8) * 255)
    return base64.b64encode(buf.tobytes()).decode()


def write_video(root, name, boxes, dets, masks=None, truncate=None):
    d = osp.join(root, name)
    os.makedirs(d)
    with open(osp.join(d, 'boxes.json'), 'w') as f:
        json.dump(boxes, f)
    raw = gzip.compress(json.dumps(dets).encode())
    with open(osp.join(d, 'coco_keypoints.json.gz'), 'wb') as f:
        f.write(raw[:truncate] if truncate == 'kp' or isinstance(truncate, int) else raw)
    if masks is not None:
        raw = gzip.compress(json.dumps(masks).encode())
        with open(osp.join(d, 'mask.json.gz'), 'wb') as f:
            f.write(raw[:len(raw) // 2] if truncate == 'mask' else raw)
    return d


@pytest.fixture()
def release(tmp_path):
    """Five video folders: a good one with bystanders, tennis front/back, a truncated gzip and a
    malformed boxes.json."""
    root = str(tmp_path / 'pose')
    a = [person(100, 50, seed=t) for t in range(5)]  # the athlete, frames 0..4
    b = [person(300, 60, score=0.2, seed=10 + t) for t in range(5)]  # a bystander
    # frame 2 is missing from boxes.json; frame 4 has detections but no box either
    boxes = [[t, a[t][1]] for t in (0, 1, 3)]
    dets = [[t, [b[t], a[t]]] for t in range(5)]
    masks = [[0, [[0.95, [100, 50, 40, 80], png_b64()]]]]
    write_video(root, 'vid_a', boxes, dets, masks)
    # tennis: one point, two players; the back player's mask file is truncated (a warning only)
    write_video(root, 'front__match_10_20', [[0, a[0][1]], [1, a[1][1]]],
                [[0, [a[0]]], [1, [a[1], b[1]]]])
    write_video(root, 'back__match_10_20', [[0, b[0][1]]], [[0, [b[0]]]], masks,
                truncate='mask')
    # a truncated keypoint file, and a malformed box entry
    write_video(root, 'vid_trunc', boxes, dets, truncate=40)
    write_video(root, 'vid_bad', [[0, [1, 2, 3]]], dets)
    return dict(root=root, athlete=a, bystander=b)


def test_import_writes_pose_pkl_and_report(release, tmp_path):
    out = str(tmp_path / 'data' / 'annotations' / 'toy_pose.pkl')
    splits = dict(train=['vid_a', 'match_10_20', 'unknown_video'])
    report = import_release_poses(release['root'], out, splits=splits, progress=False)
    data = mmengine.load(out)
    anns = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(anns) == ['back__match_10_20', 'front__match_10_20', 'vid_a']
    # skipped files are reported with the file and the problem; the run went on
    skipped = {s['video']: s for s in report.skipped}
    assert sorted(skipped) == ['vid_bad', 'vid_trunc']
    assert 'truncated or corrupt gzip' in skipped['vid_trunc']['error']
    assert skipped['vid_trunc']['file'].endswith('vid_trunc/coco_keypoints.json.gz')
    assert skipped['vid_bad']['file'].endswith('vid_bad/boxes.json')
    assert 'entry #0' in skipped['vid_bad']['error']
    rep = json.load(open(osp.splitext(out)[0] + '_report.json'))
    assert rep['num_skipped'] == 2 and rep['num_imported'] == 3
    warnings = ' | '.join(w['file'] + ': ' + w['message'] for w in rep['warnings'])
    assert 'back__match_10_20/mask.json.gz' in warnings  # truncated mask: kept, warned
    assert 'unknown_video' in warnings
    # tennis point ids select both players; unknown ids are dropped
    assert data['split']['train'] == ['vid_a', 'front__match_10_20', 'back__match_10_20']

    a = anns['vid_a']
    assert a['total_frames'] == 5  # max frame_num + 1
    assert a['keypoint'].shape == (1, 5, 17, 2) and a['keypoint_score'].shape == (1, 5, 17)
    assert a['keypoint'].dtype == np.float32 and a['label'] == -1
    ath = np.asarray(release['athlete'][1][2])
    np.testing.assert_allclose(a['keypoint'][0, 1], ath[:, :2], rtol=1e-6)  # not the bystander
    np.testing.assert_allclose(a['keypoint_score'][0, 1], 0.9, rtol=1e-6)
    np.testing.assert_allclose(a['athlete_box'][1], [100, 50, 140, 130])  # x1 y1 x2 y2
    for t in (2, 4):  # no box: NaN box and keypoints even though people were detected
        assert np.isnan(a['athlete_box'][t]).all() and np.isnan(a['keypoint'][0, t]).all()
    assert np.isfinite(a['crop_box']).all() and a['num_masks'] == 1
    side = a['crop_box'][0, 2] - a['crop_box'][0, 0]
    np.testing.assert_allclose(side, 80 * 1.2, rtol=1e-5)  # square, padded 10% per side


def test_importer_output_feeds_the_distillation_dataset(release, tmp_path):
    out = str(tmp_path / 'annotations' / 'toy_pose.pkl')
    import_release_poses(release['root'], out, progress=False)
    rawframes = tmp_path / 'rawframes'
    for name in ('vid_a', 'front__match_10_20', 'back__match_10_20'):
        (rawframes / name).mkdir(parents=True)
    ds = VPDPoseTargetDataset(ann_file=out, pipeline=[], data_prefix=dict(img=str(rawframes)),
                              split='all', with_motion=False)
    frames = sorted((d['frame_dir'], d['frame_idx']) for d in ds.load_data_list())
    # confident frames: vid_a 0, 1, 3; front 0, 1; the back player's pose scores 0.2
    assert frames == [('front__match_10_20', 0), ('front__match_10_20', 1), ('vid_a', 0),
                      ('vid_a', 1), ('vid_a', 3)]
    assert ds.stats['frames_nonfinite_pose'] == 2 and ds.stats['frames_low_conf'] == 1
    item = next(d for d in ds.load_data_list() if d['frame_dir'] == 'vid_a' and
                d['frame_idx'] == 3)
    ath = np.asarray(release['athlete'][3][2])[:, :2]
    np.testing.assert_allclose(item['pose_target'], PoseNormalizer().encode_views(ath), atol=1e-5)


def test_frame_count_source_and_iou_threshold(release, tmp_path):
    vid = osp.join(release['root'], 'vid_a')
    ann, warnings = read_release_video(vid, num_frames=8, img_shape=(360, 640), masks=False)
    assert ann['total_frames'] == 8 and ann['img_shape'] == (360, 640)
    assert np.isnan(ann['keypoint'][0, 5:]).all() and ann['num_masks'] is None
    ann, warnings = read_release_video(vid, num_frames=2)
    assert ann['total_frames'] == 2 and any('dropped' in m for _, m in warnings)
    # a box shifted by half its width: IoU 1/3 -> no pose at 0.5, the athlete's at 0.3
    with open(osp.join(vid, 'boxes.json'), 'w') as f:
        json.dump([[0, [120, 50, 40, 80]]], f)
    ann, warnings = read_release_video(vid)
    assert np.isnan(ann['keypoint'][0, 0]).all() and any('IoU' in m for _, m in warnings)
    ann, _ = read_release_video(vid, iou_thr=0.3)
    np.testing.assert_allclose(ann['keypoint'][0, 0],
                               np.asarray(release['athlete'][0][2])[:, :2], rtol=1e-6)
    np.testing.assert_allclose(box_iou(np.array([0., 0, 2, 2]), np.array([[1., 0, 3, 2]])),
                               [1 / 3])


def test_bad_files_name_the_file(tmp_path):
    d = tmp_path / 'v'
    d.mkdir()
    with pytest.raises(ReleaseFormatError, match=r'no boxes\.json'):
        read_release_video(str(d))
    (d / 'boxes.json').write_text('[[0, [0, 0, 10, 10]]]')
    (d / 'coco_keypoints.json.gz').write_bytes(
        gzip.compress(json.dumps([[0, [[0.9, [0, 0, 10, 10], [[1, 2, 0.5]] * 16]]]]).encode()))
    with pytest.raises(ReleaseFormatError, match=r'coco_keypoints\.json\.gz: .*17 keypoints'):
        read_release_video(str(d))
    assert resolve_ids(['p', 'x'], ['front__p', 'back__p', 'q']) == (['front__p', 'back__p'],
                                                                     ['x'])


def test_one_command_imports_poses(release, tmp_path, monkeypatch, capsys):
    out_root = tmp_path / 'data' / 'toy'
    ids = tmp_path / 'test.ids.txt'
    ids.write_text('vid_a\n')
    counts = tmp_path / 'counts.json'
    counts.write_text(json.dumps({'vid_a': 6, 'match_10_20': 3}))
    emb = tmp_path / 'emb'  # released features of vid_a, aligned to its 6 frames
    emb.mkdir()
    with open(emb / 'vid_a.emb.pkl', 'wb') as f:
        pickle.dump([(1, np.ones((2, 4), np.float32), {})], f)
    monkeypatch.setattr(sys, 'argv', [
        'import_vpd_release.py', str(out_root), '--poses', release['root'], '--split',
        f'test={ids}', '--num-frames', str(counts), '--features', f'vipe={emb}', '--no-progress'
    ])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(osp.join(ROOT, 'tools', 'data', 'import_vpd_release.py'),
                       run_name='__main__')
    assert exc.value.code == 0
    data = mmengine.load(str(out_root / 'annotations' / 'toy_pose.pkl'))
    lengths = {a['frame_dir']: a['total_frames'] for a in data['annotations']}
    assert lengths == {'vid_a': 6, 'front__match_10_20': 3, 'back__match_10_20': 3}
    assert data['split'] == {'test': ['vid_a']}
    feats = load_feature_sequence(str(out_root / 'features' / 'vipe'), 'vid_a')
    assert feats.shape == (6, 2, 4) and np.isnan(feats[[0, 2, 3, 4, 5]]).all()
    printed = capsys.readouterr().out
    assert 'skipped 2' in printed and 'vid_trunc' in printed
