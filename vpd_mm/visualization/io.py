# Copyright (c) vpd_mm contributors. All rights reserved.
"""Writing pictures and videos atomically: a temporary name in the same folder, then rename."""
import os
import os.path as osp
from typing import Optional, Tuple

import cv2
import numpy as np

from vpd_mm.utils.io import atomic_path, temporary_path


def _make_parent(path: str) -> None:
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)


def save_figure(fig, path: str, dpi: int = 100) -> str:
    """Save a matplotlib figure as a PNG through a temporary file.

    Args:
        fig (matplotlib.figure.Figure): The figure (e.g. built with ``Figure()``, no pyplot).
        path (str): Output ``.png`` path (its folder is created).
        dpi (int): Resolution. Defaults to 100.

    Returns:
        str: ``path``.
    """
    _make_parent(path)
    with atomic_path(path, '.png') as tmp:
        fig.savefig(tmp, format='png', dpi=dpi)
    return path


def save_image(img: np.ndarray, path: str) -> str:
    """Write a BGR image (OpenCV order) through a temporary file; the extension picks the format.

    Args:
        img (np.ndarray): [H, W, 3] uint8 BGR (or [H, W] grey).
        path (str): Output path, e.g. ``x.png`` (its folder is created).

    Returns:
        str: ``path``.
    """
    _make_parent(path)
    ext = osp.splitext(path)[1] or '.png'
    with atomic_path(path, ext) as tmp:
        if not cv2.imwrite(tmp, np.ascontiguousarray(img)):
            raise OSError(f'could not write {path}')
    return path


class AtomicVideoWriter:
    """An mp4 written with OpenCV (``mp4v``) under a temporary name, renamed when closed.

    Use it as a context manager: on an exception the temporary file is removed and nothing
    appears at ``path``.

    Args:
        path (str): Output path (``.mp4``; its folder is created).
        fps (float): Frame rate.
        size (tuple[int, int]): ``(width, height)`` of every frame.
        fourcc (str): OpenCV codec. Defaults to ``'mp4v'`` (decodable by decord and OpenCV
            without extra libraries).
    """

    def __init__(self, path: str, fps: float, size: Tuple[int, int], fourcc: str = 'mp4v') -> None:
        _make_parent(path)
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f'fps must be positive, got {fps}')
        self.path = path
        self.size = (int(size[0]), int(size[1]))
        self.tmp = temporary_path(path, osp.splitext(path)[1] or '.mp4')
        self.writer: Optional[cv2.VideoWriter] = cv2.VideoWriter(
            self.tmp, cv2.VideoWriter_fourcc(*fourcc), float(fps), self.size)
        if not self.writer.isOpened():
            self.abort()
            raise OSError(f'OpenCV cannot write {fourcc} video to {path}')
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append a [height, width, 3] uint8 BGR frame."""
        if frame.shape[:2] != (self.size[1], self.size[0]):
            raise ValueError(f'frame of shape {frame.shape[:2]} for a video of (h, w) = '
                             f'{self.size[::-1]}')
        self.writer.write(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> None:
        """Finish the file and rename it into place."""
        self.writer.release()
        self.writer = None
        if self.frames == 0:
            self.abort()
            raise ValueError(f'no frame written to {self.path}')
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        """Drop the temporary file."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        if osp.lexists(self.tmp):
            os.unlink(self.tmp)

    def __enter__(self) -> 'AtomicVideoWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
