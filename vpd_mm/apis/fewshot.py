# Copyright (c) vpd_mm contributors. All rights reserved.
"""The few-shot recognition protocol (SPEC section 4; the paper's Figure 3 and Table 2).

For every config, every k (labelled training examples per class) and every subset, the
training set is restricted to the subset (``train_dataloader.dataset.id_list``), mmengine's
Runner trains, and the model is tested on the full test split.

**Protocol** (:func:`fewshot_run_config`). A model with parameters (e.g. the BiGRU) trains for
the same number of optimizer steps at every k, whatever the number of examples, with a fixed
schedule (linear warm-up over ``warmup_ratio`` of the steps, then cosine annealing to
``eta_min_ratio`` x the config's learning rate; batches drawn endlessly by mmengine's
``InfiniteSampler``), and **the last checkpoint is tested**: no validation set is carved from
the k examples and nothing is selected, on test or elsewhere. A model without parameters (the
DTW nearest neighbour, ``train_cfg.type='GalleryBuildLoop'``) stores the k examples as its
gallery. Settings come from the config's ``fewshot`` dict (``steps``, ``warmup_ratio``,
``eta_min_ratio``), overridable per call.

**Subsets.** :func:`sample_fewshot_subsets` draws, for subset ``s``, one seeded permutation of
each class's training actions (``np.random.default_rng([seed, s])``, classes in label order,
ids sorted first) and takes the first ``k`` of it. Hence subsets are **nested across k** (the
k = 4 subset ``s`` is contained in the k = 8 subset ``s``, so curves over k are less noisy) and
**independent across s**. ``k = 'all'`` takes every training action. A class with fewer than
``k`` training actions contributes all of them, and a notice says so. Alternatively subsets
come from id-list files (one action id per line). Run ``s`` is seeded with ``seed + s`` (model
initialisation, batch order, dropout), so with ``'all'`` (the same actions for every subset)
the spread is that of training alone; a parameter-free model is not run twice on the same
actions.

**Determinism.** Subsets, seeds and the runner's randomness are fixed by ``seed``; every run
uses the same number of CPU threads (``threads``), so on one machine the same command gives
identical ``run.json`` files. Runs are independent: ``jobs > 1`` runs them in parallel
processes (each with ``threads`` threads) with the same results.

**Resume.** A finished run (its ``run.json``) is reused when the same command runs again,
unless its actions, seed, steps or inputs changed: :func:`fewshot_inputs_digest` covers the
merged config, the annotations and the bytes of the feature files, so features dumped anew into
the same folder are evaluated anew.

**Fixed cost.** The test split is the same for every run of a config: a process loads its
batches once (the first run's test loader, built where that run would build it, after
training) and replays them to the later runs of that config and inputs (:class:`ReplayLoader`),
so a run pays for its runner, its training subset, its steps and one checkpoint (the last, the one
tested), and the results do not change.
"""
import contextlib
import copy
import glob
import hashlib
import json
import logging
import multiprocessing
import os
import os.path as osp
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config

from vpd_mm.datasets.feature_sequence_dataset import check_num_classes, read_id_list
from vpd_mm.datasets.features import feature_path, load_action_annotations
from vpd_mm.evaluation.fewshot_summary import ALL_SHOTS, Shots, shots_key, shots_label
from vpd_mm.utils.io import FileFormatError, dump_json_atomic, file_sha256, load_json

#: Defaults of a config's ``fewshot`` dict.
FEWSHOT_DEFAULTS = dict(steps=1000, warmup_ratio=0.1, eta_min_ratio=0.01)
#: Each run's test predictions (written by the DumpPredictions metric in its folder).
PREDICTIONS_FILE = 'predictions.json'


def fewshot_run_dir(work_dir: str, config: str, shots: Shots, subset: int) -> str:
    """The folder of one run: ``<work_dir>/<config>/k<k>/subset<s>``."""
    return osp.join(work_dir, config, f'k{shots}', f'subset{subset}')


def parse_shots(values: Iterable[Union[int, str]]) -> List[Shots]:
    """k's from the command line: positive integers and ``'all'``, sorted, unique."""
    out = set()
    for v in values:
        if str(v).lower() == ALL_SHOTS:
            out.add(ALL_SHOTS)
            continue
        try:
            k = int(v)
        except (TypeError, ValueError):
            raise ValueError(f"shots must be positive integers or 'all', got {v!r}") from None
        if k < 1:
            raise ValueError(f"shots must be positive integers or 'all', got {v!r}")
        out.add(k)
    if not out:
        raise ValueError('no k given')
    return sorted(out, key=shots_key)


def training_actions(ann: dict) -> List[dict]:
    """Labeled training actions (split 'train', label >= 0) of an annotation dict."""
    return [a for a in ann['actions'] if a['split'] == 'train' and int(a['label']) >= 0]


def sample_fewshot_subsets(actions: Sequence[dict],
                           shots: Iterable[Shots],
                           num_subsets: int,
                           seed: int = 0,
                           classes: Optional[Sequence[str]] = None
                           ) -> Tuple[Dict[Shots, List[List[str]]], List[str]]:
    """Draw ``num_subsets`` subsets of k examples per class for every k in ``shots``.

    Args:
        actions (Sequence[dict]): Training actions (``id``, ``label``).
        shots (Iterable[int | str]): The k's (>= 1, or ``'all'``).
        num_subsets (int): Subsets per k (>= 1).
        seed (int): Base seed. Defaults to 0.
        classes (Sequence[str], optional): Class names, for the notices.

    Returns:
        tuple: ``{k: [ids of subset 0, ids of subset 1, ...]}`` (ids grouped by class, in
        label order) and the notices (one per k and class with fewer than k actions).

    Raises:
        ValueError: a k that is not a positive integer or ``'all'``, ``num_subsets < 1``, or no
            action.
    """
    shots = parse_shots(shots)
    if num_subsets < 1:
        raise ValueError(f'num_subsets must be >= 1, got {num_subsets}')
    by_class: Dict[int, List[str]] = defaultdict(list)
    for a in actions:
        by_class[int(a['label'])].append(str(a['id']))
    if not by_class:
        raise ValueError("no labeled training action (split 'train', label >= 0) to sample "
                         'few-shot subsets from')
    labels = sorted(by_class)
    notices = []
    for k in shots:
        for lab in labels:
            n = len(by_class[lab])
            if k != ALL_SHOTS and n < k:
                name = f' ({classes[lab]})' if classes is not None and lab < len(classes) else ''
                notices.append(f'k={k}: class {lab}{name} has only {n} training actions: '
                               f'taking all {n}')
    out: Dict[Shots, List[List[str]]] = {k: [] for k in shots}
    for s in range(num_subsets):
        rng = np.random.default_rng([seed, s])
        perms = {lab: [sorted(by_class[lab])[i] for i in rng.permutation(len(by_class[lab]))]
                 for lab in labels}
        for k in shots:
            stop = None if k == ALL_SHOTS else k
            out[k].append([i for lab in labels for i in perms[lab][:stop]])
    return out, notices


def read_id_list_file(path: str, known_ids: Iterable[str]) -> List[str]:
    """Action ids of a file (one per line, blank lines ignored), all known.

    Raises:
        FileNotFoundError: no such file.
        FileFormatError: not UTF-8 text, an empty list, ids that are not in ``known_ids`` (the
            labeled training actions) or ids listed twice (the first ones are listed); the
            message names the file (a ``ValueError``).
    """
    ids = read_id_list(path)
    if not ids:
        raise FileFormatError(path, 'the id list is empty (one action id per line expected)')
    known = set(known_ids)
    unknown = [i for i in ids if i not in known]
    if unknown:
        n = len(unknown)
        what = 'id is not a labeled training action' if n == 1 else \
            'ids are not labeled training actions'
        raise FileFormatError(path, f"{n} {what} (split 'train', label >= 0) of the annotation "
                              f'file (first: {unknown[:5]})')
    dup = [i for i, n in Counter(ids).items() if n > 1]  # in the order of the file
    if dup:
        raise FileFormatError(path, f'{len(dup)} {"id is" if len(dup) == 1 else "ids are"} '
                              f'listed more than once (first: {dup[:5]})')
    return ids


def count_per_class(ids: Sequence[str], actions: Sequence[dict]) -> Dict[int, int]:
    """Number of the ids in each class."""
    label = {str(a['id']): int(a['label']) for a in actions}
    out: Dict[int, int] = defaultdict(int)
    for i in ids:
        out[label[i]] += 1
    return dict(out)


def check_test_split(ann_file: str) -> int:
    """Number of labeled test actions; ValueError naming the file when there are none."""
    ann = load_action_annotations(ann_file)
    num = sum(1 for a in ann['actions'] if a['split'] == 'test' and int(a['label']) >= 0)
    if num == 0:
        raise FileFormatError(ann_file, 'the test split has no labeled action: few-shot '
                              'accuracy needs the full test split')
    return num


def is_trainable(cfg) -> bool:
    """Whether the config's model is optimised (False for a gallery-building nearest neighbour)."""
    return (cfg.get('train_cfg') or {}).get('type') != 'GalleryBuildLoop'


def fewshot_settings(cfg, **overrides) -> dict:
    """The config's ``fewshot`` dict over :data:`FEWSHOT_DEFAULTS`, then non-None overrides."""
    out = dict(FEWSHOT_DEFAULTS)
    out.update(dict(cfg.get('fewshot') or {}))
    out.update({k: v for k, v in overrides.items() if v is not None})
    if int(out['steps']) < 1:
        raise ValueError(f"fewshot steps must be >= 1, got {out['steps']}")
    if not 0.0 <= float(out['warmup_ratio']) < 1.0:
        raise ValueError(f"fewshot warmup_ratio must be in [0, 1), got {out['warmup_ratio']}")
    return out


def fewshot_run_config(cfg, subset_ids: Sequence[str], work_dir: str, seed: int = 0,
                       steps: Optional[int] = None):
    """The config of one few-shot run under the protocol of this module.

    Args:
        cfg (mmengine.Config): A recognition config (``VPDFeatureSequenceDataset``).
        subset_ids (Sequence[str]): Training action ids.
        work_dir (str): The run's folder.
        seed (int): ``randomness.seed``. Defaults to 0.
        steps (int, optional): Optimizer steps; None takes ``cfg.fewshot.steps``.

    Returns:
        mmengine.Config: a copy, with the training set restricted to the ids (nothing carved
        out for validation), the full test split, no validation loop, and for a trainable model
        ``steps`` iterations of the fixed schedule, saving only the last checkpoint; the test
        evaluator also writes every test action's prediction to ``<work_dir>/predictions.json``
        (:class:`~vpd_mm.evaluation.metrics.DumpPredictions`).
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    train = cfg.train_dataloader
    train.dataset.id_list = list(subset_ids)
    train.dataset.val_ratio = 0.0  # every one of the k examples is trained on
    cfg.test_dataloader.dataset.id_list = None  # always the full test split
    for loader in (train, cfg.test_dataloader):  # small sets: no gc.collect() of serialisation
        loader.dataset.serialize_data = False
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    # every test action's prediction -> <work_dir>/predictions.json (per-class accuracy, confusion)
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, (list, tuple)) else [
        cfg.test_evaluator
    ]
    cfg.test_evaluator = [e for e in evaluators if e and e.get('type') != 'DumpPredictions'] + [
        dict(type='DumpPredictions', out_file=osp.join(work_dir, PREDICTIONS_FILE))
    ]
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.resume = False
    cfg.load_from = None
    hooks = cfg.setdefault('default_hooks', {})
    if is_trainable(cfg):
        opts = fewshot_settings(cfg, steps=steps)
        steps = int(opts['steps'])
        warmup = int(round(float(opts['warmup_ratio']) * steps))
        lr = float(cfg.optim_wrapper.optimizer.lr)
        train.sampler = dict(type='InfiniteSampler', shuffle=True)
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=steps, val_interval=steps)
        cosine = dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup, end=steps,
                      T_max=steps - warmup, eta_min=lr * float(opts['eta_min_ratio']))
        cfg.param_scheduler = ([dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                                     begin=0, end=warmup)] if warmup else []) + [cosine]
        hooks['checkpoint'] = dict(type='CheckpointHook', interval=steps, by_epoch=False,
                                   max_keep_ckpts=1, save_best=None, save_last=True)
        hooks['logger'] = dict(type='LoggerHook', interval=max(1, min(50, steps // 5)),
                               ignore_last=False)
        cfg.log_processor = dict(type='LogProcessor', window_size=10, by_epoch=False)
    else:
        checkpoint = dict(hooks.get('checkpoint') or dict(type='CheckpointHook'))
        checkpoint.update(save_best=None, max_keep_ckpts=1)
        hooks['checkpoint'] = checkpoint
    return cfg


class PlainTextConfig(Config):
    """A config that prints as plain ``key = repr(value)`` lines.

    mmengine's runner formats its config with yapf to log it, to dump it and in every
    checkpoint's meta: about 2 s of a few-shot run that trains for 10. The plain text is a valid
    config file too (Python literals), just not pretty-printed.
    """

    @property
    def pretty_text(self) -> str:
        return '\n'.join(f'{k} = {v!r}' for k, v in self.to_dict().items()) + '\n'


_DEVNULL = None
#: this process's test batches: {key of the test loader's config: ReplayLoader}, one entry
_TEST_LOADERS: Dict[str, 'ReplayLoader'] = {}


class ReplayLoader:
    """The batches of a (deterministic) test DataLoader, loaded once and replayed.

    Every iteration yields deep copies of the stored batches, so nothing a run does to its
    batches (preprocessing, predictions set on the data samples) reaches the next run. Has what
    mmengine's ``TestLoop`` and hooks use of a DataLoader: iteration, ``len`` and ``dataset``.

    Args:
        loader (Iterable): A DataLoader without shuffling or random transforms.
    """

    def __init__(self, loader) -> None:
        self.dataset = loader.dataset
        self.batch_size = getattr(loader, 'batch_size', None)
        self._batches = list(loader)

    def __len__(self) -> int:
        return len(self._batches)

    def __iter__(self):
        for batch in self._batches:
            yield copy.deepcopy(batch)


def _replay_test_loader(runner, cfg, inputs: str) -> None:
    """Give ``runner`` this process's replayed batches of ``cfg.test_dataloader``.

    The first run of a config and of its inputs' digest ``inputs`` builds the loader as
    mmengine's ``TestLoop`` would (same seed, after training, so the random state of training is
    untouched) and keeps its batches.
    """
    key = json.dumps([cfg.to_dict()['test_dataloader'], inputs], sort_keys=True, default=str)
    loader = _TEST_LOADERS.get(key)
    if loader is None:
        loader = ReplayLoader(runner.build_dataloader(runner._test_dataloader, seed=runner.seed))
        _TEST_LOADERS.clear()  # one config's test split at a time
        _TEST_LOADERS[key] = loader
    runner._test_dataloader = loader  # TestLoop takes a built loader as it is


def _devnull():
    """One never-closed sink: loggers created while it was ``sys.stdout`` keep writing to it."""
    global _DEVNULL
    if _DEVNULL is None:
        _DEVNULL = open(os.devnull, 'w')
    return _DEVNULL


#: experiment names this process gave its runners, with how many times each was used
_EXPERIMENT_NAMES: Counter = Counter()


def run_experiment_name(work_dir: str) -> str:
    """A name for the runner of the run in ``work_dir`` that no earlier run of this process had.

    mmengine names a runner's logger, visualizer and message hub ``<experiment_name>_<second
    it started>`` and hands an existing instance of that name to a later runner: without a name
    of their own, runs of one config starting within the same second would write into the
    first run's log file and ``vis_data`` (and the others get none). The name is the run
    folder's last three parts (``<config>_k<k>_subset<s>``), with ``_2``, ``_3``... when this
    process already ran that folder.
    """
    parts = osp.normpath(osp.abspath(work_dir)).split(os.sep)[-3:]
    base = '_'.join(p for p in parts if p) or 'fewshot'
    _EXPERIMENT_NAMES[base] += 1
    n = _EXPERIMENT_NAMES[base]
    return base if n == 1 else f'{base}_{n}'


def _close_log_files(logger) -> None:
    """Close the file handlers of a finished run's logger (no later runner reuses it)."""
    for handler in list(getattr(logger, 'handlers', [])):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            logger.removeHandler(handler)


def _last_checkpoint(work_dir: str) -> Optional[str]:
    found = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=osp.getmtime)
    return found[-1] if found else None


def run_fewshot_subset(cfg, subset_ids: Sequence[str], work_dir: str, seed: int = 0,
                       steps: Optional[int] = None, quiet: bool = False,
                       reuse_test_data: bool = True,
                       inputs: Optional[str] = None) -> dict:
    """Train on ``subset_ids`` under the protocol, test the last checkpoint on the test split.

    Args:
        cfg (mmengine.Config): A recognition config (``VPDFeatureSequenceDataset``).
        subset_ids (Sequence[str]): Training action ids.
        work_dir (str): The run's folder (checkpoint; the log file and ``vis_data`` in
            ``<timestamp>/``, under an experiment name of its own: :func:`run_experiment_name`).
        seed (int): ``randomness.seed``. Defaults to 0.
        steps (int, optional): Optimizer steps; None takes the config's ``fewshot.steps``.
        quiet (bool): Keep the runner's log off the console (it still goes to the run's log
            file under ``work_dir``). Defaults to False.
        reuse_test_data (bool): Replay the test batches this process loaded for an earlier
            run of the same test loader config and inputs (:class:`ReplayLoader`). Defaults
            to True.
        inputs (str, optional): :func:`fewshot_inputs_digest` of ``cfg`` (the protocol passes
            the one it computed); None computes it when ``reuse_test_data``, so feature files
            written anew between two calls are read again. Defaults to None.

    Returns:
        dict: ``top1`` (test accuracy in [0, 1]), every test metric, ``checkpoint`` (the last
        one saved, None if none).
    """
    from mmengine.runner import Runner

    cfg = fewshot_run_config(cfg, subset_ids, work_dir, seed, steps)
    cfg.experiment_name = run_experiment_name(work_dir)  # its own logger, log file, vis_data
    cfg = PlainTextConfig(cfg.to_dict(), filename=cfg.filename)
    with contextlib.ExitStack() as stack:
        if quiet:  # mmengine's logger binds sys.stdout when the runner creates it
            stack.enter_context(contextlib.redirect_stdout(_devnull()))
        runner = Runner.from_cfg(cfg)
        stack.callback(_close_log_files, runner.logger)
        runner.train()
        if reuse_test_data:
            if inputs is None:
                ann = load_action_annotations(cfg.test_dataloader.dataset.ann_file)
                inputs = fewshot_inputs_digest(cfg, ann)
            _replay_test_loader(runner, cfg, inputs)
        metrics = runner.test()
    top1 = metrics.get('acc/top1')
    if top1 is None:
        raise KeyError(f'the test evaluator reported no acc/top1 (got {sorted(metrics)})')
    return dict(top1=float(top1), checkpoint=_last_checkpoint(work_dir),
                test_metrics={k: float(v) for k, v in metrics.items()})


# ---------------------------------------------------------------------- the whole protocol
def fewshot_inputs_digest(cfg: Config,
                          ann: dict,
                          file_digests: Optional[Dict[str, str]] = None) -> str:
    """SHA-256 of what a config's runs read besides their actions, seed and steps.

    It covers the merged config (model, pipelines, datasets, schedule), the action annotations
    and the bytes of every feature file of their videos in each feature folder of the train and
    test datasets. A finished run is reused only under the same digest, so features dumped
    anew into the same folder (another student, more distillation steps), edited annotations or
    another setting run again instead of returning the old results.

    Args:
        cfg (Config): The recognition config, ``cfg_options`` merged.
        ann (dict): Its annotations (:func:`load_action_annotations` of the train dataset's
            ``ann_file``).
        file_digests (dict[str, str], optional): SHA-256 of feature files already read (by
            path), filled here: configs of one call sharing a feature folder read it once.

    Returns:
        str: 64 hex digits.
    """
    file_digests = {} if file_digests is None else file_digests
    digest = hashlib.sha256()
    digest.update(json.dumps([cfg.to_dict(), ann], sort_keys=True, default=repr).encode())
    dirs = []
    for loader in ('train_dataloader', 'test_dataloader'):
        value = (cfg.get(loader) or {}).get('dataset', {}).get('feature_dir')
        for d in ([value] if isinstance(value, str) else list(value or [])):
            if d not in dirs:
                dirs.append(d)
    for feature_dir in dirs:
        for video in sorted(ann.get('videos', {})):
            path = feature_path(feature_dir, video)
            if osp.isfile(path):
                if path not in file_digests:
                    file_digests[path] = file_sha256(path)
                digest.update(f'\0{feature_dir}\0{video}\0{file_digests[path]}'.encode())
    return digest.hexdigest()


def _names(cfg, config_path: str) -> dict:
    """The annotations and the result names: dataset (of the annotation file), features (the
    feature folders' names) and method (the config name's first word, e.g. ``bigru``)."""
    ds = cfg.train_dataloader.dataset
    ann = load_action_annotations(ds.ann_file)
    dirs = ds.get('feature_dir', 'features')
    dirs = [dirs] if isinstance(dirs, str) else list(dirs)
    return dict(
        ann=ann,
        dataset=ann.get('dataset') or osp.splitext(osp.basename(ds.ann_file))[0],
        features='+'.join(osp.basename(osp.normpath(str(d))) for d in dirs),
        method=osp.splitext(osp.basename(config_path))[0].split('_')[0])


def _init_worker(threads: int) -> None:
    import torch
    torch.set_num_threads(threads)
    import vpd_mm  # noqa: F401  (registers vpd_mm's modules)


def _run_task(task: dict) -> dict:
    """One run in the current process (the body of a parallel job)."""
    cfg = Config.fromfile(task['config_path'])
    if task['cfg_options']:
        cfg.merge_from_dict(task['cfg_options'])
    t0 = time.perf_counter()
    res = run_fewshot_subset(cfg, task['ids'], task['run_dir'], seed=task['seed'],
                             steps=task['steps'], quiet=task['quiet'],
                             inputs=task['record']['inputs'])
    res['seconds'] = time.perf_counter() - t0
    return res


def run_fewshot_protocol(config_paths: Sequence[str],
                         shots: Sequence[Shots],
                         num_subsets: int = 5,
                         work_dir: str = 'work_dirs/fewshot',
                         seed: int = 0,
                         steps: Optional[int] = None,
                         id_lists: Optional[Sequence[str]] = None,
                         cfg_options: Optional[dict] = None,
                         jobs: int = 1,
                         threads: Optional[int] = None,
                         quiet: bool = True,
                         log: Callable[[str], None] = print) -> List[dict]:
    """Run the protocol for every config, k and subset; return every run's record.

    Each run goes to ``work_dir/<config>/k<k>/subset<s>/`` and ends with a ``run.json``
    (config, method, features, k, subset, seed, steps, the action ids, the inputs' digest, top-1,
    every test metric, the number of test actions and classes). A run whose ``run.json`` holds
    the same ids, seed, steps and :func:`fewshot_inputs_digest` (the merged config, the
    annotations, the feature files' bytes) is not repeated (rerun the command to resume); a
    changed input runs again. Wall times go to
    ``timing.json`` beside it, so ``run.json`` is identical from one run of the same command
    to the next.

    Args:
        config_paths (Sequence[str]): Recognition configs.
        shots (Sequence[int | str]): The k's (``'all'``: every training action).
        num_subsets (int): Subsets per k. Defaults to 5.
        work_dir (str): Root of the runs. Defaults to ``'work_dirs/fewshot'``.
        seed (int): Seed of the subsets; run ``s`` is seeded ``seed + s``. Defaults to 0.
        steps (int, optional): Optimizer steps of every trainable run; None takes each config's
            ``fewshot.steps``. Defaults to None.
        id_lists (Sequence[str], optional): Subset files instead of sampling (each one subset,
            reported as k = its largest number of ids in a class). Defaults to None.
        cfg_options (dict, optional): Overrides merged into every config. Defaults to None.
        jobs (int): Runs in parallel processes. Defaults to 1 (in this process).
        threads (int, optional): torch CPU threads of every run; None: torch's thread count
            (the cores, or ``OMP_NUM_THREADS``) / ``jobs``.
        quiet (bool): Runner logs to the runs' log files only. Defaults to True.
        log (callable): Progress lines. Defaults to ``print``.

    Returns:
        list[dict]: The ``run.json`` records, by config, k and subset.
    """
    if jobs < 1:
        raise ValueError(f'jobs must be >= 1, got {jobs}')
    if threads is None:
        import torch
        threads = max(1, torch.get_num_threads() // jobs)  # (honours OMP_NUM_THREADS)
    tasks, records = [], {}
    file_digests: Dict[str, str] = {}  # feature files hashed once for all configs
    for config_path in config_paths:
        cfg = Config.fromfile(config_path)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        check_num_classes(cfg, config_path)  # stop before any run, both numbers named
        name = osp.splitext(osp.basename(config_path))[0]
        names = _names(cfg, config_path)
        num_test = check_test_split(cfg.test_dataloader.dataset.ann_file)
        num_classes = len(names['ann'].get('classes') or []) or None
        train = training_actions(names['ann'])
        if id_lists:
            known = [a['id'] for a in train]
            subsets: Dict[Shots, List[List[str]]] = {}
            for path in id_lists:
                ids = read_id_list_file(path, known)
                subsets.setdefault(max(count_per_class(ids, train).values()), []).append(ids)
            notices = []
        else:
            subsets, notices = sample_fewshot_subsets(train, shots, num_subsets, seed,
                                                      classes=names['ann'].get('classes'))
        for n in notices:
            log(f'[fewshot] {name}: NOTICE {n}')
        trainable = is_trainable(cfg)
        inputs = fewshot_inputs_digest(cfg, names['ann'], file_digests)
        run_steps = int(fewshot_settings(cfg, steps=steps)['steps']) if trainable else None
        for k in sorted(subsets, key=shots_key):
            seen = {}
            for s, ids in enumerate(subsets[k]):
                run_dir = fewshot_run_dir(work_dir, name, k, s)
                record = dict(config=name, method=names['method'], features=names['features'],
                              dataset=names['dataset'], shots=k, subset=s, seed=seed + s,
                              steps=run_steps, num_train=len(ids), num_test=num_test,
                              num_classes=num_classes, ids=list(ids),
                              classes=list(names['ann'].get('classes') or []), inputs=inputs)
                if not trainable and frozenset(ids) in seen:  # nothing random: same result
                    log(f'[fewshot] {name} k={k} subset {s}: the same actions as subset '
                        f'{seen[frozenset(ids)]} and no parameters: not run again')
                    continue
                seen.setdefault(frozenset(ids), s)
                tasks.append(dict(record=record, run_dir=run_dir, config_path=config_path,
                                  cfg_options=cfg_options, ids=list(ids), seed=seed + s,
                                  steps=run_steps, quiet=quiet))
    done = 0
    todo = []
    for task in tasks:
        path = osp.join(task['run_dir'], 'run.json')
        prev = _load_run(path, task['record'])
        if prev is None and osp.isfile(path):
            r = task['record']
            log(f'[fewshot] {r["config"]} k={r["shots"]} subset {r["subset"]}: {path} was made '
                'with other actions, seed, steps, config, annotations or features: run again')
        if prev is not None:
            done += 1
            records[task['run_dir']] = prev
            r = task['record']
            log(f'[fewshot] {r["config"]} k={r["shots"]} subset {r["subset"]} '
                f'({done}/{len(tasks)}): done before, top1 {100 * prev["top1"]:.1f} (reused)')
        else:
            todo.append(task)

    def finish(task: dict, res: dict) -> None:
        nonlocal done
        done += 1
        record = dict(task['record'], top1=res['top1'], test_metrics=res['test_metrics'],
                      checkpoint=res['checkpoint'])
        dump_json_atomic(record, osp.join(task['run_dir'], 'run.json'), indent=1)
        dump_json_atomic(dict(seconds=res['seconds'], threads=threads),
                         osp.join(task['run_dir'], 'timing.json'))
        records[task['run_dir']] = record
        log(f'[fewshot] {record["config"]} k={record["shots"]} subset {record["subset"]} '
            f'({done}/{len(tasks)}): {record["num_train"]} training actions, top1 '
            f'{100 * record["top1"]:.1f} ({res["seconds"]:.0f} s)')

    if jobs == 1 or len(todo) <= 1:
        import torch
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            for task in todo:
                finish(task, _run_task(task))
        finally:
            torch.set_num_threads(before)
    else:
        ctx = multiprocessing.get_context('spawn')  # no fork of a process holding thread pools
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=ctx,
                                 initializer=_init_worker, initargs=(threads, )) as pool:
            futures = [(task, pool.submit(_run_task, task)) for task in todo]
            for task, future in futures:
                finish(task, future.result())
    return [records[t['run_dir']] for t in tasks]


def _load_run(path: str, want: dict) -> Optional[dict]:
    """A finished run's record, if it was run with the same ids, seed, steps and inputs
    (:func:`fewshot_inputs_digest`).

    An unreadable file (truncated JSON, not UTF-8) is no record: the run is made again.

    Raises:
        ValueError: naming the file, when it holds JSON that is not a run record (not an
            object, or a ``top1`` that is not a number); delete it to run again.
    """
    if not osp.isfile(path):
        return None
    try:
        prev = load_json(path, 'few-shot run record')
    except ValueError:  # FileFormatError
        return None
    if not isinstance(prev, dict):
        raise FileFormatError(path, f'not a few-shot run record (a JSON object), got a '
                              f'{type(prev).__name__}; delete it to run again')
    same = all(prev.get(key) == want[key] for key in ('ids', 'seed', 'steps', 'shots', 'inputs'))
    if not (same and 'top1' in prev):
        return None
    top1 = prev['top1']
    if isinstance(top1, bool) or not isinstance(top1, (int, float)):
        raise FileFormatError(path, f'top1 must be a number, got {top1!r:.80}; delete the file to '
                              f'run again')
    return prev


def write_fewshot_results(rows: Sequence[dict], summary: Sequence[dict],
                          work_dir: str) -> List[str]:
    """``WORK_DIR/<config>/k<k>.result.json`` per config and k (for ``tools/report.py``),
    ``WORK_DIR/fewshot.{csv,json,png}``, and ``WORK_DIR/<config>/k<k>.confusion.{json,png}``
    (per-class accuracy, confusion summed over the subsets; runs without a
    ``predictions.json`` left out); returns the paths of the summary and confusion files."""
    from vpd_mm.evaluation.fewshot_confusion import summarize_confusion
    from vpd_mm.evaluation.fewshot_summary import write_summary_files
    from vpd_mm.utils.results import write_result
    from vpd_mm.visualization import confusion_matrix_figure, save_figure

    first = {}
    for r in rows:
        first.setdefault(r['config'], r)
    for summ in summary:
        r = first[summ['config']]
        write_result(
            osp.join(work_dir, summ['config'], f'k{summ["shots"]}.result.json'), 'fewshot',
            r['dataset'], r['features'], r['method'],
            dict(top1=summ['mean'], top1_std=summ['std'], top1_sem=summ['sem']),
            shots=summ['shots'], num_subsets=summ['num_subsets'], config=summ['config'],
            num_test=summ.get('num_test'), chance=summ.get('chance'), seed=r['seed'] - r['subset'])
    written = []
    for summ in summary:  # per-class accuracy and confusion of each (config, k)
        runs = [r for r in rows if r['config'] == summ['config'] and r['shots'] == summ['shots']]
        files = [osp.join(fewshot_run_dir(work_dir, r['config'], r['shots'], r['subset']),
                          PREDICTIONS_FILE) for r in runs]
        classes = next((r['classes'] for r in runs if r.get('classes')), [])
        conf = summarize_confusion(files, classes)
        if conf is None:  # runs made before the predictions were kept
            continue
        prefix = osp.join(work_dir, summ['config'], f'k{summ["shots"]}.confusion')
        dump_json_atomic(conf, prefix + '.json', indent=1)
        matrix = np.asarray(conf['confusion'], dtype=np.int64)
        fig = confusion_matrix_figure(
            matrix, conf['classes'] or [str(i) for i in range(len(matrix))],
            title=f'{summ["config"]}, {shots_label(summ["shots"])}: summed over '
            f'{conf["num_runs"]} subset(s)')
        written += [prefix + '.json', save_figure(fig, prefix + '.png', dpi=110)]
    return write_summary_files(summary, osp.join(work_dir, 'fewshot')) + written
