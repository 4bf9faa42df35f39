# Copyright (c) vpd_mm contributors. All rights reserved.
"""A retrieval strip: a query action and its nearest actions by DTW, frames side by side."""
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import numpy as np

from .contact_sheet import even_frames


def action_frames(frame_dir: str, start: int, end: int, count: int = 6,
                  size: int = 96) -> List[np.ndarray]:
    """``count`` crops spread over an action's frames ``[start, end)``.

    Args:
        frame_dir (str): ``rawframes/<video>``.
        start (int): First frame (0-based).
        end (int): End frame (exclusive).
        count (int): Crops. Defaults to 6.
        size (int): Side of the returned crops. Defaults to 96.

    Returns:
        list[np.ndarray]: [size, size, 3] uint8 RGB crops.
    """
    out = []
    for t in start + even_frames(end - start, count):
        path = osp.join(frame_dir, f'img_{int(t) + 1:05d}.jpg')
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'cannot read {path} (missing or not an image)')
        out.append(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)[..., ::-1])
    return out


def retrieval_strip(query: dict, hits: Sequence[dict], title: Optional[str] = None):
    """Draw a query and its hits, one row each.

    Args:
        query (dict): ``frames`` (list of [S, S, 3] RGB crops) and ``text`` (the row's label).
        hits (Sequence[dict]): Per hit ``frames``, ``text`` and ``relevant`` (True: same
            label as the query, labelled in green; False: red; None: black).
        title (str, optional): Figure title.

    Returns:
        matplotlib.figure.Figure: The figure.
    """
    from matplotlib.figure import Figure

    rows = [dict(query, relevant=None)] + list(hits)
    cols = max(len(r['frames']) for r in rows)
    fig = Figure(figsize=(1.0 * cols + 1.9, 1.0 * len(rows) + 0.5))
    grid = fig.add_gridspec(len(rows), cols, hspace=0.08, wspace=0.03, left=0.2, right=0.99,
                            top=1 - 0.35 / (1.0 * len(rows) + 0.5), bottom=0.02)
    colors = {True: 'tab:green', False: 'tab:red', None: 'k'}
    for r, row in enumerate(rows):
        for c, img in enumerate(row['frames']):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(img)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                for spine in ax.spines.values():
                    spine.set_edgecolor('tab:blue')
                    spine.set_linewidth(2)
            if c == 0:
                ax.set_ylabel(row['text'], fontsize=7, rotation=0, ha='right', va='center',
                              color=colors[row.get('relevant')])
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
