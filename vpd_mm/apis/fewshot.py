# Copyright (c) vpd_mm contributors. All rights reserved.
"""Few-shot recognition protocol (SPEC section 4; the paper's Figure 3 and Table 2).

For every config, every k (examples per class) and every subset, the training set is
restricted to the subset (``train_dataloader.dataset.id_list``), mmengine's Runner trains
(the validation set is carved from the subset's ids by the dataset, or is the file's val
split), the checkpoint selected on validation is loaded, and the model is tested on the full
test split.

**Subsets.** :func:`sample_fewshot_subsets` draws, for subset ``s``, one seeded permutation of
each class's training actions (``np.random.default_rng([seed, s])``, classes in label order,
ids sorted first) and takes the first ``k`` of it. Hence subsets are **nested across k** (the
k = 4 subset ``s`` is contained in the k = 8 subset ``s``, so curves over k are less noisy) and
**independent across s**. A class with fewer than ``k`` training actions contributes all of
them, and a notice says so. Alternatively subsets come from id-list files (one action id per
line).
"""
import copy
import glob
import os
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from vpd_mm.datasets.feature_sequence_dataset import read_id_list
from vpd_mm.datasets.features import load_action_annotations
from vpd_mm.utils.io import dump_json_atomic


def training_actions(ann: dict) -> List[dict]:
    """Labeled training actions (split 'train', label >= 0) of an annotation dict."""
    return [a for a in ann['actions'] if a['split'] == 'train' and int(a['label']) >= 0]


def sample_fewshot_subsets(actions: Sequence[dict],
                           shots: Iterable[int],
                           num_subsets: int,
                           seed: int = 0,
                           classes: Optional[Sequence[str]] = None
                           ) -> Tuple[Dict[int, List[List[str]]], List[str]]:
    """Draw ``num_subsets`` subsets of k examples per class for every k in ``shots``.

    Args:
        actions (Sequence[dict]): Training actions (``id``, ``label``).
        shots (Iterable[int]): The k's (>= 1).
        num_subsets (int): Subsets per k (>= 1).
        seed (int): Base seed. Defaults to 0.
        classes (Sequence[str], optional): Class names, for the notices.

    Returns:
        tuple: ``{k: [ids of subset 0, ids of subset 1, ...]}`` (ids grouped by class, in
        label order) and the notices (one per k and class with fewer than k actions).
    """
    shots = sorted({int(k) for k in shots})
    if not shots or shots[0] < 1:
        raise ValueError(f'shots must be positive integers, got {shots}')
    if num_subsets < 1:
        raise ValueError(f'num_subsets must be >= 1, got {num_subsets}')
    by_class: Dict[int, List[str]] = defaultdict(list)
    for a in actions:
        by_class[int(a['label'])].append(str(a['id']))
    if not by_class:
        raise ValueError('no labeled training actions to sample few-shot subsets from')
    labels = sorted(by_class)
    notices = []
    for k in shots:
        for lab in labels:
            n = len(by_class[lab])
            if n < k:
                name = f' ({classes[lab]})' if classes is not None and lab < len(classes) else ''
                notices.append(f'k={k}: class {lab}{name} has only {n} training actions: '
                               f'taking all {n}')
    out: Dict[int, List[List[str]]] = {k: [] for k in shots}
    for s in range(num_subsets):
        rng = np.random.default_rng([seed, s])
        perms = {lab: [sorted(by_class[lab])[i] for i in rng.permutation(len(by_class[lab]))]
                 for lab in labels}
        for k in shots:
            out[k].append([i for lab in labels for i in perms[lab][:k]])
    return out, notices


def read_id_list_file(path: str, known_ids: Iterable[str]) -> List[str]:
    """Action ids of a file (one per line, blank lines ignored), all known.

    Raises:
        FileNotFoundError: no such file.
        ValueError: empty list, duplicates or unknown ids (the first ones are listed).
    """
    ids = read_id_list(path)
    if not ids:
        raise ValueError(f'id list {path} is empty')
    known = set(known_ids)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f'id list {path}: {len(unknown)} ids are not labeled training actions '
                         f'of the annotation file (first: {unknown[:5]})')
    dup = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dup:
        raise ValueError(f'id list {path}: duplicated ids {dup[:5]}')
    return ids


def count_per_class(ids: Sequence[str], actions: Sequence[dict]) -> Dict[int, int]:
    """Number of the ids in each class."""
    label = {str(a['id']): int(a['label']) for a in actions}
    out: Dict[int, int] = defaultdict(int)
    for i in ids:
        out[label[i]] += 1
    return dict(out)


def check_test_split(ann_file: str) -> int:
    """Number of labeled test actions; ValueError naming the file when there are none."""
    ann = load_action_annotations(ann_file)
    num = sum(1 for a in ann['actions'] if a['split'] == 'test' and int(a['label']) >= 0)
    if num == 0:
        raise ValueError(f'{ann_file}: the test split has no labeled action: few-shot '
                         'accuracy needs the full test split')
    return num


def _best_checkpoint(runner, work_dir: str) -> Optional[str]:
    best = runner.message_hub.runtime_info.get('best_ckpt')
    if best and osp.isfile(best):
        return best
    found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
    return found[-1] if found else None


def run_fewshot_subset(cfg, subset_ids: Sequence[str], work_dir: str, seed: int = 0) -> dict:
    """Train on ``subset_ids``, select on val, test on the full test split.

    Args:
        cfg (mmengine.Config): A recognition config (``VPDFeatureSequenceDataset``).
        subset_ids (Sequence[str]): Training action ids.
        work_dir (str): The run's folder (logs, checkpoints).
        seed (int): ``cfg.randomness.seed``. Defaults to 0.

    Returns:
        dict: ``top1`` (test accuracy in [0, 1]), every test metric, ``checkpoint`` (the
        validation-selected checkpoint, None when the config saves no best one, e.g. the
        DTW nearest neighbour whose "training" stores the gallery).
    """
    from mmengine.runner import Runner

    from vpd_mm.datasets.feature_sequence_dataset import share_train_id_list

    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.train_dataloader.dataset.id_list = list(subset_ids)
    cfg.test_dataloader.dataset.id_list = None  # always the full test split
    cfg.randomness = dict(seed=seed)
    cfg.resume = False
    cfg.load_from = None
    share_train_id_list(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    best = _best_checkpoint(runner, work_dir)
    if best is not None:
        runner.load_checkpoint(best)  # selected on validation, never on test
    metrics = runner.test()
    top1 = metrics.get('acc/top1')
    if top1 is None:
        raise KeyError(f'the test evaluator reported no acc/top1 (got {sorted(metrics)})')
    return dict(top1=float(top1), checkpoint=best,
                test_metrics={k: float(v) for k, v in metrics.items()})


def summarize(rows: Sequence[dict]) -> List[dict]:
    """Mean and standard deviation (ddof = 1; 0 for one subset) of top-1 per (config, k)."""
    groups: Dict[Tuple[str, int], List[float]] = defaultdict(list)
    for r in rows:
        groups[(r['config'], int(r['shots']))].append(float(r['top1']))
    out = []
    for (config, k), accs in sorted(groups.items()):
        accs_a = np.asarray(accs)
        out.append(dict(config=config, shots=k, num_subsets=len(accs),
                        mean=float(accs_a.mean()),
                        std=float(accs_a.std(ddof=1)) if len(accs) > 1 else 0.0))
    return out


def format_table(summary: Sequence[dict]) -> str:
    """Plain-text table: one row per config, one column per k, 'mean ± std' in %."""
    configs = sorted({s['config'] for s in summary})
    shots = sorted({s['shots'] for s in summary})
    cell = {(s['config'], s['shots']): s for s in summary}
    width = max([len('config')] + [len(c) for c in configs])
    lines = [f'{"config":<{width}} ' + ' '.join(f'{f"k={k}":>13}' for k in shots)]
    for c in configs:
        vals = []
        for k in shots:
            s = cell.get((c, k))
            vals.append(f'{100 * s["mean"]:6.1f} ± {100 * s["std"]:4.1f}' if s else f'{"-":>13}')
        lines.append(f'{c:<{width}} ' + ' '.join(f'{v:>13}' for v in vals))
    return '\n'.join(lines)


def write_summary_files(summary: Sequence[dict], out_prefix: str) -> List[str]:
    """``<prefix>.csv``, ``<prefix>.json`` and ``<prefix>.png`` (accuracy vs k, log2 axis)."""
    import csv

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    os.makedirs(osp.dirname(osp.abspath(out_prefix)), exist_ok=True)
    csv_path, json_path, png_path = (out_prefix + ext for ext in ('.csv', '.json', '.png'))
    tmp = f'{csv_path}.tmp.{os.getpid()}'
    with open(tmp, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=['config', 'shots', 'num_subsets', 'mean', 'std'])
        writer.writeheader()
        writer.writerows(summary)
    os.replace(tmp, csv_path)
    dump_json_atomic(list(summary), json_path, indent=2)
    fig, ax = plt.subplots(figsize=(6, 4))
    for c in sorted({s['config'] for s in summary}):
        pts = sorted((s['shots'], s['mean'], s['std']) for s in summary if s['config'] == c)
        k, m, sd = (np.array(v) for v in zip(*pts))
        ax.errorbar(k, 100 * m, yerr=100 * sd, marker='o', capsize=3, label=c)
    ax.set_xscale('log', base=2)
    ax.set_xlabel('training examples per class (k)')
    ax.set_ylabel('top-1 accuracy (%)')
    ax.set_title('Few-shot recognition')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    tmp = f'{png_path}.tmp.{os.getpid()}.png'
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, png_path)
    return [csv_path, json_path, png_path]
