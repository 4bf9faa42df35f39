# Copyright (c) vpd_mm contributors. All rights reserved.
"""The synthetic sports corpus: determinism, ground truth, real videos, resumability."""
import importlib.util
import json
import os
import os.path as osp

import decord
import numpy as np
import pytest

from vpd_mm.datasets import load_action_annotations
from vpd_mm.synthetic.sports_corpus import GT_KEYS, make_sports_corpus, simulate_sports_video
from vpd_mm.synthetic.sports_render import project

KW = dict(classes=['1som_tuck', '2som_pike'], image_size=(96, 72), num_frames=(56, 60),
          test_fraction=0.5, progress=False)


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('sports'))
    out = make_sports_corpus(root, num_videos_per_class=2, seed=0, **KW)
    return root, out


def _gt(root, vid):
    with np.load(osp.join(root, 'gt', f'{vid}.npz')) as z:
        return {k: z[k] for k in z.files}


def _first_frame(path):
    return decord.VideoReader(path)[0].asnumpy()


def test_deterministic_per_seed(corpus, tmp_path):
    root, _ = corpus
    other = str(tmp_path / 'again')
    make_sports_corpus(other, num_videos_per_class=1, seed=0, **KW)
    for vid in ('sports_0000', 'sports_0001'):
        a, b = _gt(root, vid), _gt(other, vid)
        assert sorted(a) == sorted(GT_KEYS)
        for k in GT_KEYS:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        np.testing.assert_array_equal(_first_frame(osp.join(root, 'videos', f'{vid}.mp4')),
                                      _first_frame(osp.join(other, 'videos', f'{vid}.mp4')))
    s0 = simulate_sports_video(0, '1som_tuck', 0, seed=0, image_size=(96, 72))
    s1 = simulate_sports_video(0, '1som_tuck', 0, seed=1, image_size=(96, 72))
    assert not np.array_equal(s0['keypoints_3d'][:5], s1['keypoints_3d'][:5])
    assert not np.array_equal(s0['panorama'][:20, :20], s1['panorama'][:20, :20])


def test_ground_truth_consistent(corpus):
    root, out = corpus
    ann = load_action_annotations(out['actions_file'])
    assert ann['classes'] == KW['classes']
    assert len(ann['actions']) == 4
    by_class = {}
    for act in ann['actions']:
        gt = _gt(root, act['video'])
        T = int(gt['num_frames'])
        assert ann['videos'][act['video']]['num_frames'] == T
        assert 0 <= act['start_frame'] < act['end_frame'] <= T
        assert act['start_frame'] < int(gt['takeoff']) < int(gt['landing']) < act['end_frame']
        assert 0 <= act['label'] < len(ann['classes']) and act['label'] == int(gt['label'])
        by_class.setdefault(act['label'], set()).add(act['split'])
        # the documented camera maps the 3D joints onto the 2D joints
        uv, depth = project(gt['keypoints_3d'].astype(np.float64), gt['camera_R'].astype(
            np.float64), gt['camera_t'].astype(np.float64), float(gt['focal']), gt['principal'])
        np.testing.assert_allclose(uv, gt['keypoints_2d'], atol=0.02)
        np.testing.assert_allclose(depth, gt['keypoints_depth'], rtol=1e-4)
        # boxes contain the joints that are in the image; the athlete is person 0
        kp, box = gt['keypoints_2d'], gt['athlete_box']
        W, H = gt['image_size']
        inside = (kp[..., 0] >= 0) & (kp[..., 0] <= W) & (kp[..., 1] >= 0) & (kp[..., 1] <= H)
        assert inside.mean() > 0.95
        ok = np.isfinite(box).all(1)
        assert ok.mean() > 0.95
        x, y = kp[ok, :, 0], kp[ok, :, 1]
        b = box[ok][:, None]
        contained = (x >= b[..., 0] - 1e-3) & (x <= b[..., 2] + 1e-3) & (
            y >= b[..., 1] - 1e-3) & (y <= b[..., 3] + 1e-3)
        assert contained[inside[ok]].all()
        np.testing.assert_array_equal(gt['person_boxes'][0], box)
        assert gt['person_boxes'].shape[:2] == (len(gt['person_ids']), T)
        assert len(gt['person_ids']) >= 2  # at least one distractor
        # the athlete goes upside down during the jump, and only then
        inv = np.flatnonzero(gt['upright_cos'] < 0)
        assert len(inv) > 0 and inv.min() >= int(gt['takeoff']) and inv.max() < int(
            gt['landing'])
        assert gt['blur'][int(gt['takeoff']):int(gt['landing'])].mean() > 2 * gt['blur'][
            :act['start_frame']].mean()
    assert all(s == {'train', 'test'} for s in by_class.values())  # stratified split


def test_videos_decode(corpus):
    root, out = corpus
    for vid in out['videos']:
        gt = _gt(root, vid)
        vr = decord.VideoReader(osp.join(root, 'videos', f'{vid}.mp4'))
        assert len(vr) == int(gt['num_frames'])
        frame = vr[len(vr) // 2].asnumpy()
        assert frame.shape == (72, 96, 3)
        assert frame.std() > 5  # not blank


def test_segment_list_reader(corpus):
    from vpd_mm.preparation.readers.segments import SegmentListReader
    root, out = corpus
    index = SegmentListReader(root, 'annotations/sports_videos.json', dataset='sports').read()
    assert index.classes == KW['classes']
    ann = load_action_annotations(out['actions_file'])
    acts = {a['video']: a for a in ann['actions']}
    for rec in index.videos:
        assert osp.isfile(rec['path'])
        (act, ) = rec['actions']
        assert act['unit'] == 'frame' and act['label'] == acts[rec['video']]['label']
        assert (act['start'], act['end']) == (acts[rec['video']]['start_frame'],
                                              acts[rec['video']]['end_frame'])


def test_resumable(tmp_path):
    root = str(tmp_path / 'c')
    kw = dict(KW, classes=['1som_pike'])
    first = make_sports_corpus(root, num_videos_per_class=2, seed=3, **kw)
    assert first['generated'] == 2
    gt_before = _gt(root, 'sports_0001')
    again = make_sports_corpus(root, num_videos_per_class=2, seed=3, **kw)
    assert again['generated'] == 0 and again['frames'] == 0
    # an interrupted run: the video is missing, a half-written temporary file is left
    final = osp.join(root, 'videos', 'sports_0001.mp4')
    os.remove(final)
    tmp = osp.join(root, 'videos', '.tmp_sports_0001.mp4')
    with open(tmp, 'wb') as f:
        f.write(b'\x00' * 100)
    redo = make_sports_corpus(root, num_videos_per_class=2, seed=3, **kw)
    assert redo['generated'] == 1 and not osp.exists(tmp)
    assert len(decord.VideoReader(final)) == int(gt_before['num_frames'])
    np.testing.assert_array_equal(_gt(root, 'sports_0001')['keypoints_2d'],
                                  gt_before['keypoints_2d'])
    # a ground-truth file cut short (a disk full, a copy stopped): that video rendered again
    gt_path = osp.join(root, 'gt', 'sports_0001.npz')
    with open(gt_path, 'r+b') as f:
        f.truncate(os.path.getsize(gt_path) // 2)
    redo = make_sports_corpus(root, num_videos_per_class=2, seed=3, **kw)
    assert redo['generated'] == 1
    np.testing.assert_array_equal(_gt(root, 'sports_0001')['keypoints_2d'],
                                  gt_before['keypoints_2d'])
    with pytest.raises(ValueError, match='other arguments'):
        make_sports_corpus(root, num_videos_per_class=2, seed=4, **kw)
    # arguments refused before anything is written: a negative seed, a name that is a path
    for bad, match in ((dict(seed=-1), 'seed must be an integer >= 0'),
                       (dict(seed=3, name='../../escape'), 'contains a path separator')):
        other = str(tmp_path / 'other')
        with pytest.raises(ValueError, match=match):
            make_sports_corpus(other, num_videos_per_class=2, **dict(kw, **bad))
        assert not osp.exists(other)
    with open(osp.join(root, 'corpus.json')) as f:
        assert json.load(f)['seed'] == 3


def test_cli_and_bad_input(corpus):
    path = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'data', 'make_sports_corpus.py')
    spec = importlib.util.spec_from_file_location('make_sports_corpus_tool', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    root, _ = corpus
    out = tool.main([
        root, '--videos-per-class', '2', '--seed', '0', '--size', '96', '72', '--frames', '56',
        '60', '--classes', '1som_tuck', '2som_pike', '--test-fraction', '0.5', '--no-progress'
    ])
    assert out['generated'] == 0 and len(out['videos']) == 4
    with pytest.raises(ValueError, match='classes'):
        make_sports_corpus(root, classes=['no_such_class'])
    with pytest.raises(ValueError, match='num_frames'):
        make_sports_corpus(root, num_frames=(20, 30))
