# Copyright (c) vpd_mm contributors. All rights reserved.
"""Write every test action's predicted class and scores (JSON) beside a recognition run."""
import os
import os.path as osp
from typing import Any, Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from vpd_mm.utils.io import dump_json_atomic


def confusion_matrix(labels: Sequence[int], preds: Sequence[int], num_classes: int) -> np.ndarray:
    """[C, C] int64 counts: row = true class, column = predicted class."""
    out = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(out, (np.asarray(labels, dtype=np.int64), np.asarray(preds, dtype=np.int64)), 1)
    return out


@METRICS.register_module()
class DumpPredictions(BaseMetric):
    """Keep each test sample's id, true class, predicted class and class scores in one file.

    ``out_file`` (JSON, written under a temporary name and renamed) holds ``num_classes``,
    ``predictions`` (a list of ``dict(id, label, pred, scores)``, in the order of the ids) and
    ``confusion`` ([C][C] counts, row = true class), so per-class accuracy and confusion
    figures can be made after the run without the model. Put it beside the accuracy metric:
    ``test_evaluator = [dict(type='AccMetric'), dict(type='DumpPredictions', out_file=...)]``.

    Args:
        out_file (str): The JSON file; its folder is created if needed.
        id_key (str): The metainfo field naming a sample. Defaults to 'action_id'.
        collect_device (str): Device for collecting results across ranks. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'predictions'.
    """

    default_prefix = 'predictions'

    def __init__(self,
                 out_file: str,
                 id_key: str = 'action_id',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not str(out_file).endswith('.json'):
            raise ValueError(f'DumpPredictions writes JSON: out_file must end with .json, '
                             f'got {out_file!r}')
        self.out_file = out_file
        self.id_key = id_key

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep (id, label, scores) of one batch; ``pred_score`` is [C]."""
        for ds in data_samples:
            if 'pred_score' not in ds or 'gt_label' not in ds:
                raise KeyError(f'{type(self).__name__}: a test sample has no pred_score or '
                               f'gt_label (fields: {sorted(ds)})')
            scores = ds['pred_score'].float().cpu().numpy().reshape(-1)
            label = int(np.asarray(ds['gt_label'].cpu()).reshape(-1)[0])
            self.results.append((str(ds.get(self.id_key, len(self.results))), label, scores))

    def compute_metrics(self, results: list) -> dict:
        """Write the file; returns ``num_samples``."""
        num_classes = max((len(s) for _, _, s in results), default=0)
        rows = []
        for sid, label, scores in sorted(results, key=lambda r: r[0]):
            finite = np.isfinite(scores).all()
            pred = int(np.argmax(scores)) if finite and len(scores) else -1
            rows.append(dict(id=sid, label=label, pred=pred,
                             scores=[round(float(v), 6) if np.isfinite(v) else None
                                     for v in scores]))
        scored = [r for r in rows if 0 <= r['pred'] and 0 <= r['label'] < num_classes]
        conf = confusion_matrix([r['label'] for r in scored], [r['pred'] for r in scored],
                                num_classes)
        folder = osp.dirname(osp.abspath(self.out_file))
        os.makedirs(folder, exist_ok=True)
        dump_json_atomic(dict(num_classes=num_classes, predictions=rows,
                              confusion=conf.tolist()), self.out_file)
        unscored = len(rows) - len(scored)
        MMLogger.get_current_instance().info(
            f'wrote the predictions of {len(rows)} test samples to {self.out_file}' +
            (f' ({unscored} without a finite score or a known label)' if unscored else ''))
        return dict(num_samples=len(rows))
