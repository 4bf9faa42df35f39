"""Action-level PoseDataset pkl cut from a per-video teacher pose pkl."""
import json
import os.path as osp
import re
import runpy
import sys

import mmengine
import numpy as np
import pytest

from vpd_mm.apis import actions_to_pose_pkl
from vpd_mm.datasets import dump_action_annotations
from vpd_mm.datasets.features import AnnotationError
from vpd_mm.datasets.pose_annotations import PoseAnnotationError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def make_inputs(root, num_frames=40):
    rng = np.random.default_rng(0)
    annos = []
    for v in ('vid_a', 'vid_b'):
        kp = rng.uniform(0, 200, (1, num_frames, 17, 2)).astype(np.float32)
        sc = rng.uniform(0.3, 1, (1, num_frames, 17)).astype(np.float32)
        kp[0, 5] = np.nan  # frame 5: no detection
        sc[0, 5] = np.nan
        kp[0, 12, 3, 0] = np.nan  # one coordinate of one joint
        annos.append(dict(frame_dir=v, total_frames=num_frames, img_shape=(100, 200),
                          original_shape=(100, 200), label=-1, keypoint=kp,
                          keypoint_score=sc))
    pose = osp.join(root, 'pose.pkl')
    mmengine.dump(dict(split=dict(train=['vid_a'], test=['vid_b']), annotations=annos), pose)
    actions = [
        dict(id='a0', video='vid_a', start_frame=2, end_frame=14, label=1, split='train'),
        dict(id='a1', video='vid_a', start_frame=20, end_frame=40, label=0, split='train'),
        dict(id='a2', video='vid_a', start_frame=30, end_frame=35, label=-1, split='train'),
        dict(id='b0', video='vid_b', start_frame=0, end_frame=10, label=2, split='test'),
    ]
    ann = dict(dataset='toy', classes=['x', 'y', 'z'],
               videos=dict(vid_a=dict(split='train', num_frames=num_frames),
                           vid_b=dict(split='test', num_frames=num_frames)),
               actions=actions)
    ann_file = osp.join(root, 'actions.json')
    dump_action_annotations(ann, ann_file)
    return pose, ann_file, {a['frame_dir']: a for a in annos}


def test_slices_labels_splits_and_fills(tmp_path):
    pose, ann_file, src = make_inputs(str(tmp_path))
    out = str(tmp_path / 'out' / 'actions_pose.pkl')
    stats = actions_to_pose_pkl(pose, ann_file, out)
    assert stats == dict(num_actions=dict(train=2, val=0, test=1), skipped_unlabeled=1)
    data = mmengine.load(out)
    assert data['split'] == dict(train=['a0', 'a1'], val=[], test=['b0'])
    by_id = {a['frame_dir']: a for a in data['annotations']}
    a0 = by_id['a0']
    assert a0['label'] == 1 and a0['total_frames'] == 12 and a0['video'] == 'vid_a'
    assert a0['keypoint'].shape == (1, 12, 17, 2) and a0['keypoint_score'].shape == (1, 12, 17)
    assert np.isfinite(a0['keypoint']).all() and np.isfinite(a0['keypoint_score']).all()
    ref_kp = src['vid_a']['keypoint'][:, 2:14]
    ref_sc = src['vid_a']['keypoint_score'][:, 2:14]
    ok = np.isfinite(ref_kp).all(-1) & np.isfinite(ref_sc)
    np.testing.assert_array_equal(a0['keypoint'][ok], ref_kp[ok])
    np.testing.assert_array_equal(a0['keypoint_score'][ok], ref_sc[ok])
    # frame 5 of the video = frame 3 of the action; joint 3 of video frame 12 = action frame 10
    assert (~ok).sum() == 17 + 1 and not ok[0, 3].any() and not ok[0, 10, 3]
    np.testing.assert_array_equal(a0['keypoint'][~ok], np.tile([100., 50.], ((~ok).sum(), 1)))
    assert (a0['keypoint_score'][~ok] == 0).all()
    assert by_id['a1']['total_frames'] == 20  # end exclusive, up to the last frame
    np.testing.assert_array_equal(by_id['b0']['keypoint'][0, 6:],
                                  src['vid_b']['keypoint'][0, 6:10])

    # the command line tool writes the same file
    out2 = str(tmp_path / 'cli.pkl')
    argv = sys.argv
    sys.argv = ['actions_to_pose_pkl.py', pose, ann_file, out2, '--splits', 'test']
    try:
        runpy.run_path(osp.join(ROOT, 'tools', 'data', 'actions_to_pose_pkl.py'),
                       run_name='__main__')
    finally:
        sys.argv = argv
    assert mmengine.load(out2)['split'] == dict(train=[], val=[], test=['b0'])


def test_errors_name_the_problem(tmp_path):
    pose, ann_file, _ = make_inputs(str(tmp_path))
    data = mmengine.load(pose)
    data['annotations'] = data['annotations'][:1]  # vid_b gone
    mmengine.dump(data, str(tmp_path / 'short.pkl'))
    with pytest.raises(AnnotationError,
                       match=f"^{re.escape(ann_file)}: action 'b0' is in video 'vid_b', which "
                       f"{re.escape(str(tmp_path / 'short.pkl'))} does not have$"):
        actions_to_pose_pkl(str(tmp_path / 'short.pkl'), ann_file, str(tmp_path / 'x.pkl'))
    data = mmengine.load(pose)
    for a in data['annotations']:
        a['keypoint'], a['keypoint_score'] = a['keypoint'][:, :30], a['keypoint_score'][:, :30]
    mmengine.dump(data, str(tmp_path / 'cut.pkl'))
    with pytest.raises(AnnotationError, match=f"^{re.escape(ann_file)}: action 'a1' ends at "
                       "frame 40 but video 'vid_a' has 30 pose frames in"):
        actions_to_pose_pkl(str(tmp_path / 'cut.pkl'), ann_file, str(tmp_path / 'x.pkl'))
    assert not osp.exists(tmp_path / 'x.pkl')


def write_actions(root, actions, name='acts.json'):
    path = osp.join(root, name)
    with open(path, 'w') as f:
        json.dump(dict(classes=['x', 'y', 'z'], actions=actions), f)
    return path


def act(**kw):
    a = dict(id='a0', video='vid_a', start_frame=0, end_frame=5, label=0, split='train')
    a.update(kw)
    return a


def test_integer_ids_become_string_frame_dirs(tmp_path):
    """load_action_annotations accepts integer ids: they become frame_dir '7', not an error
    blaming the output file."""
    pose, _, _ = make_inputs(str(tmp_path))
    acts = write_actions(str(tmp_path), [act(id=7), act(id='b', video='vid_b', split='test')])
    out = str(tmp_path / 'out.pkl')
    actions_to_pose_pkl(pose, acts, out)
    data = mmengine.load(out)
    assert [a['frame_dir'] for a in data['annotations']] == ['7', 'b']
    assert data['split'] == dict(train=['7'], val=[], test=['b'])


@pytest.mark.parametrize('actions, message', [
    ([act(id='../../escaped')], r"action #0: action id '\.\./\.\./escaped' contains a path "
     'separator'),
    ([act(id='ok'), act(id='.hidden')], r"action #1: action id '\.hidden' starts with a dot"),
    ([act(id='')], r"action #0: action id '' is empty"),
    ([act(id=1), act(id='1', start_frame=2)], r"action id '1' appears twice"),
    ([act(video='zzz')], r"action 'a0' is in video 'zzz', which .*pose\.pkl does not have"),
    ([act(end_frame=41)], r"action 'a0' ends at frame 41 but video 'vid_a' has 40 pose frames"),
    ([act(end_frame=10**30)], r"action 'a0' ends at frame 10{30} but"),
    ([], r'no labelled action to write \(of 0 actions, 0 unlabelled\); nothing was written'),
    ([act(label=-1)], r'no labelled action to write \(of 1 actions, 1 unlabelled\)'),
])
def test_bad_actions_name_the_actions_json(tmp_path, actions, message):
    pose, _, _ = make_inputs(str(tmp_path))
    acts = write_actions(str(tmp_path), actions)
    out = str(tmp_path / 'out.pkl')
    with pytest.raises(AnnotationError, match=f'^{re.escape(acts)}: {message}'):
        actions_to_pose_pkl(pose, acts, out)
    assert not osp.exists(out)


def test_no_action_of_the_splits_and_unknown_image_shapes(tmp_path):
    pose, ann_file, _ = make_inputs(str(tmp_path))
    out = str(tmp_path / 'out.pkl')
    with pytest.raises(AnnotationError, match=r"no labelled action of the splits \['val'\] to "
                       r'write \(of 4 actions, 0 unlabelled\)'):
        actions_to_pose_pkl(pose, ann_file, out, splits=['val'])
    # a released pose pkl imported without sizes has img_shape None: named, not a TypeError
    data = mmengine.load(pose)
    data['annotations'][0]['img_shape'] = None
    mmengine.dump(data, str(tmp_path / 'noshape.pkl'))
    with pytest.raises(PoseAnnotationError, match=r"noshape\.pkl: video 'vid_a' has no img_shape"):
        actions_to_pose_pkl(str(tmp_path / 'noshape.pkl'), ann_file, out)
    assert not osp.exists(out)


@pytest.mark.parametrize('case', ['video', 'end', 'none', 'int_dup'])
def test_the_tool_prints_one_line(case, tmp_path, monkeypatch, capsys):
    pose, _, _ = make_inputs(str(tmp_path))
    actions = dict(video=[act(video='zzz')], end=[act(end_frame=41)], none=[act(label=-1)],
                   int_dup=[act(id=3), act(id='3')])[case]
    acts = write_actions(str(tmp_path), actions)
    out = str(tmp_path / 'out.pkl')
    monkeypatch.setattr(sys, 'argv', ['actions_to_pose_pkl.py', pose, acts, out])
    with pytest.raises(SystemExit) as exc:
        runpy.run_path(osp.join(ROOT, 'tools', 'data', 'actions_to_pose_pkl.py'),
                       run_name='__main__')
    line = exc.value.code
    assert isinstance(line, str) and line.startswith(f'error: {acts}: ') and '\n' not in line
    assert 'Traceback' not in capsys.readouterr().err
    assert not osp.exists(out)
