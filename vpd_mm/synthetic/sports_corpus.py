# Copyright (c) vpd_mm contributors. All rights reserved.
"""A synthetic, uncut sports corpus: real video files of an acrobat plus full ground truth.

Each video shows one athlete (the 3D skeleton of :mod:`.sports_motions`) who stands, sometimes
walks to the take-off spot, performs one acrobatic jump of its class (:data:`SPORTS_CLASSES`:
somersault count x body shape x twist), lands and stands again, filmed by a camera at a random
azimuth, distance and height that pans and tilts to follow it (:mod:`.sports_render`), in front
of a textured background, with 1-4 distractor people (judges, spectators: standing or walking
slowly, mostly farther away, so smaller) and motion blur that grows with the joints' speed.
Classes differ only in the body motion of the jump.

Layout written by :func:`make_sports_corpus` into ``out_dir``::

    videos/<video>.mp4                 # MPEG-4 part 2 ('mp4v'), RGB content, decord reads it
    gt/<video>.npz                     # ground truth, see below
    annotations/<name>_actions.json    # action annotations (docs/data_layout.md)
    annotations/<name>_videos.json     # segment list of SegmentListReader (unit='frame')
    annotations/<name>_videos.csv      # the same as CSV (read it with unit='frame')
    corpus.json                        # the arguments (a rerun with others raises)

``gt/<video>.npz`` (float32 unless stated; T frames, P people, the athlete is person 0):

* ``keypoints_2d`` [T, 17, 2]: the athlete's COCO-17 joints in image pixels (continuous
  coordinates, the top-left pixel's centre at (0.5, 0.5)); ``keypoints_3d`` [T, 17, 3] world
  metres (y up); ``keypoints_depth`` [T, 17] camera depths;
* ``camera_R`` [T, 3, 3], ``camera_t`` [T, 3], ``focal`` [], ``principal`` [2]: the camera;
  ``X_cam = R X + t``, ``u = cx + f x / z``, ``v = cy + f y / z``
  (:func:`~.sports_render.project`), so projecting ``keypoints_3d`` gives ``keypoints_2d``;
* ``athlete_box`` [T, 4]: x1, y1, x2, y2 (the joints' extent padded by 0.12 m, clipped to the
  image; NaN where out of view); ``person_boxes`` [P, T, 4] and ``person_visibility`` [P, T]
  (fraction of the unclipped box inside the image) of everyone, ``person_ids`` [P] int64;
* ``speed`` [T, 17] image speed of each joint, px per frame; ``blur`` [T] mean joint travel
  during the exposure, px; ``facing_cos`` [T] cosine between the athlete's chest normal and the
  direction to the camera (1 facing it, -1 back to it, 0 side-on); ``upright_cos`` [T] cosine
  between the athlete's spine (hips to neck) and the image's up direction (-1 upside down);
* ``label``, ``start_frame``, ``end_frame`` (the action, end exclusive), ``takeoff``,
  ``landing``, ``fps``, ``image_size`` [2] (W, H), ``num_frames`` (int64 scalars/arrays);
  ``class_name`` (str).

Video ``i`` has class ``classes[i % C]`` and depends on ``(seed, i, its class)`` only. The
split is by video, seeded and stratified by class (``test_fraction`` of each class's videos in
``test``). Writes are atomic (temporary names then ``os.replace``) and the generation is
resumable: a video whose ``.mp4`` and ``.npz`` both exist is skipped; leftovers of an
interrupted run (``videos/.tmp_*``) are redone.

The segment lists are the JSON/CSV formats of
:class:`vpd_mm.preparation.readers.SegmentListReader` with source-frame units::

    dict(type='SegmentListReader', data_root=out_dir, ann_file='annotations/sports_videos.json',
         dataset='sports')    # the CSV needs unit='frame'

Labels are class names; each video entry also carries ``gt_file`` (relative to ``out_dir``),
which the simulated detector and teacher need as ``video['gt_file']`` (they also find
``<out_dir>/gt/<video>.npz`` from ``video['path']`` = ``<out_dir>/videos/<video>.mp4``).
"""
import csv
import io
import os
import os.path as osp
import zipfile
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from vpd_mm.datasets.features import dump_action_annotations
from vpd_mm.utils.io import dump_json_atomic, load_json
from vpd_mm.utils.paths import UnsafePathError, check_path_component
from .sports_motions import DEFAULT_CLASSES, SPORTS_CLASSES, athlete_motion, bystander_motion
from .sports_render import (background_windows, follow_camera, make_panorama, motion_stats,
                            person_boxes, person_colours, project, render_video)

#: Increment when the generated data change: a corpus of another version is not reused.
SPORTS_GENERATOR_VERSION = 1
SHUTTER = 0.6


class CorpusArgumentError(ValueError):
    """Arguments :func:`make_sports_corpus` cannot render, or that contradict the corpus already
    in the folder (its ``corpus.json``)."""


def video_name(index: int) -> str:
    """Name of video ``index`` (the stem of its files)."""
    return f'sports_{index:04d}'


def _view_cosines(joints: np.ndarray, R: np.ndarray, position: np.ndarray):
    """``facing_cos`` [T] and ``upright_cos`` [T] of an athlete (see the module docstring)."""
    root = joints[:, 11:13].mean(axis=1)
    neck = joints[:, 5:7].mean(axis=1)
    spine = neck - root
    left = joints[:, [5, 11]].mean(axis=1) - joints[:, [6, 12]].mean(axis=1)
    front = np.cross(left, spine)
    front /= np.maximum(np.linalg.norm(front, axis=1, keepdims=True), 1e-9)
    to_cam = position[None] - 0.5 * (root + neck)
    to_cam /= np.linalg.norm(to_cam, axis=1, keepdims=True)
    spine_cam = np.einsum('tij,tj->ti', R, spine)
    upright = -spine_cam[:, 1] / np.maximum(np.linalg.norm(spine_cam, axis=1), 1e-9)
    return (front * to_cam).sum(axis=1), upright


def simulate_sports_video(index: int,
                          class_name: str,
                          label: int,
                          seed: int = 0,
                          image_size: Tuple[int, int] = (192, 144),
                          fps: float = 25.0,
                          num_frames: Tuple[int, int] = (64, 96),
                          num_distractors: Tuple[int, int] = (1, 4)) -> dict:
    """Everything about one video except its pixels: motion, camera, ground truth.

    Args:
        index (int): Video index.
        class_name (str): A key of :data:`SPORTS_CLASSES`.
        label (int): Its index in the corpus's class list.
        seed (int): Corpus seed.
        image_size (tuple[int, int]): (W, H).
        fps (float): Frame rate.
        num_frames (tuple[int, int]): Inclusive range of the video length.
        num_distractors (tuple[int, int]): Inclusive range of the number of distractors.

    Returns:
        dict: the arrays of the ground-truth file (module docstring) plus the rendering inputs
        ``others_uv`` [P-1, T, 17, 2], ``others_depth``, ``colours``, ``panorama``,
        ``offsets``, ``origin``.
    """
    if class_name not in SPORTS_CLASSES:
        raise KeyError(f'unknown class {class_name!r}; known: {sorted(SPORTS_CLASSES)}')
    w, h = int(image_size[0]), int(image_size[1])
    tag = zlib.crc32(class_name.encode())
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, index, tag]).spawn(4)]
    rng_motion, rng_cam, rng_people, rng_look = rngs
    T = int(rng_motion.integers(num_frames[0], num_frames[1] + 1))
    motion = athlete_motion(rng_motion, T, fps, SPORTS_CLASSES[class_name])
    joints = motion['joints']  # [T, 17, 3]
    cam = follow_camera(rng_cam, joints, (w, h))
    R, t, focal, principal = cam['R'], cam['t'], cam['focal'], cam['principal']
    uv, depth = project(joints, R, t, focal, principal)

    # distractors: placed in the view of the first frame, farther than the athlete
    n_others = int(rng_people.integers(num_distractors[0], num_distractors[1] + 1))
    dist0 = float(depth[0].mean())
    others_uv = np.zeros((n_others, T, 17, 2))
    others_depth = np.zeros((n_others, T, 17))
    others_3d = []
    for p in range(n_others):
        z = dist0 + rng_people.uniform(1.5, 9.0)
        x = rng_people.uniform(-0.9, 0.9) * z * w / (2 * focal)
        world = R[0].T @ (np.array([x, 0.0, z]) - t[0])  # a point on that view ray
        pj = bystander_motion(rng_people, T, fps, (world[0], world[2]))
        others_3d.append(pj)
        others_uv[p], others_depth[p] = project(pj, R, t, focal, principal)
    colours = [person_colours(rng_look, True)] + [
        person_colours(rng_look, False) for _ in range(n_others)]

    boxes, vis = zip(*[person_boxes(u, d, focal, (w, h))
                       for u, d in [(uv, depth)] + list(zip(others_uv, others_depth))])
    offsets, horizon = background_windows(R, focal)
    margin = 4
    lo, hi = offsets.min(axis=0), offsets.max(axis=0)
    origin = (margin - lo[0], margin - lo[1])
    pw = int(np.ceil(w + hi[0] - lo[0] + 2 * margin))
    ph = int(np.ceil(h + hi[1] - lo[1] + 2 * margin))
    panorama = make_panorama(rng_look, pw, ph, origin[1] + h / 2 + horizon)
    stats = motion_stats(uv, SHUTTER)
    facing, upright = _view_cosines(joints, R, cam['position'])
    f32 = np.float32
    return dict(
        keypoints_2d=uv.astype(f32), keypoints_3d=joints.astype(f32),
        keypoints_depth=depth.astype(f32), camera_R=R.astype(f32), camera_t=t.astype(f32),
        focal=f32(focal), principal=principal.astype(f32), athlete_box=boxes[0].astype(f32),
        person_boxes=np.stack(boxes).astype(f32), person_visibility=np.stack(vis).astype(f32),
        person_ids=np.arange(n_others + 1, dtype=np.int64), speed=stats['speed'].astype(f32),
        blur=stats['blur'].astype(f32), facing_cos=facing.astype(f32),
        upright_cos=upright.astype(f32), label=np.int64(label),
        start_frame=np.int64(motion['start']), end_frame=np.int64(motion['end']),
        takeoff=np.int64(motion['takeoff']), landing=np.int64(motion['landing']),
        fps=np.float64(fps), image_size=np.array([w, h], np.int64), num_frames=np.int64(T),
        class_name=np.array(class_name),
        others_uv=others_uv, others_depth=others_depth, colours=colours, panorama=panorama,
        offsets=offsets, origin=origin)


GT_KEYS = ('keypoints_2d', 'keypoints_3d', 'keypoints_depth', 'camera_R', 'camera_t', 'focal',
           'principal', 'athlete_box', 'person_boxes', 'person_visibility', 'person_ids', 'speed',
           'blur', 'facing_cos', 'upright_cos', 'label', 'start_frame', 'end_frame', 'takeoff',
           'landing', 'fps', 'image_size', 'num_frames', 'class_name')


def render_sports_video(sim: dict):
    """The frames of a simulated video (a generator of [H, W, 3] uint8 RGB arrays)."""
    w, h = (int(v) for v in sim['image_size'])
    return render_video(sim['keypoints_2d'].astype(np.float64),
                        sim['keypoints_depth'].astype(np.float64), sim['others_uv'],
                        sim['others_depth'], sim['colours'], sim['panorama'], sim['offsets'],
                        sim['origin'], float(sim['focal']), (w, h), shutter=SHUTTER)


def write_video_atomic(frames, path: str, fps: float, size: Tuple[int, int]) -> int:
    """Encode RGB frames to ``path`` ('mp4v') through a temporary file; returns the frame count."""
    folder, base = osp.split(path)
    tmp = osp.join(folder, f'.tmp_{base}')  # keeps the .mp4 extension: cv2 picks the container
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), float(fps), tuple(size))
    if not writer.isOpened():
        raise OSError(f'cv2.VideoWriter cannot write {tmp} (mp4v)')
    n = 0
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))  # RGB -> BGR
            n += 1
    finally:
        writer.release()
    os.replace(tmp, path)
    return n


def _save_npz_atomic(path: str, arrays: Dict[str, np.ndarray]) -> None:
    tmp = f'{path}.tmp.{os.getpid()}.npz'
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def stratified_split(labels: Sequence[int], test_fraction: float, seed: int) -> List[str]:
    """``'train'``/``'test'`` per video: per class, a seeded ``test_fraction`` goes to test."""
    labels = np.asarray(labels)
    split = np.array(['train'] * len(labels), dtype=object)
    rng = np.random.default_rng([seed, 12345])
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_test = int(round(len(idx) * test_fraction))
        if len(idx) > 1 and test_fraction > 0:
            n_test = min(max(n_test, 1), len(idx) - 1)
        split[rng.permutation(idx)[:n_test]] = 'test'
    return split.tolist()


def _read_finished_gt(video_path: str, gt_path: str) -> Optional[dict]:
    """The record fields of a video rendered before (its video and ground-truth files both
    present and the ground truth readable), else None: the video is rendered again (the output
    is a deterministic function of the arguments, so nothing is lost)."""
    if not (osp.isfile(video_path) and osp.isfile(gt_path)):
        return None
    try:
        with np.load(gt_path) as z:
            return {k: z[k] for k in ('num_frames', 'start_frame', 'end_frame', 'label')}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def make_sports_corpus(out_dir: str,
                       num_videos_per_class: int = 20,
                       classes: Optional[Sequence[str]] = None,
                       image_size: Tuple[int, int] = (192, 144),
                       fps: float = 25.0,
                       seed: int = 0,
                       num_frames: Tuple[int, int] = (64, 96),
                       num_distractors: Tuple[int, int] = (1, 4),
                       test_fraction: float = 0.3,
                       name: str = 'sports',
                       overwrite: bool = False,
                       progress: bool = True) -> dict:
    """Generate (or complete) the synthetic sports corpus in ``out_dir``.

    Args:
        out_dir (str): Output folder (layout in the module docstring).
        num_videos_per_class (int): Videos per class. Defaults to 20.
        classes (Sequence[str], optional): Class names (keys of :data:`SPORTS_CLASSES`), in
            label order. Defaults to :data:`DEFAULT_CLASSES` (8 classes).
        image_size (tuple[int, int]): (W, H). Defaults to (192, 144).
        fps (float): Frame rate. Defaults to 25.
        seed (int): Seed; the output is a deterministic function of the arguments.
        num_frames (tuple[int, int]): Inclusive range of the video lengths. Defaults to (64, 96).
        num_distractors (tuple[int, int]): Inclusive range of distractors per video.
        test_fraction (float): Fraction of each class's videos in the test split.
        name (str): Dataset name (annotation file names). Defaults to ``'sports'``.
        overwrite (bool): Regenerate every video even if present (and accept other arguments).
        progress (bool): Show a progress bar.

    Returns:
        dict: ``out_dir``, ``actions_file``, ``videos_file``, ``csv_file``, ``classes``,
        ``videos`` (names), ``generated`` (how many videos this call rendered), ``frames``
        (frames rendered by this call).

    Raises:
        CorpusArgumentError: an argument out of its range, or ``out_dir`` holding a corpus made
            with other arguments (without ``overwrite``); nothing is written then.
        FileFormatError: ``out_dir/corpus.json`` is not readable JSON.
    """
    classes = list(DEFAULT_CLASSES if classes is None else classes)
    unknown = [c for c in classes if c not in SPORTS_CLASSES]
    if unknown or not classes or len(set(classes)) != len(classes):
        raise CorpusArgumentError(
            f'classes must be distinct keys of SPORTS_CLASSES {sorted(SPORTS_CLASSES)}, got '
            f'{classes}')
    if num_videos_per_class < 1:
        raise CorpusArgumentError(
            f'num_videos_per_class must be >= 1, got {num_videos_per_class}')
    if not 0 <= test_fraction < 1:
        raise CorpusArgumentError(f'test_fraction must be in [0, 1), got {test_fraction}')
    if not (np.isfinite(fps) and fps > 0):
        raise CorpusArgumentError(f'fps must be a positive number, got {fps}')
    w, h = (int(v) for v in image_size)
    if w < 32 or h < 32 or w % 2 or h % 2:
        raise CorpusArgumentError(f'image_size must be even and >= 32, got {image_size}')
    lo_f, hi_f = (int(v) for v in num_frames)
    if lo_f > hi_f or lo_f < int(np.ceil(1.8 * fps)) + 4:
        raise CorpusArgumentError(
            f'num_frames {num_frames} must be a range with at least '
            f'{int(np.ceil(1.8 * fps)) + 4} frames (the longest jump) at {fps} fps')
    lo_d, hi_d = (int(v) for v in num_distractors)
    if not 0 <= lo_d <= hi_d:
        raise CorpusArgumentError(
            f'num_distractors {num_distractors} must be a range of counts >= 0')
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CorpusArgumentError(f'seed must be an integer >= 0, got {seed!r}')
    try:  # it names the annotation files: one plain file name
        check_path_component(name, 'name')
    except UnsafePathError as e:
        raise CorpusArgumentError(str(e)) from None
    args = dict(version=SPORTS_GENERATOR_VERSION, num_videos_per_class=int(num_videos_per_class),
                classes=classes, image_size=[w, h], fps=float(fps), seed=int(seed),
                num_frames=[lo_f, hi_f], num_distractors=[lo_d, hi_d],
                test_fraction=float(test_fraction), name=name)
    meta = osp.join(out_dir, 'corpus.json')
    if osp.exists(meta) and not overwrite:
        old = load_json(meta, 'sports corpus record')
        if old != args:
            diff = {k: (old.get(k), args.get(k)) for k in set(old) | set(args)
                    if old.get(k) != args.get(k)} if isinstance(old, dict) else old
            raise CorpusArgumentError(
                f'{out_dir} holds a sports corpus made with other arguments (existing, '
                f'requested): {diff}; pass overwrite=True (--overwrite) or another out_dir')
    for sub in ('videos', 'gt', 'annotations'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    dump_json_atomic(args, meta, indent=1)

    num = num_videos_per_class * len(classes)
    names = [video_name(i) for i in range(num)]
    labels = [i % len(classes) for i in range(num)]
    splits = stratified_split(labels, test_fraction, seed)
    generated = frames = 0
    records = []
    for i in tqdm(range(num), desc='sports corpus', disable=not progress):
        vid = names[i]
        video_path = osp.join(out_dir, 'videos', f'{vid}.mp4')
        gt_path = osp.join(out_dir, 'gt', f'{vid}.npz')
        gt = None if overwrite else _read_finished_gt(video_path, gt_path)
        if gt is None:  # not rendered yet, or its ground truth unreadable: render (again)
            sim = simulate_sports_video(i, classes[labels[i]], labels[i], seed, (w, h), fps,
                                        (lo_f, hi_f), tuple(num_distractors))
            n = write_video_atomic(render_sports_video(sim), video_path, fps, (w, h))
            assert n == int(sim['num_frames'])
            _save_npz_atomic(gt_path, {k: sim[k] for k in GT_KEYS})
            gt = sim
            generated += 1
            frames += n
        records.append(dict(video=vid, path=f'videos/{vid}.mp4', gt_file=f'gt/{vid}.npz',
                            split=splits[i], label=int(gt['label']),
                            class_name=classes[labels[i]], start_frame=int(gt['start_frame']),
                            end_frame=int(gt['end_frame']), num_frames=int(gt['num_frames']),
                            fps=float(fps)))

    actions = dict(
        dataset=name, classes=classes,
        videos={r['video']: dict(fps=r['fps'], num_frames=r['num_frames'], split=r['split'])
                for r in records},
        actions=[dict(id=f'{r["video"]}_0', video=r['video'], start_frame=r['start_frame'],
                      end_frame=r['end_frame'], label=r['label'], split=r['split'])
                 for r in records])
    actions_file = osp.join(out_dir, 'annotations', f'{name}_actions.json')
    dump_action_annotations(actions, actions_file)
    # the segment list of vpd_mm.preparation.readers.SegmentListReader (unit: source frames)
    videos_file = osp.join(out_dir, 'annotations', f'{name}_videos.json')
    dump_json_atomic(
        dict(dataset=name, classes=classes, unit='frame',
             videos=[dict(video=r['video'], split=r['split'], file=f'{r["video"]}.mp4',
                          gt_file=r['gt_file'], num_frames=r['num_frames'], fps=r['fps'],
                          actions=[dict(start=r['start_frame'], end=r['end_frame'],
                                        label=r['class_name'], id=f'{r["video"]}_0')])
                     for r in records]), videos_file, indent=1)
    csv_file = osp.join(out_dir, 'annotations', f'{name}_videos.csv')
    buf = io.StringIO()
    fields = ['video', 'split', 'start', 'end', 'label', 'id', 'gt_file', 'num_frames', 'fps']
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator='\n')
    writer.writeheader()
    for r in records:
        writer.writerow(dict(video=r['video'], split=r['split'], start=r['start_frame'],
                             end=r['end_frame'], label=r['class_name'], id=f'{r["video"]}_0',
                             gt_file=r['gt_file'], num_frames=r['num_frames'], fps=r['fps']))
    tmp = f'{csv_file}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(buf.getvalue())
    os.replace(tmp, csv_file)
    return dict(out_dir=out_dir, actions_file=actions_file, videos_file=videos_file,
                csv_file=csv_file, classes=classes, videos=names, generated=generated,
                frames=frames)
