# Copyright (c) vpd_mm contributors. All rights reserved.
"""A confusion matrix figure (rows: true class, columns: predicted class)."""
from typing import Optional, Sequence

import numpy as np


def confusion_matrix_figure(matrix: np.ndarray,
                            classes: Sequence[str],
                            normalize: bool = True,
                            title: Optional[str] = None):
    """Draw a confusion matrix with its counts.

    Args:
        matrix (np.ndarray): [C, C] counts, ``matrix[i, j]`` = actions of class ``i``
            predicted as ``j``.
        classes (Sequence[str]): C class names.
        normalize (bool): Colour by the fraction of each true class (the row); the counts are
            written either way. Defaults to True.
        title (str, optional): Figure title.

    Returns:
        matplotlib.figure.Figure: The figure.
    """
    from matplotlib.figure import Figure

    m = np.asarray(matrix, dtype=np.int64)
    num = len(classes)
    if m.shape != (num, num):
        raise ValueError(f'matrix of shape {m.shape} for {num} classes')
    rows = m.sum(axis=1, keepdims=True)
    shown = m / np.maximum(rows, 1) if normalize else m.astype(np.float64)
    side = 1.6 + 0.45 * num
    fig = Figure(figsize=(side + 1.2, side))
    ax = fig.add_axes((0.3, 0.3, 0.6 * side / (side + 1.2), 0.6))
    im = ax.imshow(shown, cmap='Blues', vmin=0, vmax=1 if normalize else max(1, m.max()))
    for i in range(num):
        for j in range(num):
            if m[i, j]:
                dark = shown[i, j] > (0.5 if normalize else m.max() / 2)
                ax.text(j, i, str(m[i, j]), ha='center', va='center', fontsize=7,
                        color='w' if dark else 'k')
    ax.set_xticks(range(num), classes, rotation=60, ha='right', fontsize=7)
    ax.set_yticks(range(num), [f'{c} ({int(n)})' for c, n in zip(classes, rows[:, 0])],
                  fontsize=7)
    ax.set_xlabel('predicted', fontsize=8)
    ax.set_ylabel('true (actions)', fontsize=8)
    cax = fig.add_axes((0.3 + 0.6 * side / (side + 1.2) + 0.02, 0.3, 0.02, 0.6))
    fig.colorbar(im, cax=cax).ax.tick_params(labelsize=7)
    acc = np.trace(m) / max(1, m.sum())
    fig.suptitle((title + '\n' if title else '') + f'top-1 {100 * acc:.1f}% of {m.sum()} '
                 'predictions', fontsize=9)
    return fig
