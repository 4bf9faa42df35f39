# Copyright (c) vpd_mm contributors. All rights reserved.
"""--cfg-options that only change a config variable other fields already used are warned about."""
from mmengine.config import Config

from vpd_mm.utils import launch
from vpd_mm.utils.launch import config_variable_warnings, merge_cfg_options


def _cfg(tmp_path):
    path = tmp_path / 'prep.py'
    path.write_text("data_root = 'data/raw/x/'\nout_dir = 'data/x/'\ncrop_size = 64\n"
                    "chunk_size = 64\nreader = dict(type='R', data_root=data_root,\n"
                    "              ann_file=data_root + 'ann.json')\n")
    return Config.fromfile(str(path))


def test_a_variable_used_by_other_fields_is_named(tmp_path):
    cfg = _cfg(tmp_path)
    msgs = config_variable_warnings(cfg, {'data_root': '/new/', 'out_dir': '/o/',
                                          'reader.data_root': '/new/', 'crop_size': 96})
    assert len(msgs) == 1  # out_dir is used by nobody else; numbers are not traced
    assert "data_root='/new/'" in msgs[0] and 'reader.data_root, reader.ann_file' in msgs[0]
    assert config_variable_warnings(cfg, {'data_root': 'data/raw/x/'}) == []  # unchanged


def test_merge_cfg_options_warns_then_merges(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(launch, 'print_log', lambda msg, **kw: logged.append(msg))
    cfg = _cfg(tmp_path)
    merge_cfg_options(cfg, {'data_root': '/new/'})
    assert cfg.data_root == '/new/' and cfg.reader.data_root == 'data/raw/x/'
    assert len(logged) == 1 and 'changes only the variable data_root' in logged[0]
    merge_cfg_options(cfg, None)  # nothing to merge
    assert cfg.data_root == '/new/'
