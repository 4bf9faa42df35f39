# Copyright (c) vpd_mm contributors. All rights reserved.
"""What a test run evaluates and writes: the config changes of ``tools/test.py``'s options.

``tools/test.py`` and ``tools/benchmarks/dump_features.py`` (which times the runner the tool
builds) both call :func:`configure_test`, so the two build the same runner.
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config


def _as_list(evaluator) -> list:
    return list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]


def configure_test(cfg: Config,
                   checkpoint: Optional[str],
                   *,
                   all_videos: bool = False,
                   dump_features: Optional[str] = None,
                   dump_poses: Optional[str] = None,
                   dump: Optional[str] = None,
                   amp: bool = False) -> Config:
    """Set up ``cfg`` (in place) for testing ``checkpoint``.

    Args:
        cfg (Config): The test config (a model config with ``test_dataloader`` and
            ``test_evaluator``).
        checkpoint (str, optional): Weights to load (``load_from``; no resuming). None: the
            model's initial (random) weights.
        all_videos (bool): Test every video of the annotation file (dataset ``split='all'``),
            not only the held-out split. Defaults to False.
        dump_features (str, optional): Also write per-video features ``[T, 2, d]`` to
            ``<dump_features>/<video>.npy`` (``DumpVPDFeatures``), for every frame of the test
            videos (dataset ``frames='all'``).
        dump_poses (str, optional): With ``dump_features``: also write the student's decoded
            pose ``[T, 1, d]`` (view 0) to ``<dump_poses>/<video>.npy``.
        dump (str, optional): Also dump the raw predictions to this pickle (mmengine's
            ``DumpResults``).
        amp (bool): Mixed-precision inference (mmengine's ``TestLoop`` with ``fp16=True``:
            float16 autocast on a GPU, bfloat16 on a CPU). Defaults to False.

    Returns:
        Config: ``cfg``.

    Raises:
        FileNotFoundError: ``checkpoint`` is given and is not a file.
    """
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    cfg.load_from = checkpoint
    cfg.resume = False
    if all_videos:
        cfg.test_dataloader.dataset.split = 'all'
        cfg.test_dataloader.dataset.source_split = None
    evaluators = _as_list(cfg.test_evaluator)
    if dump_features:
        cfg.test_dataloader.dataset.frames = 'all'
        evaluators.append(dict(type='DumpVPDFeatures', out_dir=dump_features))
        if dump_poses:
            evaluators.append(
                dict(type='DumpVPDFeatures', out_dir=dump_poses, key='pred_pose',
                     prefix='poses'))
    if dump:
        evaluators.append(dict(type='DumpResults', out_file_path=dump))
    cfg.test_evaluator = evaluators
    if amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or dict(type='TestLoop'), fp16=True)
    return cfg
