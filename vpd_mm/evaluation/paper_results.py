# Copyright (c) vpd_mm contributors. All rights reserved.
"""The paper's published numbers (SPEC section 6), in percent, for ``tools/report.py``.

Dataset names: ``diving48``, ``finegym_fx``, ``fs``, ``tennis``. Feature names: ``pose2d``
(normalised 2D joints of the teacher), ``vipe`` (VIPE* teacher), ``2dvpd``, ``vivpd``,
``concatvpd``, ``gt_pose2d``; ``gsm`` is the best end-to-end video model. All recognition
numbers are top-1 accuracy of the BiGRU.
"""
from typing import Optional

DATASETS = ('fs', 'tennis', 'finegym_fx', 'diving48')
FEATURES = ('pose2d', 'vipe', '2dvpd', 'vivpd', 'concatvpd', 'gt_pose2d')

#: Table 1: top-1 (%) with the full training set, features -> dataset -> value.
RECOGNITION_FULL = {
    'pose2d': dict(fs=95.5, tennis=90.9, finegym_fx=86.9, diving48=75.7),
    '2dvpd': dict(fs=97.0, tennis=92.6, finegym_fx=94.5, diving48=86.4),
    'vipe': dict(fs=96.8, tennis=91.8, finegym_fx=90.8, diving48=78.6),
    'vivpd': dict(fs=97.4, tennis=93.3, finegym_fx=94.6, diving48=88.6),
    'gsm': dict(fs=90.6, tennis=67.1, finegym_fx=93.6, diving48=90.2),
}

#: Table 2: few-shot top-1 (%), dataset -> features -> k -> value.
FEWSHOT = {
    'finegym_fx': {
        'pose2d': {16: 65.6},
        '2dvpd': {16: 82.7},
        'vipe': {16: 75.7},
        'vivpd': {16: 84.9}
    },
    'diving48': {
        'pose2d': {16: 25.5},
        '2dvpd': {16: 57.6},
        'vipe': {16: 35.0},
        'vivpd': {16: 58.8}
    },
}

#: Table 3: retrieval precision@k (%), dataset -> features -> metric -> value.
RETRIEVAL = {
    'diving48': {
        'pose2d': {'precision@1': 34.5},
        '2dvpd': {'precision@1': 64.4},
        'vipe': {'precision@1': 36.1},
        'vivpd': {'precision@1': 60.9}
    }
}

#: Table 4: temporal detection AP (%), dataset -> features -> metric -> value.
DETECTION = {'fs': {'vivpd': {'AP@0.5': 60.7}}, 'tennis': {'vivpd': {'AP@0.5': 58.6}}}


def paper_value(task: str, dataset: str, features: str, metric: str,
                shots: Optional[int] = None) -> Optional[float]:
    """The paper's number for a table cell, or None when the paper has none.

    Args:
        task (str): 'recognition', 'fewshot', 'retrieval' or 'temporal_detection' (also
            'detection', its name in result files before).
        dataset (str): Dataset name.
        features (str): Feature name.
        metric (str): 'top1' (recognition, few-shot), 'precision@k', 'AP@t'.
        shots (int, optional): k, for few-shot.
    """
    if task == 'recognition':
        return RECOGNITION_FULL.get(features, {}).get(dataset) if metric == 'top1' else None
    if task == 'fewshot':
        return FEWSHOT.get(dataset, {}).get(features, {}).get(shots)
    table = {
        'retrieval': RETRIEVAL,
        'temporal_detection': DETECTION,
        'detection': DETECTION
    }.get(task)
    if table is None:
        return None
    return table.get(dataset, {}).get(features, {}).get(metric)
