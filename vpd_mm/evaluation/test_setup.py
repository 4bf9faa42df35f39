# Copyright (c) vpd_mm contributors. All rights reserved.
"""What a test run evaluates and loads: the config changes of ``tools/test.py``'s options, and
the strict loading of "the checkpoint of this config".

``tools/test.py`` and ``tools/benchmarks/dump_features.py`` (which times the runner the tool
builds) both call :func:`configure_test`, so the two build the same runner.

mmengine loads ``load_from`` non-strictly: a checkpoint of another model only warns ("missing
keys in source state_dict") and the test reports the scores of random weights.
:func:`load_test_checkpoint` (the runner's checkpoint, ``tools/test.py``) and
:func:`load_model_weights` (a bare model, ``tools/embed_poses.py``) refuse it instead, with one
line (:class:`CheckpointMismatchError`) naming the checkpoint, the config and a few of the
missing and unexpected keys. Buffers count as keys (a DTW-NN recognizer's gallery). A
checkpoint with NaN or infinite weights, or integer tensors where the model's are floating
(which ``load_state_dict`` copies without a word), is refused too. The
deliberate partial loads (``init_cfg`` pretrained weights, a student backbone in a recogniser)
do not go through here.
"""
import hashlib
import json
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Union

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vpd_mm.utils.checkpoint import CheckpointLoadError, load_checkpoint
from vpd_mm.utils.io import file_sha256
from .metrics.dump_vpd_features import logged_videos, resumed_shape, write_feature_index

#: The models whose features ``--dump-features`` / ``--dump-poses`` write (VPD students).
STUDENT_MODELS = ('VPDDistiller', )

#: How many keys of each kind a mismatch message names.
SHOWN_KEYS = 3


class CheckpointMismatchError(CheckpointLoadError):
    """A readable checkpoint that is not one of the config's model (one line naming both)."""


class UnsupportedTestOption(ValueError):
    """A ``tools/test.py`` option that the config cannot serve (one line naming the config)."""


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
        UnsupportedTestOption: ``dump_features`` or ``dump_poses`` for a model that is not a VPD
            student (:data:`STUDENT_MODELS`), before anything is built.
    """
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    model_type = cfg.get('model', {}).get('type')
    if (dump_features or dump_poses) and model_type not in STUDENT_MODELS:
        raise UnsupportedTestOption(
            f'{cfg.filename or "the config"}: --dump-features/--dump-poses write the features '
            f'of a VPD student ({", ".join(STUDENT_MODELS)}, configs/vpd/); this config\'s '
            f'model ({model_type}) tests on precomputed features: its inputs are already '
            'features (see its feature_dir)')
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


def resume_dumps(cfg: Config, checkpoint: Optional[str]) -> Dict[str, int]:
    """Skip the videos an interrupted feature dump of the same checkpoint and settings wrote.

    Every ``DumpVPDFeatures`` of ``cfg.test_evaluator`` gets a fingerprint: the SHA-256 of the
    checkpoint file's bytes, the model config, the test dataset config (pipeline, frames,
    paths) and the dumped key. The videos that the dump folders' logs list under that
    fingerprint, in every folder, are left out of the test dataset (``exclude_videos``) and
    kept in the folders' indices; another checkpoint or setting resumes nothing (and the run
    starts a new log). Call it after every change to the config (``--cfg-options`` included).

    Args:
        cfg (Config): The test config, changed in place.
        checkpoint (str, optional): The weights; None (random weights) resumes nothing.

    Returns:
        dict[str, int]: The resumed videos (name -> T); empty when nothing is resumed.
    """
    evaluators = _as_list(cfg.test_evaluator)
    dumps = [e for e in evaluators if e.get('type') == 'DumpVPDFeatures']
    if not dumps or checkpoint is None:
        return {}
    dataset = {k: v for k, v in cfg.test_dataloader.dataset.items() if k != 'exclude_videos'}
    settings = [file_sha256(checkpoint), cfg.model, dataset]
    resumed: Optional[Dict[str, int]] = None
    for dump in dumps:
        text = json.dumps(settings + [dump.get('key', 'pred_feature')], sort_keys=True,
                          default=repr)
        dump['fingerprint'] = hashlib.sha256(text.encode()).hexdigest()
        logged = logged_videos(dump['out_dir'], dump['fingerprint'])
        resumed = logged if resumed is None else {
            k: v for k, v in resumed.items() if logged.get(k) == v}
    resumed = resumed or {}
    for dump in dumps:
        dump['resumed'] = resumed
    if resumed:
        cfg.test_dataloader.dataset.exclude_videos = sorted(resumed)
        for e in evaluators:  # the videos left may have no confident frame
            if e.get('type') == 'VPDRegressionMetric':
                e['allow_empty'] = True
    return resumed


def finish_resumed_dumps(cfg: Config) -> int:
    """Write the index of every resumed dump of ``cfg`` whose videos were all written already
    (the test dataset then raises ``NoVideoLeftError``); returns how many videos it lists."""
    num = 0
    for dump in _as_list(cfg.test_evaluator):
        if dump.get('type') == 'DumpVPDFeatures' and dump.get('resumed'):
            videos = dict(dump['resumed'])
            write_feature_index(dump['out_dir'], dump.get('key', 'pred_feature'), videos,
                                resumed_shape(dump['out_dir'], videos))
            num = len(videos)
    return num


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if is_model_wrapper(model) else model


def _few(keys: List[str]) -> str:
    """The first :data:`SHOWN_KEYS` of ``keys``, and how many there are."""
    shown = ', '.join(keys[:SHOWN_KEYS])
    return shown + (f', ... ({len(keys)} in all)' if len(keys) > SHOWN_KEYS else '')


def _keys(n: int) -> str:
    return f'{n} key' + ('' if n == 1 else 's')


def _config_name(config: Union[str, Config, dict, None]) -> str:
    if isinstance(config, str):
        return config
    return getattr(config, 'filename', None) or 'the config'


def state_dict_of(checkpoint: Any, source: str) -> dict:
    """The weights of a loaded checkpoint: its ``state_dict`` (or the bare state dict), a
    ``module.`` prefix (DataParallel) removed.

    Raises:
        CheckpointLoadError: Not a dict of tensors (the message names ``source``).
    """
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise CheckpointLoadError(f'{source}: not a checkpoint of model weights (expected a '
                                  'state dict of tensors, or a dict with one as state_dict)')
    bad = [k for k in state if not isinstance(k, str)]
    if bad:
        raise CheckpointLoadError(f'{source}: not a checkpoint of model weights (the keys of its '
                                  f'state dict must be parameter names, got {bad[0]!r:.60} of '
                                  f'type {type(bad[0]).__name__})')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def _dtype_kind(dtype: torch.dtype) -> str:
    """``'floating'``, ``'complex'`` or ``'integer'`` (bool included: old masks were uint8)."""
    if dtype.is_floating_point:
        return 'floating'
    return 'complex' if dtype.is_complex else 'integer'


def _non_finite_keys(state: dict) -> List[str]:
    """The keys of the floating or complex tensors of ``state`` holding a NaN or an infinity."""
    return [str(k) for k, v in state.items() if torch.is_tensor(v) and (
        v.is_floating_point() or v.is_complex()) and not bool(torch.isfinite(v).all())]


def _watch_dtype_kinds(model: torch.nn.Module, found: List[str]) -> list:
    """Hooks appending to ``found`` ``'<key>: checkpoint int64 vs model float32'`` for each
    tensor of the loaded state dict whose kind (:func:`_dtype_kind`) is not that of the
    model's tensor; returns their handles.

    The kinds are the model's before loading; a hook runs after the module's own pre-hooks
    (registered at construction), so it sees the keys as ``load_state_dict`` copies them (old
    names mapped). ``load_state_dict`` copies an integer tensor into a float parameter without
    a word, and a DTW-NN recognizer takes its gallery buffers' dtype from the checkpoint.
    """
    handles = []
    for module in model.modules():
        tensors = dict(module._parameters)
        tensors.update((n, b) for n, b in module._buffers.items()
                       if n not in module._non_persistent_buffers_set)
        dtypes = {n: t.dtype for n, t in tensors.items() if t is not None}
        if not dtypes:
            continue

        def hook(mod, state_dict, prefix, *args, dtypes=dtypes):
            for name, dtype in dtypes.items():
                value = state_dict.get(prefix + name)
                if torch.is_tensor(value) and _dtype_kind(value.dtype) != _dtype_kind(dtype):
                    found.append(f'{prefix}{name}: checkpoint '
                                 f'{str(value.dtype).replace("torch.", "")} vs model '
                                 f'{str(dtype).replace("torch.", "")}')

        handles.append(module.register_load_state_dict_pre_hook(hook))
    return handles


def load_state_strictly(model: torch.nn.Module, state: dict, checkpoint: str,
                        config: Union[str, Config, dict, None]) -> None:
    """Load ``state`` into ``model``: every key (parameters and buffers) of the model, no other,
    every shape, tensors of the model's kind, finite floating values.

    The keys are compared after the model's own load hooks (old key names mapped, a DTW-NN
    gallery resized), as ``load_state_dict`` compares them. A BatchNorm's
    ``num_batches_tracked`` may be missing (older checkpoints; mmengine ignores it too).
    A NaN or an infinity in a floating tensor (a diverged or damaged model), or an integer
    (bool) tensor where the model has a floating one (or the reverse), is refused:
    ``load_state_dict`` takes both silently, and the test then reports chance accuracy.

    Raises:
        CheckpointLoadError: ``'<checkpoint>: not a usable checkpoint: non-finite values (NaN
            or inf) in N tensors (a, b, c, ...)'``, before anything is loaded.
        CheckpointMismatchError: ``'<checkpoint> is not a checkpoint of <config> (<model>):
            N of the model's M keys missing from it (a, b, c, ...), and it holds K keys the
            model has not (x, y, z, ...)'``; ``'<checkpoint> does not fit <config>: <key>:
            checkpoint [..] vs model [..]; ...'`` for tensors of other shapes (or the message
            of the model's own check); ``'<checkpoint> does not fit <config>: tensors of
            another kind (integer, floating, complex): <key>: checkpoint int64 vs model
            float32; ...'``. The model may then hold some of the weights.
    """
    model = _unwrap(model)
    non_finite = _non_finite_keys(state)
    if non_finite:
        raise CheckpointLoadError(
            f'{checkpoint}: not a usable checkpoint: non-finite values (NaN or inf) in '
            f'{len(non_finite)} tensor{"s" if len(non_finite) != 1 else ""} '
            f'({_few(non_finite)})')
    other_kinds: List[str] = []
    handles = _watch_dtype_kinds(model, other_kinds)
    try:
        result = model.load_state_dict(state, strict=False)
    except (RuntimeError, ValueError) as e:  # other shapes, or a model's own check
        raise _mismatch(e, checkpoint, config) from None
    finally:
        for handle in handles:
            handle.remove()
    if other_kinds:  # integer where the model is floating (or the reverse)
        shown = '; '.join(other_kinds[:SHOWN_KEYS]) + (
            f'; ... ({len(other_kinds)} in all)' if len(other_kinds) > SHOWN_KEYS else '')
        raise CheckpointMismatchError(
            f'{checkpoint} does not fit {_config_name(config)}: tensors of another kind '
            f'(integer, floating, complex): {shown}')
    missing = [k for k in result.missing_keys if not k.endswith('num_batches_tracked')]
    unexpected = list(result.unexpected_keys)
    if not missing and not unexpected:
        return
    parts = []
    if missing:
        total = len(model.state_dict())
        parts.append(f"{len(missing)} of the model's {_keys(total)} missing from it "
                     f'({_few(missing)})')
    if unexpected:
        parts.append(f'it holds {_keys(len(unexpected))} the model has not '
                     f'({_few(unexpected)})')
    raise CheckpointMismatchError(
        f'{checkpoint} is not a checkpoint of {_config_name(config)} '
        f'({type(model).__name__}): {", and ".join(parts)}')


#: torch's words for a tensor of another shape (groups: key, checkpoint's, model's shape).
_SIZE_MISMATCH = re.compile(r'size mismatch for (\S+): copying a param with shape '
                            r'torch\.Size\((\[.*?\])\) from checkpoint, the shape in current '
                            r'model is torch\.Size\((\[.*?\])\)')


def _mismatch(err: BaseException, checkpoint: str, config) -> CheckpointMismatchError:
    """One line of a failed strict load (tensors of other shapes, a model's own check)."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    sizes = [_SIZE_MISMATCH.sub(r'\1: checkpoint \2 vs model \3', ln).rstrip('.')
             for ln in lines if ln.startswith('size mismatch')]
    what = '; '.join(sizes[:SHOWN_KEYS]) + (f'; ... ({len(sizes)} in all)'
                                            if len(sizes) > SHOWN_KEYS else '')
    return CheckpointMismatchError(f'{checkpoint} does not fit {_config_name(config)}: '
                                   f'{what or " ".join(lines)}')


def _check_gallery(model: torch.nn.Module, checkpoint: str, config) -> None:
    """A DTW-NN recognizer's checkpoint must hold its gallery (``gallery_labels`` buffer)."""
    labels = getattr(model, 'gallery_labels', None)
    if torch.is_tensor(labels) and labels.numel() == 0:
        raise CheckpointMismatchError(
            f'{checkpoint} holds no gallery (its gallery_labels is empty): build the gallery '
            f'of {_config_name(config)} with tools/train.py (GalleryBuildLoop) and test the '
            'checkpoint it writes')


def load_model_weights(model: torch.nn.Module, checkpoint: str,
                       config: Union[str, Config, dict, None] = None) -> dict:
    """Load ``checkpoint`` (a path or an ``http(s)://`` URL) into ``model``, weights-only and
    strictly: every key, every shape.

    Args:
        model (torch.nn.Module): The model the config builds.
        checkpoint (str): Its checkpoint.
        config (str | Config | dict, optional): The config, for the messages.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: No such file.
        CheckpointLoadError: Not a weights-only checkpoint of model weights (one line).
        CheckpointMismatchError: The checkpoint of another model, tensors of other shapes, or
            the model's own check of the weights failed (:func:`load_state_strictly`), or a
            DTW-NN checkpoint without a gallery (one line naming the checkpoint and the
            config).
    """
    ckpt = load_checkpoint(checkpoint)
    model = _unwrap(model)
    load_state_strictly(model, state_dict_of(ckpt, checkpoint), checkpoint, config)
    _check_gallery(model, checkpoint, config)
    return ckpt


class StrictLoadCheck(Hook):
    """Loads the checkpoint the runner loads strictly first (``after_load_checkpoint``: the
    loaded dict, before the runner's own non-strict load of the same weights), so that what
    does not fit is one line; see :func:`load_test_checkpoint`."""

    def __init__(self, checkpoint: str, config: Union[str, Config, dict, None]) -> None:
        self.checkpoint = checkpoint
        self.config = config

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        load_state_strictly(runner.model, state_dict_of(checkpoint, self.checkpoint),
                            self.checkpoint, self.config)


def load_test_checkpoint(runner, checkpoint: str,
                         config: Union[str, Config, dict, None] = None) -> None:
    """Load the checkpoint under test into the runner's model, strictly.

    The runner's own loading (weights-only through :mod:`vpd_mm.compat`, the
    ``after_load_checkpoint`` hooks, ``runner.test()`` then loads nothing again), with
    ``strict=True``, the weights loaded strictly first by :class:`StrictLoadCheck` (the last
    of the hooks), so that what is wrong is one line. A DTW-NN recognizer must get a gallery.

    Args:
        runner (mmengine.runner.Runner): The test runner.
        checkpoint (str): The checkpoint (``configure_test``'s).
        config (str | Config | dict, optional): The config, for the messages.

    Raises:
        CheckpointLoadError: A refused or damaged file (one line naming it).
        CheckpointMismatchError: Not a checkpoint of this config's model (see
            :func:`load_model_weights`).
    """
    runner.register_hook(StrictLoadCheck(checkpoint, config), priority='LOWEST')
    try:
        runner.load_checkpoint(checkpoint, map_location='cpu', strict=True)
    except CheckpointLoadError:
        raise
    except (RuntimeError, ValueError) as e:
        raise _mismatch(e, checkpoint, config) from None
    _check_gallery(_unwrap(runner.model), checkpoint, config)
