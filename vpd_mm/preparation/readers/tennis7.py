# Copyright (c) vpd_mm contributors. All rights reserved.
"""Tennis7: seven swing classes of broadcast tennis, the VPD authors' label files."""
import os.path as osp
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from mmaction.registry import TASK_UTILS

from .base import BaseVideoReader, ReaderError, VideoIndex, resolve_video
from .frame_rate import SourceFrameRates
from .id_lists import check_label_names, read_labels_and_val

#: The seven swings, in the order of the authors' ``recognize.py`` (label i = class i).
TENNIS7_CLASSES: Tuple[str, ...] = ('forehand_topspin', 'forehand_slice', 'backhand_topspin',
                                    'backhand_slice', 'forehand_volley', 'backhand_volley',
                                    'overhead')
#: The other labels of the authors' ``all.txt`` (left out, as ``recognize.py`` does).
TENNIS7_OTHER_LABELS: Tuple[str, ...] = ('serve', 'nonshot', 'special', 'unknown_swing')
#: The four matches held out for test (the authors' ``action_dataset/eval.py``).
TENNIS7_TEST_MATCHES: Tuple[str, ...] = ('usopen_2015_mens_final_federer_djokovic',
                                         'usopen_2019_womens_osaka_gauff',
                                         'wimbledon_2019_mens_semifinal_federer_nadal',
                                         'wimbledon_2019_womens_final_halep_williams')
#: The players of a point, as the prefixes of the authors' pose folders ``<player>__<point>``.
PLAYERS: Tuple[str, ...] = ('front', 'back')
#: A point clip ``<match>_<start>_<end>``: frames ``[start, end)`` of the match video.
_CLIP = re.compile(r'^(?P<match>.+)_(?P<start>[0-9]+)_(?P<end>[0-9]+)$')
#: An action id of ``all.txt``: ``<match>:<player>:<frame>``.
_ACTION_ID = re.compile(r'^(?P<match>[^:]+):(?P<player>[^:]+):(?P<frame>[0-9]+)$')


def parse_clip(name: str) -> Tuple[str, int, int]:
    """``'usopen_2019_mens_final_medvedev_nadal_1348_2256'`` -> (match, 1348, 2256).

    Raises:
        ValueError: a name of another form, or an empty clip.
    """
    m = _CLIP.match(name)
    if m is None or int(m['end']) <= int(m['start']):
        raise ValueError(f'not a point clip name <match>_<start>_<end> (start < end): {name!r}')
    return m['match'], int(m['start']), int(m['end'])


def swing_window(frame: int, clip_start: int, clip_end: int, fps: float, before: float = 0.5,
                 after: float = 0.5) -> Tuple[int, int]:
    """The authors' Tennis7 window around a ball contact, in frames of the clip.

    ``mid = frame - clip_start``; ``[max(0, int(mid - before * fps)), int(mid + after *
    fps))`` as in the authors' ``recognize.py``, with the end clamped to the clip's length
    ``clip_end - clip_start``.

    Args:
        frame (int): The contact, a frame of the match video.
        clip_start (int): First match frame of the clip.
        clip_end (int): End of the clip (exclusive), a match frame.
        fps (float): Frame rate of the clip.
        before (float): Seconds before the contact. Defaults to 0.5.
        after (float): Seconds after the contact. Defaults to 0.5.

    Returns:
        tuple[int, int]: ``[start, end)``, frames of the clip.
    """
    mid = frame - clip_start
    return max(0, int(mid - fps * before)), min(int(mid + fps * after), clip_end - clip_start)


@TASK_UTILS.register_module()
class Tennis7Reader(BaseVideoReader):
    """Tennis7 from the VPD authors' ``action_dataset/tennis/`` files.

    Files (under ``data_root``):

    * ``all.txt``: lines ``<match>:<player>:<frame> <label>``, one a stroke: ``<player>`` is
      ``front`` or ``back`` (near or far side of the court), ``<frame>`` the ball contact as a
      frame of the match video; labels outside ``classes`` that are in ``ignore_labels``
      (serves, non-shots, ...) are left out. The line's ``<match>:<player>:<frame>`` is the
      action id.
    * ``val.ids.txt``: action ids of the validation split (optional: ``val_file=None``).
    * the point clips ``<video_dir>/<match>_<start>_<end>.mp4`` (frames ``[start, end)`` of the
      match video; every video of ``video_dir`` must be named so).

    Each clip gives one video per player, named like the authors' pose folders:
    ``front__<clip>`` and ``back__<clip>`` (both decode the clip file; the record's ``player``
    says whose pose it is meant to hold). A stroke belongs to the player's video of the clip that
    holds its frame (``start <= frame < end``; of two overlapping clips, the one where the frame
    is farthest from an edge, then the earlier); its window is :func:`swing_window`, ``+-0.5 s``
    around the contact inside that clip. Clips of ``test_matches`` are the test split, with
    all their strokes; the other strokes are ``val`` when ``val.ids.txt`` lists them, else
    ``train``. A video's split is ``test``, else ``val`` when all its strokes are, else
    ``train``.

    Args:
        data_root (str): Folder of the files above.
        ann_file (str): The labels. Defaults to ``'all.txt'``.
        val_file (str, optional): Validation ids. Defaults to ``'val.ids.txt'``.
        classes (Sequence[str]): Class names as written in ``all.txt``. Defaults to
            :data:`TENNIS7_CLASSES`.
        ignore_labels (Sequence[str]): Labels left out (any other label outside ``classes`` is
            an error). Defaults to :data:`TENNIS7_OTHER_LABELS`.
        test_matches (Sequence[str]): Matches of the test split. Defaults to
            :data:`TENNIS7_TEST_MATCHES`.
        window (tuple[float, float]): Seconds before and after the contact. Defaults to
            (0.5, 0.5).
        players (Sequence[str]): Players with a video per clip. Defaults to :data:`PLAYERS`.
        fps (float, optional): Frame rate of every clip; None reads each clip's container
            (25 fps Wimbledon, 29.97 fps US Open in the authors' release). Defaults to None.
        default_fps (float): Rate assumed for a clip whose rate cannot be read (an unreadable
            file, which the pipeline skips). Defaults to 25.0.
        drop_unplaced (bool): Leave out strokes that no clip of ``video_dir`` holds (listed in
            ``unplaced_ids``) instead of raising. Defaults to False.
        **kwargs: :class:`BaseVideoReader` arguments (``video_dir`` defaults to ``'videos'``).
    """
    DEFAULT_NAME = 'tennis'

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'all.txt',
                 val_file: Optional[str] = 'val.ids.txt',
                 classes: Sequence[str] = TENNIS7_CLASSES,
                 ignore_labels: Sequence[str] = TENNIS7_OTHER_LABELS,
                 test_matches: Sequence[str] = TENNIS7_TEST_MATCHES,
                 window: Tuple[float, float] = (0.5, 0.5),
                 players: Sequence[str] = PLAYERS,
                 fps: Optional[float] = None,
                 default_fps: float = 25.0,
                 drop_unplaced: bool = False,
                 video_dir: str = 'videos',
                 **kwargs) -> None:
        super().__init__(data_root, video_dir=video_dir, **kwargs)
        self.ann_file, self.val_file = ann_file, val_file
        self.classes, self.ignore_labels = check_label_names(classes, ignore_labels)
        self.test_matches = set(test_matches)
        self.window = (float(window[0]), float(window[1]))
        self.players = list(players)
        bad = [p for p in self.players if not re.fullmatch(r'[A-Za-z0-9]+', p)]
        if bad or not self.players:
            raise ValueError(f'players must be alphanumeric names, got {self.players}')
        self.fps, self.default_fps = fps, default_fps
        self.drop_unplaced = drop_unplaced
        #: Ids of ``all.txt`` left out for a label in ``ignore_labels`` (after read()).
        self.ignored_ids: List[str] = []
        #: Ids left out because no clip holds their frame (``drop_unplaced``; after read()).
        self.unplaced_ids: List[str] = []

    def _clips(self) -> Tuple[Dict[str, str], Dict[str, List[Tuple[int, int, str]]]]:
        """The clip files and, per match, ``(start, end, clip)`` sorted."""
        if not osp.isdir(self.video_dir):
            raise FileNotFoundError(f'Tennis7 point clips not found: {self.video_dir} (the '
                                    'clips name the videos and place the strokes)')
        files = self._video_files()
        by_match: Dict[str, List[Tuple[int, int, str]]] = defaultdict(list)
        bad = []
        for clip in files:
            try:
                match, start, end = parse_clip(clip)
            except ValueError:
                bad.append(clip)
                continue
            by_match[match].append((start, end, clip))
        if bad:
            raise ReaderError(f'{self.video_dir}: {len(bad)} videos are not named '
                              f'<match>_<start>_<end>, e.g. {bad[:5]}')
        return files, {m: sorted(c) for m, c in by_match.items()}

    @staticmethod
    def _holding_clip(clips: List[Tuple[int, int, str]], frame: int
                      ) -> Optional[Tuple[int, int, str]]:
        holding = [c for c in clips if c[0] <= frame < c[1]]
        if not holding:
            return None
        return max(holding, key=lambda c: (min(frame - c[0], c[1] - 1 - frame), -c[0]))

    def read(self) -> VideoIndex:
        path = self._path(self.ann_file)
        rows, val = read_labels_and_val(
            path, None if self.val_file is None else self._path(self.val_file))
        class_index = {c: i for i, c in enumerate(self.classes)}
        files, by_match = self._clips()
        rates = SourceFrameRates(self.fps, self.default_fps)
        clip_fps: Dict[str, float] = {}
        strokes: Dict[str, List[dict]] = defaultdict(list)  # video name -> actions
        self.ignored_ids, self.unplaced_ids = [], []
        for n, action_id, label in rows:
            m = _ACTION_ID.match(action_id)
            if m is None:
                raise ReaderError(f'{path}:{n}: expected the id "<match>:<player>:<frame>", '
                                  f'got {action_id!r}')
            match, player, frame = m['match'], m['player'], int(m['frame'])
            if player not in self.players:
                raise ReaderError(f'{path}:{n}: player {player!r} is not one of {self.players}')
            if label in self.ignore_labels:
                self.ignored_ids.append(action_id)
                continue
            if label not in class_index:
                raise ReaderError(f'{path}:{n}: label {label!r} is not one of the classes '
                                  f'{self.classes}')
            clip = self._holding_clip(by_match.get(match, []), frame)
            if clip is None:
                if self.drop_unplaced:
                    self.unplaced_ids.append(action_id)
                    continue
                raise ReaderError(f'{path}:{n}: no clip of match {match!r} in {self.video_dir} '
                                  f'holds frame {frame} ({len(by_match.get(match, []))} clips '
                                  'of that match; drop_unplaced=True leaves such strokes out)')
            start, end, name = clip
            if name not in clip_fps:
                clip_fps[name] = rates(files[name])
            lo, hi = swing_window(frame, start, end, clip_fps[name], *self.window)
            if match in self.test_matches:
                split = 'test'
            else:
                split = 'val' if action_id in val else 'train'
            strokes[f'{player}__{name}'].append(
                dict(id=action_id, label=class_index[label], split=split, start=lo, end=hi,
                     unit='frame'))
        rates.log(self.dataset)
        named = set(by_match) | {r[1].split(':', 1)[0] for r in rows}
        absent = sorted(self.test_matches - named)
        if absent:
            raise ReaderError(f'test matches {absent} have no clip in {self.video_dir} and no '
                              f'stroke in {path}')
        videos = []
        for match, clips in sorted(by_match.items()):
            for _, _, clip in clips:
                for player in self.players:
                    name = f'{player}__{clip}'
                    acts = strokes.get(name, [])
                    if match in self.test_matches:
                        split = 'test'
                    elif acts and all(a['split'] == 'val' for a in acts):
                        split = 'val'
                    else:
                        split = 'train'
                    videos.append(
                        dict(
                            video=name,
                            path=resolve_video(clip, files, self.video_dir, self.video_ext,
                                               self.video_dir),
                            split=split,
                            label=-1,
                            player=player,
                            actions=sorted(acts, key=lambda a: (a['start'], a['id']))))
        return VideoIndex(self.dataset, list(self.classes),
                          sorted(videos, key=lambda v: v['video']))
