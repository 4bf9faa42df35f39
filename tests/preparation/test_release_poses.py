# Copyright (c) vpd_mm contributors. All rights reserved.
"""Importing the VPD authors' released pose folders into a PoseDataset pkl."""
import base64
import gzip
import io
import json
import os
import os.path as osp
import pickle
import re
import runpy
import sys

import cv2
import mmengine
import numpy as np
import pytest

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.datasets import VPDPoseTargetDataset, load_feature_sequence
from vpd_mm.datasets.transforms import LoadVPDFrame, VPDBackgroundNoise
from vpd_mm.preparation.release import (ReleaseFormatError, box_iou, import_release_poses,
                                        read_frame_counts, read_release_video, resolve_ids)
from vpd_mm.preparation.release.masks import import_release_masks
from vpd_mm.preparation.release.poses import NothingImportedError, scan_release_videos

MAX_FRAMES = 'vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO'
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def person(x0, y0, score=0.9, seed=0):
    """A COCO-17 detection [score, [x, y, w, h], [[x, y, s] x 17]] inside a 40 x 80 box."""
    rng = np.random.default_rng(seed)
    kp = np.stack([x0 + rng.uniform(0, 40, 17), y0 + rng.uniform(0, 80, 17),
                   np.full(17, score)], axis=1)
    return [0.99, [x0, y0, 40.0, 80.0], kp.round(3).tolist()]


def png_b64(mask=None):
    """A mask as the authors encode it (``util/io.py`` ``encode_png``): a 1-bit PNG of a bool
    array, base64 in lines of 76 characters. Defaults to the left half of a 40 x 80 box."""
    from PIL import Image
    if mask is None:
        mask = np.zeros((80, 40), bool)
        mask[:, :20] = True
    stream = io.BytesIO()
    Image.fromarray(mask).save(stream, format='png', optimize=True)
    return base64.encodebytes(stream.getvalue()).decode()


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
    bystander_mask = png_b64(np.ones((80, 40), bool))
    masks = [
        [0, [[0.95, [100, 50, 40, 80], png_b64()]]],
        # a bystander's mask scores higher, the athlete's matches the box
        [1, [[0.99, [300, 60, 40, 80], bystander_mask], [0.9, [100, 50, 40, 80], png_b64()]]],
        [2, [[0.95, [100, 50, 40, 80], png_b64()]]],  # no athlete box in frame 2
        [3, [[0.7, [100, 50, 40, 80], png_b64()]]],  # score <= 0.8: not used
    ]
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
    assert np.isfinite(a['crop_box']).all() and a['num_masks'] == 5
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


def _mask_crop_96():
    """vid_a's athlete mask in its 96 px crop, by hand: box (100, 50, 40, 80) -> crop box
    (72, 42, 168, 138) (side 80 * 1.2 around the centre (120, 90)), 1 crop px per image px; the
    mask is the left half of the box: crop rows 50 - 42 .. 130 - 42, cols 100 - 72 .. 120 - 72."""
    expected = np.zeros((96, 96), bool)
    expected[8:88, 28:48] = True
    return expected


def test_masks_survive_import(release, tmp_path):
    out = str(tmp_path / 'annotations' / 'toy_pose.pkl')
    import_release_poses(release['root'], out, progress=False)
    rawframes = tmp_path / 'rawframes'
    (rawframes / 'vid_a').mkdir(parents=True)
    cv2.imwrite(str(rawframes / 'vid_a' / 'mask_00005.png'), np.full((96, 96), 255, np.uint8))
    report = import_release_masks(release['root'], out, str(rawframes), crop_size=96,
                                  progress=False)
    # frames 0 and 1 have the athlete's mask; 2 has no box, 3 a low score, 4 no mask
    files = sorted(p.name for p in (rawframes / 'vid_a').iterdir())
    assert files == ['mask_00001.png', 'mask_00002.png']  # the stale mask_00005 is gone
    for name in files:
        mask = cv2.imread(str(rawframes / 'vid_a' / name), cv2.IMREAD_UNCHANGED)
        assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 255}
        np.testing.assert_array_equal(mask == 255, _mask_crop_96())  # not the bystander's
    assert report.imported == ['vid_a'] and report.extra['frames_with_mask'] == 2
    skipped = {s['video']: s for s in report.skipped}
    assert list(skipped) == ['back__match_10_20']  # its truncated mask file, named
    assert skipped['back__match_10_20']['file'].endswith('back__match_10_20/mask.json.gz')
    assert not (rawframes / 'back__match_10_20').exists()
    warned = {w['video'] for w in report.warnings}
    assert 'front__match_10_20' in warned  # no mask file: the box will be used
    rep = json.load(open(osp.splitext(out)[0] + '_masks_report.json'))
    assert rep['num_imported'] == 1 and rep['frames_with_mask'] == 2
    assert not [p for p in (rawframes / 'vid_a').iterdir() if '.tmp.' in p.name]

    # the training pipeline reads it and the noise spares the athlete's pixels exactly
    rng = np.random.default_rng(0)
    crop = rng.integers(60, 200, (96, 96, 3), dtype=np.uint8)
    cv2.imwrite(str(rawframes / 'vid_a' / 'img_00001.jpg'), crop)
    for axis in 'xy':
        cv2.imwrite(str(rawframes / 'vid_a' / f'flow_{axis}_00001.jpg'),
                    np.full((96, 96), 128, np.uint8))
    sample = LoadVPDFrame(with_mask=True)(dict(frame_path=str(rawframes / 'vid_a'), frame_idx=0))
    np.testing.assert_array_equal(sample['athlete_mask'], _mask_crop_96())
    clean = sample['imgs'].copy()
    np.random.seed(0)
    noisy = VPDBackgroundNoise()(sample)['imgs']
    same = (noisy == clean).all(axis=2)
    athlete = _mask_crop_96()
    assert same[athlete].all() and (~same[~athlete]).mean() > 0.9


def test_masks_follow_the_existing_crop_size(release, tmp_path):
    out = str(tmp_path / 'annotations' / 'toy_pose.pkl')
    import_release_poses(release['root'], out, progress=False)
    folder = tmp_path / 'rawframes' / 'vid_a'
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / 'img_00001.jpg'), np.zeros((48, 48, 3), np.uint8))  # 48 px crops
    import_release_masks(release['root'], out, str(tmp_path / 'rawframes'), progress=False)
    mask = cv2.imread(str(folder / 'mask_00001.png'), cv2.IMREAD_GRAYSCALE)
    # 2 image px per crop px: crop pixel u samples image x = 72.5 + 2u (bilinear), the mask
    # covers x 100..119 -> u 14..23; rows: y = 42.5 + 2v covers 50..129 -> v 4..43
    expected = np.zeros((48, 48), bool)
    expected[4:44, 14:24] = True
    np.testing.assert_array_equal(mask == 255, expected)


@pytest.mark.parametrize('case, message', [
    ('size', r'frame 0 mask #0: the PNG has 3x4 pixels, its box 40x80'),
    ('not_png', r'entry #0 \(frame 0\) mask #0: the base64 data is not a PNG'),
    ('score', r'mask #0: the score must be a finite number'),
    ('bad_png', r'frame 0 mask #0: cannot decode the PNG'),
])
def test_malformed_masks_name_the_file(tmp_path, case, message):
    root = str(tmp_path / 'pose')
    a = person(100, 50)
    mask = [0.95, [100, 50, 40, 80], png_b64()]
    if case == 'size':
        mask[2] = png_b64(np.ones((4, 3), bool))
    elif case == 'not_png':
        mask[2] = base64.b64encode(b'GIF89a, not a png at all').decode()
    elif case == 'score':
        mask[0] = 'high'
    elif case == 'bad_png':
        raw = base64.b64decode(png_b64())
        mask[2] = base64.b64encode(raw[:40]).decode()  # a truncated PNG
    write_video(root, 'vid', [[0, a[1]]], [[0, [a]]], [[0, [mask]]])
    out = str(tmp_path / 'toy_pose.pkl')
    import_release_poses(root, out, masks=False, progress=False)
    rawframes = tmp_path / 'rawframes'
    report = import_release_masks(root, out, str(rawframes), progress=False)
    assert report.imported == [] and len(report.skipped) == 1
    skip = report.skipped[0]
    assert skip['file'].endswith(osp.join('vid', 'mask.json.gz'))
    assert re.search(message, skip['error']), skip['error']
    assert not rawframes.exists() or not list(rawframes.rglob('mask_*'))


def test_mask_tool(release, tmp_path, monkeypatch, capsys):
    out_root = tmp_path / 'data' / 'toy'
    import_release_poses(release['root'], str(out_root / 'annotations' / 'toy_pose.pkl'),
                         progress=False)
    monkeypatch.setattr(sys, 'argv', [
        'import_release_masks.py', str(out_root), '--poses', release['root'], '--crop-size',
        '96', '--no-progress'
    ])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(osp.join(ROOT, 'tools', 'data', 'import_release_masks.py'),
                       run_name='__main__')
    assert exc.value.code == 0
    mask = cv2.imread(str(out_root / 'rawframes' / 'vid_a' / 'mask_00002.png'),
                      cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(mask == 255, _mask_crop_96())
    printed = capsys.readouterr().out
    assert '2 of 3 frames' in printed and 'back__match_10_20' in printed
    assert osp.isfile(out_root / 'annotations' / 'toy_pose_masks_report.json')


def _video(root, boxes_text, meta=None):
    """A release folder: ``boxes_text`` as boxes.json, one detection matching the box of frame
    0, and ``meta`` as meta.json."""
    d = root / 'v'
    d.mkdir()
    (d / 'boxes.json').write_text(boxes_text)
    (d / 'coco_keypoints.json.gz').write_bytes(
        gzip.compress(json.dumps([[0, [person(100, 50)]]]).encode()))
    if meta is not None:
        (d / 'meta.json').write_text(json.dumps(meta))
    return d


@pytest.mark.parametrize('frame, message', [
    ('NaN', r'frame_num must be a non-negative integer, got nan'),
    ('Infinity', r'frame_num must be a non-negative integer, got inf'),
    ('-Infinity', r'frame_num must be a non-negative integer, got -inf'),
    ('1e300', r'frame_num 1e\+300 is beyond the 1000 frames'),
    ('1000', r'frame_num 1000 is beyond the 1000 frames a video may have .*MAX_FRAMES_PER_VIDEO'),
])
def test_frame_numbers_are_finite_and_bounded(tmp_path, monkeypatch, frame, message):
    """A frame number sizes the arrays: NaN, infinities and frames beyond the limit are refused
    with the file and the entry, not a numpy error or a gigabyte allocation."""
    monkeypatch.setattr(MAX_FRAMES, 1000)
    d = _video(tmp_path, f'[[0, [100, 50, 40, 80]], [{frame}, [1, 1, 2, 2]]]')
    with pytest.raises(ReleaseFormatError, match=message) as err:
        read_release_video(str(d), masks=False)
    assert err.value.path == str(d / 'boxes.json') and 'entry #1' in str(err.value)


def test_frame_counts_are_bounded_whatever_their_source(tmp_path, monkeypatch):
    monkeypatch.setattr(MAX_FRAMES, 1000)
    d = _video(tmp_path, '[[0, [100, 50, 40, 80]], [999, [1, 1, 2, 2]]]')
    ann, _ = read_release_video(str(d), masks=False)
    assert ann['total_frames'] == 1000  # the last frame allowed
    # a frame number of the poses beyond the limit names coco_keypoints.json.gz
    (d / 'coco_keypoints.json.gz').write_bytes(
        gzip.compress(json.dumps([[1000, [person(100, 50)]]]).encode()))
    with pytest.raises(ReleaseFormatError, match=r'coco_keypoints\.json\.gz: entry #0: '
                       r'frame_num 1000 is beyond'):
        read_release_video(str(d), masks=False)
    (d / 'coco_keypoints.json.gz').write_bytes(
        gzip.compress(json.dumps([[0, [person(100, 50)]]]).encode()))
    # --num-frames or the probe: refused, naming the video folder
    with pytest.raises(ReleaseFormatError, match=r'the frame count given .* 5000 is beyond the '
                       r'1000 frames') as err:
        read_release_video(str(d), num_frames=5000, masks=False)
    assert err.value.path == str(d)
    with pytest.raises(ReleaseFormatError, match='must be a positive integer, got nan'):
        read_release_video(str(d), num_frames=float('nan'), masks=False)
    out = str(tmp_path / 'pose.pkl')
    with pytest.raises(NothingImportedError, match='5000 is beyond') as err:
        import_release_poses(str(tmp_path), out, frame_counts={'v': 5000}, progress=False)
    report = err.value.report
    assert not report.imported and report.skipped[0]['video'] == 'v'
    assert '5000 is beyond' in report.skipped[0]['error']
    assert not osp.exists(out)  # nothing imported: nothing written
    # raising the limit lets a longer video in
    monkeypatch.setattr(MAX_FRAMES, 5000)
    assert read_release_video(str(d), num_frames=5000, masks=False)[0]['total_frames'] == 5000


@pytest.mark.parametrize('meta, warning', [
    ({'num_frames': 5000}, r'num_frames ignored: .*meta\.json: num_frames 5000 is beyond'),
    ({'num_frames': 1e300}, r'num_frames ignored: .*num_frames 1e\+300 is beyond'),
    ({'num_frames': True}, r'num_frames ignored: .*must be a positive integer, got True'),
    ({'num_frames': 'many'}, r'num_frames ignored: .*must be a positive integer'),
    ({'height': True, 'width': False}, r'height and width ignored: .*got True and False'),
    ({'height': -5, 'width': 10**12}, r'height and width ignored: they must be integers from 1'),
    ({'height': 360}, r'height and width ignored: .*got 360 and None'),
])
def test_bad_meta_fields_are_ignored_with_a_warning(tmp_path, monkeypatch, meta, warning):
    """meta.json is optional: a field of the wrong type or range is not used (the frame count
    falls back to the largest frame_num + 1) and the warning names the file and the field."""
    monkeypatch.setattr(MAX_FRAMES, 1000)
    d = _video(tmp_path, '[[0, [100, 50, 40, 80]], [3, [1, 1, 2, 2]]]', meta)
    ann, warnings = read_release_video(str(d), masks=False)
    assert ann['total_frames'] == 4 and ann['img_shape'] is None
    found = [m for f, m in warnings if f == str(d / 'meta.json') and re.search(warning, m)]
    assert found, warnings


def test_good_meta_fields_are_used(tmp_path):
    d = _video(tmp_path, '[[0, [100, 50, 40, 80]]]',
               {'num_frames': 6, 'height': 360, 'width': 640.0, 'fps': 25})
    ann, warnings = read_release_video(str(d), masks=False)
    assert ann['total_frames'] == 6 and ann['img_shape'] == (360, 640) and not warnings


def test_frame_count_files_are_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(MAX_FRAMES, 1000)
    p = tmp_path / 'counts.json'
    p.write_text(json.dumps({'a': 1000, 'b': None, 'c': 7.0}))
    assert read_frame_counts(str(p)) == {'a': 1000, 'c': 7}
    p.write_text(json.dumps({'videos': {'a': {'num_frames': 12}}, 'actions': []}))
    assert read_frame_counts(str(p)) == {'a': 12}
    for text, message in [('{"a": 1001}', r"video 'a': num_frames 1001 is beyond the 1000"),
                          ('{"a": 1e300}', r"video 'a': num_frames 1e\+300 is beyond"),
                          ('{"a": NaN}', r"video 'a': num_frames must be a positive integer"),
                          ('{"a": 0}', r"video 'a': num_frames must be a positive integer"),
                          ('{"../x": 3}', r"video name '\.\./x' contains a path separator"),
                          ('{"videos": {"..": {"num_frames": 3}}}',
                           r"video name '\.\.' (is a relative path|starts with a dot)")]:
        p.write_text(text)
        with pytest.raises(ReleaseFormatError, match=message) as err:
            read_frame_counts(str(p))
        assert err.value.path == str(p) and str(err.value).startswith(str(p))


def _bytes(*paths):
    return [open(p, 'rb').read() for p in paths]


def run_import_tool(argv, monkeypatch, capsys):
    """Run tools/data/import_vpd_release.py in-process; (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, 'argv', ['import_vpd_release.py', *map(str, argv), '--no-progress'])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(osp.join(ROOT, 'tools', 'data', 'import_vpd_release.py'),
                       run_name='__main__')
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_an_import_of_nothing_keeps_the_earlier_pkl(release, tmp_path):
    """Every video malformed, an empty folder, a folder of hidden folders only: nothing is
    written, the earlier pkl and report stay byte for byte, the error names the folder and the
    first reasons."""
    out = str(tmp_path / 'annotations' / 'toy_pose.pkl')
    report_file = osp.splitext(out)[0] + '_report.json'
    import_release_poses(release['root'], out, progress=False)
    before = _bytes(out, report_file)

    bad = tmp_path / 'bad'
    a = release['athlete']
    for name in ('v1', 'v2', 'v3', 'v4'):
        write_video(str(bad), name, [[0, [1, 2, 3]]], [[0, [a[0]]]])
    with pytest.raises(NothingImportedError) as err:
        import_release_poses(str(bad), out, progress=False)
    msg = str(err.value)
    assert err.value.path == str(bad) and msg.startswith(f'{bad}: nothing imported: all 4 video '
                                                         'folders were skipped (')
    assert str(bad / 'v1' / 'boxes.json') + ': entry #0' in msg and '; and 1 more)' in msg
    assert str(bad / 'v4') not in msg  # the first three reasons only
    assert msg.endswith(f'nothing was written, {out} is left as it was')
    assert '\n' not in msg and len(err.value.report.skipped) == 4
    assert _bytes(out, report_file) == before

    empty = tmp_path / 'empty'
    (empty / '.ipynb_checkpoints' / 'v1').mkdir(parents=True)  # hidden: not a video
    (empty / 'notes.txt').write_text('a file, not a video folder')
    with pytest.raises(NothingImportedError, match=f'{empty}: nothing imported: it holds no '
                       'video folder; nothing was written'):
        import_release_poses(str(empty), out, progress=False)
    assert _bytes(out, report_file) == before
    fresh = tmp_path / 'fresh' / 'pose.pkl'
    with pytest.raises(NothingImportedError, match=r'no video folder; nothing was written$'):
        import_release_poses(str(empty), str(fresh), progress=False)
    assert not (tmp_path / 'fresh').exists()


def test_hidden_folders_are_ignored_and_unsafe_names_skipped(release, tmp_path):
    """A dot-folder (.ipynb_checkpoints) is not a video; a folder name that cannot be a
    frame_dir is skipped with the reason; the other videos are imported."""
    root = tmp_path / 'odd_names'
    a = release['athlete']
    write_video(str(root), 'good', [[0, a[0][1]]], [[0, [a[0]]]])
    write_video(str(root), '.ipynb_checkpoints', [[0, a[0][1]]], [[0, [a[0]]]])
    write_video(str(root), 'tab\tname', [[0, a[0][1]]], [[0, [a[0]]]])
    bad_bytes = os.fsdecode(b'caf\xe9')  # Latin-1, not UTF-8
    write_video(str(root), bad_bytes, [[0, a[0][1]]], [[0, [a[0]]]])
    assert scan_release_videos(str(root))[0] == ['good']
    out = str(tmp_path / 'pose.pkl')
    report = import_release_poses(str(root), out, progress=False)
    assert report.imported == ['good']
    assert [a['frame_dir'] for a in mmengine.load(out)['annotations']] == ['good']
    skipped = {s['video']: s for s in report.skipped}
    assert sorted(skipped) == ['caf\\xe9', 'tab\tname']
    assert 'control character' in skipped['tab\tname']['error']
    assert 'not valid unicode' in skipped['caf\\xe9']['error']
    assert skipped['tab\tname']['file'] == str(root)
    rep = json.load(open(osp.splitext(out)[0] + '_report.json'))
    assert rep['num_skipped'] == 2 and '.ipynb_checkpoints' not in json.dumps(rep)


def test_the_tool_stops_on_a_source_of_nothing_and_keeps_the_earlier_import(
        release, tmp_path, monkeypatch, capsys):
    out_root = tmp_path / 'data' / 'toy'
    code, _, _ = run_import_tool([out_root, '--poses', release['root']], monkeypatch, capsys)
    assert code == 0
    pkl = out_root / 'annotations' / 'toy_pose.pkl'
    before = _bytes(pkl, out_root / 'annotations' / 'toy_pose_report.json')
    bad = tmp_path / 'bad'
    write_video(str(bad), 'v1', [[0, [1, 2, 3]]], [[0, [release['athlete'][0]]]])
    (bad / '.ipynb_checkpoints').mkdir()
    code, printed, err = run_import_tool([out_root, '--poses', bad], monkeypatch, capsys)
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        f'error: {bad}: nothing imported: the one video folder was skipped ({bad}/v1/'
        'boxes.json: entry #0 (frame 0): expected a box [x, y, w, h], got [1, 2, 3]); nothing '
        f'was written, {pkl} is left as it was')
    assert 'skipped v1' in printed  # the summary of what was tried
    assert _bytes(pkl, out_root / 'annotations' / 'toy_pose_report.json') == before
    assert len(mmengine.load(str(pkl))['annotations']) == 3

    # the other sources are still imported (aligned with the earlier pkl); a features source
    # of nothing leaves its earlier folder alone
    emb = tmp_path / 'emb'
    emb.mkdir()
    with open(emb / 'vid_a.emb.pkl', 'wb') as f:
        pickle.dump([(0, np.ones(4, np.float32), {})], f)
    bad_emb = tmp_path / 'bad_emb'
    bad_emb.mkdir()
    (bad_emb / 'vid_a.emb.pkl').write_bytes(b'junk')
    code, printed, err = run_import_tool(
        [out_root, '--poses', bad, '--features', f'vpd={emb}', '--features', f'other={bad_emb}'],
        monkeypatch, capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith(f'error: {bad}: nothing imported')
    assert lines[-1].startswith(f'error: {bad_emb}: nothing imported: the one .emb.pkl file was '
                                'skipped')
    assert 'features: imported 1 videos' in printed
    index = json.load(open(out_root / 'features' / 'vpd' / 'features.json'))
    assert index['videos'] == {'vid_a': 5}  # T of the earlier pkl
    assert not (out_root / 'features' / 'other').exists()
