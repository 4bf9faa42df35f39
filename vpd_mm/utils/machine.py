# Copyright (c) vpd_mm contributors. All rights reserved.
"""Where a measurement ran, in one line, for the files that report it."""
import os
import platform


def machine_description() -> str:
    """CPU model, usable cores, GPU (or 'no GPU'), Python and torch versions."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    import torch
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    return (f'{model}, {cores} cores, {gpu}, Python {platform.python_version()}, '
            f'torch {torch.__version__}')


def bf16_autocast_supported() -> bool:
    """Whether this CPU runs bfloat16 convolutions natively (oneDNN's own check)."""
    import torch
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
