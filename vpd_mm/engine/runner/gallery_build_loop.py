# Copyright (c) vpd_mm contributors. All rights reserved.
""""Training" of a nearest-neighbour model: one pass over the training set into its gallery.

``tools/train.py`` with ``train_cfg=dict(type='GalleryBuildLoop')`` and
``optim_wrapper=dict(constructor='NoParamsOptimWrapperConstructor')``
(:class:`vpd_mm.engine.optimizers.NoParamsOptimWrapperConstructor`) runs the usual hooks
(logging, checkpoint after the pass, validation and best-checkpoint selection) around a model
whose ``add_to_gallery(inputs, data_samples)`` / ``finalize_gallery()`` store the training set.
"""
import torch
from mmaction.registry import LOOPS
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop


@LOOPS.register_module()
class GalleryBuildLoop(EpochBasedTrainLoop):
    """One epoch that adds every training batch to the model's gallery (no optimisation).

    Hooks see an ordinary epoch: ``before_train_epoch``, ``before/after_train_iter`` per batch
    (with empty outputs), then ``after_train_epoch`` (the checkpoint, holding the gallery) and
    the validation loop.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training set.
        val_begin (int): Defaults to 1.
        val_interval (int): Defaults to 1.
    """

    def __init__(self, runner, dataloader, val_begin: int = 1, val_interval: int = 1) -> None:
        super().__init__(
            runner, dataloader, max_epochs=1, val_begin=val_begin, val_interval=val_interval)

    @property
    def _model(self):
        model = self.runner.model
        return model.module if is_model_wrapper(model) else model

    def run_epoch(self) -> None:
        """Fill the gallery from every batch, then save it (``after_train_epoch``)."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.eval()
        self._model.reset_gallery()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        self._model.finalize_gallery()
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: dict) -> None:
        """Add one batch to the gallery."""
        self.runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        with torch.no_grad():
            data = self._model.data_preprocessor(data_batch, False)
            self._model.add_to_gallery(data['inputs'], data['data_samples'])
        self.runner.call_hook(
            'after_train_iter', batch_idx=idx, data_batch=data_batch, outputs=dict())
        self._iter += 1
