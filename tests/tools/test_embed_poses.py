"""tools/embed_poses.py: VIPE* targets of a pose pkl, flips re-embedded, resumable."""
import json
import os
import os.path as osp
import subprocess
import sys

import mmengine
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS

import vpd_mm  # noqa: F401
import vpd_mm.models.vipe  # noqa: F401
from vpd_mm.apis.embed_poses import embed_pose_dataset, init_vipe_embedder
from vpd_mm.codecs import PoseNormalizer, VIPEInputEncoder
from vpd_mm.evaluation.test_setup import CheckpointMismatchError

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
T, D = 5, 64
MODEL = "model = dict(type='VIPEEmbedder', hidden_channels=32, embed_dim={}, lift_dim=None)\n"


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('embed')
    rng = np.random.default_rng(0)
    anns = []
    for i in range(2):
        kp = rng.uniform(0, 200, (1, T, 17, 2)).astype(np.float32)
        sc = rng.uniform(0.3, 1, (1, T, 17)).astype(np.float32)
        if i == 0:
            kp[0, 2] = np.nan  # no pose in frame 2
        anns.append(dict(frame_dir=f'vid_{i}', total_frames=T, keypoint=kp, keypoint_score=sc,
                         label=-1))
    ann_file = str(root / 'pose.pkl')
    mmengine.dump(dict(annotations=anns), ann_file)
    config = root / 'vipe.py'
    config.write_text(MODEL.format(D))
    torch.manual_seed(0)
    model = MODELS.build(dict(type='VIPEEmbedder', hidden_channels=32, embed_dim=D))
    for m in model.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2)
    ckpt = str(root / 'vipe.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return dict(root=root, ann_file=ann_file, config=str(config), ckpt=ckpt, anns=anns)


def embed_direct(model, kp, sc):
    return model.embed(torch.from_numpy(VIPEInputEncoder().encode(kp, sc))).numpy()


def test_views_nan_rows_and_resume(setup):
    out_dir = str(setup['root'] / 'out')
    result = embed_pose_dataset(setup['ann_file'], setup['config'], setup['ckpt'], out_dir,
                                progress=False)
    assert result['num_written'] == 2 and result['num_skipped'] == 0
    assert result['dim'] == D and result['num_frames_without_pose'] == 1
    model = init_vipe_embedder(setup['config'], setup['ckpt'])
    for ann in setup['anns']:
        emb = np.load(osp.join(out_dir, f"{ann['frame_dir']}.npy"))
        assert emb.shape == (T, 2, D) and emb.dtype == np.float32
        kp, sc = ann['keypoint'][0], ann['keypoint_score'][0]
        ok = np.isfinite(kp).all(axis=(1, 2))
        assert np.isnan(emb[~ok]).all() and np.isfinite(emb[ok]).all()
        np.testing.assert_allclose(emb[ok, 0], embed_direct(model, kp[ok], sc[ok]), atol=1e-5)
        # view 1: the flipped pose re-embedded (the embedding is chiral)
        kp_f, sc_f = PoseNormalizer.flip(kp[ok], sc[ok])
        np.testing.assert_allclose(emb[ok, 1], embed_direct(model, kp_f, sc_f), atol=1e-5)
        assert not np.allclose(emb[ok, 0], emb[ok, 1])
    index = json.load(open(osp.join(out_dir, 'embeddings.json')))
    assert index['d'] == index['D'] == D and index['vertical_flip'] is False
    assert index['checkpoint'] == setup['ckpt'] and index['videos'] == {'vid_0': T, 'vid_1': T}

    # resume: existing files are kept, unless overwrite
    path = osp.join(out_dir, 'vid_1.npy')
    np.save(path, np.zeros((T, 2, D), np.float32))
    result = embed_pose_dataset(setup['ann_file'], setup['config'], setup['ckpt'], out_dir,
                                progress=False)
    assert result['num_written'] == 0 and result['num_skipped'] == 2
    assert (np.load(path) == 0).all()
    result = embed_pose_dataset(setup['ann_file'], setup['config'], setup['ckpt'], out_dir,
                                overwrite=True, progress=False)
    assert result['num_written'] == 2 and not (np.load(path) == 0).all()
    assert not [f for f in os.listdir(out_dir) if 'tmp' in f]
    # another checkpoint into the same folder (VIPE* trained again): every video embedded
    # again, not the first checkpoint's files kept
    torch.manual_seed(1)
    other = MODELS.build(dict(type='VIPEEmbedder', hidden_channels=32, embed_dim=D))
    ckpt = str(setup['root'] / 'vipe_other.pth')
    torch.save(dict(state_dict=other.state_dict()), ckpt)
    before = np.load(path)
    result = embed_pose_dataset(setup['ann_file'], setup['config'], ckpt, out_dir,
                                progress=False)
    assert result['num_written'] == 2 and result['num_skipped'] == 0
    kp, sc = setup['anns'][1]['keypoint'][0], setup['anns'][1]['keypoint_score'][0]
    other.eval()
    np.testing.assert_allclose(np.load(path)[:, 0], embed_direct(other, kp, sc), atol=1e-5)
    assert not np.allclose(np.load(path), before)
    source = json.load(open(osp.join(out_dir, 'source.json')))
    assert source['vertical_flip'] is False and len(source['checkpoint_sha256']) == 64
    # and back: the folder's files are of the other checkpoint, so all are computed again
    result = embed_pose_dataset(setup['ann_file'], setup['config'], setup['ckpt'], out_dir,
                                progress=False)
    assert result['num_written'] == 2
    np.testing.assert_allclose(np.load(path), before, atol=1e-6)


def test_cli_vertical_flip(setup):
    out_dir = str(setup['root'] / 'out_vflip')
    subprocess.run([
        sys.executable, osp.join(ROOT, 'tools', 'embed_poses.py'), setup['config'],
        setup['ckpt'], setup['ann_file'], out_dir, '--vertical-flip', '--batch-size', '3',
        '--no-progress'
    ], check=True, cwd=ROOT, capture_output=True)
    model = init_vipe_embedder(setup['config'], setup['ckpt'])
    ann = setup['anns'][1]
    kp, sc = ann['keypoint'][0], ann['keypoint_score'][0]
    emb = np.load(osp.join(out_dir, 'vid_1.npy'))
    assert emb.shape == (T, 2, 2 * D)
    kp_f, sc_f = PoseNormalizer.flip(kp, sc)
    expected = [np.concatenate([embed_direct(model, k, s),
                                embed_direct(model, k * [1, -1], s)], axis=-1)
                for k, s in ((kp, sc), (kp_f, sc_f))]
    np.testing.assert_allclose(emb, np.stack(expected, axis=1), atol=1e-5)
    assert np.isnan(np.load(osp.join(out_dir, 'vid_0.npy'))[2]).all()
    index = json.load(open(osp.join(out_dir, 'embeddings.json')))
    assert index['d'] == 2 * D and index['D'] == D and index['vertical_flip'] is True


def test_errors(setup):
    # a checkpoint of another D does not fit the config: the error names the checkpoint
    small = MODELS.build(dict(type='VIPEEmbedder', hidden_channels=32, embed_dim=32))
    ckpt = str(setup['root'] / 'vipe_d32.pth')
    torch.save(dict(state_dict=small.state_dict()), ckpt)
    with pytest.raises(ValueError, match=r'vipe_d32\.pth.*encoder\.fc\.weight.*\[32, 32\]'):
        embed_pose_dataset(setup['ann_file'], setup['config'], ckpt,
                           str(setup['root'] / 'bad'), progress=False)
    # wrong keypoint count: the error names the file and the video
    bad = dict(frame_dir='vid_x', keypoint=np.zeros((1, T, 13, 2)),
               keypoint_score=np.zeros((1, T, 13)))
    bad_file = str(setup['root'] / 'bad.pkl')
    mmengine.dump([bad], bad_file)
    with pytest.raises(ValueError, match=r"bad\.pkl.*'vid_x'.*17"):
        embed_pose_dataset(bad_file, setup['config'], setup['ckpt'],
                           str(setup['root'] / 'bad'), progress=False)


def test_checkpoint_of_another_model_is_refused(setup):
    """Audit item 1: a VPD student's checkpoint for a VIPE* config is one line naming the
    checkpoint, the config and a few keys; no embeddings of a random embedder are written."""
    ckpt = str(setup['root'] / 'student.pth')
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(4, 3, 3, 3),
                                'head.fc.weight': torch.zeros(2, 4)}), ckpt)
    out_dir = setup['root'] / 'wrong'
    with pytest.raises(CheckpointMismatchError) as err:
        embed_pose_dataset(setup['ann_file'], setup['config'], ckpt, str(out_dir),
                           progress=False)
    message = str(err.value)
    assert message.startswith(f"{ckpt} is not a checkpoint of {setup['config']} "
                              "(VIPEEmbedder): ")
    assert "keys missing from it (encoder." in message
    assert 'it holds 2 keys the model has not (backbone.conv1.weight, head.fc.weight)' in message
    assert not out_dir.exists()
    proc = subprocess.run([
        sys.executable, osp.join(ROOT, 'tools', 'embed_poses.py'), setup['config'], ckpt,
        setup['ann_file'], str(out_dir), '--no-progress'
    ], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.strip() == f'error: {message}'
    assert not out_dir.exists()
