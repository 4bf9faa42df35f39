# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot results: mean and standard error over subsets, a text table and a plot."""
import csv
import math
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np

from vpd_mm.utils.io import dump_json_atomic

#: The k of "every training action of every class".
ALL_SHOTS = 'all'
Shots = Union[int, str]


def shots_key(k: Shots) -> Tuple[int, int]:
    """Sort key of a k: the integers in order, then ``'all'``."""
    return (1, 0) if k == ALL_SHOTS else (0, int(k))


def shots_label(k: Shots) -> str:
    """``'k = 16'`` or ``'all'``."""
    return ALL_SHOTS if k == ALL_SHOTS else f'k = {k}'


def summarize(rows: Sequence[dict]) -> List[dict]:
    """Aggregate the runs of each (config, k).

    Args:
        rows (Sequence[dict]): Runs with ``config``, ``shots``, ``top1`` and optionally
            ``method``, ``features``, ``num_test``, ``num_classes``.

    Returns:
        list[dict]: One dict per (config, k), ordered by config then k: ``config``,
        ``shots``, ``num_subsets`` (n), ``mean``, ``std`` (ddof = 1; 0 for n = 1), ``sem``
        (``std / sqrt(n)``, the standard error of the mean), ``min``, ``max`` and, when the
        runs carry them, ``method``, ``features``, ``num_test`` and ``chance``
        (``1 / num_classes``).
    """
    groups: Dict[Tuple[str, Shots], List[dict]] = defaultdict(list)
    for r in rows:
        k = r['shots'] if r['shots'] == ALL_SHOTS else int(r['shots'])
        groups[(r['config'], k)].append(r)
    out = []
    for (config, k), runs in sorted(groups.items(), key=lambda g: (g[0][0], shots_key(g[0][1]))):
        accs = np.asarray([float(r['top1']) for r in runs])
        std = float(accs.std(ddof=1)) if len(accs) > 1 else 0.0
        item = dict(config=config, shots=k, num_subsets=len(accs), mean=float(accs.mean()),
                    std=std, sem=std / math.sqrt(len(accs)), min=float(accs.min()),
                    max=float(accs.max()))
        first = runs[0]
        for key in ('method', 'features', 'num_test'):
            if key in first:
                item[key] = first[key]
        if first.get('num_classes'):
            item['chance'] = 1.0 / int(first['num_classes'])
        out.append(item)
    return out


def format_table(summary: Sequence[dict]) -> str:
    """Plain-text table: one row per config, one column per k, ``mean ± sem`` in %."""
    configs = list(dict.fromkeys(s['config'] for s in summary))
    shots = sorted({s['shots'] for s in summary}, key=shots_key)
    cell = {(s['config'], s['shots']): s for s in summary}
    width = max([len('config')] + [len(c) for c in configs])
    lines = [f'{"config":<{width}} ' + ' '.join(f'{shots_label(k):>15}' for k in shots)]
    for c in configs:
        vals = []
        for k in shots:
            s = cell.get((c, k))
            vals.append(f'{100 * s["mean"]:5.1f} ± {100 * s["sem"]:3.1f} ({s["num_subsets"]})'
                        if s else '-')
        lines.append(f'{c:<{width}} ' + ' '.join(f'{v:>15}' for v in vals))
    first = summary[0] if summary else {}
    if 'num_test' in first or 'chance' in first:
        lines.append(f'(mean ± standard error over (n) subsets; {first.get("num_test", "?")} '
                     f'test actions; chance {100 * first.get("chance", float("nan")):.1f}%)')
    return '\n'.join(lines)


def plot_fewshot(summary: Sequence[dict], path: str, title: str = 'Few-shot recognition') -> str:
    """Accuracy vs k with standard-error bars; ``'all'`` is its own tick right of the k's.

    Configs whose ``method`` is ``'dtwnn'`` are dashed; a dotted line marks chance. Written to a
    temporary name, then renamed.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    ints = sorted({int(s['shots']) for s in summary if s['shots'] != ALL_SHOTS})
    pos = {k: math.log2(k) for k in ints}
    ticks = [(pos[k], str(k)) for k in ints]
    if any(s['shots'] == ALL_SHOTS for s in summary):
        pos[ALL_SHOTS] = (max(pos.values()) if pos else 0.0) + 1.0
        ticks.append((pos[ALL_SHOTS], 'all'))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for config in dict.fromkeys(s['config'] for s in summary):
        pts = sorted((s for s in summary if s['config'] == config),
                     key=lambda s: shots_key(s['shots']))
        x = [pos[s['shots']] for s in pts]
        ax.errorbar(x, [100 * s['mean'] for s in pts], yerr=[100 * s['sem'] for s in pts],
                    marker='o', capsize=3, label=config,
                    linestyle='--' if pts[0].get('method') == 'dtwnn' else '-')
    chance = next((s['chance'] for s in summary if 'chance' in s), None)
    if chance is not None:
        ax.axhline(100 * chance, color='grey', linestyle=':', linewidth=1, label='chance')
    ax.set_xticks([t for t, _ in ticks], [label for _, label in ticks])
    ax.set_xlabel('labelled training examples per class (k)')
    ax.set_ylabel('top-1 accuracy (%)')
    num_test = next((s['num_test'] for s in summary if 'num_test' in s), None)
    ax.set_title(title + (f' ({num_test} test actions; mean ± s.e. over subsets)'
                          if num_test else ''), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='lower right')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp.{os.getpid()}.png'
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)
    return path


def write_summary_files(summary: Sequence[dict], out_prefix: str) -> List[str]:
    """``<prefix>.csv``, ``<prefix>.json`` and ``<prefix>.png``, each written atomically."""
    os.makedirs(osp.dirname(osp.abspath(out_prefix)), exist_ok=True)
    csv_path, json_path, png_path = (out_prefix + ext for ext in ('.csv', '.json', '.png'))
    fields = ['config', 'method', 'features', 'shots', 'num_subsets', 'mean', 'sem', 'std', 'min',
              'max', 'num_test', 'chance']
    tmp = f'{csv_path}.tmp.{os.getpid()}'
    with open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction='ignore')
        writer.writeheader()
        writer.writerows(summary)
    os.replace(tmp, csv_path)
    dump_json_atomic(list(summary), json_path, indent=2)
    plot_fewshot(summary, png_path)
    return [csv_path, json_path, png_path]
