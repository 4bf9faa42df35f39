# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognition by the nearest training sequence under dynamic time warping."""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from torch import Tensor

from vpd_mm.evaluation.functional import dtw_cost_matrix
from .sequence_recognizer import SequenceRecognizerBase, majority_class, sequence_lengths

_GALLERY = ('gallery_feats', 'gallery_offsets', 'gallery_labels')


@MODELS.register_module()
class DTWNearestNeighbour(SequenceRecognizerBase):
    """1-nearest-neighbour classification of feature sequences by DTW alignment cost.

    The cost of a query and a training sequence is the DTW alignment cost with Euclidean frame
    cost normalised by N + M (:func:`vpd_mm.evaluation.functional.dtw_cost_matrix`). The
    gallery holds every flip view of every training action as its own sequence; a query with V
    views takes, for each gallery sequence, the smallest cost over its views, i.e. the
    distance of a query action to a training action is the minimum over all view pairs. The
    prediction is the label of the gallery sequence of smallest cost; ``pred_score[c]`` is minus
    the smallest cost to a sequence of class ``c`` (``-1e30`` for classes absent from the
    gallery), so top-k ranks classes by their nearest sequence. A query without frames gets the
    gallery's most common class.

    The model has no parameters: "training" (``train_cfg=dict(type='GalleryBuildLoop')``) runs
    once over the training set and stores it in buffers (``gallery_feats`` [F, d] of all frames,
    ``gallery_offsets`` [G + 1], ``gallery_labels`` [G]), so the checkpoint holds the gallery and
    ``tools/test.py CONFIG CKPT`` works as for any recognizer. Build the gallery in one process
    (the buffers of different ranks would differ).

    Args:
        num_classes (int): Number of classes C.
        prune (bool): Let the DTW stop early for pairs that cannot be a query's nearest (see
            :meth:`_query_costs`; the prediction is exact, faster for large galleries).
            Defaults to True.
        num_threads (int, optional): numba threads of the DTW. Defaults to None (all).
        backbone (dict, optional): Defaults to ``dict(type='torch.nn.Identity')``.
        data_preprocessor (dict, optional): Defaults to mmengine's ``BaseDataPreprocessor``.
        train_cfg, test_cfg (dict, optional): Unused. Default to None.
    """

    def __init__(self,
                 num_classes: int,
                 prune: bool = True,
                 num_threads: Optional[int] = None,
                 backbone: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None) -> None:
        super().__init__(
            backbone=backbone or dict(type='torch.nn.Identity'),
            data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'),
            train_cfg=train_cfg,
            test_cfg=test_cfg)
        self.num_classes = num_classes
        self.prune = prune
        self.num_threads = num_threads
        self.reset_gallery()

    # ------------------------------------------------------------------ gallery
    def reset_gallery(self) -> None:
        """Empty the gallery."""
        self.register_buffer('gallery_feats', torch.zeros(0, 0))
        self.register_buffer('gallery_offsets', torch.zeros(1, dtype=torch.long))
        self.register_buffer('gallery_labels', torch.zeros(0, dtype=torch.long))
        self._pending: List[tuple] = []

    def _views(self, inputs: Tensor, data_samples: OptSampleList) -> List[List[np.ndarray]]:
        """Per sample, its non-empty view sequences as float32 arrays [T_i, d]."""
        feats = self.backbone(inputs[:, None] if inputs.ndim == 3 else inputs)  # [N, V, T, d]
        lengths = sequence_lengths(data_samples, feats.shape[0], feats.shape[2], feats.device)
        arr = feats.detach().float().cpu().numpy()
        return [[arr[i, v, :int(n)] for v in range(arr.shape[1])] if n > 0 else []
                for i, n in enumerate(lengths.tolist())]

    def add_to_gallery(self, inputs: Tensor, data_samples: SampleList) -> None:
        """Add every non-empty view of a batch of labelled samples to the gallery."""
        for views, sample in zip(self._views(inputs, data_samples), data_samples):
            label = int(sample.gt_label.reshape(-1)[0])
            self._pending += [(v, label) for v in views]

    def finalize_gallery(self) -> None:
        """Move the added sequences into the buffers."""
        if not self._pending:
            return
        seqs = [self.gallery_feats.cpu().numpy()] if len(self.gallery_labels) else []
        seqs += [s for s, _ in self._pending]
        lens = np.diff(self.gallery_offsets.cpu().numpy()).tolist()
        lens += [len(s) for s, _ in self._pending]
        labels = self.gallery_labels.tolist() + [lab for _, lab in self._pending]
        device = self.gallery_offsets.device
        self.gallery_feats = torch.from_numpy(np.concatenate(seqs).astype(np.float32)).to(device)
        self.gallery_offsets = torch.tensor(np.concatenate([[0], np.cumsum(lens)]),
                                            dtype=torch.long, device=device)
        self.gallery_labels = torch.tensor(labels, dtype=torch.long, device=device)
        self._pending = []

    def gallery_sequences(self) -> List[np.ndarray]:
        """The gallery's sequences [M_j, d]."""
        self.finalize_gallery()
        feats = self.gallery_feats.cpu().numpy()
        off = self.gallery_offsets.tolist()
        return [feats[off[j]:off[j + 1]] for j in range(len(off) - 1)]

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Resize the gallery buffers to the checkpoint's before loading them."""
        for name in _GALLERY:
            value = state_dict.get(prefix + name)
            if isinstance(value, Tensor):
                setattr(self, name, torch.empty_like(value, device=getattr(self, name).device))
        self._pending = []
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ modes
    def extract_feat(self, inputs: Tensor, **kwargs):
        """The inputs themselves (features are precomputed)."""
        return self.backbone(inputs), {}

    def loss(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> Dict[str, Tensor]:
        raise RuntimeError('DTWNearestNeighbour has nothing to train: build its gallery with '
                           "train_cfg=dict(type='GalleryBuildLoop')")

    def cost_matrix(self, inputs: Tensor, data_samples: OptSampleList = None) -> np.ndarray:
        """DTW costs [N, G] of each sample (minimum over its views) to each gallery sequence.

        Empty samples get ``inf``.
        """
        gallery = self.gallery_sequences()
        if not gallery:
            raise RuntimeError('DTWNearestNeighbour: the gallery is empty (train first with '
                               "train_cfg=dict(type='GalleryBuildLoop'), or load a checkpoint)")
        per_sample = self._views(inputs, data_samples)
        ids = [None if data_samples is None else data_samples[i].metainfo.get('action_id')
               for i in range(len(per_sample))]
        queries, owner, qids = [], [], []
        for i, views in enumerate(per_sample):
            queries += views
            owner += [i] * len(views)
            qids += [f'{ids[i]} view {v}' for v in range(len(views))]
        costs = np.full((len(per_sample), len(gallery)), np.inf)
        if queries:
            c = self._query_costs(queries, gallery, qids)
            np.minimum.at(costs, np.asarray(owner), c)
        return costs

    def _query_costs(self, queries: List[np.ndarray], gallery: List[np.ndarray],
                     qids: List[str]) -> np.ndarray:
        """Costs [Q, G]; with ``prune``, pairs that cannot be nearest may be ``inf``.

        Pruning: the first sequence of every class is aligned exactly with every query; the
        largest of the queries' best costs among them bounds every query's nearest cost, and is
        the threshold of the full pass. The exact columns are kept, so every class keeps a finite
        score (exact for the classes within the threshold, an upper bound of the cost otherwise).
        """
        if not self.prune:
            return dtw_cost_matrix(
                queries, gallery, num_threads=self.num_threads, query_ids=qids)
        labels = self.gallery_labels.tolist()
        first = sorted({lab: j for j, lab in reversed(list(enumerate(labels)))}.values())
        exact = dtw_cost_matrix(queries, [gallery[j] for j in first],
                                num_threads=self.num_threads, query_ids=qids)  # [Q, K]
        threshold = float(exact.min(axis=1).max()) * (1 + 1e-6) + 1e-12
        costs = dtw_cost_matrix(
            queries, gallery, prune=threshold, num_threads=self.num_threads, query_ids=qids)
        costs[:, first] = exact
        return costs

    def predict(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        """Label of the nearest gallery sequence (see the class docstring)."""
        costs = self.cost_matrix(inputs, data_samples)  # [N, G]
        labels = self.gallery_labels.cpu().numpy()
        scores = np.full((len(costs), self.num_classes), -1e30)
        for c in np.unique(labels):
            best = costs[:, labels == c].min(axis=1)
            scores[:, c] = np.where(np.isfinite(best), -best, -1e30)
        majority = majority_class(torch.bincount(self.gallery_labels, minlength=self.num_classes))
        for i, sample in enumerate(data_samples):
            if np.isfinite(costs[i]).any():
                score = torch.from_numpy(scores[i]).float()
                pred = int(labels[int(np.argmin(costs[i]))])
            else:  # no frames: the gallery's most common class
                score = F.one_hot(torch.tensor(majority), self.num_classes).float()
                pred = majority
            sample.set_pred_score(score)
            sample.set_pred_label(torch.tensor([pred]))
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None, **kwargs) -> Tensor:
        """DTW costs [N, G] to the gallery sequences."""
        return torch.from_numpy(self.cost_matrix(inputs, data_samples))
