# isort: skip_file
# Copyright (c) vpd_mm contributors. All rights reserved.
"""Frames per second of each data-preparation stage on a generated video (CPU by default).

    python tools/benchmarks/prepare_stages.py [--frames 64] [--size 240 320] [--threads 1]
        [--detector-config mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py] [--det-checkpoint P]
        [--pose-config mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py]
        [--pose-checkpoint P] [--device cpu] [--flow-presets ultrafast fast medium]
        [--crop-size 128] [--repeats 3] [--out result.json]

The video is the toy corpus's stick figure (``vpd_mm.synthetic``) written to a
temporary mp4. Stages, each timed on the whole video: ``decode`` (decord, chunks of 64),
``detect`` (an mmdet detector, random weights unless a checkpoint is given), ``track``
(ByteTrack on those detections) + ``athlete`` (salience selection), ``pose`` (an mmpose top-down
model on the ground-truth athlete box), ``crop`` (128 px square crops of the frame and of the
previous frame with the same box) and ``flow`` (DIS per preset, crop pairs per second). With
``--threads 1`` (the default) torch and OpenCV use one thread: the numbers are per core.
``--out`` gets the numbers with the date, the machine and the command (JSON).
"""
import argparse
import datetime
import os
import os.path as osp
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import vpd_mm  # noqa: E402,F401
from vpd_mm.preparation.stages.flow import DISFlowEstimator  # noqa: E402
from vpd_mm.structures.crops import cut_crop  # noqa: E402
from vpd_mm.synthetic.toy_corpus import render_video, simulate_video  # noqa: E402
from vpd_mm.utils.io import dump_json_atomic  # noqa: E402
from vpd_mm.utils.machine import machine_description  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description='Benchmark the data-preparation stages')
    p.add_argument('--frames', type=int, default=64, help='frames of the generated video')
    p.add_argument('--size', type=int, nargs=2, default=(240, 320), metavar=('H', 'W'))
    p.add_argument('--threads', type=int, default=1, help='torch / OpenCV threads')
    p.add_argument('--detector-config', default='mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py')
    p.add_argument('--det-checkpoint', default=None)
    p.add_argument('--det-batch-size', type=int, default=8)
    p.add_argument(
        '--pose-config',
        default='mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py')
    p.add_argument('--pose-checkpoint', default=None)
    p.add_argument('--pose-batch-size', type=int, default=32)
    p.add_argument('--device', default='cpu')
    p.add_argument('--flow-presets', nargs='+', default=['ultrafast', 'fast', 'medium'])
    p.add_argument('--crop-size', type=int, default=128)
    p.add_argument('--repeats', type=int, default=3, help='repeats of the cheap stages')
    p.add_argument('--skip-models', action='store_true', help='only decode, crop and flow')
    p.add_argument('--out', help='write the results as JSON')
    return p.parse_args()


def timed(fn, repeats=1):
    """(result of the last call, best seconds of ``repeats`` calls)."""
    best, out = float('inf'), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    from mmaction.registry import TASK_UTILS

    from vpd_mm.preparation.stages.video import iter_video_chunks

    h, w = args.size
    sim = simulate_video(0, args.frames, (h, w), missing_rate=0.0)
    frames = np.stack(render_video(sim, (h, w), 0, 0))  # [T, H, W, 3] RGB
    num = len(frames)
    results = dict(
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        machine=machine_description(), command='python ' + ' '.join(sys.argv), frames=num,
        size=[h, w], threads=args.threads, device=args.device,
        models='skipped' if args.skip_models else 'random weights' if not (
            args.det_checkpoint or args.pose_checkpoint) else 'checkpoints', stages={})

    def record(stage, seconds, count, unit='frames'):
        results['stages'][stage] = dict(seconds=round(seconds, 4), count=count, unit=unit,
                                        per_s=round(count / seconds, 1))
        print(f'{stage:>18s}: {count / seconds:9.1f} {unit}/s  ({count} in {seconds:.3f} s)')

    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'bench.mp4')
        vw = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25.0, (w, h))
        for f in frames:
            vw.write(np.ascontiguousarray(f[..., ::-1]))
        vw.release()
        decoded, sec = timed(lambda: [c for _, c in iter_video_chunks(path, chunk_size=64)],
                             args.repeats)
        record('decode', sec, sum(len(c) for c in decoded))

    boxes = sim['athlete_box'].astype(np.float32)  # [T, 4] ground truth, as the athlete track
    if not args.skip_models:
        # untrained heads score every prior alike (about 0.5 for all classes), so the
        # post-processing would sort and suppress thousands of boxes, which trained weights
        # never produce: cap it as a trained detector's scores (> score_thr 0.001) would
        det_opts = None if args.det_checkpoint else {
            'model.test_cfg.nms_pre': 1000,
            'model.test_cfg.max_per_img': 100
        }
        det = TASK_UTILS.build(
            dict(type='MMDetPersonDetector', config=args.detector_config,
                 checkpoint=args.det_checkpoint, device=args.device,
                 batch_size=args.det_batch_size, score_thr=0.0, cfg_options=det_opts))
        det(frames[:2])  # warm-up
        dets, sec = timed(lambda: det(frames))
        record('detect', sec, num)
        tracker = TASK_UTILS.build(dict(type='MMDetPersonTracker'))
        # the detector's boxes plus the athlete's, scored 0.9, so that tracks exist
        dets = [np.concatenate([d, np.append(b, 0.9)[None].astype(np.float32)])
                for d, b in zip(dets, boxes)]
        tracks, sec = timed(lambda: tracker(dets, img_shape=(h, w)), args.repeats)
        record('track', sec, num)
        selector = TASK_UTILS.build(dict(type='AthleteSelector'))
        _, sec = timed(lambda: selector(tracks, (h, w)), args.repeats)
        record('athlete', sec, num)
        teacher = TASK_UTILS.build(
            dict(type='MMPoseTopDownTeacher', config=args.pose_config,
                 checkpoint=args.pose_checkpoint, device=args.device,
                 batch_size=args.pose_batch_size))
        teacher(frames[:2], boxes[:2])  # warm-up
        _, sec = timed(lambda: teacher(frames, boxes))
        record('pose', sec, num)

    size = args.crop_size
    cb = sim['crop_box']

    def crop_all():
        cur = np.stack([cut_crop(f, b, size) for f, b in zip(frames, cb)])
        prev = np.stack([cut_crop(f, b, size) for f, b in zip(frames[:-1], cb[1:])])
        return cur, prev

    (cur, prev), sec = timed(crop_all, args.repeats)
    record('crop', sec, num)
    for preset in args.flow_presets:
        est = DISFlowEstimator(preset)
        est.batch(prev[:2], cur[1:3])
        _, sec = timed(lambda: est.batch(prev, cur[1:]), args.repeats)
        record(f'flow (DIS {preset})', sec, len(prev), unit='crops')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        dump_json_atomic(results, args.out, indent=1)
        print(f'wrote {args.out}')
    return results


if __name__ == '__main__':
    main()
