# Copyright (c) vpd_mm contributors. All rights reserved.
"""What tools/train.py and tools/test.py share: work dirs, launchers, CPU-only distributed runs."""
import logging
import os
import os.path as osp
import sys
from typing import List, NoReturn, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log

from .io import FileFormatError, UnreadableFileError
from .paths import output_path_problem

#: Errors of the files a run reads (missing, or not in the format they claim): tools/train.py and
#: tools/test.py stop on them with one line, :func:`data_error_message`, not a traceback.
DATA_ERRORS = (FileNotFoundError, FileFormatError, UnreadableFileError)


def require_configs(*paths: Optional[str]) -> None:
    """Stop with ``error: config not found: PATH`` (exit status 2) if a config is not a file.

    The tools call it before anything is built or written, so that a mistyped config path is
    one line naming it, not mmengine's traceback or a bare ``[Errno 2]``.

    Args:
        *paths (str, optional): Config paths; ``None`` (an option not given) is skipped.
    """
    for path in paths:
        if path is not None and not osp.isfile(path):
            exit_with_error(f'config not found: {path}')


def exit_with_error(message: str) -> NoReturn:
    """``error: <message>`` on stderr and exit status 2: input a tool cannot use, reported
    before anything is built or written."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(2)


def require_output(option: str, path: str, folder: bool) -> None:
    """Stop with ``error: OPTION PATH: <problem>`` (exit status 2) when an output cannot be
    written at ``path`` (:func:`vpd_mm.utils.paths.output_path_problem`): checked before any
    long computation, so that a file in the way does not cost the work.

    Args:
        option (str): The command-line option that named it (e.g. ``'--out'``).
        path (str): The output folder or file.
        folder (bool): Whether ``path`` is a folder.
    """
    problem = output_path_problem(path, folder)
    if problem:
        exit_with_error(f'{option} {path}: {problem}')


def set_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """Work dir priority: command line > config > ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Record the launcher; on a machine without CUDA, prepare a CPU (gloo) process group.

    MMEngine's ``pytorch`` launcher assumes one GPU per process (it calls
    ``torch.cuda.set_device``). Without CUDA we initialise the process group with the gloo
    backend ourselves (the runner then skips its own initialisation) and wrap the model in
    ``MMDistributedDataParallel`` without ``device_ids``, as CPU modules require. So
    ``tools/dist_train.sh CONFIG N`` also runs N CPU processes, e.g. to check a distributed
    setup on a laptop.
    """
    cfg.launcher = launcher
    if launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return
    os.environ.setdefault('LOCAL_RANK', '0')
    dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False)


def teardown_distributed() -> None:
    """Destroy the process group, if any, before the interpreter exits.

    A gloo group left to the interpreter's shutdown can abort the process ("terminate called
    without an active exception") after the work is done. No barrier: the runner's last
    collective (broadcasting the metrics) has already synchronised the ranks, and a rank that
    failed must not leave the others waiting.
    """
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _uses(value, target: str, path: str = '') -> List[str]:
    """Paths of the strings in ``value`` (nested dicts and lists) that contain ``target``."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _uses(v, target, f'{path}.{k}'.lstrip('.'))]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _uses(v, target, f'{path}[{i}]')]
    return [path] if isinstance(value, str) and target in value else []


def config_variable_warnings(cfg: Config, options: dict) -> List[str]:
    """Warnings for ``--cfg-options`` that override a plain string variable of the config file
    (``data_root=...``) whose value other fields took when the file was read
    (``reader.data_root = data_root``): those fields keep the old value.

    Args:
        cfg (Config): The config before ``options`` are merged.
        options (dict): The ``--cfg-options``.

    Returns:
        list[str]: One message per such option, naming the fields to override instead.
    """
    out = []
    fields = cfg.to_dict()
    for key, new in options.items():
        old = fields.get(key)
        if '.' in key or not isinstance(old, str) or len(old) < 3 or old == new:
            continue
        users = _uses({k: v for k, v in fields.items() if k != key}, old)
        if users:
            shown = ', '.join(users[:4]) + (f' (+{len(users) - 4} more)' if len(users) > 4
                                            else '')
            out.append(f'--cfg-options {key}={new!r} changes only the variable {key}: the '
                       f'config file used its value {old!r} when it was read, in {shown}; '
                       f'override those keys instead (e.g. {users[0]}=...)')
    return out


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> None:
    """``cfg.merge_from_dict(options)``, warning first about each option that only changes a
    variable other fields already used (:func:`config_variable_warnings`)."""
    if not options:
        return
    for msg in config_variable_warnings(cfg, options):
        print_log(msg, logger='current', level=logging.WARNING)
    cfg.merge_from_dict(options)


def data_error_message(error: BaseException) -> str:
    """``error: <what is wrong with which file>`` in one line.

    An error raised in a loader worker reaches the main process with the worker's traceback in
    its message (PyTorch's ``ExceptionWrapper``); its last line, less the type's name (qualified
    by its module for one not built in), is the original message.

    Args:
        error (BaseException): One of :data:`DATA_ERRORS`.

    Returns:
        str: The line to print.
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    last = lines[-1] if lines else type(error).__name__
    kind = type(error)
    for prefix in (f'{kind.__module__}.{kind.__qualname__}: ', f'{kind.__name__}: '):
        if last.startswith(prefix):
            last = last[len(prefix):]
            break
    return 'error: ' + last
