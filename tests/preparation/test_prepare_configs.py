# Copyright (c) vpd_mm contributors. All rights reserved.
"""configs/preparation/*.py: they load, name registered components, and write where the
training configs read; tools/data/prepare.py (vpd_mm.preparation.cli) merges its command line
into them."""
import os.path as osp

import pytest
from mmaction.registry import TASK_UTILS
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.preparation.cli import load_config, parse_args

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

READERS = dict(
    diving48='Diving48Reader',
    finegym_fx='FineGymFXReader',
    fs='FSJump6Reader',
    tennis='Tennis7Reader',
    video_folder='VideoFolderReader')


@pytest.mark.parametrize('name', sorted(READERS))
def test_preparation_config(name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'preparation', f'{name}.py'))
    assert cfg.reader.type == READERS[name]
    for key in ('reader', 'detector', 'tracker', 'athlete', 'teacher', 'flow'):
        assert TASK_UTILS.get(cfg[key].type) is not None, (key, cfg[key].type)
    assert cfg.crop_size == 128 and cfg.crop_pad == 0.1 and cfg.flow_bound == 20.0
    assert cfg.flow.type == 'DISFlowEstimator' and cfg.tracker.tracker.type == 'ByteTracker'
    assert cfg.detector.checkpoint.startswith('https://')  # model-zoo weights, loaded at build
    assert cfg.reader.dataset == cfg.dataset_name
    if name != 'video_folder':
        # the training config of the dataset reads what this one writes
        train = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'datasets', f'{name}_vpd.py'))
        assert osp.normpath(train.data_root) == osp.normpath(cfg.out_dir)
        assert osp.basename(train.ann_file) == f'{cfg.dataset_name}_pose.pkl'


def test_command_line_overrides():
    cfg_file = osp.join(ROOT, 'configs', 'preparation', 'diving48.py')
    args = parse_args([
        cfg_file, '--device', 'cuda:1', '--out-dir', '/x/out', '--shard', '2', '--num-shards',
        '4', '--cfg-options', 'fps=25', 'flow.type=RAFTFlowEstimator', 'flow.weights=r.pth'
    ])
    cfg = load_config(args)
    assert (args.shard, args.num_shards) == (2, 4)
    assert cfg.fps == 25 and cfg.out_dir == '/x/out'
    assert cfg.detector.device == cfg.teacher.device == cfg.flow.device == 'cuda:1'
    cfg = load_config(parse_args([cfg_file, '--device', 'cuda:0']))
    assert 'device' not in cfg.flow  # DIS runs on the CPU
    assert 'device' not in cfg.tracker and 'device' not in cfg.athlete
    # the simulated detector and teacher have no device: --device leaves them alone
    sim = load_config(parse_args([osp.join(ROOT, 'configs', 'preparation', 'synthetic_sports.py'),
                                  '--device', 'cuda:0']))
    assert sim.detector.type == 'SimulatedPersonDetector' and 'device' not in sim.detector
    assert sim.teacher.type == 'SimulatedPoseTeacher' and 'device' not in sim.teacher
