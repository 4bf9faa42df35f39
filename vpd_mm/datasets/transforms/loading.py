# Copyright (c) vpd_mm contributors. All rights reserved.
"""Read a frame's athlete crop, its quantised flow and its athlete mask (rawframes layout)."""
import os
import os.path as osp
import struct
from typing import Optional, Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from vpd_mm.utils.io import FileFormatError, UnreadableFileError

#: Most pixels of a frame file :class:`LoadVPDFrame` decodes (crops are a few hundred pixels
#: wide): a PNG or JPEG header claiming more is refused before OpenCV allocates the image.
MAX_FRAME_PIXELS = 8192 * 8192
#: Bytes read to find the size in a header (a JPEG's EXIF block comes before it).
_HEADER_BYTES = 1 << 16
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def image_header_size(head: bytes) -> Optional[Tuple[int, int]]:
    """(width, height) that a PNG or JPEG header claims.

    Args:
        head (bytes): The first bytes of the file.

    Returns:
        tuple[int, int] | None: The size; None for another format or a size not found in
        ``head`` (the decoder then judges the file).
    """
    if head[:8] == _PNG_MAGIC and head[12:16] == b'IHDR' and len(head) >= 24:
        return struct.unpack('>II', head[16:24])
    if head[:2] != b'\xff\xd8':
        return None
    i = 2  # JPEG: walk the marker segments up to the frame header (SOF0-SOF15)
    while i + 9 <= len(head) and head[i] == 0xFF:
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD9:  # markers without a length
            i += 2
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack('>HH', head[i + 5:i + 9])
            return width, height
        else:
            i += 2 + int.from_bytes(head[i + 2:i + 4], 'big')
    return None


def _read_bytes(path: str) -> bytes:
    """The bytes of the file at ``path``, read through the OS (a crop is a few KB: Python's
    buffered file object would cost as much as the read)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size, chunks = max(os.fstat(fd).st_size, 1 << 16), []
        while True:
            chunk = os.read(fd, size)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


@TRANSFORMS.register_module()
class LoadVPDFrame(BaseTransform):
    """Load ``img_{t:05d}.jpg`` (RGB), ``flow_{x,y}_{t:05d}.jpg`` and ``mask_{t:05d}.png``.

    ``t = frame_idx + 1`` (mmaction2's 1-based rawframe naming) inside ``results['frame_path']``
    (see ``docs/data_layout.md``). The flow of frame ``t`` goes from crop ``t - 1`` to crop ``t``.
    The mask (optional, ``with_mask``) is the athlete's segmentation in the crop's pixels
    (grey >= 128 on the athlete); a frame without a mask file gets ``athlete_mask = None``
    (:class:`VPDBackgroundNoise` then uses the athlete box).

    Required keys: ``frame_path``, ``frame_idx``.

    Added keys: ``imgs`` (uint8 [H, W, 5]: R, G, B, flow x, flow y; [H, W, 3] without flow),
    ``img_shape`` ((H, W) of the crop), ``flip`` (False), ``flow_scale`` ((1.0, 1.0)) and, with
    ``with_mask``, ``athlete_mask`` (bool [H, W], True on the athlete, or None).

    Args:
        with_flow (bool): Also load the two flow images. Defaults to True.
        with_mask (bool): Also load the athlete mask when the frame has one (training
            pipelines with :class:`VPDBackgroundNoise`). Defaults to False.
        img_tmpl (str): File name of the RGB crop. Defaults to ``'img_{:05d}.jpg'``.
        flow_tmpl (str): File name of a flow image, formatted with ``'x'`` or ``'y'`` and
            ``t``. Defaults to ``'flow_{}_{:05d}.jpg'``.
        mask_tmpl (str): File name of the mask. Defaults to ``'mask_{:05d}.png'``.
    """

    def __init__(self,
                 with_flow: bool = True,
                 with_mask: bool = False,
                 img_tmpl: str = 'img_{:05d}.jpg',
                 flow_tmpl: str = 'flow_{}_{:05d}.jpg',
                 mask_tmpl: str = 'mask_{:05d}.png') -> None:
        self.with_flow = with_flow
        self.with_mask = with_mask
        self.img_tmpl = img_tmpl
        self.flow_tmpl = flow_tmpl
        self.mask_tmpl = mask_tmpl

    @staticmethod
    def _read(path: str, flag: int) -> np.ndarray:
        """The image at ``path`` (``cv2.IMREAD_*`` ``flag``), read once: its header's size is
        checked against :data:`MAX_FRAME_PIXELS` before the bytes are decoded."""
        try:
            data = _read_bytes(path)
        except FileNotFoundError:
            raise FileNotFoundError(f'frame file not found: {path}') from None
        except OSError as e:
            raise UnreadableFileError(f'cannot read image file {path}: {e}') from e
        size = image_header_size(data[:_HEADER_BYTES])
        if size is not None and size[0] * size[1] > MAX_FRAME_PIXELS:
            raise UnreadableFileError(
                f'cannot decode image file {path}: its header claims {size[0]} x {size[1]} '
                f'pixels, more than a frame has (MAX_FRAME_PIXELS = {MAX_FRAME_PIXELS})')
        try:
            img = cv2.imdecode(np.frombuffer(data, np.uint8), flag) if data else None
        except cv2.error as e:  # e.g. a header claiming more than CV_IO_MAX_IMAGE_PIXELS
            why = ('its header claims an image larger than OpenCV decodes '
                   '(CV_IO_MAX_IMAGE_PIXELS)' if 'CV_IO_MAX_IMAGE_PIXELS' in str(e) else
                   f'corrupt or not an image: {getattr(e, "err", None) or e}')
            raise UnreadableFileError(f'cannot decode image file {path}: {why}') from None
        if img is None:
            raise UnreadableFileError(
                f'cannot decode image file (corrupt or not an image): {path}')
        return img

    def transform(self, results: dict) -> dict:
        """Load the frame.

        Args:
            results (dict): With ``frame_path`` and ``frame_idx`` (0-based).

        Returns:
            dict: ``results`` with ``imgs``, ``img_shape``, ``flip``, ``flow_scale`` and, with
            ``with_mask``, ``athlete_mask``.
        """
        t = int(results['frame_idx']) + 1
        root = results['frame_path']
        img_path = osp.join(root, self.img_tmpl.format(t))
        bgr = self._read(img_path, cv2.IMREAD_COLOR)  # [H, W, 3] BGR
        h, w = bgr.shape[:2]
        if self.with_flow:
            paths = [osp.join(root, self.flow_tmpl.format(d, t)) for d in ('x', 'y')]
            flows = [self._read(p, cv2.IMREAD_GRAYSCALE) for p in paths]  # 2 x [H, W]
            for path, flow in zip(paths, flows):
                if flow.shape != (h, w):
                    raise FileFormatError(path, f'flow image of size {flow.shape[::-1]} (w, h) '
                                          f'but the crop {img_path} has {(w, h)}')
            imgs = np.empty((h, w, 5), dtype=np.uint8)
            # one pass (a third of numpy's per-channel copies): B, G, R -> 2, 1, 0; flow -> 3, 4
            cv2.mixChannels([bgr, flows[0], flows[1]], [imgs], [0, 2, 1, 1, 2, 0, 3, 3, 4, 4])
        else:
            imgs = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if self.with_mask:
            results['athlete_mask'] = None
            mask_path = osp.join(root, self.mask_tmpl.format(t))
            if osp.isfile(mask_path):
                mask = self._read(mask_path, cv2.IMREAD_GRAYSCALE)  # [H, W]
                if mask.shape != (h, w):
                    raise FileFormatError(mask_path, f'mask of size {mask.shape[::-1]} (w, h) '
                                          f'but the crop {img_path} has {(w, h)}')
                results['athlete_mask'] = mask >= 128  # [H, W] bool
        results['imgs'] = imgs
        results['img_shape'] = (h, w)
        results['flip'] = False
        results['flow_scale'] = (1.0, 1.0)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(with_flow={self.with_flow}, '
                f'with_mask={self.with_mask}, img_tmpl={self.img_tmpl!r}, '
                f'flow_tmpl={self.flow_tmpl!r}, mask_tmpl={self.mask_tmpl!r})')
