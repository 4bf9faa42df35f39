# Copyright (c) vpd_mm contributors. All rights reserved.
"""Import the VPD authors' released athlete boxes and COCO-17 poses as a PoseDataset pkl.

The release holds one folder per video (``docs/vpd_release.md``)::

    <pose_dir>/<video>/boxes.json              [[frame_num, [x, y, w, h]], ...]   the athlete
    <pose_dir>/<video>/coco_keypoints.json.gz  [[frame_num, [[score, [x, y, w, h],
                                                  [[x, y, score] x 17]], ...]], ...]  all people
    <pose_dir>/<video>/mask.json.gz            [[frame_num, [[score, [x, y, w, h], base64 png],
                                                  ...]], ...]  (optional; validated here, cut
                                                  into the rawframes by release/masks.py)
    <pose_dir>/<video>/meta.json               (optional) fps, num_frames, width, height

Frame numbers are 0-based frames of the video. The athlete's pose in a frame is the detection
whose box has the largest IoU with the ``boxes.json`` box, if that IoU is at least ``iou_thr``.
Tennis points come as two folders, ``front__<point>`` and ``back__<point>`` (one per player);
each is its own video and keeps its folder name as ``frame_dir``.
"""
import base64
import binascii
import io
import os
import os.path as osp
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

import numpy as np
from tqdm import tqdm

from vpd_mm.codecs import NUM_KEYPOINTS
from vpd_mm.datasets.pose_annotations import dump_pose_annotations
from vpd_mm.structures import box_iou
from vpd_mm.structures.crops import athlete_crop_boxes, fill_missing_boxes
from vpd_mm.utils.io import FileFormatError, int_field, load_json
from vpd_mm.utils.paths import UnsafePathError, check_path_component
from .report import ImportReport

BOXES_FILES = ('boxes.json', 'boxes.json.gz')
KEYPOINT_FILES = ('coco_keypoints.json.gz', 'coco_keypoints.json')
MASK_FILE = 'mask.json.gz'
META_FILE = 'meta.json'
TENNIS_PREFIXES = ('front__', 'back__')
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
#: The most frames one video may have (about 4.6 hours at 60 fps; the video stage's
#: ``MAX_VIDEO_FRAMES`` has the same default). A frame number
#: or frame count above it, from a release file (``boxes.json``, ``coco_keypoints.json.gz``,
#: ``meta.json``, ``.emb.pkl``), ``--num-frames`` or a probed video header, is refused: the
#: importers allocate arrays of that many frames (about 250 bytes a frame for the poses,
#: ``V x d x 4`` bytes for the features). For longer videos, raise it before importing:
#: ``vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO = ...``.
MAX_FRAMES_PER_VIDEO = 1_000_000
#: The largest image side ``meta.json`` may give (pixels).
MAX_IMAGE_SIDE = 65_535


class ReleaseFormatError(FileFormatError):
    """A released file that cannot be read or does not follow its format; names the file.

    Args:
        path (str): The file (or folder) at fault, kept as ``self.path``.
        message (str): The problem.
    """


class NothingImportedError(ReleaseFormatError):
    """An import that found nothing to import (an empty or wrong source folder, or every entry
    skipped): nothing was written and the outputs of an earlier import are left as they were.

    Args:
        path (str): The source folder, kept as ``self.path``.
        message (str, optional): Why, with the first reasons of the skipped entries.
        report (ImportReport, optional): What was tried (not written to a file), kept as
            ``self.report``. Defaults to None.
    """

    def __init__(self,
                 path: str,
                 message: Optional[str] = None,
                 report: Optional[ImportReport] = None) -> None:
        super().__init__(path, message)
        self.report = report


def nothing_imported(report: ImportReport,
                     what: str,
                     kept: str,
                     max_reasons: int = 3) -> NothingImportedError:
    """The error of an import that imported nothing, naming the source folder and why.

    Args:
        report (ImportReport): The import's report (its ``source`` is the folder).
        what (str): What the folder should hold, e.g. ``'video folder'``.
        kept (str): The output (file or folder) left as it was, for the message.
        max_reasons (int): How many skip reasons the message quotes. Defaults to 3.

    Returns:
        NothingImportedError: To raise; one line of text.
    """
    num = len(report.skipped)
    if num:
        reasons = '; '.join(' '.join(s['error'].split()) for s in report.skipped[:max_reasons])
        more = f'; and {num - max_reasons} more' if num > max_reasons else ''
        which = f'the one {what} was' if num == 1 else f'all {num} {what}s were'
        why = f'{which} skipped ({reasons}{more})'
    else:
        why = f'it holds no {what}'
    left = f', {kept} is left as it was' if osp.lexists(kept) else ''
    return NothingImportedError(report.source,
                                f'nothing imported: {why}; nothing was written{left}', report)


def load_json_file(path: str):
    """Read a released JSON file, gzip-compressed when its name ends in ``.gz``
    (:func:`vpd_mm.utils.io.load_json`).

    Raises:
        ReleaseFormatError: for a missing or unreadable file, a truncated or corrupt gzip
            stream or invalid JSON.
    """
    try:
        return load_json(path, 'release file', error=ReleaseFormatError)
    except FileNotFoundError as e:
        raise ReleaseFormatError(path, f'cannot read ({e})') from e


def _fail(path: str, msg: str):
    raise ReleaseFormatError(path, msg)


def json_int(value) -> Optional[int]:
    """``value`` of a JSON file as an int if it is an integer number (``7`` or ``7.0``; not a
    bool, NaN, infinity or string), else None."""
    if isinstance(value, str):
        return None
    try:
        return int_field(value, 'value', '')
    except ValueError:
        return None


def check_frame_value(value, path: str, where: str, what: str = 'frame_num',
                      count: bool = False) -> int:
    """A frame number (``0 <= n < MAX``) or, with ``count``, a frame count (``1 <= n <= MAX``)
    read from a file, checked against :data:`MAX_FRAMES_PER_VIDEO` (read at each call).

    Args:
        value: The number as read (an integer or an integral float; strings are refused).
        path (str): The file (or folder) it comes from, for the message.
        where (str): The entry, for the message (e.g. ``'entry #3'``; '' for none).
        what (str): The field's name. Defaults to ``'frame_num'``.
        count (bool): A frame count rather than a frame number. Defaults to False.

    Returns:
        int: The value.

    Raises:
        ReleaseFormatError: not an integer, negative (zero for a count), NaN, infinite or
            beyond the limit; the message names the file, the field and the value, and how to
            raise the limit.
    """
    n = json_int(value)
    where = f'{where}: ' if where else ''
    if n is None or n < int(count):
        kind = 'positive' if count else 'non-negative'
        _fail(path, f'{where}{what} must be a {kind} integer, got {value!r:.40}')
    limit = MAX_FRAMES_PER_VIDEO if count else MAX_FRAMES_PER_VIDEO - 1
    if n > limit:
        _fail(path, f'{where}{what} {value!r:.40} is beyond the {MAX_FRAMES_PER_VIDEO} frames '
              'a video may have (a corrupt file? for longer videos raise '
              'vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO)')
    return n


def _xywh(value, path: str, where: str) -> np.ndarray:
    """``[x, y, w, h]`` -> float64 ``[x1, y1, x2, y2]``."""
    try:
        box = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        box = None
    if box is None or box.shape != (4, ):
        _fail(path, f'{where}: expected a box [x, y, w, h], got {value!r:.80}')
    if not np.isfinite(box).all() or box[2] < 0 or box[3] < 0:
        _fail(path, f'{where}: box {box.tolist()} must be finite with w, h >= 0')
    return np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])


def _entries(data, path: str) -> Iterable[Tuple[int, int, object]]:
    """Yield ``(index, frame_num, payload)`` of a ``[[frame_num, payload], ...]`` list."""
    if not isinstance(data, list):
        _fail(path, f'expected a list of [frame_num, ...] entries, got {type(data).__name__}')
    for i, entry in enumerate(data):
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            _fail(path, f'entry #{i}: expected [frame_num, data], got {entry!r:.80}')
        yield i, check_frame_value(entry[0], path, f'entry #{i}'), entry[1]


def parse_boxes(data, path: str) -> Tuple[Dict[int, np.ndarray], List[int]]:
    """Parse ``boxes.json``.

    Args:
        data: The file's JSON content, ``[[frame_num, [x, y, w, h]], ...]``.
        path (str): The file (for messages).

    Returns:
        tuple[dict[int, np.ndarray], list[int]]: frame -> box ``[x1, y1, x2, y2]`` (float64),
        and the frames listed more than once (the last box is kept).
    """
    boxes: Dict[int, np.ndarray] = {}
    duplicates = []
    for i, frame, box in _entries(data, path):
        if frame in boxes:
            duplicates.append(frame)
        boxes[frame] = _xywh(box, path, f'entry #{i} (frame {frame})')
    return boxes, duplicates


def parse_keypoints(data, path: str) -> Dict[int, Tuple[np.ndarray, np.ndarray]]:
    """Parse ``coco_keypoints.json.gz``.

    Args:
        data: The file's JSON content, ``[[frame_num, [[score, [x, y, w, h],
            [[x, y, score] x 17]], ...]], ...]``.
        path (str): The file (for messages).

    Returns:
        dict[int, tuple[np.ndarray, np.ndarray]]: frame -> (boxes [N, 4] ``x1, y1, x2, y2``,
        keypoints [N, 17, 3] ``x, y, score``) of the N detections of the frame (a frame listed
        twice has the detections of both entries).
    """
    frames: Dict[int, Tuple[list, list]] = {}
    for i, frame, dets in _entries(data, path):
        if not isinstance(dets, list):
            _fail(path, f'entry #{i} (frame {frame}): expected a list of detections')
        boxes, kps = frames.setdefault(frame, ([], []))
        for j, det in enumerate(dets):
            where = f'entry #{i} (frame {frame}) detection #{j}'
            if not isinstance(det, (list, tuple)) or len(det) != 3:
                _fail(path, f'{where}: expected [score, [x, y, w, h], keypoints]')
            boxes.append(_xywh(det[1], path, where))
            try:
                kp = np.asarray(det[2], dtype=np.float64)
            except (TypeError, ValueError):
                kp = None
            if kp is None or kp.shape != (NUM_KEYPOINTS, 3):
                _fail(path, f'{where}: expected {NUM_KEYPOINTS} keypoints [x, y, score] '
                      f'(COCO-17), got shape {None if kp is None else list(kp.shape)}')
            kps.append(kp)
    return {
        f: (np.stack(b).reshape(-1, 4), np.stack(k).reshape(-1, NUM_KEYPOINTS, 3))
        for f, (b, k) in frames.items() if b
    }


class ReleaseMask(NamedTuple):
    """One instance mask of ``mask.json.gz``.

    The PNG ``png`` (base64) holds ``shape`` pixels whose top-left one is the image pixel
    ``origin``: the authors paste it at ``[int(y):int(y) + int(h), int(x):int(x) + int(w)]``.
    """
    score: float
    box: np.ndarray  # [4] x1, y1, x2, y2 float64
    origin: Tuple[int, int]  # (int(x), int(y))
    shape: Tuple[int, int]  # (int(h), int(w))
    png: str


def parse_masks(data, path: str) -> Dict[int, List[ReleaseMask]]:
    """Parse ``mask.json.gz``: the structure, and that every mask is a base64 PNG.

    The PNGs themselves are decoded later, only those that are used
    (:func:`decode_mask_png`).

    Args:
        data: The file's JSON content, ``[[frame_num, [[score, [x, y, w, h], base64_png],
            ...]], ...]``.
        path (str): The file (for messages).

    Returns:
        dict[int, list[ReleaseMask]]: frame -> its masks (a frame listed twice has the masks
        of both entries).

    Raises:
        ReleaseFormatError: naming the file and the entry at fault.
    """
    frames: Dict[int, List[ReleaseMask]] = {}
    for i, frame, masks in _entries(data, path):
        if not isinstance(masks, list):
            _fail(path, f'entry #{i} (frame {frame}): expected a list of masks')
        out = frames.setdefault(frame, [])
        for j, mask in enumerate(masks):
            where = f'entry #{i} (frame {frame}) mask #{j}'
            if not isinstance(mask, (list, tuple)) or len(mask) != 3 or \
                    not isinstance(mask[2], str):
                _fail(path, f'{where}: expected [score, [x, y, w, h], base64_png]')
            score = mask[0]
            if isinstance(score, bool) or not isinstance(score, (int, float)) or \
                    not np.isfinite(score):
                _fail(path, f'{where}: the score must be a finite number, got {score!r:.40}')
            box = _xywh(mask[1], path, where)
            try:
                head = base64.b64decode(mask[2][:16], validate=True)
            except (binascii.Error, ValueError) as e:
                raise ReleaseFormatError(path, f'{where}: not base64 ({e})') from e
            if not head.startswith(_PNG_SIGNATURE):
                _fail(path, f'{where}: the base64 data is not a PNG image')
            x, y, w, h = (float(v) for v in mask[1])
            out.append(ReleaseMask(float(score), box, (int(x), int(y)), (int(h), int(w)),
                                   mask[2]))
    return frames


def check_masks(data, path: str) -> int:
    """Validate ``mask.json.gz`` (:func:`parse_masks`).

    Returns:
        int: The number of masks.
    """
    return sum(len(m) for m in parse_masks(data, path).values())


def decode_mask_png(data: str, path: str, where: str) -> np.ndarray:
    """Decode one released mask: a base64 PNG of the mask inside its box.

    Read with Pillow as the authors' ``decode_png`` does (their PNGs are 1-bit, their base64
    broken into lines); any non-zero value is the athlete.

    Args:
        data (str): The base64 PNG.
        path (str): The mask file (for messages).
        where (str): The entry (for messages).

    Returns:
        np.ndarray: [h, w] bool.

    Raises:
        ReleaseFormatError: not base64, not a decodable PNG, or not one channel.
    """
    from PIL import Image
    try:  # the authors write base64.encodebytes: lines of 76 characters
        raw = base64.b64decode(''.join(data.split()), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ReleaseFormatError(path, f'{where}: not base64 ({e})') from e
    try:
        with Image.open(io.BytesIO(raw)) as im:
            if im.format != 'PNG':
                raise ReleaseFormatError(path, f'{where}: a {im.format} image, not a PNG')
            mode = im.mode
            arr = np.asarray(im)
    except ReleaseFormatError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise ReleaseFormatError(path, f'{where}: cannot decode the PNG ({e})') from e
    if arr.ndim != 2 or arr.size == 0:
        raise ReleaseFormatError(path, f'{where}: expected a one-channel mask, got a PNG of '
                                 f'mode {mode} and shape {list(arr.shape)}')
    return arr != 0


def strip_player_prefix(name: str) -> str:
    """``front__<point>`` / ``back__<point>`` (tennis) -> ``<point>``; other names unchanged."""
    for prefix in TENNIS_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _find(video_dir: str, names: Tuple[str, ...]) -> Optional[str]:
    for name in names:
        path = osp.join(video_dir, name)
        if osp.isfile(path):
            return path
    return None


def probe_video(video_dir: str, name: str) -> Optional[Tuple[int, Tuple[int, int]]]:
    """Frame count and ``(H, W)`` of ``<video_dir>/<name>.mp4`` (tennis: the point's video).

    Returns:
        tuple | None: ``(num_frames, (H, W))``, or None when there is no readable video.
    """
    import cv2
    for stem in dict.fromkeys((name, strip_player_prefix(name))):
        path = osp.join(video_dir, f'{stem}.mp4')
        if not osp.isfile(path):
            continue
        cap = cv2.VideoCapture(path)
        try:
            if cap.isOpened():
                num = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
                shape = (int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                         int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)))
                if num > 0:
                    return num, shape
        finally:
            cap.release()
    return None


def read_frame_counts(path: str) -> Dict[str, int]:
    """Frame counts per video from a JSON file.

    Accepts ``{"<video>": num_frames, ...}`` or an action annotation file
    (``docs/data_layout.md``: ``videos.<video>.num_frames``).

    Raises:
        ReleaseFormatError: an unreadable file, another structure, a video name that is not
            one plain file name, or a count that is not a positive integer up to
            :data:`MAX_FRAMES_PER_VIDEO`.
    """
    data = load_json_file(path)
    if isinstance(data, dict) and isinstance(data.get('videos'), dict):
        data = {k: v.get('num_frames') for k, v in data['videos'].items() if isinstance(v, dict)}
    if not isinstance(data, dict):
        _fail(path, 'expected {"<video>": num_frames} or an action annotation file')
    counts = {}
    for k, v in data.items():
        try:
            check_path_component(k, 'video name')
        except UnsafePathError as e:
            raise ReleaseFormatError(path, str(e)) from None
        if v is not None:
            counts[k] = check_frame_value(v, path, f'video {k!r}', 'num_frames', count=True)
    return counts


def resolve_ids(ids: Iterable[str], names: Iterable[str]) -> Tuple[List[str], List[str]]:
    """Map ids to imported video names; a tennis point id selects both players' videos.

    Returns:
        tuple[list[str], list[str]]: The matched video names (file order, no duplicates) and
        the ids matching none.
    """
    names = set(names)
    out: Dict[str, None] = {}
    unknown = []
    for vid in ids:
        hits = [vid] if vid in names else [p + vid for p in TENNIS_PREFIXES if p + vid in names]
        if not hits:
            unknown.append(vid)
        out.update(dict.fromkeys(hits))
    return list(out), unknown


def _read_meta_fields(meta: dict, path: str, warnings: List[Tuple[Optional[str], str]]
                      ) -> Tuple[Optional[int], Optional[Tuple[int, int]]]:
    """``num_frames`` and ``(height, width)`` of ``meta.json`` (None where absent); a field
    of the wrong type or range is ignored with a warning."""
    num_frames = shape = None
    if meta.get('num_frames') is not None:
        try:
            num_frames = check_frame_value(meta['num_frames'], path, '', 'num_frames',
                                           count=True)
        except ReleaseFormatError as e:
            warnings.append((path, f'num_frames ignored: {e}'))
    if meta.get('height') is not None or meta.get('width') is not None:
        sides = [json_int(meta.get(k)) for k in ('height', 'width')]
        if all(v is not None and 0 < v <= MAX_IMAGE_SIDE for v in sides):
            shape = tuple(sides)
        else:
            warnings.append((path, 'height and width ignored: they must be integers from 1 to '
                             f'{MAX_IMAGE_SIDE}, got {meta.get("height")!r:.20} and '
                             f'{meta.get("width")!r:.20}'))
    return num_frames, shape


def read_release_video(video_dir: str,
                       iou_thr: float = 0.5,
                       num_frames: Optional[int] = None,
                       img_shape: Optional[Tuple[int, int]] = None,
                       masks: bool = True) -> Tuple[dict, List[Tuple[Optional[str], str]]]:
    """Read one released video folder into a PoseDataset annotation.

    Frames missing from ``boxes.json`` get a NaN box and NaN keypoints; frames whose box
    matches no detection with IoU >= ``iou_thr`` keep the box and get NaN keypoints.

    Args:
        video_dir (str): ``<pose_dir>/<video>``.
        iou_thr (float): Minimum IoU between the athlete box and the chosen detection.
            Defaults to 0.5.
        num_frames (int, optional): The video's frame count (e.g. from a probe of the video);
            None: ``meta.json``'s ``num_frames`` if present, else the largest frame_num + 1.
            Frames at or beyond it are dropped (with a warning). At most
            :data:`MAX_FRAMES_PER_VIDEO`, as are the frame numbers of the files; a
            ``meta.json`` count above it (or not a positive integer) is ignored with a warning.
        img_shape (tuple, optional): ``(H, W)`` of the video; None: from ``meta.json``
            (``height``, ``width``: integers from 1 to :data:`MAX_IMAGE_SIDE`, else ignored
            with a warning) if present, else None.
        masks (bool): Validate ``mask.json.gz`` when present. Defaults to True.

    Returns:
        tuple[dict, list]: The annotation (``docs/data_layout.md``: ``frame_dir``,
        ``total_frames``, ``img_shape``, ``original_shape``, ``label`` = -1, ``keypoint``
        [1, T, 17, 2], ``keypoint_score`` [1, T, 17], ``athlete_box`` [T, 4], ``crop_box``
        [T, 4], ``num_masks``) and the warnings as ``(file, message)`` pairs.

    Raises:
        ReleaseFormatError: when a required file is missing, truncated or malformed, or a
            frame number or ``num_frames`` is beyond :data:`MAX_FRAMES_PER_VIDEO`.
    """
    name = osp.basename(osp.normpath(video_dir))
    warnings: List[Tuple[Optional[str], str]] = []
    box_path = _find(video_dir, BOXES_FILES)
    kp_path = _find(video_dir, KEYPOINT_FILES)
    if box_path is None:
        _fail(video_dir, f'no {" or ".join(BOXES_FILES)} (the athlete boxes)')
    if kp_path is None:
        _fail(video_dir, f'no {" or ".join(KEYPOINT_FILES)} (the poses)')
    boxes, dup = parse_boxes(load_json_file(box_path), box_path)
    if dup:
        warnings.append((box_path, f'{len(dup)} frames listed twice (last box kept), e.g. '
                         f'{sorted(set(dup))[:5]}'))
    dets = parse_keypoints(load_json_file(kp_path), kp_path)

    meta_path = osp.join(video_dir, META_FILE)
    meta = {}
    if osp.isfile(meta_path):
        try:
            meta = load_json_file(meta_path)
            if not isinstance(meta, dict):
                raise ReleaseFormatError(meta_path, 'expected a JSON object')
        except ReleaseFormatError as e:
            warnings.append((meta_path, f'ignored: {e}'))
            meta = {}
    meta_num, meta_shape = _read_meta_fields(meta, meta_path, warnings)
    if num_frames is None:
        num_frames = meta_num
    else:
        num_frames = check_frame_value(
            num_frames, video_dir, '', 'the frame count given (--num-frames or the probed '
            'video)', count=True)
    if img_shape is None:
        img_shape = meta_shape

    num_masks = None
    mask_path = osp.join(video_dir, MASK_FILE)
    if masks and osp.isfile(mask_path):
        try:
            num_masks = check_masks(load_json_file(mask_path), mask_path)
        except ReleaseFormatError as e:
            warnings.append((mask_path, f'optional mask file unusable (poses kept): {e}'))

    last = max(list(boxes) + list(dets), default=-1)
    if num_frames is None:
        num_frames = last + 1
    if num_frames <= 0:
        _fail(video_dir, f'no frames: {box_path} and {kp_path} list no frame')
    if last >= num_frames:
        beyond = sorted(f for f in set(boxes) | set(dets) if f >= num_frames)
        warnings.append((box_path, f'{len(beyond)} frames at or beyond the frame count '
                         f'{num_frames} dropped (first {beyond[0]})'))

    T = num_frames
    athlete_box = np.full((T, 4), np.nan, np.float32)
    keypoint = np.full((T, NUM_KEYPOINTS, 2), np.nan, np.float32)
    score = np.full((T, NUM_KEYPOINTS), np.nan, np.float32)
    unmatched = 0
    for frame, box in boxes.items():
        if frame >= T:
            continue
        athlete_box[frame] = box
        if frame not in dets:
            unmatched += 1
            continue
        det_boxes, det_kps = dets[frame]
        iou = box_iou(box, det_boxes)  # [N]
        best = int(np.argmax(iou))
        if iou[best] < iou_thr:
            unmatched += 1
            continue
        keypoint[frame] = det_kps[best, :, :2]
        score[frame] = det_kps[best, :, 2]
    if unmatched:
        warnings.append((kp_path, f'{unmatched} of {len(boxes)} athlete boxes match no '
                         f'detection with IoU >= {iou_thr} (NaN keypoints)'))

    has_box = np.isfinite(athlete_box).all(axis=1)
    if has_box.any():
        crop_box = athlete_crop_boxes(fill_missing_boxes(athlete_box), pad=0.1)
    else:
        crop_box = np.full((T, 4), np.nan)
        warnings.append((box_path, 'no athlete box in any frame'))
    ann = dict(
        frame_dir=name,
        total_frames=T,
        img_shape=None if img_shape is None else tuple(int(v) for v in img_shape),
        original_shape=None if img_shape is None else tuple(int(v) for v in img_shape),
        label=-1,
        keypoint=keypoint[None],
        keypoint_score=score[None],
        athlete_box=athlete_box,
        crop_box=crop_box.astype(np.float32),
        num_masks=num_masks)
    return ann, warnings


def _shown(name: str) -> str:
    """``name`` printable and JSON-writable: bytes that are not UTF-8 as ``\\xNN``."""
    return name.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def scan_release_videos(pose_dir: str) -> Tuple[List[str], List[Tuple[str, str]]]:
    """The video folders of a release's pose directory, and the folders refused.

    Hidden folders (a leading dot, e.g. ``.ipynb_checkpoints``) are ignored, as ``ls`` does;
    files are not video folders. A folder whose name cannot be a ``frame_dir`` (one plain file
    name: :func:`vpd_mm.utils.paths.check_path_component`, e.g. a control character or bytes
    that are not UTF-8) is refused with the reason.

    Args:
        pose_dir (str): The release's pose folder.

    Returns:
        tuple[list[str], list[tuple[str, str]]]: The video names (sorted) and the refused
        ``(name, reason)`` pairs (the name printable: non-UTF-8 bytes as ``\\xNN``).

    Raises:
        FileNotFoundError: ``pose_dir`` is not a folder.
    """
    if not osp.isdir(pose_dir):
        raise FileNotFoundError(f'pose folder not found: {pose_dir}')
    names, refused = [], []
    for d in sorted(os.listdir(pose_dir)):
        if d.startswith('.') or not osp.isdir(osp.join(pose_dir, d)):
            continue
        try:
            check_path_component(d, 'video folder name', pose_dir)
        except UnsafePathError as e:
            refused.append((_shown(d), str(e)))
            continue
        names.append(d)
    return names, refused


def list_release_videos(pose_dir: str) -> List[str]:
    """The video folders of a release's pose directory, sorted (hidden folders and names that
    cannot be a ``frame_dir`` left out: :func:`scan_release_videos`)."""
    return scan_release_videos(pose_dir)[0]


def import_release_poses(pose_dir: str,
                         out_file: str,
                         iou_thr: float = 0.5,
                         frame_counts: Optional[Dict[str, int]] = None,
                         video_dir: Optional[str] = None,
                         splits: Optional[Dict[str, List[str]]] = None,
                         report_file: Optional[str] = None,
                         masks: bool = True,
                         progress: bool = True) -> ImportReport:
    """Convert a release's pose folders into one PoseDataset annotation pkl.

    Every video folder is read with :func:`read_release_video`; a folder whose files cannot be
    read (missing, truncated gzip, malformed) or whose name cannot be a ``frame_dir`` is
    reported and skipped, the run goes on; hidden folders (``.ipynb_checkpoints``) are ignored
    (:func:`scan_release_videos`). The pkl and the report hold exactly the videos imported by
    this run. When no video is imported, nothing is written (an earlier pkl and report stay as
    they were) and :class:`NothingImportedError` is raised.

    The frame count of a video is, by priority: ``frame_counts[video]`` (or of its tennis
    point), the probe of ``<video_dir>/<video>.mp4``, ``meta.json``'s ``num_frames``, else the
    largest frame_num + 1 of its files (then trailing frames without a pose are not counted).

    Args:
        pose_dir (str): The release's pose folder (one sub-folder per video).
        out_file (str): The pkl to write, e.g. ``data/diving48/annotations/diving48_pose.pkl``.
        iou_thr (float): See :func:`read_release_video`. Defaults to 0.5.
        frame_counts (dict[str, int], optional): Frame count per video. Defaults to None.
        video_dir (str, optional): Folder of ``<video>.mp4`` to probe. Defaults to None.
        splits (dict[str, list[str]], optional): Named id lists -> the pkl's ``split`` dict
            (tennis point ids select both players). Defaults to None.
        report_file (str, optional): JSON report; defaults to ``<out_file stem>_report.json``.
        masks (bool): Validate the mask files. Defaults to True.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        ImportReport: What was imported and skipped (also written to ``report_file``).

    Raises:
        FileNotFoundError: ``pose_dir`` is not a folder.
        NothingImportedError: no video imported (an empty or wrong folder, or every video
            skipped: the message names ``pose_dir`` and gives the first reasons); nothing is
            written.
    """
    frame_counts = frame_counts or {}
    report = ImportReport('poses', pose_dir, out_file)
    names, refused = scan_release_videos(pose_dir)
    for name, reason in refused:
        report.skip(name, pose_dir, reason)
    annotations = []
    for name in tqdm(names, desc='import poses', disable=not progress):
        video_path = osp.join(pose_dir, name)
        num = frame_counts.get(name, frame_counts.get(strip_player_prefix(name)))
        shape = None
        if video_dir is not None:
            probed = probe_video(video_dir, name)
            if probed is None:
                report.warn(name, None, f'no readable video {name}.mp4 in {video_dir} to probe')
            else:
                num = probed[0] if num is None else num
                shape = probed[1]
        try:
            ann, warnings = read_release_video(video_path, iou_thr, num, shape, masks)
        except ReleaseFormatError as e:
            report.skip(name, e.path, str(e))
            continue
        for path, msg in warnings:
            report.warn(name, path, msg)
        annotations.append(ann)
        report.ok(name)

    if not annotations:  # keep an earlier import rather than replace it with an empty one
        raise nothing_imported(report, 'video folder', out_file)
    imported = [a['frame_dir'] for a in annotations]
    tennis = [n for n in imported if n != strip_player_prefix(n)]
    for n in tennis:
        point = strip_player_prefix(n)
        if not all(p + point in imported for p in TENNIS_PREFIXES):
            report.warn(n, None, f'tennis point {point!r} has only this player imported')
    out = dict(annotations=annotations)
    if splits:
        out['split'] = {}
        for split, ids in splits.items():
            out['split'][split], unknown = resolve_ids(ids, imported)
            if unknown:
                report.warn('', None, f'split {split!r}: {len(unknown)} ids match no imported '
                            f'video, e.g. {unknown[:5]}')
    dump_pose_annotations(out_file, annotations, split=out.get('split'))
    report.extra.update(
        iou_thr=iou_thr,
        frames=int(sum(a['total_frames'] for a in annotations)),
        frames_with_pose=int(
            sum(np.isfinite(a['keypoint'][0]).all(axis=(1, 2)).sum() for a in annotations)),
        splits={k: len(v) for k, v in out.get('split', {}).items()})
    if report_file is None:
        report_file = osp.splitext(out_file)[0] + '_report.json'
    report.dump(report_file)
    report.extra['report_file'] = report_file
    return report
