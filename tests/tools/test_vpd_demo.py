# Copyright (c) vpd_mm contributors. All rights reserved.
"""demo/vpd_demo.py end to end on generated videos (simulated detector and teacher, a tiny
student with random weights), and the picture tools on its outputs."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.apis import extract_student_outputs, init_student, sliding_windows
from vpd_mm.ops import dtw_cost
from vpd_mm.synthetic.sports_corpus import make_sports_corpus
from vpd_mm.visualization import STATE_NAMES
from vpd_mm.visualization.overlays import STATE_COLORS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PREP = osp.join(ROOT, 'configs/preparation/synthetic_sports.py')
STUDENT = osp.join(ROOT, 'configs/vpd/2dvpd_tiny_cpu.py')
TINY = {'model.backbone.base_channels': 8}  # a ResNet-18 of 8 to 64 channels: fast on a CPU


def _tool(path):
    name = 'tool_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """Video 0 (the gallery) and video 1 (the query, with the gallery) through the demo."""
    tmp = tmp_path_factory.mktemp('demo')
    corpus = make_sports_corpus(str(tmp / 'corpus'), num_videos_per_class=1,
                                classes=['1som_tuck', '2som_pike'], image_size=(96, 72),
                                num_frames=(56, 58), test_fraction=0.0, progress=False)
    videos = [osp.join(tmp, 'corpus', 'videos', v + '.mp4') for v in corpus['videos']]
    torch.manual_seed(0)
    model, _, _ = init_student(Config.fromfile(STUDENT), None, cfg_options=TINY)
    ckpt = str(tmp / 'student.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict(note='random')), ckpt)
    ann = json.loads(open(corpus['actions_file']).read())
    gallery_name = corpus['videos'][0]
    gallery_ann = dict(ann, actions=[a for a in ann['actions'] if a['video'] == gallery_name])
    gallery_file = str(tmp / 'gallery.json')
    with open(gallery_file, 'w') as f:
        json.dump(gallery_ann, f)
    out = str(tmp / 'out')
    demo = _tool('demo/vpd_demo.py')
    common = ['--student', ckpt, '--student-config', STUDENT, '--prep-config', PREP,
              '--out-dir', out, '--quiet', '--cfg-options'] + [f'{k}={v}' for k, v in TINY.items()]
    assert demo.main([videos[0], '--no-video'] + common) == 0
    assert demo.main([videos[1], '--gallery', osp.join(out, 'features'), gallery_file,
                      '--window', '30', '--top-k', '3'] + common) == 0
    return dict(tmp=tmp, out=out, videos=videos, names=corpus['videos'], ckpt=ckpt,
                actions_file=corpus['actions_file'], gallery_ann=gallery_ann, demo=demo,
                common=common)


def test_outputs_features_neighbours_video(run, capsys):
    out, name, g_name = run['out'], run['names'][1], run['names'][0]
    summary = json.loads(open(osp.join(out, f'{name}_summary.json')).read())
    T = summary['frames']
    feats = np.load(osp.join(out, 'features', f'{name}.npy'))
    assert feats.shape == (T, 2, 26) and feats.dtype == np.float32 and np.isfinite(feats).all()
    poses = np.load(osp.join(out, 'poses', f'{name}.npy'))
    assert poses.shape == (T, 1, 26)
    index = json.loads(open(osp.join(out, 'features', 'features.json')).read())
    assert index['videos'] == {g_name: len(np.load(osp.join(out, 'features',
                                                            f'{g_name}.npy'))), name: T}
    # the student's outputs do not depend on the batching
    model, pipeline, _ = init_student(STUDENT, run['ckpt'], cfg_options=TINY)
    again = extract_student_outputs(model, pipeline, osp.join(out, 'rawframes', name), T,
                                    batch_size=7, progress=False)
    np.testing.assert_allclose(again['features'], feats, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(again['poses'], poses[:, 0], rtol=1e-4, atol=1e-5)

    # neighbours: one query per window, the gallery's action, the DTW cost recomputed pairwise
    nb = json.loads(open(osp.join(out, f'{name}_neighbours.json')).read())
    assert [(q['start_frame'], q['end_frame']) for q in nb['queries']] == sliding_windows(T, 30)
    g_feats = np.load(osp.join(out, 'features', f'{g_name}.npy'))
    (act, ) = run['gallery_ann']['actions']
    g = g_feats[act['start_frame']:act['end_frame']]
    for q in nb['queries']:
        (hit, ) = q['neighbours']
        assert hit['id'] == act['id'] and hit['class'] == '1som_tuck'
        ref = min(dtw_cost(feats[q['start_frame']:q['end_frame'], i], g[:, j])
                  for i in range(2) for j in range(2))
        assert (hit['cost'] is None and not np.isfinite(ref)) or \
            hit['cost'] == pytest.approx(ref, rel=1e-4)
    assert summary['neighbours'] == nb['queries']

    # the annotated video: one frame per prepared frame, the strip shows the teacher's states
    states = summary['frame_states']
    assert sum(states.values()) == T and states['confident'] > 0
    cap = cv2.VideoCapture(osp.join(out, f'{name}_vis.mp4'))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == T
    h, w = frames[0].shape[:2]
    assert h >= 360  # small videos are enlarged
    # far left of the strip at the last frame: frame 0's state (the cursor is at the right)
    with open(osp.join(out, 'annotations', f'{name}_pose.pkl'), 'rb') as f:
        import pickle
        ann = pickle.load(f)['annotations'][0]  # our own file
    from vpd_mm.visualization import teacher_views
    first = int(teacher_views(ann)['states'][0])
    pixel = frames[-1][h - 3, 2].astype(int)
    nearest = min(STATE_COLORS, key=lambda s: np.abs(pixel - STATE_COLORS[s]).sum())
    assert nearest == first, (pixel, STATE_NAMES[first])
    leftovers = [f for _, _, files in os.walk(out) for f in files if '.tmp' in f]
    assert leftovers == []


class _Evil:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_bad_input_is_named(run, tmp_path, capsys):
    demo, common = run['demo'], run['common']
    out = str(tmp_path / 'bad')
    args = [a if a != run['out'] else out for a in common]
    missing = str(tmp_path / 'nothere.mp4')
    assert demo.main([missing] + args) == 1
    assert f'video {missing} does not exist' in capsys.readouterr().err
    corrupt = tmp_path / 'corrupt.mp4'
    corrupt.write_bytes(os.urandom(4096))
    assert demo.main([str(corrupt)] + args) == 1
    assert f'cannot read video {corrupt}' in capsys.readouterr().err
    bad_ckpt = tmp_path / 'bad.pth'
    bad_ckpt.write_bytes(b'junk')
    i = args.index('--student')
    assert demo.main([run['videos'][0]] + args[:i + 1] + [str(bad_ckpt)] + args[i + 2:]) == 1
    assert f'{bad_ckpt}: not a readable checkpoint (' in capsys.readouterr().err
    # a checkpoint that pickles code (issue 16): refused in one line, no weights_only=False
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=_Evil(str(tmp_path / 'pwned'))), evil)
    assert demo.main([run['videos'][0]] + args[:i + 1] + [str(evil)] + args[i + 2:]) == 1
    err = capsys.readouterr().err
    assert f'{evil}: holds objects a weights-only load refuses (' in err
    assert 'weights_only=False' not in err and not (tmp_path / 'pwned').exists()
    assert demo.main([run['videos'][0]] + args + ['--prep-cfg-options', 'conf_thr=0.999']) == 1
    assert 'no confident pose' in capsys.readouterr().err
    assert not osp.exists(osp.join(out, 'features'))  # nothing written for a failed video


def test_picture_tools_on_demo_outputs(run, tmp_path, capsys):
    out, name = run['out'], run['names'][1]
    sheet = _tool('tools/visualizations/vis_contact_sheet.py')
    png = tmp_path / 'sheet.png'
    assert sheet.main([osp.join(out, 'annotations', f'{name}_pose.pkl'),
                       osp.join(out, 'rawframes'), name, '--poses', osp.join(out, 'poses'),
                       '--num-frames', '4', '--out', str(png)]) == 0
    assert cv2.imread(str(png)) is not None
    assert sheet.main([osp.join(out, 'annotations', f'{name}_pose.pkl'),
                       osp.join(out, 'rawframes'), 'other', '--out', str(png)]) == 1
    assert "has no video 'other'" in capsys.readouterr().err

    preview = _tool('tools/visualizations/vis_track_preview.py')
    png = tmp_path / 'tracks.png'
    assert preview.main([run['videos'][1], '--prep-config', PREP, '--out', str(png),
                         '--quiet']) == 0
    assert cv2.imread(str(png)) is not None
    assert preview.main([str(tmp_path / 'none.mp4'), '--prep-config', PREP, '--out',
                         str(png)]) == 1
    assert 'none.mp4 does not exist' in capsys.readouterr().err

    strip = _tool('tools/visualizations/vis_retrieval_strip.py')
    png = tmp_path / 'strip.png'
    query = f'{name}_0'
    assert strip.main([run['actions_file'], osp.join(out, 'features'),
                       osp.join(out, 'rawframes'), '--query', query, '--out', str(png)]) == 0
    text = capsys.readouterr().out
    assert f'#1 {run["names"][0]}_0' in text and query not in text.split('\n', 1)[1]
    assert cv2.imread(str(png)) is not None
    assert strip.main([run['actions_file'], osp.join(out, 'features'),
                       osp.join(out, 'rawframes'), '--query', 'nope', '--out', str(png)]) == 1
    assert "has no action 'nope'" in capsys.readouterr().err
