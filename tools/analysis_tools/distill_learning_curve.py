# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pose error vs distillation steps on the synthetic benchmark: where more compute goes.

    python tools/analysis_tools/distill_learning_curve.py [--config configs/vpd/2dvpd_sports_cpu.py]
        [--steps 600 1200 2400 4800] [--data-dir data]
        [--work-dir work_dirs/synthetic_benchmark/learning_curve] [--no-amp]
        [--cfg-options key=value ...]

Needs the benchmark `make demo` prepared (``DATA_DIR/raw/sports``, ``DATA_DIR/sports`` with the
teacher's and the ground truth's features). For every N of ``--steps`` it distils the config's
student for N steps (a complete run: the learning rate annealed over N steps, so each point is
what a budget of N steps gives), decodes the poses of the test videos and measures their error
to the ground truth against the teacher's, by teacher confidence and for inverted athletes.
Writes ``WORK_DIR/learning_curve.json`` (with the date, the machine and each run's wall time)
and ``WORK_DIR/learning_curve.png``; finished points are reused when the command runs again.
``--cfg-options`` changes the recipe (an ablation: give it its own ``--work-dir``), e.g.
``train_dataloader.dataset.pipeline.3.prob=0`` (no rotation) or
``train_dataloader.sampler.alpha=0`` (frames drawn uniformly).
"""
import argparse
import datetime
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: pose-error group -> (label, line style) in the plot
CURVES = {
    'unconfident': ('unconfident frames', '-'),
    'confident': ('confident frames', '--'),
    'unconfident&inverted': ('unconfident, athlete inverted', ':'),
    'no_pose': ('no teacher pose', '-.'),
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        epilog='Relative paths are relative to the repository root (the tool runs there).')
    parser.add_argument('--config', default='configs/vpd/2dvpd_sports_cpu.py',
                        help='the student config to distil (default: %(default)s)')
    parser.add_argument('--steps', type=int, nargs='+', default=[600, 1200, 2400, 4800],
                        help='distillation steps of each point of the curve, one complete run '
                        'per value (default: 600 1200 2400 4800)')
    parser.add_argument('--data-dir', default='data',
                        help='where `make demo` put the benchmark: DATA_DIR/raw/sports and '
                        'DATA_DIR/sports (default: %(default)s)')
    parser.add_argument('--work-dir', default='work_dirs/synthetic_benchmark/learning_curve',
                        help='one steps<N> folder per point, learning_curve.json and .png '
                        '(default: %(default)s)')
    parser.add_argument('--no-amp', action='store_true', help='float32 instead of bfloat16')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of the student config (an ablation)')
    return parser.parse_args(argv)


def markdown_table(points) -> str:
    """The student's pose error per number of steps, and the teacher's, as a Markdown table."""
    lines = ['| steps | train s | ' + ' | '.join(CURVES) + ' |',
             '|' + '---|' * (2 + len(CURVES))]
    for p in points:
        lines.append(f'| {p["steps"]} | {p["train_seconds"]:.0f} | ' + ' | '.join(
            f'{p["pose_error"][g]["student"]:.3f}' for g in CURVES) + ' |')
    lines.append('| teacher | | ' + ' | '.join(
        '-' if points[-1]['pose_error'][g]['teacher'] is None else
        f'{points[-1]["pose_error"][g]["teacher"]:.3f}' for g in CURVES) + ' |')
    return '\n'.join(lines)


def run(cmd) -> None:
    print('$ ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def curve_point(args, steps: int, amp: bool) -> dict:
    """Distil for ``steps``, decode the test videos' poses, measure; reused when done."""
    from vpd_mm.evaluation.pose_error import sports_benchmark_pose_errors
    from vpd_mm.utils.io import dump_json_atomic

    work = osp.join(args.work_dir, f'steps{steps}')
    done = osp.join(work, 'point.json')
    if osp.isfile(done):
        with open(done) as f:
            point = json.load(f)
        if (point.get('config'), point.get('amp'), point.get('cfg_options')) == (
                args.config, amp, list(args.cfg_options)):
            print(f'reusing {work}')
            return point
    data = osp.join(args.data_dir, 'sports')
    pose_pkl = osp.join(data, 'annotations', 'sports_pose.pkl')
    paths = []
    for loader in ('train', 'test'):
        paths += [f'{loader}_dataloader.dataset.ann_file={pose_pkl}',
                  f'{loader}_dataloader.dataset.data_prefix.img={osp.join(data, "rawframes")}']
    amp_flag = ['--amp'] if amp else []
    t0 = time.time()
    run([sys.executable, 'tools/train.py', args.config, '--work-dir', work] + amp_flag +
        ['--cfg-options', f'train_cfg.max_iters={steps}', f'train_cfg.val_interval={steps}',
         f'param_scheduler.0.T_max={steps}', f'param_scheduler.0.end={steps}',
         f'default_hooks.checkpoint.interval={steps}'] + paths + list(args.cfg_options))
    seconds = time.time() - t0
    ckpt = osp.join(work, f'iter_{steps}.pth')
    poses = osp.join(work, 'poses')
    run([sys.executable, 'tools/test.py', args.config, ckpt, '--work-dir', osp.join(work, 'test'),
         '--dump-features', osp.join(work, 'features'), '--dump-poses', poses] + amp_flag +
        ['--cfg-options', 'test_dataloader.dataset.source_split=test'] + paths +
        list(args.cfg_options))
    errors = sports_benchmark_pose_errors(pose_pkl, osp.join(args.data_dir, 'raw', 'sports'),
                                          osp.join(data, 'features'), poses)
    point = dict(config=args.config, cfg_options=list(args.cfg_options), amp=amp, steps=steps,
                 train_seconds=round(seconds, 1), pose_error=errors)
    dump_json_atomic(point, done, indent=1)
    return point


def plot(points, path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    steps = [p['steps'] for p in points]
    for i, (group, (label, style)) in enumerate(CURVES.items()):
        color = f'C{i}'
        student = [p['pose_error'][group]['student'] for p in points]
        ax.plot(steps, student, style, marker='o', color=color, label=f'student, {label}')
        teacher = points[-1]['pose_error'][group]['teacher']
        if teacher is not None:
            ax.axhline(teacher, color=color, linewidth=0.8, alpha=0.6, linestyle=style)
            ax.annotate(f'teacher {teacher:.3f}', (steps[0], teacher), fontsize=7, color=color,
                        xytext=(0, 2), textcoords='offset points')
    ax.set_xscale('log', base=2)
    ax.set_xticks(steps, [str(s) for s in steps])
    ax.set_xlabel('distillation steps (64 frames each)')
    ax.set_ylabel('mean joint error to the ground truth')
    ax.set_title('2D-VPD student vs its teacher (thin lines), test videos', fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    tmp = f'{path}.tmp.{os.getpid()}.png'
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)


def main() -> None:
    args = parse_args()
    os.chdir(ROOT)
    from vpd_mm.utils import require_configs
    from vpd_mm.utils.io import dump_json_atomic
    from vpd_mm.utils.machine import bf16_autocast_supported, machine_description
    require_configs(args.config)
    for name in ('gt_pose2d', 'pose2d'):
        if not osp.isfile(osp.join(args.data_dir, 'sports', 'features', name, 'features.json')):
            raise SystemExit(f'{args.data_dir}/sports/features/{name} is missing: run `make demo` '
                             '(tools/run_demo.py) first')
    amp = not args.no_amp and bf16_autocast_supported()
    os.makedirs(args.work_dir, exist_ok=True)
    points = [curve_point(args, n, amp) for n in sorted(set(args.steps))]
    out = dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_description(), command='python ' + ' '.join(sys.argv), amp=amp,
        points=points)
    dump_json_atomic(out, osp.join(args.work_dir, 'learning_curve.json'), indent=1)
    plot(points, osp.join(args.work_dir, 'learning_curve.png'))
    print('\n' + markdown_table(points))
    print(f'wrote {osp.join(args.work_dir, "learning_curve.json")} and learning_curve.png')


if __name__ == '__main__':
    main()
