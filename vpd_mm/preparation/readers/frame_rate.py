# Copyright (c) vpd_mm contributors. All rights reserved.
"""Source frame rates for readers whose labels are frames but whose windows are in seconds.

FSJump6 widens a jump to ``mid - 2.5 s .. mid + 0.5 s``, Tennis7 takes ``+-0.5 s`` around the
ball contact and the authors' FineGym window ends at ``ceil(end * fps)``: each needs the frame
rate of the video the frames belong to. It is read from the container (the same rate the
pipeline maps actions with, :func:`vpd_mm.preparation.stages.video.read_frame_rate`) unless
the config gives one.
"""
import logging
import math
from typing import List, Optional

from mmengine.logging import print_log

from ..stages.video import VideoReadError, read_frame_rate
from .base import ReaderError


class SourceFrameRates:
    """The frame rate of each source video, read once per call.

    Args:
        fps (float, optional): The rate of every video (no file is opened), or None to read
            each video's own rate from its container. Defaults to None.
        default_fps (float, optional): The rate assumed for a video whose rate cannot be read
            (missing, unreadable, or declaring none); None raises instead. The pipeline skips
            a missing or unreadable video, so the rate assumed for it never reaches the
            outputs. Defaults to 25.0.
    """

    def __init__(self, fps: Optional[float] = None, default_fps: Optional[float] = 25.0) -> None:
        for name, value in (('fps', fps), ('default_fps', default_fps)):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f'{name} must be a positive number or None, got {value!r}')
        self.fps = None if fps is None else float(fps)
        self.default_fps = None if default_fps is None else float(default_fps)
        #: Videos that got ``default_fps``, with the reason.
        self.assumed: List[str] = []

    def __call__(self, path: str) -> float:
        """The frame rate of the video at ``path``.

        Raises:
            ReaderError: the rate cannot be read and there is no ``default_fps``.
        """
        if self.fps is not None:
            return self.fps
        try:
            rate = read_frame_rate(path)
            problem = '' if rate > 0 else f'{path}: the video declares no frame rate'
        except VideoReadError as e:
            rate, problem = 0.0, str(e)
        if rate > 0:
            return rate
        if self.default_fps is None:
            raise ReaderError(f'{problem}; its action windows need the frame rate (give the '
                              "reader's fps)")
        self.assumed.append(problem)
        return self.default_fps

    def log(self, dataset: str) -> None:
        """One warning line when some videos got ``default_fps``."""
        if self.assumed:
            print_log(
                f'{dataset}: the frame rate of {len(self.assumed)} videos could not be read; '
                f'their action windows assume {self.default_fps:g} fps (first: '
                f'{self.assumed[0]})',
                logger='current',
                level=logging.WARNING)
