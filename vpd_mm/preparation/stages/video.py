# Copyright (c) vpd_mm contributors. All rights reserved.
"""Video decoding: probing, deterministic chunked decoding and frame-rate resampling.

Two backends, both built on FFmpeg: ``'decord'`` (random access by frame index, the default)
and ``'opencv'`` (``cv2.VideoCapture``, strictly sequential). Decoding is deterministic: the same
file, backend and arguments give bit-identical frames, so a driver may decode a video twice
(pass 1: detection + tracking; pass 2: pose, crops and flow).

**Frame count.** The expected number of frames is the one the container declares (FFmpeg's
stream frame count as reported by ``cv2.CAP_PROP_FRAME_COUNT``; for containers that store no
count FFmpeg estimates it from duration x frame rate). A video whose decoding stops before that
count is *truncated*: :class:`VideoReadError` names the file and the first missing frame unless
``allow_truncated=True``, in which case iteration stops cleanly after the last decodable frame.
A header that declares more than :data:`MAX_VIDEO_FRAMES` frames or :data:`MAX_VIDEO_PIXELS`
pixels a frame is refused before any decoder allocates for it (a 10-frame AVI whose header says
4e9 frames made decord abort the process with ``std::bad_alloc``).

**Frame shape.** Every frame must be ``[H, W, 3]`` uint8 RGB of the size of frame 0. decord
returns frames of 4, 6 or 12 channels for some small frame widths (8, 16, 24, 48, 72 pixels,
decord 0.6); such a video, or one whose frames change size, is refused with a
:class:`VideoReadError` naming the file and the frame (a skipped ``'unreadable'`` video in the
pipeline), and for decord's bug the message suggests ``video_backend='opencv'``, which decodes
those videos correctly. The decoders are not switched silently: the frames of a prepared video
come from the configured backend (recorded in the preparation settings).

**Resampling.** With a target rate ``fps`` the source frames are resampled in one of two ways
(:func:`resampled_indices`; the ``sampling`` argument of :func:`iter_video_chunks`):

* ``'round'`` (the default): output frame ``k`` (``k = 0, 1, ...``) is source frame
  ``floor(k * src_fps / fps + 0.5)`` (``round`` with halves rounded up), as long as that index
  is below the source frame count. A target rate above the source rate repeats frames.
* ``'accumulator'`` (the VPD authors' way of bringing Diving48 and FineGym to 25 fps): a balance
  starts at ``start_balance``; at each source frame, in order, the frame is kept if the balance
  is ``>= 0`` (and the balance loses 1), then the balance gains ``min(1, fps / src_fps) +
  increment_offset``. The authors use ``increment_offset=0.01, start_balance=0`` for Diving48
  and ``increment_offset=0, start_balance=1`` for FineGym. Frames are never repeated: a target
  rate at or above the source rate keeps every frame.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple, Union

import cv2
import numpy as np

BACKENDS = ('decord', 'opencv')
#: The most frames a container may declare (4.6 hours at 60 fps); more is taken for a damaged or
#: forged header. For longer videos, raise it: ``vpd_mm.preparation.stages.video.MAX_VIDEO_FRAMES``.
MAX_VIDEO_FRAMES = 1_000_000
#: The most pixels a frame may have (8192 x 8192; 8K UHD is 7680 x 4320).
MAX_VIDEO_PIXELS = 8192 * 8192
#: Resampling rules of :func:`resampled_indices`.
SAMPLINGS = ('round', 'accumulator')


class VideoReadError(RuntimeError):
    """A video cannot be read; the message names the file and the problem."""


@dataclass
class VideoInfo:
    """What :func:`probe_video` found.

    Attributes:
        num_frames (int): Frame count declared by the container.
        fps (float): Frame rate of the stream (0.0 if the container declares none).
        height (int): Frame height in pixels.
        width (int): Frame width in pixels.
    """
    num_frames: int
    fps: float
    height: int
    width: int


def _accumulator_indices(num_src_frames: int, step: float, increment_offset: float,
                         start_balance: float) -> np.ndarray:
    """The kept source frames of the accumulator (see the module docstring).

    The balance is updated frame by frame in double precision, exactly as the authors' loop, so
    that ties (a balance of exactly 0) resolve the same way.
    """
    increment = min(1.0, step) + increment_offset  # step = fps / src_fps
    balance = start_balance
    keep: List[int] = []
    for i in range(num_src_frames):
        if balance >= 0:
            balance -= 1
            keep.append(i)
        balance += increment
    return np.asarray(keep, dtype=np.int64)


def resampled_indices(num_src_frames: int,
                      src_fps: float,
                      fps: Optional[float],
                      sampling: str = 'round',
                      increment_offset: float = 0.0,
                      start_balance: float = 0.0) -> np.ndarray:
    """Source frame indices of a video resampled to ``fps``.

    ``'round'``: output frame ``k`` is source frame ``floor(k * src_fps / fps + 0.5)``; the
    sequence stops at the first index ``>= num_src_frames``. ``'accumulator'``: the source
    frames the VPD authors' accumulator keeps (module docstring). With ``fps=None`` every source
    frame is kept.

    Args:
        num_src_frames (int): Number of source frames.
        src_fps (float): Source frame rate (> 0).
        fps (float, optional): Target frame rate (> 0), or None to keep every frame.
        sampling (str): ``'round'`` or ``'accumulator'``. Defaults to ``'round'``.
        increment_offset (float): Accumulator only: added to the per-frame increment
            ``min(1, fps / src_fps)``; the increment must stay > 0. Defaults to 0.
        start_balance (float): Accumulator only: the balance before source frame 0.
            Defaults to 0.

    Returns:
        np.ndarray: [K] int64 non-decreasing source indices (increasing for the accumulator),
        ``K ~ num_src_frames * fps / src_fps``.
    """
    n = int(num_src_frames)
    if n < 0:
        raise ValueError(f'num_src_frames must be >= 0, got {num_src_frames}')
    if sampling not in SAMPLINGS:
        raise ValueError(f'unknown sampling {sampling!r}, expected one of {SAMPLINGS}')
    if sampling == 'round' and (increment_offset != 0 or start_balance != 0):
        raise ValueError("increment_offset and start_balance belong to sampling='accumulator'")
    if fps is None:
        return np.arange(n, dtype=np.int64)
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f'target fps must be a positive number, got {fps}')
    if not (np.isfinite(src_fps) and src_fps > 0):
        raise ValueError(f'source fps must be a positive number, got {src_fps}')
    if sampling == 'accumulator':
        offset, balance = float(increment_offset), float(start_balance)
        if not (np.isfinite(offset) and np.isfinite(balance)):
            raise ValueError(f'increment_offset and start_balance must be finite, got {offset} '
                             f'and {balance}')
        if min(1.0, float(fps) / float(src_fps)) + offset <= 0:
            raise ValueError(f'the accumulator increment min(1, {fps} / {src_fps}) + '
                             f'{offset} must be > 0')
        return _accumulator_indices(n, float(fps) / float(src_fps), offset, balance)
    step = float(src_fps) / float(fps)
    k = np.arange(int(np.ceil(n / step)) + 2, dtype=np.float64)
    idx = np.floor(k * step + 0.5).astype(np.int64)
    return idx[idx < n]


def check_sampling(sampling: Union[None, str, dict]) -> dict:
    """The keyword arguments of :func:`resampled_indices` that a ``sampling`` option stands for.

    Args:
        sampling (None | str | dict): None or ``'round'`` (the default rule),
            ``'accumulator'`` (its defaults), or a dict ``dict(type='accumulator',
            increment_offset=0.01, start_balance=0.0)`` (``type`` defaults to
            ``'accumulator'`` when other keys are given).

    Returns:
        dict: ``sampling`` and, for the accumulator, ``increment_offset`` and
        ``start_balance``.

    Raises:
        ValueError: an unknown mode or key, accumulator keys with ``'round'``, or accumulator
            numbers that are not finite.
    """
    if sampling is None:
        return dict(sampling='round')
    if isinstance(sampling, str):
        sampling = dict(type=sampling)
    if not isinstance(sampling, dict):
        raise ValueError(f'sampling must be None, a mode name or a dict, got {sampling!r}')
    spec = dict(sampling)
    mode = spec.pop('type', 'accumulator' if spec else 'round')
    if mode not in SAMPLINGS:
        raise ValueError(f'unknown sampling {mode!r}, expected one of {SAMPLINGS}')
    unknown = sorted(set(spec) - {'increment_offset', 'start_balance'})
    if unknown:
        raise ValueError(f'sampling {mode!r}: unknown keys {unknown} (expected '
                         'increment_offset, start_balance)')
    if mode == 'round':
        if spec:
            raise ValueError(f"sampling 'round' takes no {sorted(spec)}")
        return dict(sampling='round')
    values = {}
    for key in ('increment_offset', 'start_balance'):
        value = spec.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value):
            raise ValueError(f'sampling {mode!r}: {key} must be a finite number, got {value!r}')
        values[key] = float(value)
    return dict(sampling='accumulator', **values)


def read_frame_rate(path: str) -> float:
    """The frame rate a video's container declares, without decoding a frame.

    It is the rate :func:`probe_video` reports (OpenCV's FFmpeg ``CAP_PROP_FPS``), i.e. the
    ``src_fps`` the pipeline maps action times with.

    Args:
        path (str): Video file.

    Returns:
        float: The frame rate, 0.0 if the container declares none.

    Raises:
        VideoReadError: a missing, empty or unreadable file.
    """
    path = str(path)
    _check_file(path)
    return _header(path)[1]


def _check_file(path: str) -> None:
    if not osp.exists(path):
        raise VideoReadError(f'{path}: file does not exist')
    if not osp.isfile(path):
        raise VideoReadError(f'{path}: not a regular file')
    if os.path.getsize(path) == 0:
        raise VideoReadError(f'{path}: file is empty (0 bytes)')


def _header(path: str) -> Tuple[int, float, int, int]:
    """(frame count, fps, height, width) from the container, via OpenCV's FFmpeg."""
    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise VideoReadError(f'{path}: not a readable video (corrupt file or unknown format)')
        n = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        fps = cap.get(cv2.CAP_PROP_FPS)
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    finally:
        cap.release()
    n = int(n) if np.isfinite(n) and n > 0 else 0
    fps = float(fps) if np.isfinite(fps) and fps > 0 else 0.0
    return n, fps, h, w


def _check_header(path: str, num_frames: int, height: int, width: int) -> None:
    """Refuse a header whose frame count or frame size no decoder should allocate for."""
    if num_frames > MAX_VIDEO_FRAMES:
        raise VideoReadError(
            f'{path}: the container declares {num_frames} frames, more than the '
            f'{MAX_VIDEO_FRAMES} a video may have (a damaged or forged header? for longer '
            'videos raise vpd_mm.preparation.stages.video.MAX_VIDEO_FRAMES)')
    if height * width > MAX_VIDEO_PIXELS:
        raise VideoReadError(
            f'{path}: the container declares {width}x{height} frames, more than the '
            f'{MAX_VIDEO_PIXELS} pixels a frame may have (a damaged or forged header?)')


def _open_decord(path: str, num_threads: int = 0):
    import decord
    try:
        return decord.VideoReader(path, ctx=decord.cpu(0), num_threads=num_threads)
    except Exception as e:  # decord raises DECORDError / RuntimeError
        msg = str(e).strip().splitlines()
        raise VideoReadError(
            f'{path}: decord cannot open the video ({msg[-1] if msg else type(e).__name__}); '
            "if the file is truncated, backend='opencv' with allow_truncated=True reads the "
            'frames before the damage') from None


def _bad_shape(path: str, frame: int, array: np.ndarray, expected: Optional[Tuple[int, int]],
               backend: str) -> Optional[VideoReadError]:
    """The error for a decoded frame that is not ``[H, W, 3]`` uint8 (of ``expected`` = (H, W)
    when given), or None for a good one."""
    shape = tuple(np.shape(array))
    if len(shape) == 3 and shape[2] == 3 and array.dtype == np.uint8 and (
            expected is None or shape[:2] == tuple(expected)):
        return None
    got = f'an array of shape {list(shape)} ({array.dtype})'
    if len(shape) == 3 and shape[2] == 3 and array.dtype == np.uint8:  # another frame size
        return VideoReadError(f'{path}: source frame {frame} is {shape[1]}x{shape[0]}, frame 0 '
                              f'is {expected[1]}x{expected[0]} (frames of several sizes)')
    hint = (" (a decord bug with some frame widths, e.g. 8, 16, 24, 48 or 72 pixels); "
            "video_backend='opencv' decodes it" if backend == 'decord' else '')
    return VideoReadError(f'{path}: {backend} decodes source frame {frame} as {got}, not '
                          f'[H, W, 3] uint8 RGB{hint}')


def _probe(path: str, backend: str, num_threads: int = 1) -> Tuple[VideoInfo, object]:
    """:func:`probe_video` and the open decord reader (None for OpenCV)."""
    if backend not in BACKENDS:
        raise ValueError(f'unknown video backend {backend!r}, expected one of {BACKENDS}')
    _check_file(path)
    n, fps, h, w = _header(path)
    _check_header(path, n, h, w)
    reader = None
    if backend == 'decord':
        reader = _open_decord(path, num_threads=num_threads)
        if len(reader) == 0:
            raise VideoReadError(f'{path}: the video has no frames')
        n = n or len(reader)
        try:
            first = reader[0].asnumpy()
        except Exception as e:
            raise VideoReadError(f'{path}: frame 0 cannot be decoded ({e})') from None
        error = _bad_shape(path, 0, first, None, backend)
        if error is not None:
            raise error
    else:
        cap = cv2.VideoCapture(path)
        try:
            ok, first = cap.read()
        finally:
            cap.release()
        if not ok:
            raise VideoReadError(f'{path}: frame 0 cannot be decoded (no frames or corrupt)')
        error = _bad_shape(path, 0, first, None, backend)
        if error is not None:
            raise error
    if n == 0:
        raise VideoReadError(f'{path}: the container declares no frames')
    info = VideoInfo(num_frames=n, fps=fps, height=int(first.shape[0]), width=int(first.shape[1]))
    return info, reader


def probe_video(path: str, backend: str = 'decord') -> VideoInfo:
    """Frame count, frame rate and size of a video; checks that its first frame decodes, as an
    ``[H, W, 3]`` uint8 image.

    Args:
        path (str): Video file.
        backend (str): ``'decord'`` or ``'opencv'``, the backend that must be able to decode it.
            Defaults to ``'decord'``.

    Returns:
        VideoInfo: The container's frame count and frame rate and the frame size.

    Raises:
        VideoReadError: Missing, empty, corrupt or undecodable file, a video without frames, or
            a first frame that ``backend`` decodes into another shape (module docstring).
    """
    return _probe(str(path), backend)[0]


def _truncated(path: str, frame: int, expected: int) -> VideoReadError:
    return VideoReadError(
        f'{path}: truncated or damaged video: source frame {frame} cannot be decoded '
        f'(the container declares {expected} frames); pass allow_truncated=True to keep the '
        'frames before it')


def _chunks(indices: np.ndarray, chunk_size: int) -> List[np.ndarray]:
    return [indices[i:i + chunk_size] for i in range(0, len(indices), chunk_size)]


def _iter_decord(path: str, vr, indices: np.ndarray, expected: int, chunk_size: int,
                 allow_truncated: bool,
                 size: Tuple[int, int]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    decodable = len(vr)
    if decodable < expected and not allow_truncated and (indices >= decodable).any():
        raise _truncated(path, decodable, expected)  # known before decoding anything
    for chunk in _chunks(indices, chunk_size):
        ok = chunk[chunk < decodable]
        try:
            frames = vr.get_batch(ok.tolist()).asnumpy() if len(ok) else None
        except Exception:
            frames = None
            good = []
            for i in ok.tolist():  # find the first frame that fails
                try:
                    frame = vr[i].asnumpy()
                except Exception:
                    decodable = i
                    break
                error = _bad_shape(path, i, frame, size, 'decord')
                if error is not None:
                    raise error
                good.append(frame)
            ok = ok[:len(good)]
            if good:
                frames = np.stack(good)
        if frames is not None and len(ok):
            if frames.ndim != 4 or len(frames) != len(ok):
                raise VideoReadError(f'{path}: decord returned {list(frames.shape)} for '
                                     f'{len(ok)} frames')
            for i, frame in zip(ok.tolist(), frames):
                error = _bad_shape(path, i, frame, size, 'decord')
                if error is not None:
                    raise error
            yield ok.astype(np.int64), np.ascontiguousarray(frames)
        if len(ok) < len(chunk):
            if allow_truncated:
                return
            raise _truncated(path, int(chunk[len(ok)]), expected)


def _iter_opencv(path: str, indices: np.ndarray, expected: int, chunk_size: int,
                 allow_truncated: bool,
                 size: Tuple[int, int]) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise VideoReadError(f'{path}: not a readable video (corrupt file or unknown format)')
    pos = -1  # index of the last decoded source frame
    frame = None  # [H, W, 3] RGB frame ``pos``
    try:
        for chunk in _chunks(indices, chunk_size):
            out: List[np.ndarray] = []
            for i in chunk.tolist():
                while pos < i - 1 and cap.grab():  # skipped frames: decoded, not converted
                    pos += 1
                if pos == i - 1:
                    ok, bgr = cap.read()
                    if ok:
                        error = _bad_shape(path, i, bgr, size, 'opencv')
                        if error is not None:
                            raise error
                        pos, frame = i, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                if pos != i:  # the decoder stopped before frame i
                    break
                out.append(frame)  # indices repeat when upsampling: reuse the frame
            if out:
                yield chunk[:len(out)].astype(np.int64), np.stack(out)
            if len(out) < len(chunk):
                if allow_truncated:
                    return
                raise _truncated(path, int(chunk[len(out)]), expected)
    finally:
        cap.release()


def iter_video_chunks(path: str,
                      fps: Optional[float] = None,
                      chunk_size: int = 64,
                      backend: str = 'decord',
                      allow_truncated: bool = False,
                      num_threads: int = 1,
                      sampling: Union[None, str, dict] = None
                      ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Decode a video chunk by chunk, optionally resampled to ``fps``.

    Args:
        path (str): Video file.
        fps (float, optional): Target frame rate (see :func:`resampled_indices`). None keeps
            every frame. Defaults to None.
        chunk_size (int): Output frames per chunk (the last chunk may be shorter).
            Defaults to 64.
        backend (str): ``'decord'`` or ``'opencv'``. Defaults to ``'decord'``.
        allow_truncated (bool): Stop cleanly instead of raising when the video ends before the
            frame count its container declares. Defaults to False.
        num_threads (int): Decoder threads of decord (0: FFmpeg's choice). Defaults to 1.
        sampling (None | str | dict): How to resample when ``fps`` is given
            (:func:`check_sampling`): None / ``'round'``, or the accumulator, e.g.
            ``dict(type='accumulator', increment_offset=0.01, start_balance=0.0)``.
            Defaults to None.

    Yields:
        tuple: ``(src_indices, frames)``: [n] int64 source frame indices and [n, H, W, 3] uint8
        RGB frames.

    Raises:
        VideoReadError: Unreadable file, no usable frame rate while resampling, a truncated
            video (unless ``allow_truncated``), or a frame that is not ``[H, W, 3]`` uint8 of
            frame 0's size (module docstring).
    """
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
    rule = check_sampling(sampling)
    path = str(path)
    info, reader = _probe(path, backend, num_threads=num_threads)
    if fps is not None and not info.fps > 0:
        raise VideoReadError(f'{path}: the video declares no frame rate, cannot resample to '
                             f'{fps} fps')
    indices = resampled_indices(info.num_frames, info.fps, fps, **rule)
    if backend == 'decord':
        yield from _iter_decord(path, reader, indices, info.num_frames, chunk_size,
                                allow_truncated, (info.height, info.width))
    else:
        yield from _iter_opencv(path, indices, info.num_frames, chunk_size, allow_truncated,
                                (info.height, info.width))
