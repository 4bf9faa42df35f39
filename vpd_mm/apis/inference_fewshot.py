# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-action predictions of few-shot runs, and their confusion matrix.

``tools/fewshot.py`` keeps, per run, ``<config_dir>/k<k>/subset<s>/`` with ``run.json`` (top-1
and metrics), the config it trained with (``<config>.py``) and its last checkpoint, but no
per-action predictions: :func:`fewshot_confusion` tests each run's checkpoint again
(:func:`predict_test_set`).
"""
import copy
import json
import os.path as osp
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config

from vpd_mm.evaluation.fewshot_confusion import load_confusion
from vpd_mm.evaluation.metrics.dump_predictions import confusion_matrix
from vpd_mm.utils.paths import check_path_component, join_under
from .fewshot import PREDICTIONS_FILE
from .inference_student import load_checkpoint_weights
from .inference_video import VideoInferenceError

ConfigLike = Union[str, Config]


def predict_test_set(config: ConfigLike, checkpoint: str, device: str = 'cpu') -> dict:
    """Re-test a recognizer: its config's test set through ``model.test_step``.

    Nothing is written (no runner, no work folder); the weights are loaded weights-only.

    Args:
        config (str | Config): The config the checkpoint was trained with (e.g. the copy a
            few-shot run keeps in its folder).
        checkpoint (str): The weights.
        device (str): Torch device. Defaults to 'cpu'.

    Returns:
        dict: ``labels`` [N] int64 ground truth, ``scores`` [N, C] float32 ``pred_score``,
        ``predictions`` [N] int64 (argmax).
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    load_checkpoint_weights(model, checkpoint)
    model.to(device).eval()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    labels, scores = [], []
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                labels.append(int(sample.gt_label.reshape(-1)[0]))
                scores.append(sample.pred_score.float().cpu().numpy())
    scores_arr = np.stack(scores).astype(np.float32) if scores else np.zeros((0, 0), np.float32)
    return dict(labels=np.asarray(labels, np.int64), scores=scores_arr,
                predictions=scores_arr.argmax(axis=1) if len(scores) else np.zeros(0, np.int64))


def _run_checkpoint(run_dir: str, run: dict) -> str:
    """The checkpoint of a few-shot run, looked up inside its folder."""
    names = []
    if run.get('checkpoint'):
        names.append(osp.basename(str(run['checkpoint'])))
    last = osp.join(run_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            names.append(osp.basename(f.read().strip()))
    for n in names:
        path = join_under(run_dir, n, what='checkpoint name', where=run_dir, resolve=False)
        if osp.isfile(path):
            return path
    raise VideoInferenceError(f'{run_dir}: no checkpoint of the run found (tried {names})')


def fewshot_confusion(config_dir: str,
                      shots: Union[int, str],
                      subsets: Optional[Sequence[int]] = None,
                      device: str = 'cpu',
                      progress: bool = True) -> dict:
    """Confusion matrix of few-shot runs, from their kept predictions or their checkpoints.

    ``tools/fewshot.py`` keeps, per run, ``<config_dir>/k<k>/subset<s>/`` with ``run.json``
    (top-1 and metrics), the config it trained with (``<config>.py``), its last checkpoint
    and ``predictions.json`` (every test action's prediction). A run with that file is read;
    one without it (made before the predictions were kept) is tested again here
    (:func:`predict_test_set`). The top-1 of the matrix is returned beside the recorded one,
    so a difference shows.

    Args:
        config_dir (str): ``WORK_DIR/<config>`` of ``tools/fewshot.py``.
        shots (int | str): k (or ``'all'``).
        subsets (Sequence[int], optional): Subset indices. Defaults to every ``subset<s>``
            with a ``run.json``.
        device (str): Torch device. Defaults to 'cpu'.
        progress (bool): A line per run. Defaults to True.

    Returns:
        dict: ``classes``, ``matrix`` [C, C] int64 (rows: true class, columns: predicted;
        summed over the runs), ``runs`` (per run ``subset``, ``top1_recorded``,
        ``top1_recomputed``, ``num_test``, ``source``: ``'predictions.json'`` or
        ``'checkpoint'``), ``config`` and ``shots``.
    """
    import glob
    import re

    from vpd_mm.datasets.features import load_action_annotations

    k_dir = join_under(config_dir, f'k{shots}', what='shots', resolve=False)
    if subsets is None:
        found = []
        for path in glob.glob(osp.join(k_dir, 'subset*', 'run.json')):
            m = re.fullmatch(r'subset(\d+)', osp.basename(osp.dirname(path)))
            if m:
                found.append(int(m.group(1)))
        subsets = sorted(found)
    if not subsets:
        raise VideoInferenceError(f'{k_dir}: no subset<s>/run.json (run tools/fewshot.py first)')
    matrix, runs, classes = None, [], None
    for s in subsets:
        run_dir = osp.join(k_dir, f'subset{int(s)}')
        run_json = osp.join(run_dir, 'run.json')
        try:
            with open(run_json) as f:
                run = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise VideoInferenceError(f'{run_json}: unreadable ({e})') from e
        cfg_name = check_path_component(str(run.get('config', '')), 'config name', run_json)
        cfg_file = osp.join(run_dir, cfg_name + '.py')
        if not osp.isfile(cfg_file):
            raise VideoInferenceError(f'{run_dir}: the run\'s config {cfg_file} is missing')
        cfg = None  # read only where needed: a checkpoint to test, or the class names
        pred_file = osp.join(run_dir, PREDICTIONS_FILE)
        if osp.isfile(pred_file):  # kept by the run (DumpPredictions): nothing to recompute
            try:
                run_matrix = load_confusion(pred_file)
            except ValueError as e:
                raise VideoInferenceError(str(e)) from None
            source = PREDICTIONS_FILE
        else:  # a run from before the predictions were kept: test its checkpoint again
            cfg = Config.fromfile(cfg_file)
            pred = predict_test_set(cfg, _run_checkpoint(run_dir, run), device)
            run_matrix = confusion_matrix(pred['labels'], pred['predictions'],
                                          pred['scores'].shape[1])
            source = 'checkpoint'
        num_classes = len(run_matrix)
        if classes is None:
            cfg = cfg or Config.fromfile(cfg_file)
            ann = load_action_annotations(cfg.test_dataloader.dataset.ann_file)
            classes = list(ann.get('classes') or [])[:num_classes] or [
                str(i) for i in range(num_classes)]
            matrix = np.zeros((num_classes, num_classes), np.int64)
        elif num_classes != len(matrix):
            raise VideoInferenceError(f'{run_dir}: {num_classes} classes, but the runs before '
                                      f'it have {len(matrix)}')
        matrix += run_matrix
        num_test = int(run_matrix.sum())
        top1 = float(np.trace(run_matrix)) / num_test if num_test else float('nan')
        runs.append(dict(subset=int(s), top1_recorded=run.get('top1'), top1_recomputed=top1,
                         num_test=num_test, source=source))
        if progress:
            print(f'{run_dir}: top-1 {top1:.4f} from the {source} (run.json: '
                  f'{run.get("top1")})', flush=True)
    return dict(config=osp.basename(osp.normpath(config_dir)), shots=shots, classes=classes,
                matrix=matrix, runs=runs)
