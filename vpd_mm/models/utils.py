# Copyright (c) vpd_mm contributors. All rights reserved.
"""Small helpers shared by vpd_mm's models."""
from typing import List, Optional

from torch import Tensor, nn


def check_state_dict_shapes(module: nn.Module, state_dict: dict, prefix: str = '',
                            hint: str = '') -> None:
    """Raise if a state dict holds a tensor whose shape differs from the module's.

    Meant for a load-state-dict pre-hook: mmengine's checkpoint loader only logs size
    mismatches and keeps the random initialisation, which would silently give a wrong model
    (e.g. a checkpoint of a D=128 embedder loaded into a D=64 config). Missing and unexpected
    keys are left to ``load_state_dict``'s usual handling.

    Args:
        module (nn.Module): The module being loaded.
        state_dict (dict): The state dict passed to ``load_state_dict``.
        prefix (str): The module's key prefix within ``state_dict``. Defaults to ''.
        hint (str): Appended to the error message (which config keys to check).
            Defaults to ''.

    Raises:
        ValueError: Naming every mismatched key with the checkpoint's and the model's shape.
    """
    mismatched: List[str] = []
    for name, own in module.state_dict(keep_vars=True).items():
        value: Optional[Tensor] = state_dict.get(prefix + name)
        if isinstance(value, Tensor) and value.shape != own.shape:
            mismatched.append(f'{prefix + name}: checkpoint {list(value.shape)} vs model '
                              f'{list(own.shape)}')
    if mismatched:
        raise ValueError('checkpoint does not fit the model (shape mismatch): ' +
                         '; '.join(mismatched) + (f'. {hint}' if hint else '.'))
