# Copyright (c) vpd_mm contributors. All rights reserved.
"""A small generated distillation corpus: stick-figure athletes, a simulated teacher, crops, flow.

Every video shows one COCO-17 stick figure (left limbs warm colours, right limbs cool colours, so
a horizontal flip is visible) performing a class-dependent parametric motion while translating
across a smooth random texture under a slowly panning camera:

=====  ==================  ======================================================================
class  name                motion
=====  ==================  ======================================================================
0      ``jumping_jacks``   frontal view; arms and legs open and close, small bounce
1      ``somersault``      frontal view; whole-body rotation through upside-down, tuck when
                           inverted (the teacher is unconfident on inverted frames)
2      ``running``         profile view, facing left or right; alternating leg and arm swings
3-5    ``*_fast``          classes 0-2 at about 1.7x the tempo
=====  ==================  ======================================================================

The simulated teacher (what an MMPose detector would output) is the ground truth plus Gaussian
jitter of a few pixels with joint scores in [0.6, 1]; in bursts of frames (``low_conf_rate`` of
the frames) and on inverted frames it is unconfident (scores in [0.05, 0.45], errors of about a
tenth of the body height, left/right swaps); on ``missing_rate`` of the frames it finds nobody
(NaN keypoints, scores 0, NaN athlete box).

The files follow ``docs/data_layout.md``. Frames without an athlete box are cut with the last
valid box (the next valid one before the first detection), so every frame has a crop and a flow
pair and ``crop_box`` is always finite. Flow is DIS (medium preset) between the crops
(:func:`vpd_mm.preparation.stages.crop_pair_flow`); its direction is right (median cosine
0.8-0.98 to the joints' true motion) but it underestimates fast thin limbs: in 64 px crops it
recovers about half of the torso's and head's displacement and about 15% of the wrists' and
ankles' (which move 4-5 px per frame, more than a limb's width), a limitation of DIS, not of
the layout.

Atomic and resumable: a video is rendered into ``rawframes/.tmp_<frame_dir>`` and renamed when
complete; ``corpus.json`` records the arguments. A rerun reuses finished videos and regenerates
their annotations from the seed (the simulation is cheap and seeded per video, independent of
the rendering), so no per-video state is stored besides the frames. The annotation pkl is written
to a temporary name and moved into place last.
"""
import json
import os
import os.path as osp
import shutil
from statistics import NormalDist
from typing import Dict, List, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from vpd_mm.codecs import COCO_FLIP_INDICES, FlowQuantizer
from vpd_mm.datasets.pose_annotations import dump_pose_annotations
from vpd_mm.preparation.stages.flow import DISFlowEstimator, crop_pair_flow
from vpd_mm.structures.crops import athlete_crop_boxes, fill_missing_boxes
from vpd_mm.utils.io import dump_json_atomic

#: Increment when the generated data changes: a corpus of another version is not reused.
GENERATOR_VERSION = 1
TOY_CLASSES: Tuple[str, ...] = ('jumping_jacks', 'somersault', 'running', 'jumping_jacks_fast',
                                'somersault_fast', 'running_fast')
ANN_NAME = 'toy_pose.pkl'
#: Limb width and outline width, in body units (the body is about 1.5 units tall).
LIMB_WIDTH, OUTLINE_WIDTH = 0.09, 0.02
FLOW_BOUND = 20.0
JPEG_QUALITY = 90

# Body model, in body units (about 1.5 from ankle to head), y up, pelvis at the origin.
_UPPER_ARM, _FOREARM, _THIGH, _SHIN = 0.28, 0.25, 0.42, 0.40
# Skeleton edges drawn, with their colour group: 0 torso/head, 1 left, 2 right.
_LIMBS = (((5, 6), 0), ((11, 12), 0), ((5, 11), 1), ((6, 12), 2), ((5, 7), 1), ((7, 9), 1),
          ((6, 8), 2), ((8, 10), 2), ((11, 13), 1), ((13, 15), 1), ((12, 14), 2), ((14, 16), 2),
          ((1, 3), 1), ((2, 4), 2), ((0, 1), 1), ((0, 2), 2))


def _limb(origin: np.ndarray, angle: np.ndarray, length: float, sign: float) -> np.ndarray:
    """End of a limb of ``length`` hanging at ``angle`` from straight down ([T] -> [T, 2])."""
    return origin + length * np.stack([sign * np.sin(angle), -np.cos(angle)], axis=-1)


def _frontal_pose(arm: np.ndarray, elbow: np.ndarray, leg: np.ndarray, knee: np.ndarray,
                  limb_scale: float) -> np.ndarray:
    """A figure facing the camera (its left at image +x).

    Args:
        arm, elbow, leg, knee (np.ndarray): [T] shoulder abduction, extra forearm abduction,
            hip abduction and knee bend (shin turned back towards the midline), radians.
        limb_scale (float): Limb length factor.

    Returns:
        np.ndarray: [T, 17, 2] body coordinates (y up).
    """
    t = len(arm)
    kp = np.zeros((t, 17, 2))
    head = {
        0: (0.0, 0.66),
        1: (0.035, 0.69),
        2: (-0.035, 0.69),
        3: (0.075, 0.66),
        4: (-0.075, 0.66),
        5: (0.17, 0.5),
        6: (-0.17, 0.5),
        11: (0.1, 0.0),
        12: (-0.1, 0.0)
    }
    for j, xy in head.items():
        kp[:, j] = xy
    for side, sign in ((0, 1.0), (1, -1.0)):  # left, right
        kp[:, 7 + side] = _limb(kp[:, 5 + side], arm, _UPPER_ARM * limb_scale, sign)
        kp[:, 9 + side] = _limb(kp[:, 7 + side], arm + elbow, _FOREARM * limb_scale, sign)
        kp[:, 13 + side] = _limb(kp[:, 11 + side], leg, _THIGH * limb_scale, sign)
        kp[:, 15 + side] = _limb(kp[:, 13 + side], leg - knee, _SHIN * limb_scale, sign)
    return kp


def _profile_pose(phase: np.ndarray, amp: float, limb_scale: float) -> np.ndarray:
    """A running figure seen from its left side, facing image +x.

    Args:
        phase (np.ndarray): [T] stride phase, radians.
        amp (float): Swing amplitude factor.
        limb_scale (float): Limb length factor.

    Returns:
        np.ndarray: [T, 17, 2] body coordinates (y up).
    """
    t = len(phase)
    kp = np.zeros((t, 17, 2))
    lean = 0.15  # forward lean of the torso
    head = {
        0: (0.10, 0.66),
        1: (0.08, 0.69),
        2: (0.07, 0.69),
        3: (0.02, 0.67),
        4: (0.0, 0.67),
        5: (0.03, 0.5),
        6: (-0.01, 0.5),
        11: (0.02, 0.0),
        12: (-0.02, 0.0)
    }
    for j, xy in head.items():
        x, y = xy
        kp[:, j] = (x + lean * y, y)
    for side, ph in ((0, phase), (1, phase + np.pi)):  # left, right
        thigh = 0.7 * amp * np.sin(ph)
        shin = thigh - (0.25 + 0.6 * amp * (1 - np.cos(ph - 0.8)))  # the shin trails
        arm = -0.6 * amp * np.sin(ph)
        kp[:, 13 + side] = _limb(kp[:, 11 + side], thigh, _THIGH * limb_scale, 1.0)
        kp[:, 15 + side] = _limb(kp[:, 13 + side], shin, _SHIN * limb_scale, 1.0)
        kp[:, 7 + side] = _limb(kp[:, 5 + side], arm, _UPPER_ARM * limb_scale, 1.0)
        kp[:, 9 + side] = _limb(kp[:, 7 + side], arm + 1.4, _FOREARM * limb_scale, 1.0)
    return kp


def _rotate(kp: np.ndarray, theta: np.ndarray, centre: Tuple[float, float]) -> np.ndarray:
    """Rotate [T, 17, 2] body coordinates by [T] angles (counter-clockwise) about ``centre``."""
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x, y = kp[..., 0] - centre[0], kp[..., 1] - centre[1]
    return np.stack([c * x - s * y + centre[0], s * x + c * y + centre[1]], axis=-1)


def _smooth_bursts(rng: np.random.Generator, num: int, rate: float) -> np.ndarray:
    """[num] bool: runs of frames (a few frames long) covering about ``rate`` of the frames."""
    if rate <= 0:
        return np.zeros(num, bool)
    if rate >= 1:
        return np.ones(num, bool)
    kernel = np.exp(-0.5 * (np.arange(-4, 5) / 1.5)**2)
    noise = rng.standard_normal(num + len(kernel) - 1)
    z = np.convolve(noise, kernel, mode='valid') / np.sqrt((kernel**2).sum())  # [num] ~ N(0, 1)
    return z > NormalDist().inv_cdf(1 - rate)


def simulate_video(index: int,
                   num_frames: int,
                   image_size: Tuple[int, int],
                   seed: int = 0,
                   num_classes: int = 3,
                   low_conf_rate: float = 0.15,
                   missing_rate: float = 0.03) -> dict:
    """The motion, ground truth and simulated teacher output of one video (no rendering).

    Seeded by ``(seed, index)`` alone, so a video does not depend on the size of the corpus.

    Args:
        index (int): Video index; its label is ``index % num_classes``.
        num_frames (int): T.
        image_size (tuple[int, int]): (H, W) of the video.
        seed (int): Corpus seed. Defaults to 0.
        num_classes (int): Number of classes (1-6). Defaults to 3.
        low_conf_rate (float): Fraction of frames, in bursts, on which the teacher is unconfident
            (on top of the inverted frames of the somersault classes). Defaults to 0.15.
        missing_rate (float): Fraction of frames without a detection. Defaults to 0.03.

    Returns:
        dict: ``label``, ``gt_keypoint`` [T, 17, 2], ``keypoint`` [T, 17, 2] (NaN where missing),
        ``keypoint_score`` [T, 17], ``athlete_box`` [T, 4] (NaN where missing), ``crop_box``
        [T, 4], ``low_conf`` [T] bool, ``missing`` [T] bool, ``scale`` (pixels per body unit),
        ``pan`` [T, 2] camera offsets in pixels; float64 arrays.
    """
    h, w = image_size
    motion_rng, teacher_rng = [
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, index, 1]).spawn(2)
    ]
    rng = motion_rng
    label = index % num_classes
    kind, fast = label % 3, label >= 3
    tempo = 1.7 if fast else 1.0
    t = np.arange(num_frames, dtype=np.float64)
    limb_scale = rng.uniform(0.9, 1.1)
    amp = rng.uniform(0.8, 1.1)
    scale = rng.uniform(0.26, 0.34) * h  # pixels per body unit
    theta = np.zeros(num_frames)
    if kind == 0:  # jumping jacks
        phase = 2 * np.pi * tempo * t / rng.uniform(12, 18) + rng.uniform(0, 2 * np.pi)
        s = (1 - np.cos(phase)) / 2  # 0 closed, 1 open
        body = _frontal_pose(0.25 + 2.5 * amp * s, 0.25 * s, 0.06 + 0.32 * amp * s,
                             np.full(num_frames, 0.1), limb_scale)
        body[..., 1] += 0.07 * np.abs(np.sin(phase))[:, None]
        theta = 0.05 * np.sin(phase / 2 + rng.uniform(0, np.pi))
    elif kind == 1:  # somersault: full rotation, tucked when inverted
        period = rng.uniform(18, 28) / tempo
        theta = rng.uniform(-0.5, 0.5) + rng.choice([-1, 1]) * 2 * np.pi * t / period
        s = (1 - np.cos(theta)) / 2  # 0 upright, 1 inverted
        body = _frontal_pose(2.7 - 1.5 * s * amp, 0.2 + 1.2 * s, 0.15 + 0.5 * s * amp, 1.6 * s,
                             limb_scale)
    else:  # running, in profile
        phase = 2 * np.pi * tempo * t / rng.uniform(10, 15) + rng.uniform(0, 2 * np.pi)
        body = _profile_pose(phase, amp, limb_scale)
        body[..., 1] += 0.04 * np.abs(np.sin(phase))[:, None]
    facing = rng.choice([-1.0, 1.0])  # -1: mirrored (frontal: back to camera; profile: facing left)
    body = _rotate(body, theta, (0.0, 0.3))
    body[..., 0] *= facing

    # global motion of the pelvis in the image, within the central part
    span = 3.0 * max(num_frames - 1, 1)  # at most 3 px per frame
    x0 = rng.uniform(0.3, 0.7) * w
    dx = rng.uniform(0.4, 1.0) * facing * min(0.35 * w, span) if kind == 2 else rng.uniform(
        -1, 1) * min(0.15 * w, span)
    dx = float(np.clip(x0 + dx, 0.2 * w, 0.8 * w) - x0)
    y0 = rng.uniform(0.55, 0.62) * h
    dy = rng.uniform(-0.04, 0.04) * h
    frac = t / max(num_frames - 1, 1)
    centre = np.stack([x0 + dx * frac, y0 + dy * frac], axis=-1)  # [T, 2]
    gt = centre[:, None] + scale * body * np.array([1.0, -1.0])  # [T, 17, 2] image pixels
    pan = np.stack([rng.uniform(-8, 8) * frac, rng.uniform(-4, 4) * frac], axis=-1)  # [T, 2]

    # simulated teacher
    rng = teacher_rng
    low = _smooth_bursts(rng, num_frames, low_conf_rate)
    if kind == 1:
        low |= np.cos(theta) < -0.5  # inverted by more than 120 degrees
    missing = rng.random(num_frames) < missing_rate
    if missing.all():
        missing[rng.integers(num_frames)] = False
    swap = low & (rng.random(num_frames) < 0.35)  # left/right confusion
    kp = np.where(swap[:, None, None], gt[:, COCO_FLIP_INDICES], gt)
    sigma = np.where(low, 0.12, 0.035)[:, None, None] * scale  # [T, 1, 1] pixels
    outlier = (rng.random((num_frames, 17)) < 0.05) & ~low[:, None]  # [T, 17] a bad joint
    sigma = sigma * np.where(outlier, 4.0, 1.0)[..., None]
    kp = kp + rng.standard_normal(kp.shape) * sigma
    scores = np.where(low[:, None], rng.uniform(0.05, 0.45, (num_frames, 17)),
                      rng.uniform(0.6, 1.0, (num_frames, 17)))
    scores = np.where(outlier, rng.uniform(0.1, 0.4, (num_frames, 17)), scores)
    kp[missing] = np.nan
    scores[missing] = 0.0

    # detector box: the ground-truth joints' box, padded by 10%, jittered by a pixel
    lo, hi = gt.min(axis=1), gt.max(axis=1)  # [T, 2]
    margin = 0.1 * (hi - lo).max(axis=1, keepdims=True)
    athlete_box = np.concatenate([lo - margin, hi + margin], axis=1)
    athlete_box = athlete_box + rng.standard_normal(athlete_box.shape)
    athlete_box[missing] = np.nan
    crop_box = athlete_crop_boxes(fill_missing_boxes(athlete_box), pad=0.1)
    return dict(
        label=label,
        gt_keypoint=gt,
        keypoint=kp,
        keypoint_score=scores,
        athlete_box=athlete_box,
        crop_box=crop_box,
        low_conf=low,
        missing=missing,
        scale=scale,
        pan=pan)


def _smooth_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """[h, w, 3] uint8 smooth random texture: octaves of upsampled noise, muted colours."""

    def octaves(channels: int, cells: Tuple[Tuple[int, float], ...]) -> np.ndarray:
        img = np.zeros((h, w, channels), np.float32)
        for cell, weight in cells:
            small = rng.standard_normal((max(h // cell, 2), max(w // cell, 2), channels))
            up = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
            img += weight * up.reshape(h, w, channels)
        return (img - img.mean()) / (img.std() + 1e-6)

    lum = octaves(1, ((32, 1.0), (8, 0.6), (2, 0.3)))  # [h, w, 1] texture for the flow
    chroma = octaves(3, ((48, 1.0), (12, 0.3)))  # [h, w, 3] slow colour variation
    tint = rng.uniform(80, 150) + rng.uniform(-15, 15, 3)
    return np.clip(tint + 32 * lum + 12 * chroma, 0, 255).astype(np.uint8)


def render_video(sim: dict, image_size: Tuple[int, int], seed: int, index: int) -> List[np.ndarray]:
    """Draw the frames of a simulated video.

    Args:
        sim (dict): Output of :func:`simulate_video`.
        image_size (tuple[int, int]): (H, W).
        seed (int): Corpus seed.
        index (int): Video index (seeds the background and colours).

    Returns:
        list[np.ndarray]: T frames [H, W, 3] uint8 RGB.
    """
    h, w = image_size
    rng = np.random.default_rng(np.random.SeedSequence([seed, index, 2]))
    margin = 12
    background = _smooth_texture(rng, h + 2 * margin, w + 2 * margin)
    colours = (
        tuple(int(c) for c in rng.integers(200, 256, 3)),  # torso: light
        (int(rng.integers(220, 256)), int(rng.integers(60, 160)), 0),  # left: orange/red
        (0, int(rng.integers(80, 200)), int(rng.integers(220, 256))),  # right: blue/cyan
    )
    thick = max(2, int(round(LIMB_WIDTH * sim['scale'])))
    outline = max(1, int(round(OUTLINE_WIDTH * sim['scale'])))
    dark = (20, 20, 20)
    shift = 4  # sub-pixel drawing precision: 1/16 px
    one = 1 << shift
    frames = []
    for t, joints in enumerate(sim['gt_keypoint']):
        ox, oy = margin + sim['pan'][t]
        m = np.array([[1.0, 0.0, ox], [0.0, 1.0, oy]])
        img = cv2.warpAffine(
            background,
            m, (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT)
        # keypoints are continuous coordinates; cv2 draws pixel centres at integers
        pts = [tuple(int(v) for v in p) for p in np.round((joints - 0.5) * one).astype(np.int64)]
        head_r = int(round(0.09 * sim['scale'] * one))
        torso = np.array([pts[5], pts[6], pts[12], pts[11]], np.int32)[None]  # [1, 4, 2]
        # dark outlines first (edges with luminance contrast for the flow), then the colours
        for (a, b), _ in _LIMBS:
            cv2.line(img, pts[a], pts[b], dark, thick + 2 * outline, cv2.LINE_AA, shift)
        cv2.circle(img, pts[0], head_r + outline * one, dark, -1, cv2.LINE_AA, shift)
        cv2.fillPoly(img, torso, colours[0], cv2.LINE_AA, shift)
        for (a, b), group in _LIMBS:
            cv2.line(img, pts[a], pts[b], colours[group], thick, cv2.LINE_AA, shift)
        cv2.circle(img, pts[0], head_r, colours[0], -1, cv2.LINE_AA, shift)
        for j, group in ((1, 1), (2, 2)):  # eyes keep the left/right colours on the head
            cv2.circle(img, pts[j],
                       max(1, thick // 2) * one, colours[group], -1, cv2.LINE_AA, shift)
        frames.append(img)
    return frames


def _write_video(frames: List[np.ndarray], crop_box: np.ndarray, out_dir: str, crop_size: int,
                 estimator: DISFlowEstimator, quantizer: FlowQuantizer) -> None:
    """Write crops and quantised flow of one video into ``out_dir`` (1-based names)."""
    os.makedirs(out_dir)
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    for t, frame in enumerate(frames):
        prev = frames[t - 1] if t > 0 else None
        crop, flow = crop_pair_flow(prev, frame, crop_box[t], crop_size, estimator)
        q = quantizer.encode(flow)  # [S, S, 2] uint8
        name = f'{t + 1:05d}.jpg'
        for prefix, img in (('img_', crop[..., ::-1]), ('flow_x_', q[..., 0]),
                            ('flow_y_', q[..., 1])):  # crops RGB -> BGR for cv2
            path = osp.join(out_dir, prefix + name)
            if not cv2.imwrite(path, np.ascontiguousarray(img), params):
                raise OSError(f'could not write {path}')


def _annotation(frame_dir: str, sim: dict, image_size: Tuple[int, int]) -> dict:
    num_frames = len(sim['gt_keypoint'])
    return dict(
        frame_dir=frame_dir,
        total_frames=num_frames,
        img_shape=tuple(image_size),
        original_shape=tuple(image_size),
        label=int(sim['label']),
        class_name=TOY_CLASSES[int(sim['label'])],
        keypoint=sim['keypoint'][None].astype(np.float32),  # [1, T, 17, 2]
        keypoint_score=sim['keypoint_score'][None].astype(np.float32),  # [1, T, 17]
        athlete_box=sim['athlete_box'].astype(np.float32),  # [T, 4]
        crop_box=sim['crop_box'].astype(np.float32),  # [T, 4]
        gt_keypoint=sim['gt_keypoint'].astype(np.float32),  # [T, 17, 2]
    )


def _clear(out_dir: str) -> None:
    """Remove what :func:`make_toy_corpus` writes (and nothing else)."""
    raw = osp.join(out_dir, 'rawframes')
    if osp.isdir(raw):
        for name in os.listdir(raw):
            if name.startswith('toy_') or name.startswith('.tmp_toy_'):
                shutil.rmtree(osp.join(raw, name))
    for path in (osp.join(out_dir, 'annotations', ANN_NAME), osp.join(out_dir, 'corpus.json')):
        if osp.exists(path):
            os.remove(path)


def make_toy_corpus(out_dir: str,
                    num_videos: int = 12,
                    num_frames: int = 32,
                    crop_size: int = 64,
                    image_size: Tuple[int, int] = (180, 240),
                    seed: int = 0,
                    num_classes: int = 3,
                    overwrite: bool = False,
                    progress: bool = True,
                    low_conf_rate: float = 0.15,
                    missing_rate: float = 0.03,
                    test_fraction: float = 0.25) -> Dict:
    """Generate (or resume, or reuse) the toy corpus in the layout of ``docs/data_layout.md``.

    Writes ``rawframes/toy_XXXX/{img,flow_x,flow_y}_XXXXX.jpg``, ``annotations/toy_pose.pkl``
    (``split`` with the last ``test_fraction`` of the videos as ``test``, and ``annotations``
    with the mmaction2 PoseDataset keys plus ``athlete_box``, ``crop_box`` and ``gt_keypoint``
    [T, 17, 2], the ground truth) and ``corpus.json`` (the arguments).

    Args:
        out_dir (str): Root of the corpus (``data_root``).
        num_videos (int): Number of videos. Defaults to 12.
        num_frames (int): Frames per video. Defaults to 32.
        crop_size (int): Side of the stored crops. Defaults to 64.
        image_size (tuple[int, int]): (H, W) of the rendered videos. Defaults to (180, 240).
        seed (int): Seed; the output is a deterministic function of the arguments. Defaults to 0.
        num_classes (int): Number of motion classes, 1-6 (see the module docstring); video ``i``
            has label ``i % num_classes``. Defaults to 3.
        overwrite (bool): Discard an existing corpus in ``out_dir`` and regenerate everything.
            Without it, a corpus of the same arguments is reused or completed, and one of other
            arguments raises ValueError. Defaults to False.
        progress (bool): Show a tqdm progress bar. Defaults to True.
        low_conf_rate (float): Fraction of frames (in bursts) with an unconfident teacher, on
            top of the inverted somersault frames. Defaults to 0.15.
        missing_rate (float): Fraction of frames without a detection. Defaults to 0.03.
        test_fraction (float): Fraction of the videos (the last ones) in the test split.
            Defaults to 0.25.

    Returns:
        dict: ``ann_file``, ``data_root``, ``rawframes``, ``num_videos``, ``num_frames``,
        ``crop_size``, ``num_classes``, ``classes`` (names).
    """
    if not 1 <= num_classes <= len(TOY_CLASSES):
        raise ValueError(f'num_classes must be in 1..{len(TOY_CLASSES)}, got {num_classes}')
    if num_videos < 1 or num_frames < 1 or crop_size < 1:
        raise ValueError('num_videos, num_frames and crop_size must be positive')
    image_size = (int(image_size[0]), int(image_size[1]))
    args = dict(
        generator_version=GENERATOR_VERSION,
        num_videos=int(num_videos),
        num_frames=int(num_frames),
        crop_size=int(crop_size),
        image_size=list(image_size),
        seed=int(seed),
        num_classes=int(num_classes),
        low_conf_rate=float(low_conf_rate),
        missing_rate=float(missing_rate),
        test_fraction=float(test_fraction),
        flow='DIS medium, FlowQuantizer(20)')
    raw = osp.join(out_dir, 'rawframes')
    ann_file = osp.join(out_dir, 'annotations', ANN_NAME)
    meta_file = osp.join(out_dir, 'corpus.json')
    frame_dirs = [f'toy_{i:04d}' for i in range(num_videos)]
    result = dict(
        ann_file=ann_file,
        data_root=out_dir,
        rawframes=raw,
        num_videos=num_videos,
        num_frames=num_frames,
        crop_size=crop_size,
        num_classes=num_classes,
        classes=TOY_CLASSES[:num_classes])

    if overwrite:
        _clear(out_dir)
    elif osp.exists(meta_file):
        with open(meta_file) as f:
            old = json.load(f)
        if old != args:
            diff = {
                k: (old.get(k), args.get(k))
                for k in set(old) | set(args) if old.get(k) != args.get(k)
            }
            raise ValueError(
                f'{out_dir} holds a toy corpus made with other arguments (existing, requested): '
                f'{diff}. Pass overwrite=True to regenerate it, or choose another out_dir.')
        if osp.exists(ann_file) and all(osp.isdir(osp.join(raw, d)) for d in frame_dirs):
            return result  # complete: nothing to do
    elif osp.isdir(raw) and any(n.startswith('toy_') for n in os.listdir(raw)):
        raise ValueError(f'{raw} holds videos without {meta_file}: their arguments are unknown. '
                         'Pass overwrite=True to regenerate them, or choose another out_dir.')

    os.makedirs(raw, exist_ok=True)
    os.makedirs(osp.dirname(ann_file), exist_ok=True)
    dump_json_atomic(args, meta_file, indent=2, sort_keys=True)
    estimator = DISFlowEstimator('medium')
    quantizer = FlowQuantizer(FLOW_BOUND)
    annotations = []
    for i, frame_dir in enumerate(tqdm(frame_dirs, desc='toy corpus', disable=not progress)):
        sim = simulate_video(i, num_frames, image_size, seed, num_classes, low_conf_rate,
                             missing_rate)
        final = osp.join(raw, frame_dir)
        if not osp.isdir(final):
            tmp = osp.join(raw, '.tmp_' + frame_dir)
            if osp.exists(tmp):
                shutil.rmtree(tmp)  # left over by an interrupted run
            frames = render_video(sim, image_size, seed, i)
            _write_video(frames, sim['crop_box'], tmp, crop_size, estimator, quantizer)
            os.rename(tmp, final)
        annotations.append(_annotation(frame_dir, sim, image_size))

    num_test = int(round(num_videos * test_fraction))
    if num_videos > 1 and test_fraction > 0:
        num_test = min(max(num_test, 1), num_videos - 1)
    split = dict(train=frame_dirs[:num_videos - num_test], test=frame_dirs[num_videos - num_test:])
    dump_pose_annotations(ann_file, annotations, split=split)
    return result
