# Copyright (c) vpd_mm contributors. All rights reserved.
"""The preparation driver on tiny generated videos: outputs, skip report, resume, kill -9, shards.

The person detector and the pose teacher of these tests are deterministic stand-ins registered
here (a white rectangle is the person; keypoints laid out in its box); tracking and athlete
selection are the real stages. ``tests/preparation/test_prepare_real_models.py`` runs the real
mmdet / mmpose models.

Run as a script (``python test_prepare_pipeline.py ARGS``), this module registers its stand-ins
and runs ``tools/data/prepare.py ARGS``: the kill -9 test starts it in a subprocess.
"""
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import cv2
import mmengine
import numpy as np
import pytest
from mmaction.registry import TASK_UTILS
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.datasets import load_action_annotations
from vpd_mm.preparation import PrepareLayout, merge_outputs, prepare_dataset
from vpd_mm.preparation.cli import main as cli_main
from vpd_mm.preparation.cli import parse_args as cli_parse_args

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
H, W, T = 48, 64, 20


@TASK_UTILS.register_module(force=True)
class BrightBoxTestDetector:
    """Boxes of the bright (> 200 grey) connected regions of each frame, score 0.9.

    Args:
        delay (float): Seconds to sleep per call (to interrupt a run mid-video).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def __call__(self, frames, video=None, frame_indices=None):
        time.sleep(self.delay)
        out = []
        for f in frames:
            mask = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) > 200).astype(np.uint8)
            n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [[x, y, x + w, y + h, 0.9] for x, y, w, h, a in stats[1:n] if a >= 20]
            out.append(np.asarray(boxes, np.float32).reshape(-1, 5))
        return out


@TASK_UTILS.register_module(force=True)
class BoxLayoutTestTeacher:
    """17 keypoints on a grid inside each box; scores 0.9 for tall boxes, 0.2 for wide ones."""

    def __call__(self, frames, boxes, video=None, frame_indices=None):
        boxes = np.asarray(boxes, np.float64)
        j = np.arange(17)
        fx, fy = (j % 3 + 0.5) / 3, (j // 3 + 0.5) / 6  # [17] fractions of the box
        kp = np.stack([
            boxes[:, :1] + fx * (boxes[:, 2:3] - boxes[:, :1]),
            boxes[:, 1:2] + fy * (boxes[:, 3:4] - boxes[:, 1:2])
        ], axis=-1)  # [n, 17, 2]
        tall = (boxes[:, 3] - boxes[:, 1]) >= (boxes[:, 2] - boxes[:, 0])
        scores = np.where(tall, 0.9, 0.2)[:, None].repeat(17, 1)
        ok = np.isfinite(boxes).all(1)
        kp[~ok], scores[~ok] = np.nan, 0.0
        return kp.astype(np.float32), scores.astype(np.float32)


def write_video(path, boxes, fps=25.0, seed=0):
    """A 64x48 mp4 of a white rectangle (``boxes[t]`` x1, y1, x2, y2 or None) on dark texture."""
    rng = np.random.default_rng(seed)
    bg = cv2.resize(rng.uniform(0, 120, (6, 8, 3)).astype(np.float32), (W + 16, H),
                    interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)
    vw = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (W, H))
    assert vw.isOpened()
    for t, box in enumerate(boxes):
        img = np.ascontiguousarray(bg[:, t % 16:t % 16 + W])  # a panning background
        if box is not None:
            x1, y1, x2, y2 = box
            img[y1:y2, x1:x2] = 255
        vw.write(img)
    vw.release()


def moving_box(t, w=10, h=26, x0=10, y0=12, speed=1):
    return (x0 + speed * t, y0, x0 + speed * t + w, y0 + h)


GOOD = ('a_run', 'b_run', 'h_gap')
SKIPS = {
    'c_empty': 'no person',
    'd_short': 'track too short',
    'e_wide': 'no confident pose',
    'f_corrupt': 'unreadable',
    'g_zero': 'unreadable'
}


def make_videos(root, names=None):
    """The raw dataset: videos/ and labels.txt (a and b labelled, the rest unlabelled)."""
    vdir = osp.join(root, 'videos')
    os.makedirs(vdir, exist_ok=True)
    specs = {
        'a_run': [moving_box(t) for t in range(T)],
        'b_run': [moving_box(t, x0=40, speed=-1) for t in range(T)],
        'c_empty': [None] * T,
        'd_short': [moving_box(t) if t < 3 else None for t in range(T)],
        'e_wide': [moving_box(t, w=26, h=10) for t in range(T)],
        # a gap of 8 frames (longer than max_interp_gap=3): frames without an athlete box
        'h_gap': [moving_box(t) if not 6 <= t < 14 else None for t in range(T)],
    }
    for i, (name, boxes) in enumerate(specs.items()):
        if names is None or name in names:
            write_video(osp.join(vdir, name + '.mp4'), boxes, seed=i)
    if names is None:
        with open(osp.join(vdir, 'f_corrupt.mp4'), 'wb') as f:
            f.write(np.random.default_rng(0).bytes(3000))
        open(osp.join(vdir, 'g_zero.mp4'), 'wb').close()
    with open(osp.join(root, 'labels.txt'), 'w') as f:
        f.write('a_run jump\nb_run spin test\n' if names is None or 'b_run' in names else '')
    return root


def make_cfg(data_root, out_dir, delay=0.0, **kwargs):
    cfg = dict(
        dataset_name='tiny',
        reader=dict(
            type='VideoFolderReader', data_root=data_root, label_file='labels.txt',
            dataset='tiny'),
        out_dir=out_dir,
        detector=dict(type='BrightBoxTestDetector', delay=delay),
        tracker=dict(type='MMDetPersonTracker'),
        athlete=dict(type='AthleteSelector', min_track_len=5, max_interp_gap=3),
        teacher=dict(type='BoxLayoutTestTeacher'),
        flow=dict(type='DISFlowEstimator', preset='medium'),
        crop_size=32,
        chunk_size=8)
    cfg.update(kwargs)
    return Config(cfg)


def frame_files(num):
    return sorted(f'{p}_{t:05d}.jpg' for p in ('img', 'flow_x', 'flow_y')
                  for t in range(1, num + 1))


@pytest.fixture(scope='module')
def raw(tmp_path_factory):
    return make_videos(str(tmp_path_factory.mktemp('raw')))


@pytest.fixture(scope='module')
def prepared(raw, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('out'))
    report = prepare_dataset(make_cfg(raw, out), progress=False)
    return out, report


def test_outputs(prepared):
    out, report = prepared
    assert sorted(report['processed']) == list(GOOD)
    assert {s['video']: s['reason'] for s in report['skipped']} == SKIPS
    assert report['errors'] == []
    assert set(report['stages']) >= {'decode', 'detect', 'track', 'pose', 'crop', 'flow'}
    raw = osp.join(out, 'rawframes')
    assert sorted(os.listdir(raw)) == sorted(GOOD)  # no .tmp_ folder, no skipped video
    for name in GOOD:
        assert sorted(os.listdir(osp.join(raw, name))) == frame_files(T)
        img = cv2.imread(osp.join(raw, name, 'img_00005.jpg'))
        assert img.shape == (32, 32, 3)
        flow0 = cv2.imread(osp.join(raw, name, 'flow_x_00001.jpg'), cv2.IMREAD_UNCHANGED)
        assert flow0.shape == (32, 32) and np.abs(flow0.astype(int) - 128).max() <= 1
    # the crop shows the white athlete in its middle
    img = cv2.imread(osp.join(raw, 'a_run', 'img_00010.jpg'), cv2.IMREAD_GRAYSCALE)
    assert img[12:20, 14:18].mean() > 200 and img[:, :3].mean() < 150


def test_pose_pkl(prepared):
    out, _ = prepared
    layout = PrepareLayout(out, 'tiny')
    data = mmengine.load(layout.pose_pkl)
    assert data['split'] == dict(train=['a_run', 'h_gap'], test=['b_run'])
    anns = {a['frame_dir']: a for a in data['annotations']}
    assert sorted(anns) == sorted(GOOD)
    a = anns['a_run']
    assert a['total_frames'] == T and a['img_shape'] == (H, W) and a['label'] == 0
    assert a['keypoint'].shape == (1, T, 17, 2) and a['keypoint'].dtype == np.float32
    assert a['keypoint_score'].shape == (1, T, 17)
    assert a['athlete_box'].shape == (T, 4) and a['crop_box'].shape == (T, 4)
    assert anns['b_run']['label'] == 1 and anns['h_gap']['label'] == -1
    # the detector's box is the rectangle: x1 = 10 + t
    np.testing.assert_allclose(a['athlete_box'][:, 0], 10 + np.arange(T), atol=1.5)
    np.testing.assert_array_equal(a['source_frame_idx'], np.arange(T))
    assert a['fps'] == 25.0
    # frames of the long gap: no box, NaN keypoints, zero scores, but a finite crop box (the
    # last box before the gap) and crop files
    g = anns['h_gap']
    gap = ~np.isfinite(g['athlete_box']).all(1)
    assert gap.sum() == 8 and gap[6:14].all()
    assert np.isnan(g['keypoint'][0, gap]).all() and (g['keypoint_score'][0, gap] == 0).all()
    assert np.isfinite(g['crop_box']).all()
    np.testing.assert_allclose(g['crop_box'][6:14], g['crop_box'][[6] * 8])
    assert np.isfinite(g['keypoint'][0, ~gap]).all()


def test_report_and_actions(prepared):
    out, _ = prepared
    layout = PrepareLayout(out, 'tiny')
    report = mmengine.load(layout.report_json)
    assert report['summary']['prepared'] == 3 and report['summary']['skipped'] == 5
    assert report['summary']['skipped_by_reason'] == {
        'unreadable': 2,
        'no person': 1,
        'track too short': 1,
        'no confident pose': 1
    }
    msgs = {s['video']: s['message'] for s in report['skipped']}
    assert 'g_zero.mp4' in msgs['g_zero'] and 'f_corrupt.mp4' in msgs['f_corrupt']
    assert report['videos']['h_gap']['athlete_frames'] == T - 8
    ann = load_action_annotations(layout.actions_json)
    assert ann['dataset'] == 'tiny' and ann['classes'] == ['jump', 'spin']
    assert sorted(ann['videos']) == sorted(GOOD)
    assert ann['videos']['a_run'] == dict(fps=25.0, num_frames=T, split='train')
    acts = {a['id']: a for a in ann['actions']}
    assert acts == {
        'a_run': dict(id='a_run', label=0, split='train', start_frame=0, end_frame=T,
                      video='a_run'),
        'b_run': dict(id='b_run', label=1, split='test', start_frame=0, end_frame=T,
                      video='b_run')
    }


def test_pose_target_dataset_reads_the_output(prepared):
    from mmengine.registry import DefaultScope

    from vpd_mm.datasets import VPDPoseTargetDataset
    out, _ = prepared
    layout = PrepareLayout(out, 'tiny')
    with DefaultScope.overwrite_default_scope('mmaction'):
        _check_dataset(layout, VPDPoseTargetDataset)


def _check_dataset(layout, VPDPoseTargetDataset):
    ds = VPDPoseTargetDataset(
        ann_file=layout.pose_pkl,
        data_prefix=dict(img=layout.rawframes),
        pipeline=[dict(type='LoadVPDFrame', with_flow=True)],
        split='all')
    # every frame with a box and a previous box is confident (scores 0.9)
    assert ds.stats['frames_seen'] == 3 * T and ds.stats['frames_nonfinite_pose'] == 8
    assert len(ds) == 3 * (T - 1) - 9  # the gap (8 frames) and the frame after it
    sample = ds[0]
    assert sample['imgs'].shape[:2] == (32, 32)
    full = VPDPoseTargetDataset(
        ann_file=layout.pose_pkl,
        data_prefix=dict(img=layout.rawframes),
        pipeline=[dict(type='LoadVPDFrame', with_flow=True)],
        split='all',
        frames='all')
    assert len(full) == 3 * T


def test_rerun_is_idempotent(raw, prepared):
    out, _ = prepared
    layout = PrepareLayout(out, 'tiny')
    before = {v: os.stat(layout.done(v)).st_mtime_ns for v in GOOD}
    pkl = mmengine.load(layout.pose_pkl)
    report = prepare_dataset(make_cfg(raw, out), progress=False)
    assert report['processed'] == [] and report['skipped'] == []
    assert report['already_finished'] == 8
    assert {v: os.stat(layout.done(v)).st_mtime_ns for v in GOOD} == before
    again = mmengine.load(layout.pose_pkl)
    assert again['split'] == pkl['split']
    for x, y in zip(again['annotations'], pkl['annotations']):
        np.testing.assert_array_equal(x['keypoint'], y['keypoint'])
    # other settings in the same folder: refused
    with pytest.raises(ValueError, match='other settings'):
        prepare_dataset(make_cfg(raw, out, crop_size=64), progress=False)


def test_partial_outputs_are_redone(raw, tmp_path):
    out = str(tmp_path / 'out')
    cfg = make_cfg(raw, out)
    prepare_dataset(cfg, progress=False)
    layout = PrepareLayout(out, 'tiny')
    keep = os.stat(layout.done('b_run')).st_mtime_ns
    # what a killed run leaves: a frame folder without its pkl, a half-written .tmp_ folder
    os.remove(layout.done('a_run'))
    os.remove(osp.join(layout.frames('a_run'), 'img_00003.jpg'))
    os.makedirs(layout.tmp_frames('h_gap'))
    os.remove(layout.done('h_gap'))
    shutil.rmtree(layout.frames('h_gap'))
    report = prepare_dataset(cfg, progress=False)
    assert sorted(report['processed']) == ['a_run', 'h_gap']
    assert os.stat(layout.done('b_run')).st_mtime_ns == keep
    assert sorted(os.listdir(layout.frames('a_run'))) == frame_files(T)
    assert not osp.exists(layout.tmp_frames('h_gap'))
    # skipped videos are not retried unless asked
    report = prepare_dataset(cfg, progress=False, retry_skipped=True)
    assert sorted(s['video'] for s in report['skipped']) == sorted(SKIPS)


def test_shards_then_merge(raw, prepared, tmp_path, capsys):
    out = str(tmp_path / 'sharded')
    cfg = make_cfg(raw, out)
    layout = PrepareLayout(out, 'tiny')
    r0 = prepare_dataset(cfg, shard=0, num_shards=2, progress=False)
    assert r0['merged'] is None and not osp.exists(layout.pose_pkl)
    with pytest.raises(RuntimeError, match='not finished'):
        merge_outputs(cfg)
    r1 = prepare_dataset(cfg, shard=1, num_shards=2, progress=False, merge=False)
    done0 = set(r0['processed']) | {s['video'] for s in r0['skipped']}
    done1 = set(r1['processed']) | {s['video'] for s in r1['skipped']}
    assert not done0 & done1 and len(done0 | done1) == 8 and len(done0) == 4
    summary = merge_outputs(cfg)
    assert summary['prepared'] == 3 and summary['skipped'] == 5
    single = mmengine.load(PrepareLayout(prepared[0], 'tiny').pose_pkl)
    merged = mmengine.load(layout.pose_pkl)
    assert merged['split'] == single['split']
    for x, y in zip(merged['annotations'], single['annotations']):
        assert x['frame_dir'] == y['frame_dir']
        np.testing.assert_array_equal(x['keypoint_score'], y['keypoint_score'])
        np.testing.assert_allclose(x['crop_box'], y['crop_box'])
    # tools/data/merge.py CONFIG (= prepare.py CONFIG --merge-only) writes the same file
    os.remove(layout.pose_pkl)
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    capsys.readouterr()
    assert cli_main([cfg_file, '--merge-only', '--no-progress']) == 0
    again = mmengine.load(layout.pose_pkl)
    assert again['split'] == merged['split']
    assert [a['frame_dir'] for a in again['annotations']] == [
        a['frame_dir'] for a in merged['annotations']]
    assert 'merge tiny' not in capsys.readouterr().err  # --no-progress hides the merge bar too
    os.remove(layout.pose_pkl)
    assert cli_main([cfg_file, '--no-progress'], merge_tool=True) == 0  # tools/data/merge.py
    assert osp.isfile(layout.pose_pkl) and 'merge tiny' not in capsys.readouterr().err
    merge_outputs(cfg)  # with the bar
    assert 'merge tiny' in capsys.readouterr().err


def test_merge_tool_has_its_own_command_line(capsys):
    args = cli_parse_args(['cfg.py', '--allow-missing'], merge_tool=True)
    assert args.merge_only and args.allow_missing and args.shard == 0 and not args.overwrite
    with pytest.raises(SystemExit):
        cli_parse_args(['cfg.py', '--shard', '1'], merge_tool=True)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli_parse_args(['--help'], merge_tool=True)
    text = capsys.readouterr().out
    assert 'Merge the finished videos' in text and 'Prepare a VPD' not in text
    options = text.split('options:')[1]
    assert '--allow-missing' in options and '--no-progress' in options
    for option in ('--no-merge', '--merge-only', '--shard', '--overwrite', '--device'):
        assert option not in options


def test_frame_rate_option(raw, tmp_path):
    cfg = make_cfg(raw, str(tmp_path / 'out'), fps=12.5)
    cfg.reader.video_dir = 'videos'
    prepare_dataset(cfg, progress=False)
    layout = PrepareLayout(cfg.out_dir, 'tiny')
    ann = load_action_annotations(layout.actions_json)
    assert ann['videos']['a_run'] == dict(fps=12.5, num_frames=T // 2, split='train')
    assert [a['end_frame'] for a in ann['actions']] == [T // 2, T // 2]
    anns = {a['frame_dir']: a for a in mmengine.load(layout.pose_pkl)['annotations']}
    np.testing.assert_array_equal(anns['a_run']['source_frame_idx'], np.arange(0, T, 2))
    assert sorted(os.listdir(layout.frames('a_run'))) == frame_files(T // 2)


def test_kill_9_then_resume(tmp_path):
    """A run killed with SIGKILL mid-way loses at most the video in flight."""
    raw = make_videos(str(tmp_path / 'raw'), names=('a_run', 'b_run', 'h_gap'))
    out = str(tmp_path / 'out')
    cfg_file = str(tmp_path / 'cfg.py')
    make_cfg(raw, out, delay=0.6).dump(cfg_file)
    layout = PrepareLayout(out, 'tiny')
    proc = subprocess.Popen(
        [sys.executable, osp.abspath(__file__), cfg_file, '--no-progress'],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not (osp.isdir(osp.join(layout.work, 'pose')) and os.listdir(
                osp.join(layout.work, 'pose'))):
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.time() < deadline, 'the first video did not finish in time'
            time.sleep(0.05)
        time.sleep(0.3)  # into the next video
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    done = [f[:-4] for f in os.listdir(osp.join(layout.work, 'pose')) if f.endswith('.pkl')]
    assert 1 <= len(done) < 3, done
    assert not osp.exists(layout.pose_pkl)  # no merged file from a killed run
    for v in done:  # finished videos are complete
        assert sorted(os.listdir(layout.frames(v))) == frame_files(T)
    stamps = {v: os.stat(layout.done(v)).st_mtime_ns for v in done}
    cfg = Config.fromfile(cfg_file)
    report = prepare_dataset(cfg, progress=False)
    assert sorted(report['processed']) == sorted(set(GOOD) - set(done))
    assert {v: os.stat(layout.done(v)).st_mtime_ns for v in done} == stamps
    assert sorted(os.listdir(layout.rawframes)) == sorted(GOOD)
    data = mmengine.load(layout.pose_pkl)
    assert sorted(a['frame_dir'] for a in data['annotations']) == sorted(GOOD)


if __name__ == '__main__':  # the kill -9 test's subprocess: tools/data/prepare.py with stand-ins
    sys.exit(cli_main(sys.argv[1:]))
