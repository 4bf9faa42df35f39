# Copyright (c) vpd_mm contributors. All rights reserved.
"""``frame_dir`` values from a pose pkl become ``<out_dir>/<frame_dir>.npy``: the three writers
(pose features, VIPE* embeddings, a student's feature dump) refuse names that would leave
``out_dir`` before writing anything, and sweep the temporaries of a killed run."""
import os
import subprocess
import sys

import mmengine
import numpy as np
import pytest
import torch

import vpd_mm  # noqa: F401
from vpd_mm.apis.embed_poses import embed_pose_dataset
from vpd_mm.apis.pose_features import write_pose_features, write_video_actions
from vpd_mm.evaluation import DumpVPDFeatures
from vpd_mm.utils.paths import UnsafePathError

T = 4
VIPE = "model = dict(type='VIPEEmbedder', hidden_channels=16, embed_dim=8, lift_dim=None)\n"
HOSTILE = ['../escape', '/tmp/abs_escape', '..', '', '.hidden', 'a\nb']


def _pkl(path, names):
    rng = np.random.default_rng(0)
    anns = [dict(frame_dir=n, total_frames=T, label=0,
                 keypoint=rng.uniform(0, 100, (1, T, 17, 2)).astype(np.float32),
                 keypoint_score=np.ones((1, T, 17), np.float32)) for n in names]
    mmengine.dump(dict(split=dict(train=list(names)), annotations=anns), str(path))
    return str(path)


def _files(root):
    return sorted(os.path.relpath(os.path.join(r, f), root) for r, _, fs in os.walk(root)
                  for f in fs)


@pytest.mark.parametrize('name', HOSTILE)
def test_pose_features_refuse_escaping_names(tmp_path, name):
    ann = _pkl(tmp_path / 'pose.pkl', ['ok', name])
    before = _files(tmp_path)
    with pytest.raises(UnsafePathError, match=r'pose\.pkl: annotation #1: frame_dir'):
        write_pose_features(ann, str(tmp_path / 'sub' / 'out'), progress=False)
    with pytest.raises(UnsafePathError, match=r'annotation #1'):
        write_video_actions(ann, str(tmp_path / 'actions.json'))
    assert _files(tmp_path) == before  # not even 'ok.npy': nothing is written


def test_embeddings_refuse_escaping_names(tmp_path):
    ann = _pkl(tmp_path / 'pose.pkl', ['ok', '../escape'])
    (tmp_path / 'vipe.py').write_text(VIPE)
    before = _files(tmp_path)
    with pytest.raises(UnsafePathError, match=r"annotation #1: frame_dir '\.\./escape'"):
        embed_pose_dataset(ann, str(tmp_path / 'vipe.py'), None, str(tmp_path / 'sub' / 'out'),
                           progress=False)
    assert _files(tmp_path) == before


def _sample(frame_dir, idx):
    return dict(frame_dir=frame_dir, frame_idx=idx, pred_feature=torch.ones(2, 3))


def test_feature_dump_refuses_escaping_names(tmp_path):
    metric = DumpVPDFeatures(out_dir=str(tmp_path / 'sub' / 'out'))
    metric.process(None, [_sample('ok', 0), _sample('../../escape', 0)])
    with pytest.raises(UnsafePathError, match=r"frame_dir '\.\./\.\./escape'"):
        metric.evaluate(2)
    assert _files(tmp_path) == []


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize('writer', ['pose_features', 'embeddings', 'dump'])
def test_a_rerun_sweeps_dead_temporaries_only(tmp_path, writer):
    out = tmp_path / 'out'
    out.mkdir()
    pid = _dead_pid()
    index = 'embeddings.json' if writer == 'embeddings' else 'features.json'
    dead = [out / f'v0.npy.tmp.{pid}.npy', out / f'{index}.tmp.{pid}']
    kept = [out / f'v0.npy.tmp.{os.getppid()}.npy',  # a running process's
            out / f'other.npy.tmp.{pid}.npy',  # not a file this job writes
            out / 'notes.tmp.txt']
    for path in dead + kept:
        path.write_bytes(b'partial')
        os.utime(path, (1e9, 1e9))  # long ago
    recent = out / f'v1.npy.tmp.{pid}.npy'  # maybe a writer on another machine
    recent.write_bytes(b'partial')
    if writer == 'dump':
        metric = DumpVPDFeatures(out_dir=str(out))
        metric.process(None, [_sample('v0', 0), _sample('v1', 0)])
        metric.evaluate(2)
    else:
        ann = _pkl(tmp_path / 'pose.pkl', ['v0', 'v1'])
        if writer == 'pose_features':
            write_pose_features(ann, str(out), progress=False)
        else:
            (tmp_path / 'vipe.py').write_text(VIPE)
            embed_pose_dataset(ann, str(tmp_path / 'vipe.py'), None, str(out), progress=False)
    for path in dead:
        assert not path.exists(), path
    for path in kept + [recent]:
        assert path.exists(), path
    assert (out / 'v0.npy').exists() and (out / 'v1.npy').exists() and (out / index).exists()
