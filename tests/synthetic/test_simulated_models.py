# Copyright (c) vpd_mm contributors. All rights reserved.
"""The simulated person detector and pose teacher of the sports corpus."""
import os.path as osp

import numpy as np
import pytest
from mmaction.registry import TASK_UTILS

import vpd_mm.synthetic  # noqa: F401  (registers the simulated models)
from vpd_mm.codecs import COCO_FLIP_INDICES
from vpd_mm.synthetic.simulated_models import load_gt
from vpd_mm.synthetic.sports_corpus import make_sports_corpus
from vpd_mm.utils.io import FileFormatError

W, H = 96, 72
NO_NOISE = dict(jitter=0.0, motion_jitter=0.0, inverted_jitter=0.0, collapse=0.0, drop_rate=0.0)


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('sim_models'))
    out = make_sports_corpus(root, num_videos_per_class=3, classes=['1som_tuck', '2som_tuck'],
                             image_size=(W, H), num_frames=(56, 64), seed=1, progress=False)
    recs = []
    for vid in out['videos']:
        gt_file = osp.join(root, 'gt', f'{vid}.npz')
        gt = load_gt(gt_file)
        recs.append((dict(video=vid, gt_file=gt_file), gt))
    return recs


def _frames(n, w=W, h=H):
    return np.zeros((n, h, w, 3), np.uint8)


def _all(gt):
    return np.arange(int(gt['num_frames']), dtype=np.int64)


def _iou(a, b):
    lt, rb = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
    inter = np.prod(np.clip(rb - lt, 0, None))
    return inter / (np.prod(a[2:] - a[:2]) + np.prod(b[2:] - b[:2]) - inter)


def test_detector_finds_everyone_on_clean_frames(videos):
    det = TASK_UTILS.build(dict(type='SimulatedPersonDetector', miss_rate=0.0,
                                false_positive_rate=0.0, box_jitter=0.0, blur_miss=0.0,
                                small_miss=0.0, partial_miss=0.0))
    for video, gt in videos:
        idx = _all(gt)
        out = det(_frames(len(idx)), video, frame_indices=idx)
        assert len(out) == len(idx)
        for t, d in zip(idx, out):
            assert d.dtype == np.float32 and d.shape[1] == 5
            assert ((d[:, 4] >= 0) & (d[:, 4] <= 1)).all()
            gt_boxes = gt['person_boxes'][:, t]
            gt_boxes = gt_boxes[np.isfinite(gt_boxes).all(1)]
            assert len(d) == len(gt_boxes)
            for b in gt_boxes:
                assert max(_iou(b, x[:4]) for x in d) > 0.999
    # frames at another size: boxes scale with them
    video, gt = videos[0]
    out = det(_frames(3, 2 * W, 2 * H), video, frame_indices=np.arange(3))
    ath = gt['athlete_box'][0]
    assert max(_iou(2 * ath, x[:4]) for x in out[0]) > 0.999


def test_detector_miss_and_false_positive_rates(videos):
    det = TASK_UTILS.build(dict(type='SimulatedPersonDetector', miss_rate=0.2,
                                false_positive_rate=0.5, blur_miss=0.0, small_miss=0.0,
                                partial_miss=0.0, seed=3))
    found = total = n_fp = frames = 0
    tp_scores, fp_scores = [], []
    for video, gt in videos:
        idx = _all(gt)
        out = det(_frames(len(idx)), video, frame_indices=idx)
        for t, d in zip(idx, out):
            gt_boxes = gt['person_boxes'][:, t]
            gt_boxes = gt_boxes[np.isfinite(gt_boxes).all(1)]
            matched = np.zeros(len(d), bool)
            for b in gt_boxes:
                ious = np.array([_iou(b, x[:4]) for x in d]) if len(d) else np.zeros(0)
                if len(ious) and ious.max() > 0.7:
                    matched[ious.argmax()] = True
            found += matched.sum()
            total += len(gt_boxes)
            n_fp += (~matched).sum()
            frames += 1
            tp_scores += list(d[matched, 4])
            fp_scores += list(d[~matched, 4])
    assert abs(1 - found / total - 0.2) < 0.04
    assert abs(n_fp / frames - 0.5) < 0.12
    assert np.mean(fp_scores) < np.mean(tp_scores) - 0.3
    # blur makes misses more likely: the default detector misses more in the air
    det = TASK_UTILS.build(dict(type='SimulatedPersonDetector', miss_rate=0.0, blur_miss=1.0,
                                false_positive_rate=0.0, small_miss=0.0, partial_miss=0.0))
    air = ground = n_air = n_ground = 0
    for video, gt in videos:
        idx = _all(gt)
        out = det(_frames(len(idx)), video, frame_indices=idx)
        has = np.array([any(_iou(gt['athlete_box'][t], x[:4]) > 0.7 for x in d)
                        for t, d in zip(idx, out)])
        in_air = (idx >= gt['takeoff']) & (idx < gt['landing'])
        air += (~has[in_air]).sum()
        n_air += in_air.sum()
        ground += (~has[~in_air]).sum()
        n_ground += (~in_air).sum()
    assert air / n_air > ground / n_ground + 0.1


def test_teacher_deterministic_and_chunking(videos):
    video, gt = videos[0]
    idx = _all(gt)
    a = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', seed=0))
    b = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', seed=0))
    c = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', seed=1))
    boxes = gt['athlete_box']
    kp_a, sc_a = a(_frames(len(idx)), boxes, video, frame_indices=idx)
    assert kp_a.shape == (len(idx), 17, 2) and sc_a.shape == (len(idx), 17)
    assert kp_a.dtype == np.float32 and sc_a.dtype == np.float32
    assert ((sc_a >= 0) & (sc_a <= 1)).all()
    # chunks in another order give the same frames
    parts = [idx[20:], idx[:20]]
    chunks = [b(_frames(len(p)), boxes[p], video, frame_indices=p) for p in parts]
    np.testing.assert_array_equal(np.concatenate([chunks[1][0], chunks[0][0]]), kp_a)
    np.testing.assert_array_equal(np.concatenate([chunks[1][1], chunks[0][1]]), sc_a)
    kp_c, _ = c(_frames(len(idx)), boxes, video, frame_indices=idx)
    assert not np.allclose(kp_a, kp_c)


def test_teacher_nan_without_box_and_wrong_box(videos):
    video, gt = videos[1]
    idx = np.arange(10, dtype=np.int64)
    boxes = gt['athlete_box'][idx].copy()
    boxes[[2, 5]] = np.nan
    boxes[7] = [0, 0, 8, 8]  # a box that misses the athlete
    teacher = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', **NO_NOISE))
    out = teacher.simulate(_frames(10), boxes, video, frame_indices=idx)
    kp, sc = out['keypoints'], out['scores']
    assert np.isnan(kp[[2, 5]]).all() and (sc[[2, 5]] == 0).all()
    assert np.isfinite(np.delete(kp, [2, 5], axis=0)).all()
    assert out['wrong_box'][7] and sc[7].mean() < 0.2
    assert ((kp[7] >= 0) & (kp[7] <= 8)).all()


def test_teacher_error_larger_when_unconfident(videos):
    teacher = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', seed=0))
    err, conf = [], []
    for video, gt in videos:
        idx = _all(gt)
        out = teacher.simulate(_frames(len(idx)), gt['athlete_box'], video, frame_indices=idx)
        err.append(np.nanmean(out['error'], axis=1))
        conf.append(out['scores'].mean(axis=1))
    err, conf = np.concatenate(err), np.concatenate(conf)
    ok = conf >= 0.5
    assert 0.4 < ok.mean() < 0.85
    assert err[~ok].mean() > 2 * err[ok].mean()
    assert np.corrcoef(err, conf)[0, 1] < -0.4


def test_teacher_swaps_at_configured_rate(videos):
    teacher = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', swap_rate=0.2, side_gain=0.0,
                                    back_gain=0.0, **NO_NOISE))
    swapped = []
    for video, gt in videos:
        idx = _all(gt)
        out = teacher.simulate(_frames(len(idx)), gt['athlete_box'], video, frame_indices=idx)
        s = out['swapped']
        gt_kp = np.clip(out['gt'], gt['athlete_box'][:, None, :2], gt['athlete_box'][:, None, 2:])
        np.testing.assert_allclose(out['keypoints'][~s], gt_kp[~s], atol=1e-3)
        np.testing.assert_allclose(out['keypoints'][s], gt_kp[s][:, COCO_FLIP_INDICES],
                                   atol=1e-3)
        swapped.append(s)
    rate = np.concatenate(swapped).mean()
    assert abs(rate - 0.2) < 0.08
    # side-on and back views swap more
    p = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', swap_rate=0.05)).swap_probability(
        np.array([1.0, 0.0, -1.0]))
    assert p[0] == pytest.approx(0.05) and p[0] < p[1] < p[2]


def test_interface_errors(videos):
    video, gt = videos[0]
    teacher = TASK_UTILS.build(dict(type='SimulatedPoseTeacher'))
    det = TASK_UTILS.build(dict(type='SimulatedPersonDetector'))
    boxes = gt['athlete_box'][:4]
    with pytest.raises(ValueError, match='frame_indices'):
        teacher(_frames(4), boxes, video)
    with pytest.raises(ValueError, match='frame_indices'):
        det(_frames(4), video)
    with pytest.raises(ValueError, match='frame_indices'):
        det(_frames(4), video, frame_indices=np.arange(3))
    with pytest.raises(IndexError):
        det(_frames(1), video, frame_indices=np.array([10 ** 6]))
    with pytest.raises(KeyError, match='gt_file'):
        det(_frames(1), dict(video='x'), frame_indices=np.array([0]))
    with pytest.raises(ValueError, match='boxes'):
        teacher(_frames(4), boxes[:2], video, frame_indices=np.arange(4))
    # the corpus layout lets the gt file be found from the video path
    root = osp.dirname(osp.dirname(video['gt_file']))
    by_path = dict(video=video['video'], path=osp.join(root, 'videos', video['video'] + '.mp4'))
    np.testing.assert_array_equal(
        det(_frames(2), by_path, frame_indices=np.arange(2))[1],
        det(_frames(2), video, frame_indices=np.arange(2))[1])


def test_teacher_error_grows_with_the_blur_it_is_told(videos, tmp_path):
    """The same video and seed, its ground-truth joint speeds (hence exposure blur) scaled."""
    video, gt = videos[0]
    params = dict(jitter=0.01, inverted_jitter=0.0, collapse=0.0, drop_rate=0.0, swap_rate=0.0)
    teacher = TASK_UTILS.build(dict(type='SimulatedPoseTeacher', seed=0, **params))
    idx = _all(gt)
    errors = []
    for i, gain in enumerate((0.0, 1.0, 4.0)):
        scaled = dict(gt, speed=gt['speed'] * gain)
        path = tmp_path / f'gain{i}' / osp.basename(video['gt_file'])  # same stem: same draws
        path.parent.mkdir()
        np.savez(path, **scaled)
        out = teacher.simulate(_frames(len(idx)), gt['athlete_box'],
                               dict(video=video['video'], gt_file=str(path)), frame_indices=idx)
        errors.append(float(np.nanmean(out['error'])))
    assert errors[0] < errors[1] < errors[2]
    assert errors[2] > 2 * errors[0]


def test_load_gt_refuses_hostile_files_naming_file_and_key(videos, tmp_path):
    """Damaged, empty, pickled or incomplete ground truth: a FileFormatError (a ValueError)
    naming the file and the array (were BadZipFile, EOFError, numpy's ValueError, KeyError)."""
    _, gt = videos[0]
    T, P = len(gt['keypoints_2d']), len(gt['person_boxes'])

    def fails(name, problem, data=None, **arrays):
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        else:
            np.savez(path, **arrays)
        with pytest.raises(FileFormatError) as err:
            load_gt(str(path))
        assert isinstance(err.value, ValueError)
        assert str(err.value).startswith(f'{path}: ') and problem in str(err.value), err.value

    fails('corrupt.npz', 'not a zip archive', b'PK\x03\x04junk')
    fails('empty.npz', 'not a zip archive', b'')
    fails('pickled.npz', "array 'class_name' is not readable (ValueError: Object arrays",
          **dict(gt, class_name=np.array([{'a': 1}], dtype=object)))
    fails('missing.npz', "no 'person_boxes' array",
          **{k: v for k, v in gt.items() if k != 'person_boxes'})
    fails('strings.npz', "'focal' must be a numeric array of shape [], got <U3 []",
          **dict(gt, focal=np.array('far')))
    fails('frames.npz', f"'speed' must be a numeric array of shape [T={T}, 17], got float32 "
          f'[{T - 1}, 17]', **dict(gt, speed=gt['speed'][1:]))
    fails('people.npz', f"'person_visibility' must be a numeric array of shape [P={P}, T={T}]",
          **dict(gt, person_visibility=gt['person_visibility'][:, :2]))
    fails('nobody.npz', "'person_boxes' must be a numeric array of shape [P=0, T=",
          **dict(gt, person_boxes=np.zeros((0, T, 4), np.float32)))
    fails('size.npz', 'image_size and focal must be positive, got [0, 72]',
          **dict(gt, image_size=np.array([0, 72])))
    np.savez(tmp_path / 'ok.npz', **gt)  # the control: the same arrays load
    back = load_gt(str(tmp_path / 'ok.npz'))
    assert sorted(back) == sorted(gt) and (back['keypoints_2d'] == gt['keypoints_2d']).all()
