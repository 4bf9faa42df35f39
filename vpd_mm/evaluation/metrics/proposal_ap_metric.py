# Copyright (c) vpd_mm contributors. All rights reserved.
"""Detection AP at temporal IoU thresholds of the proposals of mmaction2's localizers (BMN)."""
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmaction.evaluation.functional import (average_precision_at_temporal_iou,
                                            average_recall_at_avg_proposals)
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vpd_mm.utils.paths import WORK_DIR

DEFAULT_IOUS = (0.3, 0.4, 0.5, 0.6, 0.7)


def ap_key(iou: float) -> str:
    """``'AP@0.5'`` for 0.5."""
    return f'AP@{float(iou):g}'


@METRICS.register_module()
class ProposalAPMetric(BaseMetric):
    """Class-agnostic detection AP of temporal proposals, as for the few-shot detectors.

    Every proposal of the localizer's ``predict`` (``dict(video_name, proposal_list=[dict(
    segment=[s, e] seconds, score)])``) is a detection of "the action"; ground truth are the
    ``annotations`` segments of the data samples' metainfo (the val/test pipelines of the BMN
    configs pack them). AP at each temporal IoU threshold by
    ``mmaction.evaluation.functional.average_precision_at_temporal_iou`` (VOC-style, a ground
    truth matched at most once, highest scores first).

    Args:
        iou_thresholds (Sequence[float]): Temporal IoU thresholds. Defaults to 0.3..0.7.
        top_k (int, optional): Keep the ``top_k`` best-scored proposals per video.
        result_file (str, optional): Also write a ``*.result.json`` (``vpd_mm.utils.results``,
            task ``'localization'``) holding these APs plus AR@1/5/10/100 and AUC, computed with
            mmaction2's ``average_recall_at_avg_proposals`` exactly as ``ANetMetric`` does.
            ``'{work_dir}'`` in it is the runner's work folder, filled in at run time by
            :class:`~vpd_mm.engine.hooks.WorkDirOutputsHook` (the BMN configs' custom hook).
        dataset (str): Dataset name for the result file.
        features (str): Feature name for the result file.
        method (str): Method name for the result file. Defaults to ``'bmn'``.
        collect_device (str): Device for collecting results across ranks.
        prefix (str, optional): Metric name prefix.

    Returns (``compute_metrics``): ``AP@0.3`` ... ``AP@0.7`` and their mean ``mAP``.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 iou_thresholds: Sequence[float] = DEFAULT_IOUS,
                 top_k: Optional[int] = None,
                 result_file: Optional[str] = None,
                 dataset: str = 'unknown',
                 features: str = 'unknown',
                 method: str = 'bmn',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thresholds = [float(t) for t in iou_thresholds]
        if not self.iou_thresholds or not all(0 < t <= 1 for t in self.iou_thresholds):
            raise ValueError(f'iou_thresholds must lie in (0, 1], got {iou_thresholds}')
        self.top_k = top_k
        self.result_file = result_file
        self.dataset = dataset
        self.features = features
        self.method = method

    def process(self, data_batch: Dict[str, Any], data_samples: Sequence[dict]) -> None:
        """Store each video's proposals ``[N, 3]`` (start, end, score) and ground truth."""
        samples = data_batch['data_samples']
        gts = {}
        for sample in samples:
            info = sample.metainfo
            if 'annotations' not in info:
                raise ValueError(f'ProposalAPMetric: video {info.get("video_name")!r} has no '
                                 '"annotations" in its metainfo; add it to the meta_keys of '
                                 'PackLocalizationInputs')
            gts[info['video_name']] = np.array(
                [a['segment'] for a in info['annotations']], dtype=float).reshape(-1, 2)
        for pred in data_samples:
            name = pred['video_name']
            if name not in gts:
                raise ValueError(f'ProposalAPMetric: prediction for {name!r} has no ground truth '
                                 'in the batch')
            props = np.array([[p['segment'][0], p['segment'][1], p['score']]
                              for p in pred['proposal_list']], dtype=float).reshape(-1, 3)
            props = props[np.argsort(-props[:, 2], kind='stable')]
            if self.top_k is not None:
                props = props[:self.top_k]
            self.results.append(dict(video_name=name, gt=gts[name], proposals=props))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """AP at every IoU threshold and their mean (see the class docstring)."""
        ground_truth = {r['video_name']: r['gt'] for r in results}
        prediction = [[r['video_name'], 0, s, e, score] for r in results
                      for s, e, score in r['proposals']]
        ap = average_precision_at_temporal_iou(ground_truth, prediction,
                                               np.array(self.iou_thresholds))
        metrics = OrderedDict((ap_key(t), float(a)) for t, a in zip(self.iou_thresholds, ap))
        metrics['mAP'] = float(np.mean(ap))
        if self.result_file:
            if WORK_DIR in self.result_file:
                raise ValueError(
                    f'ProposalAPMetric: result_file {self.result_file!r} holds {WORK_DIR} but '
                    "nothing filled it in: add custom_hooks=[dict(type='WorkDirOutputsHook')] "
                    'to the config (configs/localization/_base_/bmn_vpd.py has it)')
            record = dict(metrics)
            record.update(self.average_recall(results))
            from vpd_mm.utils.results import write_result
            write_result(self.result_file, 'localization', self.dataset, self.features,
                         self.method, record, num_videos=len(results),
                         iou_thresholds=self.iou_thresholds)
            print_log(f'ProposalAPMetric: wrote {self.result_file}', logger='current')
        return metrics

    @staticmethod
    def average_recall(results: List[dict], max_avg_proposals: int = 100) -> Dict[str, float]:
        """AR@1/5/10/100 and AUC over IoU 0.5:0.05:0.95, as ``ANetMetric(metric_type='AR@AN')``.

        Returns:
            dict: ``auc``, ``AR@1``, ``AR@5``, ``AR@10``, ``AR@100``.
        """
        ground_truth = {r['video_name']: r['gt'] for r in results}
        proposals = {r['video_name']: r['proposals'] for r in results}
        num = sum(len(p) for p in proposals.values())
        if num == 0:
            return dict(auc=0.0, **{f'AR@{k}': 0.0 for k in (1, 5, 10, 100)})
        recall, _, _, auc = average_recall_at_avg_proposals(
            ground_truth, proposals, num, max_avg_proposals=max_avg_proposals,
            temporal_iou_thresholds=np.linspace(0.5, 0.95, 10))
        out = dict(auc=float(auc))
        for k in (1, 5, 10, 100):
            out[f'AR@{k}'] = float(np.mean(recall[:, k - 1]))
        return out
