# Copyright (c) vpd_mm contributors. All rights reserved.
"""What tools/train.py and tools/test.py share: work dirs, launchers, CPU-only distributed runs."""
import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config


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
