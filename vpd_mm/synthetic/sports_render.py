# Copyright (c) vpd_mm contributors. All rights reserved.
"""Camera and OpenCV renderer of the synthetic sports corpus.

**Camera** (pinhole, no distortion; OpenCV convention): camera coordinates
``X_cam = R_t @ X_world + t_t`` with x right, y down, z forward; image pixels
``u = cx + f * x / z``, ``v = cy + f * y / z`` (continuous coordinates: the centre of the
top-left pixel is at (0.5, 0.5), so ``cx = W / 2``, ``cy = H / 2``). The camera stands still
and pans/tilts to follow the athlete's hips with a short lag (a broadcast camera), so
``R_t``/``t_t`` change per frame. :func:`project` implements it; the ground-truth files store
``camera_R`` [T, 3, 3], ``camera_t`` [T, 3], ``focal`` and ``principal`` [2].

**Figures**: every person is drawn as body parts (torso polygon, neck, head disc, 8 limb
segments as thick anti-aliased lines whose width follows the depth), far parts first (painter's
algorithm over all parts of a person, people far to near). The athlete's left limbs are warm
(orange arm, red leg), its right limbs cool (blue arm, cyan leg); the face (eyes, nose) shows
when the head faces the camera, dark hair when it faces away, so view, left/right and
front/back are all visible in the pixels even where the simulated teacher fails.

**Background**: a per-video panorama (textured stands above the horizon with blocks of colour,
a floor with lines below) that shifts with the camera's pan and tilt.

**Motion blur**: the athlete is drawn at K sub-frame times spread over the exposure (``shutter``
of the frame interval, centred on the frame time; K grows with the fastest joint's image speed,
up to 4) and the K renders are averaged, so fast limbs smear while the ground truth stays the
joint positions at the frame time. Distractors are slow and drawn once.
"""
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

#: Body parts: (joint a, joint b, width in metres, colour slot). Slots: 0 left arm, 1 left leg,
#: 2 right arm, 3 right leg, 4 torso/neck.
LIMBS: Tuple[Tuple[int, int, float, int], ...] = (
    (5, 7, 0.10, 0), (7, 9, 0.08, 0), (6, 8, 0.10, 2), (8, 10, 0.08, 2),
    (11, 13, 0.15, 1), (13, 15, 0.11, 1), (12, 14, 0.15, 3), (14, 16, 0.11, 3))
HEAD_RADIUS = 0.11
NECK_WIDTH = 0.09
#: Padding of a person's box around its joints, metres (head radius, limb half-widths).
BOX_PAD = 0.12
_SHIFT = 4  # sub-pixel drawing precision 1/16 px
_ONE = 1 << _SHIFT


def look_at(position: np.ndarray, targets: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Rotations and translations of a camera at ``position`` looking at ``targets``.

    Args:
        position (np.ndarray): [3] camera centre in the world (y up).
        targets (np.ndarray): [T, 3] points to look at.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``R`` [T, 3, 3] and ``t`` [T, 3] (``X_cam = R X + t``,
        x right, y down, z forward).
    """
    fwd = targets - position[None]
    fwd /= np.linalg.norm(fwd, axis=1, keepdims=True)
    right = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    down = np.cross(fwd, right)
    R = np.stack([right, down, fwd], axis=1)  # rows
    return R, -R @ position


def project(points: np.ndarray, R: np.ndarray, t: np.ndarray, focal: float,
            principal: Sequence[float]) -> Tuple[np.ndarray, np.ndarray]:
    """Project world points with per-frame cameras.

    Args:
        points (np.ndarray): [T, N, 3] world points.
        R (np.ndarray): [T, 3, 3].
        t (np.ndarray): [T, 3].
        focal (float): Focal length in pixels.
        principal (Sequence[float]): (cx, cy).

    Returns:
        tuple[np.ndarray, np.ndarray]: image points [T, N, 2] and depths [T, N] (float64).
    """
    cam = np.einsum('tij,tnj->tni', R, points) + t[:, None]
    z = cam[..., 2]
    uv = focal * cam[..., :2] / np.maximum(z, 1e-6)[..., None] + np.asarray(principal)
    return uv, z


def follow_camera(rng: np.random.Generator, athlete: np.ndarray, image_size: Tuple[int, int],
                  distance: Tuple[float, float] = (7.0, 11.0),
                  fill: Tuple[float, float] = (0.42, 0.6)) -> dict:
    """A camera at a random azimuth that pans and tilts to follow the athlete.

    Args:
        rng (np.random.Generator): Source of randomness.
        athlete (np.ndarray): [T, 17, 3] world joints.
        image_size (tuple[int, int]): (W, H).
        distance (tuple[float, float]): Range of the distance to the athlete, metres.
        fill (tuple[float, float]): Range of the fraction of the image height a standing
            athlete (1.9 m) takes.

    Returns:
        dict: ``R`` [T, 3, 3], ``t`` [T, 3], ``focal``, ``principal`` [2], ``position`` [3],
        ``azimuth`` (degrees).
    """
    w, h = image_size
    root = athlete[:, 11:13].mean(axis=1)  # [T, 3]
    azimuth = rng.uniform(-180, 180)
    dist = rng.uniform(*distance)
    centre = root.mean(axis=0)
    a = np.deg2rad(azimuth)
    position = np.array([centre[0] + dist * np.sin(a), rng.uniform(1.0, 2.5),
                         centre[2] + dist * np.cos(a)])
    target = gaussian_filter1d(root, sigma=2.0, axis=0, mode='nearest')
    target[:, 1] = target[:, 1] + 0.15
    R, t = look_at(position, target)
    focal = rng.uniform(*fill) * h * dist / 1.9
    return dict(R=R, t=t, focal=float(focal), principal=np.array([w / 2, h / 2]),
                position=position, azimuth=float(azimuth))


def person_boxes(uv: np.ndarray, depth: np.ndarray, focal: float,
                 image_size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes of one person: its joints' extent padded by :data:`BOX_PAD`, clipped to the image.

    Args:
        uv (np.ndarray): [T, 17, 2] image joints.
        depth (np.ndarray): [T, 17] camera depths.
        focal (float): Focal length.
        image_size (tuple[int, int]): (W, H).

    Returns:
        tuple[np.ndarray, np.ndarray]: boxes [T, 4] (x1, y1, x2, y2; NaN where the person is
        out of the image or behind the camera) and visibility [T] (the fraction of the unclipped
        box inside the image).
    """
    w, h = image_size
    pad = BOX_PAD * focal / np.maximum(depth.mean(axis=1), 1e-3)  # [T]
    box = np.concatenate([uv.min(axis=1) - pad[:, None], uv.max(axis=1) + pad[:, None]], axis=1)
    area = np.prod(box[:, 2:] - box[:, :2], axis=1)
    clipped = np.concatenate([np.clip(box[:, :2], 0, None),
                              np.minimum(box[:, 2:], [w, h])], axis=1)
    inner = np.prod(np.clip(clipped[:, 2:] - clipped[:, :2], 0, None), axis=1)
    vis = np.where(depth.min(axis=1) > 0.1, inner / np.maximum(area, 1e-6), 0.0)
    clipped[vis <= 0] = np.nan
    return clipped, vis


def make_panorama(rng: np.random.Generator, width: int, height: int,
                  horizon: float) -> np.ndarray:
    """A textured background: stands with coloured blocks above ``horizon``, a floor below.

    Returns:
        np.ndarray: [height, width, 3] uint8 RGB.
    """

    def noise(cell: int, ch: int) -> np.ndarray:
        small = rng.standard_normal((max(height // cell, 2), max(width // cell, 2), ch))
        return cv2.resize(small.astype(np.float32), (width, height),
                          interpolation=cv2.INTER_CUBIC).reshape(height, width, ch)

    lum = noise(24, 1) + 0.6 * noise(6, 1) + 0.3 * noise(2, 1)  # [h, w, 1]
    lum /= lum.std() + 1e-6
    wall = rng.uniform(60, 140) + rng.uniform(-25, 25, 3)
    floor = rng.uniform(90, 190) + rng.uniform(-30, 30, 3)
    rows = np.arange(height, dtype=np.float32)[:, None, None]
    base = np.where(rows < horizon, wall, floor)  # [h, 1, 3]
    img = np.clip(base + 22 * lum + 10 * noise(40, 3), 0, 255).astype(np.uint8)
    top = int(np.clip(horizon, 0, height))
    for _ in range(int(width * max(top, 1) / 150)):  # the audience: small blocks of colour
        x, y = int(rng.integers(0, width)), int(rng.integers(0, max(top, 1)))
        s = int(rng.integers(2, 6))
        col = tuple(int(c) for c in rng.integers(30, 230, 3))
        cv2.rectangle(img, (x, y), (x + s, y + 2 * s), col, -1)
    for k in range(int(rng.integers(1, 4))):  # floor lines
        y = int(top + (height - top) * rng.uniform(0.1, 0.9))
        cv2.line(img, (0, y), (width, y + int(rng.integers(-8, 9))), (235, 235, 235),
                 int(rng.integers(1, 3)))
    return img


def background_windows(R: np.ndarray, focal: float) -> Tuple[np.ndarray, float]:
    """Offsets of the per-frame view into the panorama, from the camera's pan and tilt.

    Args:
        R (np.ndarray): [T, 3, 3] camera rotations.
        focal (float): Focal length.

    Returns:
        tuple[np.ndarray, float]: [T, 2] (dx, dy) pixel offsets relative to frame 0 and the
        image row of the horizon at frame 0 (relative to the principal point).
    """
    fwd = R[:, 2]  # [T, 3] viewing directions (world, y up)
    right0 = R[0, 0]
    flat0 = fwd[0] * np.array([1.0, 0.0, 1.0])
    # turning toward the camera's right moves the scene left: the view moves right
    pan = np.arctan2(fwd @ right0, fwd @ (flat0 / np.linalg.norm(flat0)))
    tilt = np.arcsin(np.clip(fwd[:, 1], -1, 1))
    # tilting up moves the scene down: the view moves up
    dx = focal * pan
    dy = -focal * (tilt - tilt[0])
    return np.stack([dx, dy], axis=1), float(focal * np.tan(tilt[0]))


def person_colours(rng: np.random.Generator, athlete: bool) -> List[Tuple[int, int, int]]:
    """Colours (RGB) of the 5 part slots plus skin and hair: 7 tuples."""
    if athlete:
        j = rng.integers(-25, 26, 4)
        slots = [(240, 140 + j[0], 30), (210 + j[1] // 2, 40, 40), (40, 110 + j[2], 240),
                 (30, 190 + j[3] // 2, 210), tuple(int(c) for c in rng.integers(150, 256, 3))]
    else:  # spectators and judges: muted clothes, no left/right colour code
        top = tuple(int(c) for c in rng.integers(40, 180, 3))
        legs = tuple(int(c) for c in rng.integers(20, 120, 3))
        slots = [top, legs, top, legs, top]
    skin = tuple(int(c) for c in np.array([225, 185, 150]) * rng.uniform(0.55, 1.05))
    hair = tuple(int(c) for c in rng.integers(10, 90, 3))
    return [tuple(int(v) for v in c) for c in slots] + [skin, hair]


def draw_person(img: np.ndarray, uv: np.ndarray, depth: np.ndarray, focal: float,
                colours: Sequence[Tuple[int, int, int]]) -> None:
    """Draw one figure in place, far parts first.

    Args:
        img (np.ndarray): [H, W, 3] uint8 RGB canvas.
        uv (np.ndarray): [17, 2] image joints.
        depth (np.ndarray): [17] camera depths (all positive).
        focal (float): Focal length (part widths in pixels: width in metres * focal / depth).
        colours (Sequence): :func:`person_colours`.
    """
    pts = np.round(uv * _ONE - _ONE / 2).astype(np.int64)  # continuous -> pixel-centre coords
    scale = focal / depth  # [17] px per metre
    parts = []  # (depth, kind, args)
    for a, b, width, slot in LIMBS:
        wpx = width * 0.5 * (scale[a] + scale[b])
        parts.append((0.5 * (depth[a] + depth[b]), 0, (a, b, wpx, slot)))
    torso_d = depth[[5, 6, 11, 12]].mean()
    parts.append((torso_d, 1, None))
    head_c = 0.5 * (uv[3] + uv[4])
    head_d = 0.5 * (depth[3] + depth[4])
    parts.append((head_d - 0.01, 2, None))
    parts.sort(key=lambda p: -p[0])
    c = [tuple(int(v) for v in x) for x in colours]
    for _, kind, args in parts:
        if kind == 0:
            a, b, wpx, slot = args
            cv2.line(img, tuple(pts[a]), tuple(pts[b]), c[slot], max(int(round(wpx)), 1),
                     cv2.LINE_AA, _SHIFT)
        elif kind == 1:
            quad = pts[[5, 6, 12, 11]].astype(np.int32)[None]
            cv2.fillPoly(img, quad, c[4], cv2.LINE_AA, _SHIFT)
            neck = (0.5 * (uv[5] + uv[6]), 0.5 * (uv[11] + uv[12]))
            p0, p1 = [tuple(np.round(q * _ONE - _ONE / 2).astype(np.int64)) for q in neck]
            width = max(int(round(0.2 * scale[[5, 6, 11, 12]].mean())), 1)
            cv2.line(img, p0, p1, c[4], width, cv2.LINE_AA, _SHIFT)
        else:
            s = scale[0]
            hc = tuple(np.round(head_c * _ONE - _ONE / 2).astype(np.int64))
            neck_base = tuple(np.round((0.5 * (uv[5] + uv[6])) * _ONE - _ONE / 2).astype(np.int64))
            cv2.line(img, neck_base, hc, c[5], max(int(round(NECK_WIDTH * s)), 1), cv2.LINE_AA,
                     _SHIFT)
            r = int(round(HEAD_RADIUS * s * _ONE))
            cv2.circle(img, hc, r, c[5], -1, cv2.LINE_AA, _SHIFT)
            if depth[0] < head_d:  # the face toward the camera: eyes and nose
                er = max(int(round(0.025 * s * _ONE)), _ONE // 2)
                for j in (1, 2):
                    cv2.circle(img, tuple(pts[j]), er, (30, 30, 30), -1, cv2.LINE_AA, _SHIFT)
                cv2.circle(img, tuple(pts[0]), er, (150, 60, 60), -1, cv2.LINE_AA, _SHIFT)
            else:  # the back of the head: hair
                cv2.circle(img, hc, int(r * 0.85), c[6], -1, cv2.LINE_AA, _SHIFT)


def render_video(athlete_uv: np.ndarray, athlete_depth: np.ndarray, others_uv: np.ndarray,
                 others_depth: np.ndarray, colours: List[list], panorama: np.ndarray,
                 offsets: np.ndarray, origin: Tuple[float, float], focal: float,
                 image_size: Tuple[int, int], shutter: float = 0.6,
                 blur_step: float = 2.0, max_subframes: int = 4):
    """Render the frames of one video (a generator, one frame at a time).

    Args:
        athlete_uv (np.ndarray): [T, 17, 2] image joints of the athlete.
        athlete_depth (np.ndarray): [T, 17] depths.
        others_uv (np.ndarray): [P, T, 17, 2] distractors (P may be 0).
        others_depth (np.ndarray): [P, T, 17].
        colours (list): P + 1 colour lists (:func:`person_colours`), the athlete's first.
        panorama (np.ndarray): [Hp, Wp, 3] uint8 background.
        offsets (np.ndarray): [T, 2] view offsets (:func:`background_windows`).
        origin (tuple[float, float]): Top-left of frame 0's view in the panorama.
        focal (float): Focal length.
        image_size (tuple[int, int]): (W, H).
        shutter (float): Exposure as a fraction of the frame interval. Defaults to 0.6.
        blur_step (float): One more sub-frame per this many pixels of the fastest joint's
            motion during the exposure. Defaults to 2.
        max_subframes (int): At most this many sub-frames. Defaults to 4.

    Yields:
        np.ndarray: [H, W, 3] uint8 RGB frames.
    """
    w, h = image_size
    T = len(athlete_uv)
    order = np.argsort(-others_depth.mean(axis=2), axis=0) if len(others_uv) else None
    prev_uv = np.concatenate([athlete_uv[:1], athlete_uv[:-1]])
    next_uv = np.concatenate([athlete_uv[1:], athlete_uv[-1:]])
    for ti in range(T):
        x0, y0 = origin[0] + offsets[ti, 0], origin[1] + offsets[ti, 1]
        base = cv2.getRectSubPix(panorama, (w, h), (x0 + w / 2, y0 + h / 2))
        athlete_d = athlete_depth[ti].mean()
        behind, front = [], []
        if order is not None:
            for p in order[:, ti]:
                if others_depth[p, ti].min() <= 0.1:
                    continue
                (behind if others_depth[p, ti].mean() > athlete_d else front).append(p)
        for p in behind:
            draw_person(base, others_uv[p, ti], others_depth[p, ti], focal, colours[p + 1])
        # sub-frame positions: linear in time between the neighbouring frames
        vel = 0.5 * (next_uv[ti] - prev_uv[ti])  # [17, 2] px per frame
        travel = shutter * np.linalg.norm(vel, axis=1).max()
        k = int(np.clip(np.ceil(travel / blur_step), 1, max_subframes))
        if k == 1:
            img = base
            draw_person(img, athlete_uv[ti], athlete_depth[ti], focal, colours[0])
        else:
            acc = np.zeros((h, w, 3), np.float32)
            for s in np.linspace(-0.5 * shutter, 0.5 * shutter, k):
                sub = base.copy()
                nb = next_uv[ti] if s > 0 else prev_uv[ti]
                uv = athlete_uv[ti] + abs(s) * (nb - athlete_uv[ti])
                draw_person(sub, uv, athlete_depth[ti], focal, colours[0])
                acc += sub
            img = (acc * (1.0 / k) + 0.5).astype(np.uint8)
        for p in front:
            draw_person(img, others_uv[p, ti], others_depth[p, ti], focal, colours[p + 1])
        yield img


def motion_stats(uv: np.ndarray, shutter: float = 0.6) -> Dict[str, np.ndarray]:
    """Joint speeds and blur extent of an image trajectory.

    Args:
        uv (np.ndarray): [T, 17, 2] image joints.
        shutter (float): Exposure fraction.

    Returns:
        dict: ``speed`` [T, 17] px per frame (central differences), ``blur`` [T] the mean
        joint travel during the exposure, px.
    """
    prev_uv = np.concatenate([uv[:1], uv[:-1]])
    next_uv = np.concatenate([uv[1:], uv[-1:]])
    speed = np.linalg.norm(0.5 * (next_uv - prev_uv), axis=2)
    return dict(speed=speed, blur=shutter * speed.mean(axis=1))
