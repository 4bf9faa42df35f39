# Copyright (c) vpd_mm contributors. All rights reserved.
"""The main job on its embedded default data: VPD end to end on the synthetic sports benchmark.

    python tools/run_demo.py [--videos-per-class 26] [--iters 500] [--subsets 3]
        [--work-dir work_dirs/synthetic_benchmark] [--data-dir data] [--fresh]
        [--classes ...] [--size 192 144] [--frames 64 96] [--vipe-iters N] [--epochs N]

No download, no GPU: on a 2-core CPU the whole run takes about a quarter of an hour.

1. **corpus**: renders uncut videos of an acrobat performing 8 jump classes, with the ground
   truth (``tools/data/make_sports_corpus.py``; ``data/raw/sports/``);
2. **prepare**: the simulated person detector -> mmdet's ByteTracker -> athlete track -> the
   simulated pose teacher -> 64 px crops -> DIS flow (``tools/data/prepare.py
   configs/preparation/synthetic_sports.py``; ``data/sports/``);
3. **VIPE\\***: trains the view-invariant pose embedder on synthetic 3D poses and embeds the
   teacher's poses (the VI-VPD targets and the VIPE\\* teacher features);
4. **teacher features**: normalised 2D joints of the teacher and, as an upper reference, of the
   ground truth;
5. **distill**: a 2D-VPD and a VI-VPD student (ResNet-18, 64x64; ``configs/vpd/*_sports_cpu.py``)
   from the teacher's confident frames of every video (no label is used);
6. **features**: the students' features [T, 2, d] (and decoded poses) of every frame;
7. **pose error**: teacher vs 2D-VPD student against the ground truth, split by teacher
   confidence (where distillation shows first);
8. **few-shot**: BiGRU recognition with k = 4, 16 and all training actions per class, several
   seeded subsets (``tools/fewshot.py``), for every feature type, plus its plot;
9. **retrieval**: DTW precision@1/10 of the test actions against all actions;
10. prints the tables and writes them to ``WORK_DIR/report.md`` (plot: ``WORK_DIR/fewshot/
    fewshot.png``).

Every stage reuses what a previous run finished (rerun the command to resume); ``--fresh``
starts over. It is a simulation: see docs/synthetic_benchmark.md for what it does and does not
show.
"""
import argparse
import glob
import json
import os
import os.path as osp
import pickle
import shutil
import subprocess
import sys
import time
from typing import Dict, List

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

PREP_CONFIG = 'configs/preparation/synthetic_sports.py'
VIPE_CONFIG = 'configs/vipe/vipe_synthetic_tiny.py'
STUDENTS = {'2dvpd': 'configs/vpd/2dvpd_sports_cpu.py', 'vivpd': 'configs/vpd/vivpd_sports_cpu.py'}
RECOGNITION_CONFIG = 'configs/recognition/bigru_sports_cpu.py'
#: feature type -> (folder under data/sports/features, what it is)
FEATURES = {
    'gt_pose2d': 'ground-truth 2D joints (upper reference)',
    'pose2d': 'simulated teacher, normalised 2D joints',
    'vipe': 'VIPE* of the teacher\'s joints',
    '2dvpd': '2D-VPD student',
    'vivpd': 'VI-VPD student',
}
ALL_SHOTS = 1000  # more than any class has: "all training actions"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos-per-class', type=int, default=26)
    parser.add_argument('--iters', type=int, default=500, help='distillation steps per student')
    parser.add_argument('--shots', type=int, nargs='+', default=[4, 16, ALL_SHOTS])
    parser.add_argument('--subsets', type=int, default=3, help='seeded subsets per k < all')
    parser.add_argument('--work-dir', default='work_dirs/synthetic_benchmark')
    parser.add_argument('--data-dir', default='data',
                        help='the corpus goes to DATA_DIR/raw/sports, the prepared data to '
                        'DATA_DIR/sports')
    parser.add_argument('--classes', nargs='+', default=None, help='jump classes (default 8)')
    parser.add_argument('--size', type=int, nargs=2, default=(192, 144), metavar=('W', 'H'))
    parser.add_argument('--frames', type=int, nargs=2, default=(64, 96), metavar=('MIN', 'MAX'))
    parser.add_argument('--vipe-iters', type=int, default=None,
                        help='VIPE* training steps (default: the config\'s 1000)')
    parser.add_argument('--epochs', type=int, default=None,
                        help='BiGRU epochs (default: the config\'s 12)')
    parser.add_argument('--fresh', action='store_true', help='delete earlier outputs first')
    return parser.parse_args()


class Stages:
    """Numbered stage headers with the elapsed time."""

    def __init__(self, total: int) -> None:
        self.total, self.index, self.start = total, 0, time.time()

    def __call__(self, title: str) -> None:
        self.index += 1
        print(f'\n[{self.index}/{self.total}] {title}  (t = {time.time() - self.start:.0f} s)',
              flush=True)


def run(cmd: List[str]) -> None:
    print('$ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def _best_checkpoint(work_dir: str) -> str:
    found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
    if not found:
        raise SystemExit(f'no best checkpoint in {work_dir}: did validation run?')
    return found[-1]


def train(config: str, work_dir: str, options: List[str] = ()) -> str:
    """tools/train.py unless a best checkpoint exists; returns the best checkpoint."""
    done = osp.join(work_dir, 'done.json')
    if not osp.isfile(done):
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--resume']
        run(cmd + (['--cfg-options'] + list(options) if options else []))
        with open(done, 'w') as f:
            json.dump(dict(config=config, options=list(options)), f)
    else:
        print(f'reusing {work_dir}')
    return _best_checkpoint(work_dir)


def load_pose_pkl(path: str) -> Dict[str, dict]:
    with open(path, 'rb') as f:
        data = pickle.load(f)
    anns = data['annotations'] if isinstance(data, dict) else data
    return {a['frame_dir']: a for a in anns}


def write_gt_features(anns: Dict[str, dict], raw: str, out_dir: str) -> None:
    """Normalised ground-truth 2D joints [T, 2, 26] on the prepared frames of every video."""
    from vpd_mm.apis.pose_features import pose_feature_views
    from vpd_mm.utils.io import dump_json_atomic, save_npy_atomic
    if osp.isfile(osp.join(out_dir, 'features.json')):
        print(f'reusing {out_dir}')
        return
    os.makedirs(out_dir, exist_ok=True)
    lengths = {}
    for name, ann in anns.items():
        gt = np.load(osp.join(raw, 'gt', f'{name}.npz'))['keypoints_2d']  # [T_src, 17, 2]
        kp = gt[np.asarray(ann['source_frame_idx'])]
        save_npy_atomic(osp.join(out_dir, f'{name}.npy'), pose_feature_views(kp))
        lengths[name] = len(kp)
    dump_json_atomic(dict(dim=26, views=['as_is', 'hflip'], keypoint_key='ground truth',
                          videos=lengths), osp.join(out_dir, 'features.json'), indent=1)


def pose_errors(anns: Dict[str, dict], feat_root: str, pose_dir: str, test_videos) -> dict:
    """Mean joint error (normalised units) to the ground truth, split by teacher confidence."""
    from vpd_mm.codecs import pose_confidence
    rows = {k: [] for k in ('teacher', 'student', 'conf', 'has_pose')}
    for name in test_videos:
        gt = np.load(osp.join(feat_root, 'gt_pose2d', f'{name}.npy'))[:, 0]  # [T, 26]
        teacher = np.load(osp.join(feat_root, 'pose2d', f'{name}.npy'))[:, 0]
        student = np.load(osp.join(pose_dir, f'{name}.npy'))[:, 0]
        ann = anns[name]
        conf = pose_confidence(ann['keypoint_score'][0], ann['keypoint'][0])  # [T]
        n = min(len(gt), len(student))
        err = lambda p: np.linalg.norm((p[:n] - gt[:n]).reshape(n, 13, 2), axis=-1).mean(-1)  # noqa
        rows['teacher'].append(err(teacher))
        rows['student'].append(err(student))
        rows['conf'].append(conf[:n] >= 0.5)
        rows['has_pose'].append(np.isfinite(teacher[:n]).all(-1))
    cat = {k: np.concatenate(v) for k, v in rows.items()}
    ok = np.isfinite(cat['student'])
    out = {}
    for label, mask in (('confident', cat['conf']), ('unconfident, with a pose',
                                                     ~cat['conf'] & cat['has_pose']),
                        ('no teacher pose', ~cat['has_pose'])):
        m = mask & ok
        out[label] = dict(
            frames=int(m.sum()),
            teacher=float(np.nanmean(cat['teacher'][m])) if m.any() and label[0] != 'n' else None,
            student=float(cat['student'][m].mean()) if m.any() else None)
    return out


def retrieval(ann_file: str, feat_root: str, ks=(1, 10)) -> Dict[str, dict]:
    from vpd_mm.apis.retrieval import dtw_retrieval, load_action_sequences
    out = {}
    for feat in FEATURES:
        actions, seqs = load_action_sequences(ann_file, osp.join(feat_root, feat))
        queries = [i for i, a in enumerate(actions) if a['split'] == 'test']
        res = dtw_retrieval(seqs, [a['label'] for a in actions], query_index=queries, ks=ks,
                            view='mean', ids=[a['id'] for a in actions])
        out[feat] = {k: v for k, v in res.items() if k.startswith('precision')}
    return out


def main() -> None:
    args = parse_args()
    os.chdir(ROOT)
    work = args.work_dir
    raw, data = osp.join(args.data_dir, 'raw', 'sports'), osp.join(args.data_dir, 'sports')
    if args.fresh:
        for path in (raw, data, work):
            shutil.rmtree(path, ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    stage = Stages(9)

    stage('synthetic sports corpus (videos + ground truth)')
    from vpd_mm.datasets.synthetic import make_sports_corpus
    make_sports_corpus(raw, num_videos_per_class=args.videos_per_class, classes=args.classes,
                       image_size=tuple(args.size), num_frames=tuple(args.frames), seed=0)

    stage('data preparation: simulated detector, ByteTrack, athlete, simulated teacher, crops, '
          'flow')
    pose_pkl = osp.join(data, 'annotations', 'sports_pose.pkl')
    ann_file = osp.join(data, 'annotations', 'sports_actions.json')
    if not (osp.isfile(pose_pkl) and osp.isfile(ann_file)):
        run([sys.executable, 'tools/data/prepare.py', PREP_CONFIG, '--no-progress',
             '--cfg-options', f'reader.data_root={raw}/', f'out_dir={data}/'])
    else:
        print(f'reusing {data}')
    anns = load_pose_pkl(pose_pkl)

    stage('VIPE*: train on synthetic 3D poses, embed the teacher\'s poses')
    n = args.vipe_iters
    vipe_ckpt = train(VIPE_CONFIG, osp.join(work, 'vipe'), [] if n is None else [
        f'train_cfg.max_iters={n}', f'train_cfg.val_interval={n}',
        f'default_hooks.checkpoint.interval={n}'])
    from vpd_mm.apis.embed_poses import embed_pose_dataset
    emb_dir = osp.join(data, 'embeddings', 'vipe')
    embed_pose_dataset(pose_pkl, VIPE_CONFIG, vipe_ckpt, emb_dir, vertical_flip=True,
                       progress=False)
    feat_root = osp.join(data, 'features')
    os.makedirs(feat_root, exist_ok=True)
    if not osp.exists(osp.join(feat_root, 'vipe')):
        os.symlink(osp.abspath(emb_dir), osp.join(feat_root, 'vipe'))

    stage('teacher features: normalised 2D joints of the teacher and of the ground truth')
    from vpd_mm.apis.pose_features import write_pose_features
    write_pose_features(pose_pkl, osp.join(feat_root, 'pose2d'), progress=False)
    write_gt_features(anns, raw, osp.join(feat_root, 'gt_pose2d'))

    stage(f'distillation: 2D-VPD and VI-VPD students, {args.iters} steps each')
    paths = []
    for loader in ('train', 'val', 'test'):
        paths += [f'{loader}_dataloader.dataset.ann_file={pose_pkl}',
                  f'{loader}_dataloader.dataset.data_prefix.img={osp.join(data, "rawframes")}']
    options = dict(
        {name: list(paths) for name in STUDENTS},
        vivpd=paths + [f'{loader}_dataloader.dataset.emb_dir={emb_dir}'
                       for loader in ('train', 'val', 'test')])
    interval = args.iters  # one validation, at the end (it costs as much as ~130 steps here)
    ckpts = {
        name: train(cfg, osp.join(work, name), options[name] + [
            f'train_cfg.max_iters={args.iters}', f'param_scheduler.0.T_max={args.iters}',
            f'train_cfg.val_interval={interval}',
            f'default_hooks.checkpoint.interval={interval}'])
        for name, cfg in STUDENTS.items()
    }

    stage('student features of every frame (both flip views) and decoded poses')
    for name, cfg in STUDENTS.items():
        out = osp.join(feat_root, name)
        if osp.isfile(osp.join(out, 'features.json')):
            print(f'reusing {out}')
            continue
        run([sys.executable, 'tools/test.py', cfg, ckpts[name], '--work-dir',
             osp.join(work, name, 'features_log'), '--dump-features', out, '--dump-poses',
             osp.join(work, name, 'poses'), '--all-videos', '--cfg-options'] + options[name])

    stage('pose error against the ground truth, split by teacher confidence (test videos)')
    from vpd_mm.datasets.features import load_action_annotations
    actions = load_action_annotations(ann_file)
    test_videos = sorted(v for v, info in actions['videos'].items()
                         if info.get('split') == 'test' and v in anns)
    errors = pose_errors(anns, feat_root, osp.join(work, '2dvpd', 'poses'), test_videos)

    stage(f'few-shot recognition (BiGRU), k = {args.shots}, {args.subsets} subsets')
    configs = write_recognition_configs(work, ann_file, feat_root, args.epochs)
    import importlib.util
    spec = importlib.util.spec_from_file_location('fewshot', osp.join(ROOT, 'tools/fewshot.py'))
    fewshot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fewshot)
    fewshot.main(configs + ['--shots'] + [str(k) for k in args.shots] +
                 ['--subsets', str(args.subsets), '--work-dir', osp.join(work, 'fewshot')])

    stage('retrieval: DTW precision@k of the test actions against all actions')
    prec = retrieval(ann_file, feat_root)
    report = make_report(work, errors, prec)
    print('\n' + report)
    with open(osp.join(work, 'report.md'), 'w') as f:
        f.write(report)
    plot = osp.join(work, 'fewshot', 'fewshot.png')
    print(f'\nreport: {osp.join(work, "report.md")}; plot: {plot}; '
          f'done in {time.time() - stage.start:.0f} s')


def write_recognition_configs(work: str, ann_file: str, feat_root: str, epochs) -> List[str]:
    """One BiGRU config per feature type (``bigru_<type>_sports.py``) under ``WORK/configs``."""
    dims = {'gt_pose2d': 26, 'pose2d': 26, 'vipe': 128, '2dvpd': 26, 'vivpd': 128}
    configs = []
    for feat in FEATURES:
        path = osp.join(work, 'configs', f'bigru_{feat}_sports.py')
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(f"_base_ = ['{osp.join(ROOT, RECOGNITION_CONFIG)}']\n"
                    f"_f = dict(ann_file='{osp.abspath(ann_file)}',\n"
                    f"          feature_dir='{osp.abspath(osp.join(feat_root, feat))}')\n"
                    f'model = dict(cls_head=dict(in_channels={dims[feat]}))\n'
                    f'train_dataloader = dict(dataset=_f)\n'
                    f'val_dataloader = dict(dataset=_f)\n'
                    f'test_dataloader = dict(dataset=_f)\n'
                    f"result_info = dict(features='{feat}')\n" +
                    (f'train_cfg = dict(max_epochs={epochs})\n' if epochs else ''))
        configs.append(path)
    return configs


def make_report(work: str, errors: dict, prec: dict) -> str:
    with open(osp.join(work, 'fewshot', 'fewshot.json')) as f:
        summary = json.load(f)
    rows = {(r['config'], int(r['shots'])): r for r in summary}
    lines = ['## Pose error to the ground truth (test videos, mean joint distance, normalised '
             'units)', '', '| frames | count | teacher | 2D-VPD student |', '|---|---|---|---|']
    for label, e in errors.items():
        fmt = lambda v: '-' if v is None else f'{v:.3f}'  # noqa: E731
        lines.append(f'| {label} | {e["frames"]} | {fmt(e["teacher"])} | {fmt(e["student"])} |')
    shots = sorted({k for _, k in rows})
    head = ' | '.join('all' if k >= ALL_SHOTS else f'k = {k}' for k in shots)
    lines += ['', '## Few-shot recognition, BiGRU, top-1 % on the test actions (mean ± std over '
              'subsets)', '', f'| features | {head} | P@1 | P@10 |',
              '|---' * (len(shots) + 3) + '|']
    for feat, desc in FEATURES.items():
        cells = []
        for k in shots:
            r = rows.get((f'bigru_{feat}_sports', k))
            if r is not None:
                std = r.get('std')
                cells.append(f'{100 * r["mean"]:.1f}' + (f' ± {100 * std:.1f}' if std else ''))
            else:
                cells.append('-')
        p = prec.get(feat, {})
        lines.append(f'| {feat} ({desc}) | ' + ' | '.join(cells) +
                     f' | {100 * p.get("precision@1", float("nan")):.1f}'
                     f' | {100 * p.get("precision@10", float("nan")):.1f} |')
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    os.environ.setdefault('PYTHONWARNINGS', 'ignore')
    main()
