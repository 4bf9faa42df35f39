# Copyright (c) vpd_mm contributors. All rights reserved.
"""Stop a training run at its first non-finite loss, before a checkpoint holds NaN weights."""
from typing import Iterable, List, Optional, Tuple

import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

DATA_BATCH = Optional[dict]


def non_finite_losses(outputs: Optional[dict]) -> List[str]:
    """``'name=value'`` of the non-finite losses (keys with ``loss``) of a train step's output."""
    bad = []
    for key, value in (outputs or {}).items():
        if 'loss' not in key:
            continue
        value = value.detach().float() if torch.is_tensor(value) else torch.tensor(float(value))
        if not bool(torch.isfinite(value).all()):
            bad.append(f'{key}={value.mean().item():g}' if value.numel() else f'{key}=?')
    return bad


def non_finite_tensors(named: Iterable[Tuple[str, torch.Tensor]]) -> List[str]:
    """Names of the floating-point tensors that hold a NaN or an infinity."""
    named = [(n, t) for n, t in named if torch.is_tensor(t) and t.is_floating_point()]
    if not named:
        return []
    flags = [torch.isfinite(t.detach()).all() for _, t in named]  # on each tensor's device
    by_device: dict = {}
    for flag in flags:
        by_device.setdefault(flag.device, []).append(flag)
    if all(bool(torch.stack(group).all()) for group in by_device.values()):
        return []  # the common case: one synchronisation per device
    return [n for (n, _), flag in zip(named, flags) if not bool(flag)]


def _names(names: List[str], at_most: int = 5) -> str:
    more = f' and {len(names) - at_most} more' if len(names) > at_most else ''
    return ', '.join(names[:at_most]) + more


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Stop training with a clear error when the loss or the weights stop being finite.

    After every ``interval``-th training iteration the losses of the step (the output keys
    with ``loss``, as mmengine sums them) and, with ``check_weights``, the model's parameters
    are checked; the first NaN or infinity raises a :class:`FloatingPointError` naming the
    iteration (1-based, as the logs count), the offending values and the last checkpoint. The
    hook runs before :class:`mmengine.hooks.CheckpointHook` (priority ``ABOVE_NORMAL`` against
    ``VERY_LOW``), so no checkpoint of that iteration is written and none is rotated out.
    Independently, :meth:`before_save_checkpoint` refuses to save any checkpoint (periodic,
    best, last, EMA) whose ``state_dict`` holds a non-finite tensor.

    mmdet's ``CheckInvalidLossHook`` was the candidate to reuse; it does not fit: it checks with
    ``assert`` (gone under ``python -O``) and raises an AssertionError without a message,
    names no iteration, checks only every 50 iterations by default, and does not look at the
    weights, so a step whose gradient was non-finite (finite loss, NaN weights) is still
    checkpointed.

    Args:
        interval (int): Check every ``interval`` training iterations. Defaults to 1: the loss
            is already on the CPU each iteration (the logging hooks read it), and the weight
            check is one pass over the parameters.
        check_weights (bool): Also check the parameters after each checked iteration.
            Defaults to True.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1, check_weights: bool = True) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval
        self.check_weights = check_weights

    @staticmethod
    def _advice(runner) -> str:
        last = runner.message_hub.get_info('last_ckpt')
        where = f'the last checkpoint is {last}' if last else 'no checkpoint was saved yet'
        return (f'Training stopped; no checkpoint of this iteration was written ({where}). '
                'Lower the learning rate (optim_wrapper.optimizer.lr) or check the inputs, '
                'then resume or start again.')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Raise FloatingPointError on a non-finite loss or weight of this iteration."""
        if not self.every_n_train_iters(runner, self.interval):
            return
        it = runner.iter + 1
        bad = non_finite_losses(outputs)
        if bad:
            raise FloatingPointError(f'iteration {it}: the training loss is not finite '
                                     f'({", ".join(bad)}). {self._advice(runner)}')
        if self.check_weights:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            names = non_finite_tensors(model.named_parameters())
            if names:
                raise FloatingPointError(
                    f'iteration {it}: {len(names)} parameters hold NaN or inf after the '
                    f'optimizer step (e.g. {_names(names)}), although the loss was finite (a '
                    f'non-finite or overflowing update). {self._advice(runner)}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save a checkpoint whose weights are not finite."""
        names = []
        for key in ('state_dict', 'ema_state_dict'):
            state = checkpoint.get(key)
            if isinstance(state, dict):
                names += [f'{key}.{n}' for n in non_finite_tensors(state.items())]
        if names:
            it = (checkpoint.get('meta') or {}).get('iter', runner.iter)
            raise FloatingPointError(
                f'refusing to save the checkpoint of iteration {it}: {len(names)} of its '
                f'tensors hold NaN or inf (e.g. {_names(names)}). {self._advice(runner)}')
