# Copyright (c) vpd_mm contributors. All rights reserved.
"""The parts of one-video inference that need no video: weights, feature files, the gallery."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch

import vpd_mm  # noqa: F401
from vpd_mm.apis import (VideoInferenceError, gallery_neighbours, load_checkpoint_weights,
                         load_prep_config, sliding_windows, write_feature_array)
from vpd_mm.apis.inference_video import check_video, video_name
from vpd_mm.ops import dtw_cost
from vpd_mm.utils.paths import UnsafePathError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_sliding_windows():
    assert sliding_windows(10, 4) == [(0, 4), (2, 6), (4, 8), (6, 10)]
    assert sliding_windows(11, 4, stride=4) == [(0, 4), (4, 8), (7, 11)]  # last ends at T
    assert sliding_windows(3, 8) == [(0, 3)]
    with pytest.raises(ValueError, match='window'):
        sliding_windows(10, 0)
    with pytest.raises(ValueError, match='stride'):
        sliding_windows(10, 4, stride=0)


def _gallery(tmp_path, d=3):
    """Two videos: 'a' holds a class-0 action at frames [0, 5) and a class-1 one at [5, 9);
    'b' one class-1 action whose view 1 (the mirrored one) equals the query below."""
    rng = np.random.default_rng(0)
    fdir = tmp_path / 'features'
    fdir.mkdir()
    a = rng.normal(size=(9, 2, d)).astype(np.float32)
    b = rng.normal(size=(6, 2, d)).astype(np.float32)
    np.save(fdir / 'a.npy', a)
    np.save(fdir / 'b.npy', b)
    ann = dict(dataset='g', classes=['zero', 'one'],
               videos=dict(a=dict(fps=25.0, num_frames=9, split='train'),
                           b=dict(fps=25.0, num_frames=6, split='test')),
               actions=[dict(id='a0', video='a', start_frame=0, end_frame=5, label=0,
                             split='train'),
                        dict(id='a1', video='a', start_frame=5, end_frame=9, label=1,
                             split='train'),
                        dict(id='b0', video='b', start_frame=1, end_frame=6, label=1,
                             split='test')])
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(ann))
    return str(path), str(fdir), a, b


def _min_cost(q, g, **kw):
    """The reference: the smallest DTW cost over the view pairs, pair by pair."""
    return min(dtw_cost(q[:, i], g[:, j], **kw) for i in range(q.shape[1])
               for j in range(g.shape[1]))


def test_gallery_neighbours_costs_ranks_views(tmp_path):
    ann, fdir, a, b = _gallery(tmp_path)
    rng = np.random.default_rng(1)
    video = rng.normal(size=(12, 2, 3)).astype(np.float32)
    video[3:8, 0] = b[1:6, 1]  # frames [3, 8), view 0 = the mirrored view of action b0
    res = gallery_neighbours(video, ann, fdir, [(3, 8), (0, 12)], top_k=2)
    assert res['gallery']['actions'] == 3 and res['gallery']['classes'] == ['zero', 'one']
    q0, q1 = res['queries']
    assert (q0['start_frame'], q0['end_frame']) == (3, 8)
    assert [h['id'] for h in q0['neighbours']][0] == 'b0'
    assert q0['neighbours'][0]['cost'] == pytest.approx(0.0, abs=1e-6)
    assert q0['prediction'] == {'label': 1, 'class': 'one'}
    assert len(q1['neighbours']) == 2
    # every cost is the smallest over the view pairs of the public pairwise DTW
    acts = {'a0': a[0:5], 'a1': a[5:9], 'b0': b[1:6]}
    for q, (s, e) in zip(res['queries'], [(3, 8), (0, 12)]):
        for h in q['neighbours']:
            ref = _min_cost(video[s:e], acts[h['id']])
            assert (h['cost'] is None and not np.isfinite(ref)) or \
                h['cost'] == pytest.approx(ref, rel=1e-4, abs=1e-5)
        costs = [np.inf if h['cost'] is None else h['cost'] for h in q['neighbours']]
        assert costs == sorted(costs)
    # a named step pattern is passed on
    sym2 = gallery_neighbours(video, ann, fdir, [(3, 8)], top_k=3, step_pattern='symmetric2')
    assert sym2['step_pattern'] == 'symmetric2'
    for h in sym2['queries'][0]['neighbours']:
        assert h['cost'] == pytest.approx(
            _min_cost(video[3:8], acts[h['id']], step_pattern='symmetric2'), rel=1e-4, abs=1e-5)
    # splits restrict the gallery
    train = gallery_neighbours(video, ann, fdir, top_k=5, splits=['train'])
    assert {h['id'] for h in train['queries'][0]['neighbours']} == {'a0', 'a1'}


def test_gallery_errors(tmp_path):
    ann, fdir, a, b = _gallery(tmp_path)
    with pytest.raises(VideoInferenceError, match='d=3, the video d=4'):
        gallery_neighbours(np.zeros((5, 2, 4), np.float32), ann, fdir)
    with pytest.raises(VideoInferenceError, match=r'no labelled action in the splits \[.val.\]'):
        gallery_neighbours(np.zeros((5, 2, 3), np.float32), ann, fdir, splits=['val'])
    with pytest.raises(ValueError, match='outside the video'):
        gallery_neighbours(np.zeros((5, 2, 3), np.float32), ann, fdir, [(2, 9)])
    os.remove(osp.join(fdir, 'b.npy'))
    with pytest.raises(VideoInferenceError, match='b.npy'):
        gallery_neighbours(np.zeros((5, 2, 3), np.float32), ann, fdir)


def test_write_feature_array_index_and_mismatch(tmp_path):
    out = str(tmp_path / 'features')
    x = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    path = write_feature_array(out, 'v1', x, 'pred_feature')
    assert np.array_equal(np.load(path), x)
    write_feature_array(out, 'v2', x[:3], 'pred_feature')
    index = json.loads(open(osp.join(out, 'features.json')).read())
    assert index['dim'] == 3 and index['views'] == ['as_is', 'hflip']
    assert index['videos'] == {'v1': 4, 'v2': 3}
    assert sorted(os.listdir(out)) == ['features.json', 'v1.npy', 'v2.npy']  # no temporaries
    with pytest.raises(VideoInferenceError, match='holds other features'):
        write_feature_array(out, 'v3', np.zeros((4, 2, 5), np.float32), 'pred_feature')
    with pytest.raises(UnsafePathError):
        write_feature_array(out, '../v4', x, 'pred_feature')
    with pytest.raises(ValueError, match=r'\[T, V, d\]'):
        write_feature_array(out, 'v5', x[0], 'pred_feature')


class _Payload:
    """Anything but weights: a checkpoint holding it must be refused."""


def test_load_checkpoint_weights(tmp_path):
    model = torch.nn.Linear(3, 2)
    ref = torch.nn.Linear(3, 2)
    ckpt = tmp_path / 'ok.pth'
    torch.save(dict(state_dict={'module.' + k: v for k, v in ref.state_dict().items()},
                    meta=dict(iter=7)), ckpt)
    assert load_checkpoint_weights(model, str(ckpt)) == dict(iter=7)
    assert torch.equal(model.weight, ref.weight)  # the DataParallel prefix removed
    with pytest.raises(VideoInferenceError, match='missing.pth does not exist'):
        load_checkpoint_weights(model, str(tmp_path / 'missing.pth'))
    bad = tmp_path / 'code.pth'
    torch.save(dict(state_dict=ref.state_dict(), extra=_Payload()), bad)
    with pytest.raises(VideoInferenceError,
                       match=r'code.pth: holds objects a weights-only load refuses \(.*_Payload\)'
                       ) as err:
        load_checkpoint_weights(model, str(bad))
    assert 'weights_only=False' not in str(err.value) and '\n' not in str(err.value)
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'not a checkpoint')
    with pytest.raises(VideoInferenceError, match='junk.pth'):
        load_checkpoint_weights(model, str(junk))
    other = tmp_path / 'other.pth'
    torch.save(torch.nn.Linear(4, 2).state_dict(), other)
    with pytest.raises(VideoInferenceError, match='other.pth: the weights do not fit'):
        load_checkpoint_weights(model, str(other))


def test_prep_config_device_only_where_taken():
    real = load_prep_config(osp.join(ROOT, 'configs/preparation/video_folder.py'), 'cuda:1')
    assert real.detector.device == 'cuda:1' and real.teacher.device == 'cuda:1'
    assert 'device' not in real.flow  # DIS runs on the CPU
    sim = load_prep_config(osp.join(ROOT, 'configs/preparation/synthetic_sports.py'), 'cuda:1',
                           dict(conf_thr=0.7))
    assert 'device' not in sim.detector and 'device' not in sim.teacher
    assert sim.conf_thr == 0.7


def test_bad_videos_are_named(tmp_path):
    with pytest.raises(VideoInferenceError, match='nothere.mp4 does not exist'):
        check_video(str(tmp_path / 'nothere.mp4'))
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(os.urandom(2048))
    with pytest.raises(VideoInferenceError, match='cannot read video .*corrupt.mp4'):
        check_video(str(corrupt))
    assert video_name('/x/my clip.mp4') == 'my clip'
    assert video_name('/x/a.mp4', 'b') == 'b'
    with pytest.raises(UnsafePathError, match='--name'):
        video_name('/x/a.mp4', '../b')
