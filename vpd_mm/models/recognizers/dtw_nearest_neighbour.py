# Copyright (c) vpd_mm contributors. All rights reserved.
"""Recognition by the nearest training sequence under dynamic time warping."""
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType, OptSampleList, SampleList
from torch import Tensor

from vpd_mm.ops import DEFAULT_STEP_PATTERN, DTWCandidates, check_step_pattern, dtw_cost_matrix
from .sequence_recognizer import SequenceRecognizerBase, majority_class, sequence_lengths

_GALLERY = ('gallery_feats', 'gallery_offsets', 'gallery_labels')
VIEW_MODES = ('concat', 'min')
# Slack of the pruning threshold: the same pair costs the same up to float32 rounding in
# another group of candidates (a different BLAS blocking).
_PRUNE_SLACK = 1e-5


@MODELS.register_module()
class DTWNearestNeighbour(SequenceRecognizerBase):
    """1-nearest-neighbour classification of feature sequences by DTW alignment cost.

    The cost of a query and a training action is the normalised DTW alignment cost with
    Euclidean frame cost (:func:`vpd_mm.ops.dtw_cost_matrix`), by default
    with the authors' step pattern ``'symmetricP2'`` (slope-constrained; a pair whose lengths
    differ too much cannot be aligned and costs ``inf``). Flip views (inputs [N, V, T, d]):

    - ``view='concat'`` (the default, the authors'): the V views of a frame are concatenated
      into one frame vector [T, V * d], one sequence per action (train with all views in a
      sample: the dataset's ``views='both'``);
    - ``view='min'``: every view is its own sequence and the cost of two actions is the
      minimum over all pairs of their views (the training samples may hold all views or one,
      the dataset's ``views='split'``).

    The prediction is the label of the training action of smallest cost; ``pred_score[c]`` is
    minus the smallest cost to an action of class ``c`` (``-1e30`` for classes absent from the
    gallery or that no path reaches), so top-k ranks classes by their nearest action. A query
    that the step pattern can align with no training action is aligned again with
    ``fallback_step_pattern`` (the authors retry with ``'symmetric2'``, which aligns any two
    sequences); a query without frames (or with no fallback) gets the gallery's most common
    class.

    The model has no parameters: "training" (``train_cfg=dict(type='GalleryBuildLoop')``) runs
    once over the training set and stores it in buffers (``gallery_feats`` [F, V_g * d], the
    views of each training sample's frames side by side, ``gallery_offsets`` [G + 1],
    ``gallery_labels`` [G]; G = training samples), so the checkpoint holds the gallery and
    ``tools/test.py CONFIG CKPT`` works as for any recognizer. Build the gallery in one process
    (the buffers of different ranks would differ). The gallery is packed for the DTW once and
    reused by every batch. Testing with an empty gallery is an error that says why: never built,
    or the loaded checkpoint held none (another model's) or an empty one;
    ``tools/test.py`` refuses such a checkpoint when it loads it.

    Args:
        num_classes (int): Number of classes C.
        step_pattern (str): 'symmetricP2' (the authors'), 'symmetric1' or 'symmetric2'.
            Defaults to 'symmetricP2'.
        view (str): 'concat' or 'min' (see above). Defaults to 'concat'.
        fallback_step_pattern (str, optional): Step pattern for the queries that
            ``step_pattern`` cannot align with any training action; None: the majority class.
            Defaults to 'symmetric2' (the authors').
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
                 step_pattern: str = DEFAULT_STEP_PATTERN,
                 view: str = 'concat',
                 fallback_step_pattern: Optional[str] = 'symmetric2',
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
        if view not in VIEW_MODES:
            raise ValueError(f'view must be one of {VIEW_MODES}, got {view!r}')
        self.num_classes = num_classes
        self.step_pattern = check_step_pattern(step_pattern)
        self.view = view
        self.fallback_step_pattern = (None if fallback_step_pattern is None else
                                      check_step_pattern(fallback_step_pattern))
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
        self._packed: Dict[tuple, DTWCandidates] = {}
        self._loaded_gallery: Optional[str] = None  # what the last loaded state dict held

    def _views(self, inputs: Tensor, data_samples: OptSampleList) -> List[Optional[np.ndarray]]:
        """Per sample, its float32 views [V, T_i, d] (None for a sample without frames)."""
        feats = self.backbone(inputs[:, None] if inputs.ndim == 3 else inputs)  # [N, V, T, d]
        lengths = sequence_lengths(data_samples, feats.shape[0], feats.shape[2], feats.device)
        arr = feats.detach().float().cpu().numpy()
        return [arr[i, :, :int(n)] if n > 0 else None for i, n in enumerate(lengths.tolist())]

    def add_to_gallery(self, inputs: Tensor, data_samples: SampleList) -> None:
        """Add every labelled sample with frames of a batch to the gallery."""
        for views, sample in zip(self._views(inputs, data_samples), data_samples):
            if views is not None:
                label = int(sample.gt_label.reshape(-1)[0])
                self._pending.append((_concat_views(views), label))  # [T, V * d]

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
        self._packed = {}

    def gallery_sequences(self) -> List[np.ndarray]:
        """The gallery's sequences [M_j, V * d] (views concatenated per frame)."""
        self.finalize_gallery()
        feats = self.gallery_feats.cpu().numpy()
        off = self.gallery_offsets.tolist()
        return [feats[off[j]:off[j + 1]] for j in range(len(off) - 1)]

    def _candidates(self, num_views: int, view: Optional[int],
                    subset: Optional[Tuple[int, ...]] = None) -> DTWCandidates:
        """The gallery (or the ``subset`` of its sequences) packed for the DTW, cached.

        ``view`` None: the concatenated views; an int: that view's [M_j, d] columns.
        """
        key = (num_views, view, subset)
        if key not in self._packed:
            seqs = self.gallery_sequences()
            if subset is not None:
                seqs = [seqs[j] for j in subset]
            if view is not None:
                d = seqs[0].shape[1] // num_views
                seqs = [s[:, view * d:(view + 1) * d] for s in seqs]
            self._packed[key] = DTWCandidates(seqs, kind='gallery')
        return self._packed[key]

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Resize the gallery buffers to the checkpoint's before loading them."""
        for name in _GALLERY:
            value = state_dict.get(prefix + name)
            if isinstance(value, Tensor):
                setattr(self, name, torch.empty_like(value, device=getattr(self, name).device))
        labels = state_dict.get(prefix + 'gallery_labels')
        self._loaded_gallery = ('absent' if not isinstance(labels, Tensor) else
                                'empty' if not labels.numel() else 'loaded')
        self._pending = []
        self._packed = {}
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ modes
    def extract_feat(self, inputs: Tensor, **kwargs):
        """The inputs themselves (features are precomputed)."""
        return self.backbone(inputs), {}

    def loss(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> Dict[str, Tensor]:
        raise RuntimeError('DTWNearestNeighbour has nothing to train: build its gallery with '
                           "train_cfg=dict(type='GalleryBuildLoop')")

    def cost_matrix(self, inputs: Tensor, data_samples: OptSampleList = None) -> np.ndarray:
        """DTW costs [N, G] of each sample to each training sample (see ``view``).

        Samples without frames, and pairs the step pattern cannot align, get ``inf``.
        """
        self.finalize_gallery()
        if not len(self.gallery_labels):
            raise RuntimeError(self._empty_gallery_message())
        per_sample = self._views(inputs, data_samples)
        ids = [None if data_samples is None else data_samples[i].metainfo.get('action_id')
               for i in range(len(per_sample))]
        keep = [i for i, v in enumerate(per_sample) if v is not None]
        costs = np.full((len(per_sample), len(self.gallery_labels)), np.inf)
        if keep:
            views = [per_sample[i] for i in keep]
            num_views, dim = views[0].shape[0], views[0].shape[2]
            width = self.gallery_feats.shape[1]
            if width % dim or (self.view == 'concat' and width != num_views * dim):
                raise ValueError(
                    f'DTWNearestNeighbour(view={self.view!r}): the gallery\'s frames have '
                    f'{width} features, the queries {num_views} views x {dim}' +
                    (' (concat needs every view of a training action in one sample: the '
                     "training dataset's views='both')" if self.view == 'concat' else ''))
            qids = [f'{ids[i]}' for i in keep]
            costs[keep] = self._query_costs(views, qids)
            lost = [j for j in range(len(keep)) if not np.isfinite(costs[keep[j]]).any()]
            if lost and self.fallback_step_pattern not in (None, self.step_pattern):
                costs[[keep[j] for j in lost]] = self._query_costs(
                    [views[j] for j in lost], [qids[j] for j in lost],
                    step_pattern=self.fallback_step_pattern)
        return costs

    def _empty_gallery_message(self) -> str:
        """Why the gallery is empty: never built, or a loaded checkpoint without one."""
        build = "train_cfg=dict(type='GalleryBuildLoop')"
        if self._loaded_gallery == 'absent':
            return ('DTWNearestNeighbour: the gallery is empty: the checkpoint loaded into the '
                    'model holds no gallery (no gallery_feats, gallery_offsets, gallery_labels: '
                    f'a checkpoint of another model?); build one with {build} (tools/train.py) '
                    'and load the checkpoint that writes')
        if self._loaded_gallery == 'empty':
            return ('DTWNearestNeighbour: the gallery is empty: the checkpoint loaded into the '
                    f'model holds an empty gallery; build one with {build} (tools/train.py) '
                    'on a training set with labelled samples')
        return ('DTWNearestNeighbour: the gallery is empty (build it first with '
                f'{build}, or load a checkpoint that holds one)')

    def _combos(self, views: List[np.ndarray],
                qids: List[str]) -> List[Tuple[List[np.ndarray], Optional[int], List[str]]]:
        """(queries, gallery view, ids) of each DTW to run; the cost is their minimum."""
        if self.view == 'concat':
            return [([_concat_views(v) for v in views], None, qids)]
        gallery_views = self.gallery_feats.shape[1] // views[0].shape[2]
        return [([v[u] for v in views], gv, [f'{q} view {u}' for q in qids])
                for u in range(views[0].shape[0]) for gv in range(gallery_views)]

    def _query_costs(self, views: List[np.ndarray], qids: List[str],
                     step_pattern: Optional[str] = None) -> np.ndarray:
        """Costs [Q, G] of samples with frames; with ``prune``, pairs that cannot be nearest
        may be ``inf``.

        Pruning: the first training action of every class is aligned exactly with every query;
        a query's best cost among them bounds its nearest cost and is its threshold in the full
        pass (``inf`` when none of them can be aligned: no pruning for that query). The exact
        columns are kept, so every class keeps a score (exact for the classes within the
        threshold, an upper bound of the cost otherwise). ``step_pattern`` defaults to the
        model's.
        """
        step_pattern = step_pattern or self.step_pattern
        gallery_views = self.gallery_feats.shape[1] // views[0].shape[2]
        combos = self._combos(views, qids)

        def run(subset=None, prune=None):
            out = None
            for queries, gview, ids in combos:
                c = dtw_cost_matrix(
                    queries, self._candidates(gallery_views, gview, subset), prune=prune,
                    num_threads=self.num_threads, query_ids=ids, step_pattern=step_pattern)
                out = c if out is None else np.minimum(out, c)
            return out

        if not self.prune:
            return run()
        labels = self.gallery_labels.tolist()
        first = tuple(sorted({lab: j for j, lab in reversed(list(enumerate(labels)))}.values()))
        exact = run(subset=first)  # [Q, K]
        threshold = exact.min(axis=1)  # [Q], inf where no first action aligns
        costs = run(prune=threshold * (1 + _PRUNE_SLACK) + 1e-12)
        costs[:, list(first)] = exact
        return costs

    def predict(self, inputs: Tensor, data_samples: SampleList, **kwargs) -> SampleList:
        """Label of the nearest training action (see the class docstring)."""
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
            else:  # no frames, or no training action it can be aligned with
                score = F.one_hot(torch.tensor(majority), self.num_classes).float()
                pred = majority
            sample.set_pred_score(score)
            sample.set_pred_label(torch.tensor([pred]))
        return data_samples

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None, **kwargs) -> Tensor:
        """DTW costs [N, G] to the training actions."""
        return torch.from_numpy(self.cost_matrix(inputs, data_samples))


def _concat_views(views: np.ndarray) -> np.ndarray:
    """[V, T, d] -> [T, V * d]: the views of a frame side by side (the authors' layout)."""
    return np.ascontiguousarray(views.transpose(1, 0, 2).reshape(views.shape[1], -1))
