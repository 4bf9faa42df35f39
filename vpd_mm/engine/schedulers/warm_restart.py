# Copyright (c) vpd_mm contributors. All rights reserved.
"""The VPD authors' cosine annealing with warm restarts, growing periods and normalised decay.

The published recognition code trains the BiGRU with AdamW under ``CyclicLRWithRestarts`` of the
"adamwr" package (Loshchilov & Hutter, *Decoupled Weight Decay Regularization*, Sec. 3/B): the
first period is ``epochs // 10``, each restart multiplies the period by ``t_mult = 2``, the
learning rate follows ``eta_min + (base - eta_min) * eta_t`` with
``eta_t = (1 + cos(pi * t / T_i)) / 2`` and the weight decay of every parameter group is set to
``base_wd * eta_t * sqrt(b / (N * T_i))`` (``b`` the batch size, ``N`` the training sequences,
``T_i`` the current period in epochs): the *normalised* weight decay, whose total effect does not
depend on the length of the period.

mmengine's ``CosineRestartParamScheduler`` takes an explicit list of periods and applies a
weight to the peak but cannot normalise by the period, so both parameters get a closed-form
scheduler here. Converted to iterations (``convert_to_iter_based=True``, as the configs do),
``N / b`` is the number of iterations per epoch (``len(train_dataloader)``), so the
normalisation is ``sqrt(1 / (iterations of the current period))``.
"""
import math
from typing import List, Optional, Tuple, Union

from mmaction.registry import PARAM_SCHEDULERS
from mmengine.optim import BaseOptimWrapper
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from torch.optim import Optimizer


def warm_restart_position(step: int, first_period: int, t_mult: float) -> Tuple[int, int, int]:
    """Where ``step`` falls in periods ``first_period * t_mult ** i`` (each rounded up).

    Args:
        step (int): Steps since the scheduler began (>= 0).
        first_period (int): Length of the first period, in steps (>= 1).
        t_mult (float): Factor from one period to the next (>= 1).

    Returns:
        tuple[int, int, int]: ``(index of the period, steps into it, its length)``.
    """
    index, start, period = 0, 0, first_period
    while step >= start + period:
        start += period
        period = int(math.ceil(period * t_mult))
        index += 1
    return index, step - start, period


class WarmRestartCosineParamScheduler(_ParamScheduler):
    """Cosine annealing of one optimizer parameter with warm restarts and growing periods.

    ``value = eta_min + (base - eta_min) * eta_t * norm``, ``eta_t = (1 + cos(pi t / T_i)) / 2``,
    where ``T_i = ceil(T_{i-1} * t_mult)`` is the current period, ``t`` the steps into it, and
    ``norm = sqrt(1 / T_i)`` with ``T_i`` in iterations when ``normalize`` (else 1).

    Args:
        optimizer (Optimizer | BaseOptimWrapper): The wrapped optimizer.
        param_name (str): The parameter of the groups to set (``lr``, ``weight_decay``).
        first_period (int): Length of the first period, in epochs when ``by_epoch`` (the
            authors: ``max_epochs // 10``).
        t_mult (float): Growth of the period at each restart. Defaults to 2.
        eta_min (float): The value at the end of every period (before normalisation).
            Defaults to 0.
        normalize (bool): Multiply by ``sqrt(1 / T_i)``, ``T_i`` in iterations (needs an
            iteration-based scheduler: ``convert_to_iter_based=True`` or ``by_epoch=False``).
            Defaults to False.
        begin (int): First step the scheduler acts on. Defaults to 0.
        end (int): Step at which it stops. Defaults to INF.
        last_step (int): For resuming without a state dict. Defaults to -1.
        by_epoch (bool): Periods in epochs. Defaults to True.
        verbose (bool): Print every update. Defaults to False.
    """

    def __init__(self,
                 optimizer: Union[Optimizer, BaseOptimWrapper],
                 param_name: str,
                 first_period: int,
                 t_mult: float = 2.0,
                 eta_min: float = 0.0,
                 normalize: bool = False,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        if int(first_period) < 1:
            raise ValueError(f'first_period must be >= 1, got {first_period}')
        if t_mult < 1:
            raise ValueError(f't_mult must be >= 1, got {t_mult}')
        if normalize and by_epoch:
            raise ValueError(
                'normalize=True divides by the period in iterations: give the scheduler '
                'convert_to_iter_based=True (or by_epoch=False with periods in iterations)')
        self.first_period = int(first_period)
        self.t_mult = float(t_mult)
        self.eta_min = float(eta_min)
        self.normalize = normalize
        super().__init__(
            optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls,
                              *args,
                              first_period: int,
                              begin: int = 0,
                              end: int = INF,
                              by_epoch: bool = True,
                              epoch_length: Optional[int] = None,
                              **kwargs):
        """The iteration-based scheduler of an epoch-based config (periods x epoch length)."""
        if not by_epoch:
            raise ValueError('only an epoch-based scheduler (by_epoch=True) can be converted')
        if not epoch_length or epoch_length < 1:
            raise ValueError(f'epoch_length must be a positive integer, got {epoch_length}')
        end = end if end == INF else int(end * epoch_length)
        return cls(
            *args,
            first_period=first_period * epoch_length,
            begin=int(begin * epoch_length),
            end=end,
            by_epoch=False,
            **kwargs)

    def _get_value(self) -> List[float]:
        """Closed form of the value at ``self.last_step`` for every parameter group."""
        _, t, period = warm_restart_position(
            max(self.last_step, 0), self.first_period, self.t_mult)
        eta_t = 0.5 * (1.0 + math.cos(math.pi * t / period))
        norm = math.sqrt(1.0 / period) if self.normalize else 1.0
        return [(self.eta_min + (base - self.eta_min) * eta_t) * norm for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class WarmRestartCosineLR(WarmRestartCosineParamScheduler):
    """The learning rate under the authors' warm restarts (``eta_min`` 1e-7 in their code).

    Example:
        >>> param_scheduler = [dict(type='WarmRestartCosineLR', first_period=50, t_mult=2,
        ...                         eta_min=1e-7, by_epoch=True, convert_to_iter_based=True)]
    """

    def __init__(self, optimizer, **kwargs):
        super().__init__(optimizer, param_name='lr', **kwargs)


@PARAM_SCHEDULERS.register_module()
class WarmRestartWeightDecay(WarmRestartCosineParamScheduler):
    """The normalised weight decay ``wd * eta_t * sqrt(1 / T_i)`` of the authors' AdamW.

    ``T_i`` in iterations, so the scheduler must be iteration-based
    (``convert_to_iter_based=True`` with ``by_epoch=True``, the usual config form).
    """

    def __init__(self, optimizer, **kwargs):
        kwargs.setdefault('normalize', True)
        super().__init__(optimizer, param_name='weight_decay', **kwargs)
