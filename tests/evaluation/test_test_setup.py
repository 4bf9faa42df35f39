# Copyright (c) vpd_mm contributors. All rights reserved.
"""configure_test: the config changes of tools/test.py's options (feature dumps, all videos,
amp), shared with tools/benchmarks/dump_features.py."""
import os.path as osp

import pytest
from mmengine.config import Config

from vpd_mm.evaluation.test_setup import configure_test

CONFIG = osp.join(osp.dirname(__file__), '..', '..', 'configs', 'vpd', '2dvpd_tiny_cpu.py')


def test_dump_features_of_all_videos(tmp_path):
    ckpt = tmp_path / 'w.pth'
    ckpt.write_bytes(b'')
    cfg = Config.fromfile(CONFIG)
    evaluator = dict(cfg.test_evaluator)
    assert cfg.test_dataloader.dataset.split == 'val' and 'frames' not in cfg.test_dataloader
    out = configure_test(cfg, str(ckpt), all_videos=True, dump_features='F', dump_poses='P',
                         dump='d.pkl', amp=True)
    assert out is cfg and cfg.load_from == str(ckpt) and cfg.resume is False
    ds = cfg.test_dataloader.dataset
    assert (ds.split, ds.source_split, ds.frames) == ('all', None, 'all')
    assert cfg.test_evaluator == [
        evaluator,
        dict(type='DumpVPDFeatures', out_dir='F'),
        dict(type='DumpVPDFeatures', out_dir='P', key='pred_pose', prefix='poses'),
        dict(type='DumpResults', out_file_path='d.pkl'),
    ]
    assert cfg.test_cfg == dict(type='TestLoop', fp16=True)


def test_defaults_change_only_the_weights():
    cfg = Config.fromfile(CONFIG)
    before = cfg.to_dict()
    configure_test(cfg, None, dump_poses='P')  # poses only come with features
    after = cfg.to_dict()
    assert after.pop('load_from') is None and after.pop('resume') is False
    before.pop('load_from', None), before.pop('resume', None)
    assert after.pop('test_evaluator') == [before.pop('test_evaluator')]
    assert after == before


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        configure_test(Config.fromfile(CONFIG), str(tmp_path / 'nope.pth'))
