# Copyright (c) vpd_mm contributors. All rights reserved.
"""--cfg-options that only change a config variable other fields already used are warned about;
data errors are reported in one line."""
import pytest
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


def test_data_error_message_is_one_line():
    from torch._utils import ExceptionWrapper

    from vpd_mm.utils import FileFormatError, data_error_message
    assert data_error_message(FileNotFoundError('frame file not found: /d/v/img_00001.jpg')) == \
        'error: frame file not found: /d/v/img_00001.jpg'
    assert data_error_message(FileFormatError('a.json', 'duplicate key "x"')) == \
        'error: a.json: duplicate key "x"'
    # as a loader worker's error reaches the main process: the worker's traceback, then the
    # original message as the last line
    try:
        raise FileNotFoundError('frame file not found: /d/v/flow_x_00002.jpg')
    except FileNotFoundError:
        wrapped = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(FileNotFoundError) as info:
        wrapped.reraise()
    assert len(str(info.value).splitlines()) > 3
    assert data_error_message(info.value) == \
        'error: frame file not found: /d/v/flow_x_00002.jpg'
    assert data_error_message(FileNotFoundError()) == 'error: FileNotFoundError'


def test_file_format_error_keeps_its_type_across_processes():
    """Pickled (a loader worker's result) or rebuilt from its text (PyTorch's re-raise of a
    worker's error), a FileFormatError stays one: tools/train.py and test.py report it in one
    line."""
    import pickle

    from torch._utils import ExceptionWrapper

    from vpd_mm.utils import FileFormatError, data_error_message
    error = FileFormatError('ann.pkl', 'video 3 has 16 keypoints, expected 17')
    assert error.path == 'ann.pkl'
    assert str(error) == 'ann.pkl: video 3 has 16 keypoints, expected 17'
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is FileFormatError and str(copy) == str(error)
    try:
        raise error
    except FileFormatError:
        wrapped = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(FileFormatError) as info:
        wrapped.reraise()
    assert data_error_message(info.value) == f'error: {error}'
