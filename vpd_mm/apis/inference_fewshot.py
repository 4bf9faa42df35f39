# Copyright (c) vpd_mm contributors. All rights reserved.
"""Per-action predictions of few-shot runs, and their confusion matrix.

``tools/fewshot.py`` keeps, per run, ``<config_dir>/k<k>/subset<s>/`` with ``run.json`` (top-1,
metrics, class names), ``predictions.json`` (every test action's prediction), a copy of the
config it trained with (``<config>.py``) and its last checkpoint. :func:`fewshot_confusion`
sums the runs' confusion matrices from ``predictions.json``; a run made before the predictions
were kept has its checkpoint tested again (:func:`predict_test_set`) with a config the caller
names. A results folder may come from anyone: no config found in it is executed
(``Config.fromfile`` runs Python) and checkpoints are loaded weights-only.
"""
import copy
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config

from vpd_mm.evaluation.fewshot_confusion import load_confusion
from vpd_mm.evaluation.metrics.dump_predictions import confusion_matrix
from vpd_mm.utils.io import FileFormatError, load_json
from vpd_mm.utils.paths import join_under
from .fewshot import PREDICTIONS_FILE
from .inference_video import VideoInferenceError

ConfigLike = Union[str, Config]


def predict_test_set(config: ConfigLike, checkpoint: str, device: str = 'cpu') -> dict:
    """Re-test a recognizer: its config's test set through ``model.test_step``.

    Nothing is written (no runner, no work folder); the weights are loaded weights-only and
    strictly (:func:`vpd_mm.evaluation.test_setup.load_model_weights`: every key and shape,
    finite floating values, a DTW-NN gallery).

    Args:
        config (str | Config): The config the checkpoint was trained with. A path is executed
            (``Config.fromfile``): give only a config you trust, never one found beside a
            checkpoint from elsewhere.
        checkpoint (str): The weights.
        device (str): Torch device. Defaults to 'cpu'.

    Returns:
        dict: ``labels`` [N] int64 ground truth, ``scores`` [N, C] float32 ``pred_score``,
        ``predictions`` [N] int64 (argmax).

    Raises:
        VideoInferenceError: A missing or refused checkpoint, or one that does not fit the
            model (one line naming it).
    """
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from vpd_mm.evaluation.test_setup import load_model_weights
    from vpd_mm.utils.checkpoint import CheckpointLoadError

    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    try:
        load_model_weights(model, checkpoint, cfg)
    except (FileNotFoundError, CheckpointLoadError) as e:  # one line naming the checkpoint
        raise VideoInferenceError(str(e)) from None
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
    if isinstance(run.get('checkpoint'), str) and run['checkpoint']:
        names.append(osp.basename(run['checkpoint']))
    last = osp.join(run_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            names.append(osp.basename(f.read().strip()))
    for n in names:
        path = join_under(run_dir, n, what='checkpoint name', where=run_dir, resolve=False)
        if osp.isfile(path):
            return path
    raise VideoInferenceError(f'{run_dir}: no checkpoint of the run found (tried {names})')


def _read_run(run_json: str) -> dict:
    """A run's ``run.json`` (an object), or a one-line error naming it."""
    try:
        run = load_json(run_json, 'run.json of a few-shot run')
    except (FileNotFoundError, FileFormatError) as e:
        raise VideoInferenceError(str(e)) from None
    if not isinstance(run, dict):
        raise VideoInferenceError(f'{run_json}: not a run record (a JSON object), got '
                                  f'{type(run).__name__}')
    return run


def _class_names(names, source: str) -> Optional[List[str]]:
    """``names`` checked as class names (one-line printable strings); None when empty."""
    if names is None or (isinstance(names, list) and not names):
        return None
    if not isinstance(names, list) or not all(
            isinstance(n, str) and n.isprintable() for n in names):
        raise VideoInferenceError(f'{source}: classes must be a list of class names (one-line '
                                  f'strings), got {names!r:.100}')
    return list(names)


def _number_or_none(value) -> Optional[float]:
    """A recorded number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def fewshot_confusion(config_dir: str,
                      shots: Union[int, str],
                      subsets: Optional[Sequence[int]] = None,
                      device: str = 'cpu',
                      progress: bool = True,
                      config: Optional[ConfigLike] = None) -> dict:
    """Confusion matrix of few-shot runs, from their kept predictions or their checkpoints.

    ``tools/fewshot.py`` keeps, per run, ``<config_dir>/k<k>/subset<s>/`` with ``run.json``
    (top-1, metrics and the class names), a copy of the config it trained with, its last
    checkpoint and ``predictions.json`` (every test action's prediction). A run with that file
    is read; one without it (made before the predictions were kept) is tested again here
    (:func:`predict_test_set`, weights-only and strictly) with ``config``, which the caller
    names: **nothing found in the folder is executed** (the config copy in a run folder may
    come from anyone, and ``Config.fromfile`` runs Python). The class names come from the
    runs' ``run.json`` (``classes``), else from the annotations of ``config`` when given, else
    they are the class indices. The top-1 of the matrix is returned beside the recorded one,
    so a difference shows.

    Args:
        config_dir (str): ``WORK_DIR/<config>`` of ``tools/fewshot.py``.
        shots (int | str): k (or ``'all'``).
        subsets (Sequence[int], optional): Subset indices. Defaults to every ``subset<s>``
            with a ``run.json``.
        device (str): Torch device. Defaults to 'cpu'.
        progress (bool): A line per run. Defaults to True.
        config (str | Config, optional): The config the runs trained with (the one given to
            ``tools/fewshot.py``, with the same ``--cfg-options``); needed only for runs
            without ``predictions.json``. Defaults to None.

    Returns:
        dict: ``classes``, ``matrix`` [C, C] int64 (rows: true class, columns: predicted;
        summed over the runs), ``runs`` (per run ``subset``, ``top1_recorded``,
        ``top1_recomputed``, ``num_test``, ``source``: ``'predictions.json'`` or
        ``'checkpoint'``), ``config`` and ``shots``.

    Raises:
        VideoInferenceError: No run, an unreadable or malformed ``run.json`` or
            ``predictions.json`` (named), a run without ``predictions.json`` and no
            ``config``, runs with other classes, or a checkpoint that does not load.
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
    cfg = None  # the caller's config, read once, only where needed

    def user_config() -> Config:
        nonlocal cfg
        if cfg is None:
            cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
        return cfg

    matrix, runs, classes = None, [], None
    for s in subsets:
        run_dir = osp.join(k_dir, f'subset{int(s)}')
        run_json = osp.join(run_dir, 'run.json')
        run = _read_run(run_json)
        pred_file = osp.join(run_dir, PREDICTIONS_FILE)
        if osp.isfile(pred_file):  # kept by the run (DumpPredictions): nothing to recompute
            try:
                run_matrix = load_confusion(pred_file)
            except ValueError as e:
                raise VideoInferenceError(str(e)) from None
            source = PREDICTIONS_FILE
        else:  # a run from before the predictions were kept: test its checkpoint again
            if config is None:
                raise VideoInferenceError(
                    f'{run_dir}: no {PREDICTIONS_FILE} (a run made before the predictions were '
                    'kept); testing its checkpoint again needs the config the run trained with, '
                    'named by you (--config; the config copy in the run folder is not '
                    'executed)')
            pred = predict_test_set(user_config(), _run_checkpoint(run_dir, run), device)
            run_matrix = confusion_matrix(pred['labels'], pred['predictions'],
                                          pred['scores'].shape[1])
            source = 'checkpoint'
        num_classes = len(run_matrix)
        run_classes = _class_names(run.get('classes'), run_json)
        if run_classes is not None and len(run_classes) != num_classes:
            raise VideoInferenceError(f'{run_json}: {len(run_classes)} classes, but the run\'s '
                                      f'predictions have {num_classes}')
        if matrix is None:
            matrix = np.zeros((num_classes, num_classes), np.int64)
        elif num_classes != len(matrix):
            raise VideoInferenceError(f'{run_dir}: {num_classes} classes, but the runs before '
                                      f'it have {len(matrix)}')
        if run_classes is not None and classes is not None and run_classes != classes:
            raise VideoInferenceError(f'{run_json}: other classes than the runs before it '
                                      f'({run_classes[:3]}... vs {classes[:3]}...)')
        classes = classes or run_classes
        matrix += run_matrix
        num_test = int(run_matrix.sum())
        top1 = float(np.trace(run_matrix)) / num_test if num_test else float('nan')
        recorded = _number_or_none(run.get('top1'))
        runs.append(dict(subset=int(s), top1_recorded=recorded, top1_recomputed=top1,
                         num_test=num_test, source=source))
        if progress:
            print(f'{run_dir}: top-1 {top1:.4f} from the {source} (run.json: {recorded})',
                  flush=True)
    if classes is None and config is not None:  # runs that did not record their classes
        ann_file = user_config().test_dataloader.dataset.ann_file
        classes = _class_names(list(load_action_annotations(ann_file).get('classes') or []),
                               ann_file)
        if classes is not None and len(classes) != len(matrix):
            raise VideoInferenceError(f'{ann_file}: {len(classes)} classes, but the runs\' '
                                      f'predictions have {len(matrix)}')
    return dict(config=osp.basename(osp.normpath(config_dir)), shots=shots,
                classes=classes or [str(i) for i in range(len(matrix))], matrix=matrix,
                runs=runs)
