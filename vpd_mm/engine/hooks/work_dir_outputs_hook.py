# Copyright (c) vpd_mm contributors. All rights reserved.
"""Evaluator output files that follow the runner's work_dir (``--work-dir`` included)."""
from typing import Sequence

from mmaction.registry import HOOKS
from mmengine.evaluator import Evaluator
from mmengine.hooks import Hook

from vpd_mm.utils.paths import WORK_DIR


def resolve_work_dir_outputs(evaluator: Evaluator, work_dir: str,
                             attributes: Sequence[str] = ('out', 'result_file')) -> list:
    """Replace :data:`WORK_DIR` in the output paths of an evaluator's metrics.

    A config's paths are fixed when it is read, before ``tools/train.py --work-dir`` or
    ``tools/test.py --work-dir`` changes ``cfg.work_dir``; a path written as
    ``'{work_dir}/test_proposals.json'`` is resolved here, at run time, against the runner's
    ``work_dir``. Metric attributes looked at: ``out`` (mmaction2's ``ANetMetric``
    ``dump_config.out``) and ``result_file`` (:class:`~vpd_mm.evaluation.ProposalAPMetric`).

    Args:
        evaluator (Evaluator): A built evaluator (its ``metrics``).
        work_dir (str): The runner's work folder.
        attributes (Sequence[str]): Metric attributes holding output paths.

    Returns:
        list[str]: The paths that were resolved.
    """
    resolved = []
    for metric in getattr(evaluator, 'metrics', []):
        for name in attributes:
            value = getattr(metric, name, None)
            if isinstance(value, str) and WORK_DIR in value:
                setattr(metric, name, value.replace(WORK_DIR, str(work_dir)))
                resolved.append(getattr(metric, name))
    return resolved


@HOOKS.register_module()
class WorkDirOutputsHook(Hook):
    """Resolve ``'{work_dir}'`` in the val/test metrics' output paths before they evaluate.

    The BMN configs (``configs/localization``) write ``'{work_dir}/val_proposals.json'``,
    ``'{work_dir}/test_proposals.json'`` and ``'{work_dir}/<name>.result.json'``, so those files
    land in the run's work folder, also when ``--work-dir`` sets it (see
    :func:`resolve_work_dir_outputs`). Paths without the placeholder are left as they are.

    Args:
        attributes (Sequence[str]): Metric attributes holding output paths. Defaults to
            ``('out', 'result_file')``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, attributes: Sequence[str] = ('out', 'result_file')) -> None:
        self.attributes = tuple(attributes)

    def before_val(self, runner) -> None:
        """Resolve the validation metrics' paths."""
        resolve_work_dir_outputs(runner.val_loop.evaluator, runner.work_dir, self.attributes)

    def before_test(self, runner) -> None:
        """Resolve the test metrics' paths."""
        resolve_work_dir_outputs(runner.test_loop.evaluator, runner.work_dir, self.attributes)
