# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/pose_features.py: normalised 2D joints of a pose pkl as [T, 2, 26] features."""
import json
import os.path as osp
import subprocess
import sys

import mmengine
import numpy as np
import pytest

from vpd_mm.apis.pose_features import pose_feature_views, write_pose_features, write_video_actions
from vpd_mm.codecs import PoseNormalizer
from vpd_mm.datasets import load_action_annotations, load_feature_sequence

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def poses(num, seed):
    rng = np.random.default_rng(seed)
    kp = rng.uniform(0, 100, (num, 17, 2)).astype(np.float32)
    return kp


def test_views_and_nan_rows():
    kp = poses(5, 0)
    kp[2, 4] = np.nan
    feats = pose_feature_views(kp)
    assert feats.shape == (5, 2, 26) and feats.dtype == np.float32
    assert np.isnan(feats[2]).all() and np.isfinite(feats[[0, 1, 3, 4]]).all()
    norm = PoseNormalizer()
    np.testing.assert_allclose(feats[0, 0], norm.encode(kp[0]), atol=1e-6)
    # view 1 is the normalised horizontally flipped pose
    np.testing.assert_allclose(feats[0, 1], norm.encode(PoseNormalizer.flip(kp[0], width=100)),
                               atol=1e-5)


def test_tool_writes_features_index_and_actions(tmp_path):
    anns = []
    for i in range(3):
        kp = poses(6 + i, i)
        gt = kp + 1.0
        kp[1] = np.nan
        anns.append(dict(frame_dir=f'v{i}', total_frames=6 + i, label=i % 2,
                         keypoint=kp[None], keypoint_score=np.ones((1, 6 + i, 17), np.float32),
                         gt_keypoint=gt))
    pkl = str(tmp_path / 'pose.pkl')
    mmengine.dump(dict(split=dict(train=['v0', 'v1'], test=['v2']), annotations=anns), pkl)
    out = tmp_path / 'pose2d'
    actions = tmp_path / 'actions.json'
    proc = subprocess.run([
        sys.executable, 'tools/pose_features.py', pkl, str(out), '--actions-json', str(actions),
        '--no-progress'
    ], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    feats = load_feature_sequence(str(out), 'v1')
    assert feats.shape == (7, 2, 26) and np.isnan(feats[1]).all()
    index = json.loads((out / 'features.json').read_text())
    assert index['dim'] == 26 and index['videos'] == {'v0': 6, 'v1': 7, 'v2': 8}
    ann = load_action_annotations(str(actions))
    assert [(a['id'], a['label'], a['split'], a['end_frame']) for a in ann['actions']] == [
        ('v0', 0, 'train', 6), ('v1', 1, 'train', 7), ('v2', 0, 'test', 8)]
    assert ann['classes'] == ['class 0', 'class 1']  # the corpus names none
    # ground-truth joints: no NaN row, and a translation of the pose leaves them unchanged
    gt_dir = tmp_path / 'gt'
    proc = subprocess.run([
        sys.executable, 'tools/pose_features.py', pkl, str(gt_dir), '--keypoint-key',
        'gt_keypoint', '--no-progress'
    ], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    gt = load_feature_sequence(str(gt_dir), 'v1')
    assert np.isfinite(gt).all()
    np.testing.assert_allclose(gt[0], feats[0], atol=1e-5)
    # the teacher's joints written into the ground truth's folder: every video written again
    # (not the ground truth's files kept); the same call again keeps them all
    res = write_pose_features(pkl, str(gt_dir), progress=False)
    assert res['num_written'] == 3 and res['num_skipped'] == 0
    np.testing.assert_array_equal(load_feature_sequence(str(gt_dir), 'v1'), feats)
    res = write_pose_features(pkl, str(gt_dir), progress=False)
    assert res['num_written'] == 0 and res['num_skipped'] == 3
    # files without a record of their source but this writer's index (an older version):
    # written again
    (gt_dir / 'source.json').unlink()
    assert write_pose_features(pkl, str(gt_dir), progress=False)['num_written'] == 3
    # a folder of other files (a student's features: its own index, no record): refused,
    # nothing touched, unless overwrite
    student = tmp_path / 'student'
    student.mkdir()
    np.save(student / 'v0.npy', np.zeros((6, 2, 26), np.float32))
    (student / 'features.json').write_text(json.dumps(dict(dim=26, views=2, videos={'v0': 6})))
    with pytest.raises(ValueError, match=r'student: holds files made by something else .*, '
                       r'e\.g\. .*v0\.npy: choose another output folder'):
        write_pose_features(pkl, str(student), progress=False)
    assert sorted(p.name for p in student.iterdir()) == ['features.json', 'v0.npy']
    assert (np.load(student / 'v0.npy') == 0).all()
    res = write_pose_features(pkl, str(student), overwrite=True, progress=False)
    assert res['num_written'] == 3
    # a missing key is named
    with pytest.raises(KeyError, match="v0.*'nope'"):
        write_pose_features(pkl, str(tmp_path / 'x'), keypoint_key='nope', progress=False)


def _tool(argv):
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    try:
        import pose_features as tool
    finally:
        sys.path.pop(0)
    return tool.main(argv)


def test_actions_json_carries_the_corpus_class_names(tmp_path, capsys):
    """Audit item 13: --actions-json wrote 'class 0', 'class 1'... for the toy corpus, whose
    classes have names (make_toy_corpus writes them as the annotations' class_name)."""
    from vpd_mm.synthetic import make_toy_corpus
    corpus = make_toy_corpus(str(tmp_path / 'toy'), num_videos=3, num_frames=3, crop_size=16,
                             image_size=(48, 64), progress=False)
    out = tmp_path / 'toy' / 'annotations' / 'toy_actions.json'
    _tool([corpus['ann_file'], str(tmp_path / 'pose2d'), '--actions-json', str(out),
           '--no-progress'])
    assert 'classes: jumping_jacks, somersault, running' in capsys.readouterr().out
    ann = load_action_annotations(str(out))
    assert ann['classes'] == ['jumping_jacks', 'somersault', 'running'] == list(
        corpus['classes'])
    assert [a['label'] for a in ann['actions']] == [0, 1, 2]
    # given names win; too few for the labels is an error naming the pkl
    ann = write_video_actions(corpus['ann_file'], str(out), classes=['a', 'b', 'c'])
    assert ann['classes'] == ['a', 'b', 'c']
    with pytest.raises(SystemExit, match=r'toy_pose.pkl: labels go up to 2, so 3 class names '
                       r"are needed, got 2: \['a', 'b'\]"):
        _tool([corpus['ann_file'], str(tmp_path / 'pose2d'), '--actions-json', str(out),
               '--classes', 'a', 'b', '--no-progress'])


def test_actions_json_names_from_the_annotations(tmp_path):
    """``class_name`` in a pkl's annotations names the labels; two names for one label are an
    error naming the file and both videos."""
    anns = [dict(frame_dir=f'v{i}', total_frames=4, label=i % 2,
                 class_name=['tuck', 'pike'][i % 2], keypoint=poses(4, i)[None],
                 keypoint_score=np.ones((1, 4, 17), np.float32)) for i in range(3)]
    pkl = str(tmp_path / 'pose.pkl')
    mmengine.dump(dict(annotations=anns), pkl)
    out = str(tmp_path / 'actions.json')
    assert write_video_actions(pkl, out)['classes'] == ['tuck', 'pike']
    assert load_action_annotations(out)['classes'] == ['tuck', 'pike']
    anns[2]['class_name'] = 'layout'
    mmengine.dump(dict(annotations=anns), pkl)
    with pytest.raises(ValueError, match=r"pose.pkl: label 0 is named 'tuck' \(video 'v0'\) "
                       r"and 'layout' \(video 'v2'\)"):
        write_video_actions(pkl, out)


def test_tool_bad_annotation_file_is_one_line(tmp_path):
    """A missing or corrupt pose pkl: one line naming it, nothing written."""
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as err:
        _tool([str(tmp_path / 'nope.pkl'), str(out), '--no-progress'])
    assert str(err.value) == f"error: pose annotation file not found: '{tmp_path / 'nope.pkl'}'"
    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(b'\x80\x04garbage')
    with pytest.raises(SystemExit) as err:
        _tool([str(bad), str(out), '--no-progress'])
    assert str(err.value).startswith(f'error: {bad}: not a readable pose annotation pickle')
    assert not out.exists()
