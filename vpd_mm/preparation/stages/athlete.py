# Copyright (c) vpd_mm contributors. All rights reserved.
"""Reduce the person tracks of a video to the athlete's track (SPEC section 1)."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmaction.registry import TASK_UTILS

from vpd_mm.structures import box_iou
from ._common import video_name

SALIENCE_TERMS = ('length', 'size', 'motion', 'centrality')


class NoAthleteError(RuntimeError):
    """No athlete track in a video.

    Attributes:
        reason (str): ``'no person'`` (no track at all) or ``'track too short'`` (the chosen
            track has fewer detections than ``min_track_len``).
    """

    def __init__(self, reason: str, detail: str = '') -> None:
        self.reason = reason
        super().__init__(f'{reason}: {detail}' if detail else reason)


@dataclass
class AthleteTrack:
    """The athlete's track in one video.

    Attributes:
        boxes (np.ndarray): [T, 4] float32 x1, y1, x2, y2; NaN where there is no box.
        scores (np.ndarray): [T] float32 detection scores (linearly interpolated in filled gaps,
            0 where there is no box).
        interpolated (np.ndarray): [T] bool, True where the box was filled by interpolation.
        track_ids (list[int]): Tracker ids of the joined fragments, in temporal order.
        salience (float): Salience score of the chosen track (see :class:`AthleteSelector`).
    """
    boxes: np.ndarray
    scores: np.ndarray
    interpolated: np.ndarray
    track_ids: List[int] = field(default_factory=list)
    salience: float = float('nan')


def _box_size(box: np.ndarray) -> np.ndarray:
    """sqrt(area) of [..., 4] boxes (0 for degenerate boxes)."""
    wh = np.clip(box[..., 2:4] - box[..., 0:2], 0, None)
    return np.sqrt(wh[..., 0] * wh[..., 1])


def _centres(box: np.ndarray) -> np.ndarray:
    return (box[..., 0:2] + box[..., 2:4]) / 2


@TASK_UTILS.register_module()
class AthleteSelector:
    """Pick the athlete among the tracked people, join its fragments and fill short gaps.

    **1. Fragment joining.** A tracker often splits one person into several tracks (occlusion,
    motion blur, a flip). Fragment ``b`` may follow fragment ``a`` when ``b`` starts after ``a``
    ends with at most ``max_join_gap`` frames without a box between them, and ``b``'s first box
    is near ``a``'s last box: IoU >= ``join_iou``, or (centre distance / mean box size <=
    ``join_distance`` and size ratio <= ``join_size_ratio``), box size being sqrt(area). All
    admissible links are sorted by (gap, centre distance / size) and accepted greedily when
    ``a`` has no successor and ``b`` no predecessor yet; the chains of linked fragments are the
    candidate tracks.

    **2. Salience.** For each candidate, over the frames where it has a box (``T`` frames in the
    video, image ``H x W``):

    * ``length``: number of frames with a box / ``T``;
    * ``size``: mean of sqrt(box area) / sqrt(H * W);
    * ``motion``: mean, over consecutive frame pairs that both have a box, of
      (||centre change|| + |width change| + |height change|) / mean box size of the pair
      (0 without such a pair) -- athletes move and change shape, spectators mostly do not;
    * ``centrality``: mean of max(0, 1 - ||box centre - image centre|| / (half the image
      diagonal)).

    Each term is divided by its maximum over the candidates (so it lies in [0, 1], the best
    candidate scoring 1; a term that is 0 for every candidate stays 0). The salience is
    ``sum_k weights[k] * term_k``; the candidate with the highest salience is the athlete
    (ties: more frames, then the smaller first track id).

    **Players.** When one clip holds several athletes and the reader makes one video per
    athlete (tennis: ``front__<clip>`` and ``back__<clip>``, the record's ``player`` key),
    ``player_regions`` maps each player to the band of image rows ``(top, bottom)``, as fractions
    of ``H``, where that player's box centre lies (the median over the frames with a box): only
    candidates in the band compete. Without it, every player's video would get the same, most
    salient, person.

    **3. Gap filling.** A run of ``g <= max_interp_gap`` frames without a box between two boxes
    at frames ``l`` and ``r`` is filled by linear interpolation: frame ``t`` gets
    ``(1 - a) * box_l + a * box_r`` with ``a = (t - l) / (r - l)``, so a frame next to ``l``
    is mostly ``box_l`` (the published code had these weights reversed). Longer gaps and the
    frames before the first / after the last box stay NaN.

    Args:
        weights (dict): Weights of ``length``, ``size``, ``motion``, ``centrality`` (>= 0;
            missing terms weigh 0). Defaults to 1 each.
        max_join_gap (int): Most frames without a box between joined fragments. Defaults to 25.
        join_iou (float): IoU that suffices to join. Defaults to 0.3.
        join_distance (float): Largest centre distance, in mean box sizes, to join.
            Defaults to 1.0.
        join_size_ratio (float): Largest ratio of box sizes to join (>= 1). Defaults to 1.5.
        max_interp_gap (int): Longest run of missing frames filled by interpolation.
            Defaults to 10.
        min_track_len (int): Fewest frames with a detected box the athlete track needs.
            Defaults to 10.
        player_regions (dict, optional): Player name -> ``(top, bottom)`` fractions of the
            image height (0 <= top < bottom <= 1) where that player's box centre lies, for
            videos whose record has a ``player`` (e.g. ``dict(front=(0.5, 1.0),
            back=(0.0, 0.5))`` for tennis broadcasts: the near player in the lower half).
            A record whose player is not listed is an error. Defaults to None (no filter).
    """

    def __init__(self,
                 weights: Optional[Dict[str, float]] = None,
                 max_join_gap: int = 25,
                 join_iou: float = 0.3,
                 join_distance: float = 1.0,
                 join_size_ratio: float = 1.5,
                 max_interp_gap: int = 10,
                 min_track_len: int = 10,
                 player_regions: Optional[Dict[str, Sequence[float]]] = None) -> None:
        weights = dict(length=1.0, size=1.0, motion=1.0, centrality=1.0) \
            if weights is None else dict(weights)
        unknown = set(weights) - set(SALIENCE_TERMS)
        if unknown:
            raise ValueError(f'unknown salience terms {sorted(unknown)}, '
                             f'expected some of {SALIENCE_TERMS}')
        if any(not np.isfinite(v) or v < 0 for v in weights.values()):
            raise ValueError(f'salience weights must be finite and >= 0, got {weights}')
        if join_size_ratio < 1:
            raise ValueError(f'join_size_ratio must be >= 1, got {join_size_ratio}')
        self.weights = {k: float(weights.get(k, 0.0)) for k in SALIENCE_TERMS}
        self.max_join_gap = int(max_join_gap)
        self.join_iou = float(join_iou)
        self.join_distance = float(join_distance)
        self.join_size_ratio = float(join_size_ratio)
        self.max_interp_gap = int(max_interp_gap)
        self.min_track_len = int(min_track_len)
        self.player_regions = None
        if player_regions is not None:
            self.player_regions = {}
            for player, band in dict(player_regions).items():
                top, bottom = (float(v) for v in band)
                if not 0 <= top < bottom <= 1:
                    raise ValueError(f'player_regions[{player!r}] must be (top, bottom) with '
                                     f'0 <= top < bottom <= 1, got {tuple(band)}')
                self.player_regions[str(player)] = (top, bottom)

    # 1. fragments -> chains
    def _can_join(self, a: np.ndarray, b: np.ndarray) -> Tuple[bool, float]:
        """Whether box ``b`` (first of a later fragment) continues box ``a``; and its distance."""
        sa, sb = _box_size(a), _box_size(b)
        if sa <= 0 or sb <= 0:
            return False, np.inf
        dist = float(np.linalg.norm(_centres(a) - _centres(b)) / ((sa + sb) / 2))
        if float(box_iou(a, b)) >= self.join_iou:
            return True, dist
        ok = dist <= self.join_distance and max(sa, sb) / min(sa, sb) <= self.join_size_ratio
        return ok, dist

    def join_fragments(self, tracks: Dict[int, np.ndarray]) -> List[List[int]]:
        """Chains of track ids that belong to one person (rule in the class docstring).

        Args:
            tracks (dict[int, np.ndarray]): Track id -> [T, 5] boxes + score, NaN rows where
                absent; tracks without any box are ignored.

        Returns:
            list[list[int]]: Chains of track ids in temporal order.
        """
        span = {}
        for i, trk in tracks.items():
            present = np.flatnonzero(np.isfinite(trk[:, :4]).all(axis=1))
            if len(present):
                span[i] = (int(present[0]), int(present[-1]))
        links = []
        for a, (_, end_a) in span.items():
            for b, (start_b, _) in span.items():
                gap = start_b - end_a - 1
                if a == b or not 0 <= gap <= self.max_join_gap:
                    continue
                ok, dist = self._can_join(tracks[a][end_a, :4], tracks[b][start_b, :4])
                if ok:
                    links.append((gap, dist, a, b))
        succ: Dict[int, int] = {}
        pred: Dict[int, int] = {}
        for _, _, a, b in sorted(links):
            if a not in succ and b not in pred:
                succ[a], pred[b] = b, a
        chains = []
        for i in sorted(span, key=lambda k: (span[k][0], k)):
            if i in pred:
                continue
            chain = [i]
            while chain[-1] in succ:
                chain.append(succ[chain[-1]])
            chains.append(chain)
        return chains

    # 2. salience
    def salience_terms(self, boxes: np.ndarray, img_shape: Tuple[int, int]) -> Dict[str, float]:
        """Raw (unnormalised) salience terms of one candidate.

        Args:
            boxes (np.ndarray): [T, 4] boxes, NaN rows where absent.
            img_shape (tuple): ``(H, W)``.

        Returns:
            dict[str, float]: ``length``, ``size``, ``motion``, ``centrality``.
        """
        h, w = float(img_shape[0]), float(img_shape[1])
        present = np.isfinite(boxes).all(axis=1)  # [T]
        b = boxes[present].astype(np.float64)  # [n, 4]
        size = _box_size(b)  # [n]
        centre = _centres(b)  # [n, 2]
        both = present[1:] & present[:-1]  # [T - 1]
        if both.any():
            b0 = boxes[:-1][both].astype(np.float64)
            b1 = boxes[1:][both].astype(np.float64)
            change = (np.linalg.norm(_centres(b1) - _centres(b0), axis=1) +
                      np.abs((b1[:, 2] - b1[:, 0]) - (b0[:, 2] - b0[:, 0])) +
                      np.abs((b1[:, 3] - b1[:, 1]) - (b0[:, 3] - b0[:, 1])))
            scale = np.maximum((_box_size(b0) + _box_size(b1)) / 2, 1e-6)
            motion = float(np.mean(change / scale))
        else:
            motion = 0.0
        off = np.linalg.norm(centre - np.array([w / 2, h / 2]), axis=1)
        centrality = np.clip(1 - off / (0.5 * np.hypot(w, h)), 0, None)
        return dict(
            length=float(present.sum()) / len(boxes),
            size=float(size.mean() / np.sqrt(h * w)),
            motion=motion,
            centrality=float(centrality.mean()))

    def salience(self, candidates: List[np.ndarray], img_shape: Tuple[int, int]) -> np.ndarray:
        """Salience of each candidate: weighted sum of max-normalised terms.

        Args:
            candidates (list[np.ndarray]): [T, 4] boxes of each candidate.
            img_shape (tuple): ``(H, W)``.

        Returns:
            np.ndarray: [C] float64 salience scores.
        """
        raw = np.array([[self.salience_terms(c, img_shape)[k] for k in SALIENCE_TERMS]
                        for c in candidates], dtype=np.float64).reshape(-1, len(SALIENCE_TERMS))
        top = raw.max(axis=0) if len(raw) else np.zeros(len(SALIENCE_TERMS))
        norm = np.divide(raw, top, out=np.zeros_like(raw), where=top > 0)  # [C, 4]
        return norm @ np.array([self.weights[k] for k in SALIENCE_TERMS])

    def player_band(self, video: Optional[dict]) -> Optional[Tuple[str, float, float]]:
        """``(player, top, bottom)`` of the record's player, or None when there is no filter.

        Raises:
            ValueError: ``player_regions`` is set and the record's player is not in it.
        """
        if self.player_regions is None or not video or video.get('player') is None:
            return None
        player = str(video['player'])
        if player not in self.player_regions:
            raise ValueError(f'{video_name(video)}player {player!r} has no region in '
                             f'player_regions (players: {sorted(self.player_regions)})')
        return (player, ) + self.player_regions[player]

    # 3. gap filling
    def fill_gaps(self, boxes: np.ndarray,
                  scores: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fill runs of at most ``max_interp_gap`` missing frames by linear interpolation.

        Args:
            boxes (np.ndarray): [T, 4] boxes, NaN rows where missing.
            scores (np.ndarray): [T] scores.

        Returns:
            tuple: [T, 4] float32 boxes, [T] float32 scores (0 where still missing) and [T]
            bool interpolated mask.
        """
        num = len(boxes)
        present = np.isfinite(boxes).all(axis=1)
        known = np.flatnonzero(present)
        out_b = np.full((num, 4), np.nan, dtype=np.float64)
        out_s = np.zeros(num, dtype=np.float64)
        out_b[present] = boxes[present]
        out_s[present] = scores[present]
        filled = np.zeros(num, dtype=bool)
        if len(known) >= 2:
            t = np.arange(num)
            right = np.searchsorted(known, t)  # index into known of the next box at or after t
            inside = ~present & (right > 0) & (right < len(known))
            left_t = known[np.clip(right - 1, 0, len(known) - 1)]
            right_t = known[np.clip(right, 0, len(known) - 1)]
            filled = inside & (right_t - left_t - 1 <= self.max_interp_gap)
            if filled.any():
                tf = t[filled]
                for k in range(4):  # np.interp: (1 - a) * y_l + a * y_r, a = (t - l) / (r - l)
                    out_b[filled, k] = np.interp(tf, known, boxes[known, k].astype(np.float64))
                out_s[filled] = np.interp(tf, known, scores[known].astype(np.float64))
        return out_b.astype(np.float32), out_s.astype(np.float32), filled

    def __call__(self,
                 tracks: Dict[int, np.ndarray],
                 img_shape: Tuple[int, int],
                 video: Optional[dict] = None) -> AthleteTrack:
        """Select the athlete's track.

        Args:
            tracks (dict[int, np.ndarray]): Track id -> [T, 5] float ``(x1, y1, x2, y2,
                score)``, NaN rows where the track is absent (:class:`MMDetPersonTracker`).
            img_shape (tuple): ``(H, W)`` of the frames.
            video (dict, optional): The reader's record of the video (used in messages).

        Returns:
            AthleteTrack: The athlete's boxes, scores, interpolation mask and track ids.

        Raises:
            NoAthleteError: ``reason='no person'`` without any track, ``'track too short'``
                when the chosen track has fewer than ``min_track_len`` detected frames.
        """
        name = video_name(video)
        tracks = {int(k): np.asarray(v, dtype=np.float64) for k, v in tracks.items()}
        lengths = {len(v) for v in tracks.values()}
        if len(lengths) > 1:
            raise ValueError(f'{name}tracks have different lengths {sorted(lengths)}')
        for k, v in tracks.items():
            if v.ndim != 2 or v.shape[1] != 5:
                raise ValueError(f'{name}track {k} must have shape [T, 5], got {list(v.shape)}')
        chains = self.join_fragments(tracks)
        if not chains:
            raise NoAthleteError('no person', f'{name}no person track in the video')
        num = lengths.pop()
        candidates = []
        for chain in chains:
            merged = np.full((num, 5), np.nan)
            for i in chain:
                rows = np.isfinite(tracks[i][:, :4]).all(axis=1)
                merged[rows] = tracks[i][rows]
            candidates.append(merged)
        band = self.player_band(video)
        if band is not None:  # only the player's own band of rows competes
            player, top, bottom = band
            keep = [j for j, c in enumerate(candidates)
                    if top <= np.nanmedian(_centres(c[:, :4])[:, 1]) / img_shape[0] <= bottom]
            if not keep:
                raise NoAthleteError(
                    'no person', f'{name}no person track of player {player!r} in rows '
                    f'{top:g}-{bottom:g} of the frame height ({len(chains)} track(s) elsewhere)')
            chains = [chains[j] for j in keep]
            candidates = [candidates[j] for j in keep]
        sal = self.salience([c[:, :4] for c in candidates], img_shape)
        counts = [int(np.isfinite(c[:, :4]).all(axis=1).sum()) for c in candidates]
        best = max(range(len(chains)), key=lambda j: (sal[j], counts[j], -chains[j][0]))
        if counts[best] < self.min_track_len:
            raise NoAthleteError(
                'track too short', f'{name}the athlete track (ids {chains[best]}) has '
                f'{counts[best]} frames with a box, fewer than min_track_len='
                f'{self.min_track_len}')
        cand = candidates[best]
        boxes, scores, filled = self.fill_gaps(cand[:, :4], np.nan_to_num(cand[:, 4]))
        return AthleteTrack(
            boxes=boxes,
            scores=scores,
            interpolated=filled,
            track_ids=list(chains[best]),
            salience=float(sal[best]))
