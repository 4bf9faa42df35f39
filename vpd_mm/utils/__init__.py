# Copyright (c) vpd_mm contributors. All rights reserved.
from .io import (FileFormatError, UnreadableFileError, atomic_path, dump_json_atomic,
                 dump_pickle_atomic, int_field, load_json, read_id_list, save_npy_atomic,
                 sweep_temporaries, temporary_path)
from .launch import (DATA_ERRORS, data_error_message, exit_with_error, merge_cfg_options,
                     require_configs, require_output, set_work_dir, setup_launcher,
                     teardown_distributed)
from .paths import UnsafePathError, check_path_component, join_under, remove_under
from .results import load_results, write_result

__all__ = [
    'DATA_ERRORS', 'data_error_message', 'exit_with_error', 'merge_cfg_options', 'require_configs',
    'require_output', 'set_work_dir',
    'setup_launcher', 'teardown_distributed',
    'save_npy_atomic', 'dump_json_atomic',
    'atomic_path', 'temporary_path', 'sweep_temporaries', 'write_result', 'load_results',
    'dump_pickle_atomic', 'FileFormatError', 'UnreadableFileError', 'load_json', 'read_id_list',
    'int_field',
    'UnsafePathError', 'check_path_component', 'join_under', 'remove_under'
]
