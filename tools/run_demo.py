# Copyright (c) vpd_mm contributors. All rights reserved.
"""The main job on its embedded default data: VPD end to end on the synthetic sports benchmark.

    python tools/run_demo.py [--videos-per-class 26] [--iters N] [--subsets 5]
        [--shots 4 16 all] [--fewshot-steps N] [--jobs 2] [--vivpd]
        [--work-dir work_dirs/synthetic_benchmark] [--data-dir data] [--fresh]
        [--classes ...] [--size 192 144] [--frames 64 96] [--vipe-iters N] [--seed 0]
        [--no-amp]

No download, no GPU: on a 2-core CPU the whole run takes under 20 minutes.

1. **corpus**: renders uncut videos of an acrobat performing 8 jump classes, with the ground
   truth (``tools/data/make_sports_corpus.py``; ``data/raw/sports/``);
2. **prepare**: the simulated person detector -> mmdet's ByteTracker -> athlete track -> the
   simulated pose teacher -> 64 px crops -> DIS flow (``tools/data/prepare.py
   configs/preparation/synthetic_sports.py``; ``data/sports/``);
3. **teacher features**: normalised 2D joints of the teacher and, as an upper reference, of the
   ground truth;
4. **VIPE\\*** (``--vivpd`` only): trains the view-invariant pose embedder on synthetic 3D poses
   and embeds the teacher's poses (the VI-VPD targets and the VIPE\\* teacher features);
5. **distill**: the 2D-VPD student (and with ``--vivpd`` the VI-VPD one) from the teacher's
   confident frames of every video, no label used (``configs/vpd/*_sports_cpu.py``; bfloat16
   autocast where the CPU has it, ``--no-amp`` for float32);
6. **features**: the students' features [T, 2, d] and decoded poses of every frame;
7. **pose error**: teacher vs 2D-VPD student against the ground truth, split by teacher
   confidence and by inverted athletes (where distillation shows first);
8. **few-shot**: BiGRU and DTW 1-nearest-neighbour recognition with k = 4, 16 and all labelled
   training actions per class, 5 seeded subsets each (``tools/fewshot.py``'s protocol: the
   same number of steps at every k, the last checkpoint tested), for every feature type;
9. **retrieval**: DTW precision@1/10 of the test actions against all actions;
10. the report: ``WORK_DIR/report.md`` (tables, the issue's checks, wall time, machine) and
    ``WORK_DIR/report.json`` (every number), plot ``WORK_DIR/fewshot/fewshot.png``.

Every stage reuses what a previous run finished (rerun the command to resume); ``--fresh``
starts over. It is a simulation: see docs/synthetic_benchmark.md for what it does and does not
show.

Paths: a relative ``--work-dir`` or ``--data-dir`` is relative to the current directory (the
defaults are inside the repository: ``work_dirs/synthetic_benchmark`` and ``data``). The demo
writes a marker file ``.vpd_demo`` into every folder it creates (the work dir,
``DATA_DIR/raw/sports``, ``DATA_DIR/sports``). ``--fresh`` deletes the two corpus folders and,
in the work dir, only the demo's own outputs (``configs``, ``vipe``, ``2dvpd``, ``vivpd``,
``fewshot``, ``report.json``, ``report.md``); it refuses, deleting nothing, when one of these
folders exists, is not empty and carries no marker (a folder the demo did not make).
"""
import argparse
import datetime
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: the file the demo writes into every folder it creates; ``--fresh`` deletes only marked folders
DEMO_MARKER = '.vpd_demo'
#: what the demo writes into its work dir: all that ``--fresh`` deletes there
WORK_OUTPUTS = ('configs', 'vipe', '2dvpd', 'vivpd', 'fewshot', 'retrieval', 'report.json',
                'report.md')
DEFAULT_WORK_DIR = osp.join('work_dirs', 'synthetic_benchmark')

PREP_CONFIG = 'configs/preparation/synthetic_sports.py'
VIPE_CONFIG = 'configs/vipe/vipe_synthetic_tiny.py'
STUDENTS = {'2dvpd': 'configs/vpd/2dvpd_sports_cpu.py', 'vivpd': 'configs/vpd/vivpd_sports_cpu.py'}
RECOGNITION_CONFIGS = {'bigru': 'configs/recognition/bigru_sports_cpu.py',
                       'dtwnn': 'configs/recognition/dtwnn_sports_cpu.py'}
#: feature type -> (what it is, dimension)
FEATURES = {
    'gt_pose2d': ('ground-truth 2D joints (upper reference)', 26),
    'pose2d': ('teacher: simulated 2D pose, normalised joints', 26),
    '2dvpd': ('2D-VPD student', 26),
    'vipe': ('teacher: VIPE* of the 2D pose', 128),
    'vivpd': ('VI-VPD student', 128),
}
#: student -> the teacher features it must beat
TEACHER_OF = {'2dvpd': 'pose2d', 'vivpd': 'vipe'}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='Relative --work-dir and --data-dir are relative to the current directory; the '
        'defaults are inside the repository. --fresh deletes DATA_DIR/raw/sports, '
        'DATA_DIR/sports and the demo\'s outputs in the work dir (' + ', '.join(WORK_OUTPUTS) +
        f'), and only folders that carry the demo\'s marker file {DEMO_MARKER}: it refuses to '
        'delete a folder the demo did not make.')
    parser.add_argument('--videos-per-class', type=int, default=26,
                        help='videos rendered per jump class (default: 26)')
    parser.add_argument('--iters', type=int, default=None,
                        help="distillation steps per student (default: the config's)")
    parser.add_argument('--shots', nargs='+', default=['4', '16', 'all'],
                        help='few-shot k: labelled training actions per class, or "all" '
                        '(default: 4 16 all)')
    parser.add_argument('--subsets', type=int, default=5,
                        help='seeded subsets per k (default: 5)')
    parser.add_argument('--fewshot-steps', type=int, default=None,
                        help="BiGRU steps per few-shot run (default: the config's fewshot.steps)")
    parser.add_argument('--jobs', type=int, default=2,
                        help='few-shot runs in parallel (default: 2)')
    parser.add_argument('--vivpd', action='store_true',
                        help='also train VIPE* and the VI-VPD student (about 8 more minutes)')
    parser.add_argument('--work-dir', default=None,
                        help='checkpoints, logs, few-shot runs and the report (default: '
                        f'{DEFAULT_WORK_DIR} in the repository)')
    parser.add_argument('--data-dir', default=None,
                        help='the corpus goes to DATA_DIR/raw/sports, the prepared data to '
                        'DATA_DIR/sports (default: data in the repository)')
    parser.add_argument('--classes', nargs='+', default=None,
                        help='jump classes (default: all 8)')
    parser.add_argument('--size', type=int, nargs=2, default=(192, 144), metavar=('W', 'H'),
                        help='video width and height in pixels (default: 192 144)')
    parser.add_argument('--frames', type=int, nargs=2, default=(64, 96), metavar=('MIN', 'MAX'),
                        help='frames per video, drawn between MIN and MAX (default: 64 96)')
    parser.add_argument('--vipe-iters', type=int, default=None,
                        help='VIPE* training steps (default: the config\'s 1000)')
    parser.add_argument('--seed', type=int, default=0,
                        help='one seed for the corpus (videos, split), the simulated detector '
                        'and teacher, distillation, VIPE* and the few-shot subsets: another '
                        'seed is an independent replicate of the whole benchmark (default: 0; '
                        'use a --data-dir and --work-dir of its own)')
    parser.add_argument('--no-amp', action='store_true',
                        help='float32 distillation and features even where the CPU has bfloat16')
    parser.add_argument('--fresh', action='store_true',
                        help="delete the demo's earlier outputs first (the corpus folders and "
                        "the demo's outputs in the work dir; see below)")
    args = parser.parse_args(argv)
    # resolved against the caller's directory before main() changes to the repository root
    args.work_dir = osp.abspath(args.work_dir) if args.work_dir else osp.join(
        ROOT, DEFAULT_WORK_DIR)
    args.data_dir = osp.abspath(args.data_dir) if args.data_dir else osp.join(ROOT, 'data')
    return args


def _is_marked_or_absent(path: str) -> bool:
    """Whether ``--fresh`` may delete ``path``: absent, an empty folder, or marked by the demo."""
    if not osp.lexists(path):
        return True
    if not osp.isdir(path) or osp.islink(path):
        return False
    return osp.isfile(osp.join(path, DEMO_MARKER)) or not os.listdir(path)


def claim_dir(path: str) -> None:
    """Create ``path`` with the demo's marker, or mark it when it exists but is empty.

    A folder that already holds something without the marker (made by someone else, or by a demo
    from before the marker) is used as it is and left unmarked, so ``--fresh`` will not delete it.
    """
    if not osp.isdir(path) or not os.listdir(path):
        os.makedirs(path, exist_ok=True)
        with open(osp.join(path, DEMO_MARKER), 'w') as f:
            f.write('made by tools/run_demo.py; its --fresh may delete this folder\n')


def fresh_start(work: str, corpus_dirs: List[str]) -> None:
    """``--fresh``: delete the corpus folders and the demo's outputs in ``work``.

    Refuses (``SystemExit``, nothing deleted) when one of the folders exists, is not empty and
    carries no marker file: a folder the demo did not make.
    """
    for path in list(corpus_dirs) + [work]:
        if not _is_marked_or_absent(path):
            raise SystemExit(
                f'run_demo.py --fresh: refusing to delete {path}: it is not a folder made by '
                f'tools/run_demo.py (no {DEMO_MARKER} marker in it). Delete it yourself if it '
                'holds nothing you need, or choose another --work-dir / --data-dir.')
    for path in corpus_dirs:
        if osp.isdir(path):
            print(f'--fresh: deleting {path}', flush=True)
            shutil.rmtree(path)
    if osp.isdir(work):
        for name in WORK_OUTPUTS:
            path = osp.join(work, name)
            if osp.isdir(path) and not osp.islink(path):
                print(f'--fresh: deleting {path}', flush=True)
                shutil.rmtree(path)
            elif osp.lexists(path):
                os.remove(path)


class Stages:
    """Numbered stage headers with the elapsed time; records each stage's wall time."""

    def __init__(self, total: int) -> None:
        self.total, self.index, self.start = total, 0, time.time()
        self.times: Dict[str, float] = {}
        self._current: Optional[str] = None
        self._since = self.start

    def __call__(self, key: str, title: str) -> None:
        self.close()
        self.index += 1
        self._current, self._since = key, time.time()
        print(f'\n[{self.index}/{self.total}] {title}  (t = {self._since - self.start:.0f} s)',
              flush=True)

    def close(self) -> None:
        if self._current is not None:
            self.times[self._current] = round(time.time() - self._since, 1)
            self._current = None


def run(cmd: List[str]) -> None:
    print('$ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def _checkpoint(work_dir: str) -> str:
    found = sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')), key=osp.getmtime)
    if not found:
        raise SystemExit(f'no checkpoint in {work_dir}: did training run?')
    return found[-1]


def train(config: str, work_dir: str, options: List[str] = (), amp: bool = False) -> str:
    """tools/train.py unless it finished before; returns the last checkpoint."""
    done = osp.join(work_dir, 'done.json')
    want = dict(config=config, options=list(options), amp=amp)
    if osp.isfile(done):
        with open(done) as f:
            if json.load(f) == want:
                print(f'reusing {work_dir}')
                return _checkpoint(work_dir)
        shutil.rmtree(work_dir)  # trained with other settings: start over
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--resume']
    run(cmd + (['--amp'] if amp else []) + (['--cfg-options'] + list(options) if options else []))
    from vpd_mm.utils.io import dump_json_atomic
    dump_json_atomic(want, done)
    return _checkpoint(work_dir)


def load_pose_pkl(path: str) -> Dict[str, dict]:
    """The annotations of the pose pkl, by video."""
    from vpd_mm.datasets.pose_annotations import annotations_by_video
    return annotations_by_video(path)


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


def retrieval(ann_file: str, feat_root: str, features: List[str], work: str,
              ks=(1, 10)) -> Dict[str, dict]:
    """DTW precision@k of the test actions per feature type; each also written as
    ``WORK/retrieval/<dataset>_<feature>.result.json`` (Table 3 of ``tools/report.py``)."""
    from vpd_mm.apis.retrieval import dtw_retrieval, load_action_sequences
    from vpd_mm.datasets.features import load_action_annotations
    from vpd_mm.utils.results import write_result
    dataset = load_action_annotations(ann_file).get('dataset') or 'sports'
    out = {}
    for feat in features:
        feature_dir = osp.join(feat_root, feat)
        actions, seqs = load_action_sequences(ann_file, feature_dir)
        queries = [i for i, a in enumerate(actions) if a['split'] == 'test']
        res = dtw_retrieval(seqs, [a['label'] for a in actions], query_index=queries, ks=ks,
                            ids=[a['id'] for a in actions], num_threads=1)
        out[feat] = {k: v for k, v in res.items() if k.startswith('precision')}
        write_result(osp.join(work, 'retrieval', f'{dataset}_{feat}.result.json'), 'retrieval',
                     dataset, feat, 'dtw', out[feat], query_split='test', view='concat',
                     num_queries=res['num_queries'], num_corpus=res['num_corpus'],
                     ann_file=osp.abspath(ann_file), feature_dirs=[osp.abspath(feature_dir)])
    return out


def write_recognition_configs(work: str, ann_file: str, feat_root: str,
                              features: List[str]) -> List[str]:
    """``WORK/configs/<method>_<feature>_sports.py`` for every method and feature type, with the
    corpus's number of classes (``--classes`` may pick fewer than the configs' 8)."""
    from vpd_mm.datasets.features import load_action_annotations
    num_classes = len(load_action_annotations(ann_file)['classes'])
    configs = []
    for method, base in RECOGNITION_CONFIGS.items():
        for feat in features:
            path = osp.join(work, 'configs', f'{method}_{feat}_sports.py')
            os.makedirs(osp.dirname(path), exist_ok=True)
            head = (f'model = dict(cls_head=dict(in_channels={FEATURES[feat][1]}, '
                    f'num_classes={num_classes}))\n'
                    if method == 'bigru' else f'model = dict(num_classes={num_classes})\n')
            text = (f"_base_ = ['{osp.join(ROOT, base)}']\n"
                    f"_f = dict(ann_file='{osp.abspath(ann_file)}',\n"
                    f"          feature_dir='{osp.abspath(osp.join(feat_root, feat))}')\n" + head +
                    'train_dataloader = dict(dataset=_f)\n'
                    'val_dataloader = dict(dataset=_f)\n'
                    'test_dataloader = dict(dataset=_f)\n'
                    f"result_info = dict(features='{feat}')\n")
            tmp = f'{path}.tmp.{os.getpid()}'
            with open(tmp, 'w') as f:
                f.write(text)
            os.replace(tmp, path)
            configs.append(path)
    return configs


def main(argv=None) -> None:
    args = parse_args(argv)
    os.chdir(ROOT)
    work = args.work_dir
    raw, data = osp.join(args.data_dir, 'raw', 'sports'), osp.join(args.data_dir, 'sports')
    if args.fresh:
        fresh_start(work, [raw, data])
    claim_dir(work)
    students = ['2dvpd', 'vivpd'] if args.vivpd else ['2dvpd']
    features = ['gt_pose2d', 'pose2d', '2dvpd'] + (['vipe', 'vivpd'] if args.vivpd else [])
    from vpd_mm.utils.machine import bf16_autocast_supported, machine_description
    amp = not args.no_amp and bf16_autocast_supported()
    stage = Stages(9 if args.vivpd else 8)

    stage('corpus', 'synthetic sports corpus (videos + ground truth)')
    from vpd_mm.synthetic import make_sports_corpus
    claim_dir(raw)
    from vpd_mm.synthetic.sports_corpus import CorpusArgumentError
    try:
        make_sports_corpus(raw, num_videos_per_class=args.videos_per_class,
                           classes=args.classes, image_size=tuple(args.size),
                           num_frames=tuple(args.frames), seed=args.seed)
    except CorpusArgumentError as e:
        raise SystemExit(f'run_demo.py: {e}. Add --fresh to start over, or give this '
                         'setting a --data-dir (and --work-dir) of its own.') from None
    # seed 0 adds no option: the defaults' stages stay reusable as they were
    seeded = [f'randomness.seed={args.seed}'] if args.seed else []

    stage('prepare', 'data preparation: simulated detector, ByteTrack, athlete, simulated '
          'teacher, crops, flow')
    pose_pkl = osp.join(data, 'annotations', 'sports_pose.pkl')
    ann_file = osp.join(data, 'annotations', 'sports_actions.json')
    if not (osp.isfile(pose_pkl) and osp.isfile(ann_file)):
        claim_dir(data)
        run([sys.executable, 'tools/data/prepare.py', PREP_CONFIG, '--no-progress',
             '--cfg-options', f'reader.data_root={raw}/', f'out_dir={data}/'] +
            ([f'detector.seed={args.seed}', f'teacher.seed={args.seed}'] if args.seed else []))
    else:
        print(f'reusing {data}')
    anns = load_pose_pkl(pose_pkl)

    stage('teachers', 'teacher features: normalised 2D joints of the teacher and of the ground '
          'truth')
    from vpd_mm.apis.pose_features import write_pose_features
    feat_root = osp.join(data, 'features')
    os.makedirs(feat_root, exist_ok=True)
    write_pose_features(pose_pkl, osp.join(feat_root, 'pose2d'), progress=False)
    write_gt_features(anns, raw, osp.join(feat_root, 'gt_pose2d'))

    paths = []
    for loader in ('train', 'test'):
        paths += [f'{loader}_dataloader.dataset.ann_file={pose_pkl}',
                  f'{loader}_dataloader.dataset.data_prefix.img={osp.join(data, "rawframes")}']
    options = {'2dvpd': paths + seeded}
    if args.vivpd:
        stage('vipe', 'VIPE*: train on synthetic 3D poses, embed the teacher\'s poses')
        n = args.vipe_iters
        vipe_ckpt = train(VIPE_CONFIG, osp.join(work, 'vipe'), seeded + ([] if n is None else [
            f'train_cfg.max_iters={n}', f'train_cfg.val_interval={n}',
            f'default_hooks.checkpoint.interval={n}']))
        vipe_ckpt = sorted(glob.glob(osp.join(work, 'vipe', 'best_*.pth')),
                           key=osp.getmtime)[-1] if glob.glob(
                               osp.join(work, 'vipe', 'best_*.pth')) else vipe_ckpt
        from vpd_mm.apis.embed_poses import embed_pose_dataset
        emb_dir = osp.join(data, 'embeddings', 'vipe')
        embed_pose_dataset(pose_pkl, VIPE_CONFIG, vipe_ckpt, emb_dir, vertical_flip=True,
                           progress=False)
        if not osp.exists(osp.join(feat_root, 'vipe')):
            os.symlink(osp.abspath(emb_dir), osp.join(feat_root, 'vipe'))
        options['vivpd'] = paths + seeded + [f'{loader}_dataloader.dataset.emb_dir={emb_dir}'
                                             for loader in ('train', 'test')]

    stage('distill', f'distillation: {", ".join(students)} student(s) from the teacher\'s '
          f'confident frames{" (bfloat16 autocast)" if amp else ""}')
    ckpts = {}
    for name in students:
        opts = list(options[name])
        if args.iters is not None:
            opts += [f'train_cfg.max_iters={args.iters}', f'param_scheduler.0.end={args.iters}',
                     f'param_scheduler.0.T_max={args.iters}',
                     f'default_hooks.checkpoint.interval={args.iters}']
        ckpts[name] = train(STUDENTS[name], osp.join(work, name), opts, amp=amp)

    stage('features', 'student features of every frame (both flip views) and decoded poses')
    for name in students:
        out = osp.join(feat_root, name)
        index = osp.join(out, 'features.json')
        stamp = osp.join(work, name, 'features.done')
        if osp.isfile(index) and osp.isfile(stamp) and open(stamp).read() == ckpts[name]:
            print(f'reusing {out}')
            continue
        run([sys.executable, 'tools/test.py', STUDENTS[name], ckpts[name], '--work-dir',
             osp.join(work, name, 'features_log'), '--dump-features', out, '--dump-poses',
             osp.join(work, name, 'poses'), '--all-videos'] + (['--amp'] if amp else []) +
            ['--cfg-options'] + options[name])
        with open(stamp, 'w') as f:
            f.write(ckpts[name])

    stage('pose_error', 'pose error against the ground truth, split by teacher confidence '
          '(test videos)')
    from vpd_mm.datasets.features import load_action_annotations
    from vpd_mm.evaluation.pose_error import sports_benchmark_pose_errors
    actions = load_action_annotations(ann_file)
    test_videos = sorted(v for v, info in actions['videos'].items()
                         if info.get('split') == 'test' and v in anns)
    errors = sports_benchmark_pose_errors(pose_pkl, raw, feat_root,
                                          osp.join(work, '2dvpd', 'poses'), test_videos)

    stage('fewshot', f'few-shot recognition (BiGRU and DTW 1-NN), k = {" ".join(args.shots)}, '
          f'{args.subsets} subsets')
    from vpd_mm.apis.fewshot import parse_shots, run_fewshot_protocol, write_fewshot_results
    from vpd_mm.evaluation.fewshot_summary import format_table, summarize
    configs = write_recognition_configs(work, ann_file, feat_root, features)
    fewshot_dir = osp.join(work, 'fewshot')
    rows = run_fewshot_protocol(configs, parse_shots(args.shots), args.subsets,
                                work_dir=fewshot_dir, seed=args.seed, steps=args.fewshot_steps,
                                jobs=args.jobs,
                                log=lambda line: print(line, flush=True))
    summary = summarize(rows)
    print(format_table(summary))
    write_fewshot_results(rows, summary, fewshot_dir)

    stage('retrieval', 'retrieval: DTW precision@k of the test actions against all actions')
    prec = retrieval(ann_file, feat_root, features, work)
    stage.close()

    from vpd_mm.evaluation.demo_report import demo_checks, demo_report_markdown
    result = dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_description(),
        command='python tools/run_demo.py ' + ' '.join(sys.argv[1:] if argv is None else argv),
        wall_seconds=round(time.time() - stage.start, 1),
        stage_seconds=stage.times,
        amp=amp,
        seed=args.seed,
        features={f: FEATURES[f][0] for f in features},
        teacher_of={s: TEACHER_OF[s] for s in students},
        pose_error=errors,
        fewshot=rows,
        fewshot_summary=summary,
        retrieval=prec)
    result['checks'] = demo_checks(result)
    report = demo_report_markdown(result)
    from vpd_mm.utils.io import dump_json_atomic
    dump_json_atomic(result, osp.join(work, 'report.json'), indent=1)
    tmp = osp.join(work, f'report.md.tmp.{os.getpid()}')
    with open(tmp, 'w') as f:
        f.write(report)
    os.replace(tmp, osp.join(work, 'report.md'))
    print('\n' + report)
    print(f'report: {osp.join(work, "report.md")} (and report.json); plot: '
          f'{osp.join(fewshot_dir, "fewshot.png")}; done in {result["wall_seconds"]:.0f} s')


if __name__ == '__main__':
    os.environ.setdefault('PYTHONWARNINGS', 'ignore')
    main()
