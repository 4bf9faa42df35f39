# Copyright (c) vpd_mm contributors. All rights reserved.
"""Motions of the synthetic sports corpus: acrobatic jumps of an articulated 3D athlete.

The athlete is the kinematic skeleton of :mod:`vpd_mm.datasets.pose3d.synthetic` (same bone
lengths, joint limits and forward kinematics), extended to the 17 COCO joints (eyes and ears
placed on the head). Every video is uncut: the athlete stands (and sometimes walks a few steps
to the take-off spot), performs one acrobatic jump, lands on the feet and stands again. The
fine-grained classes (:data:`SPORTS_CLASSES`) differ only in the body motion of the jump:

* the number of somersaults (forward rotations about the left-right axis): 1 or 2;
* the body shape held in the air: ``tuck`` (hips and knees flexed), ``pike`` (hips flexed,
  knees straight) or ``straight``;
* twists (rotation about the long axis during the flight): none or one full twist, in a random
  direction (the direction is a nuisance, so the classes survive horizontal flips).

Everything else is drawn per video as nuisance: subject size, take-off timing, flight time
(+-8%), idle motion, an optional approach walk, the facing direction in the world.

World coordinates: metres, y up, the ground at y = 0.
"""
from typing import Dict, Optional, Tuple

import numpy as np

from vpd_mm.datasets.pose3d.geometry import rot_x, rot_y, rot_z
from vpd_mm.datasets.pose3d.synthetic import (JOINT_LIMITS, _shape, _smooth, _subject,
                                              forward_kinematics)

#: Class name -> jump parameters (somersaults, shape, twists).
SPORTS_CLASSES: Dict[str, dict] = {
    f'{n}som_{shape}{"_twist" if tw else ""}': dict(somersaults=n, shape=shape, twists=tw)
    for tw in (0, 1)
    for n in (1, 2)
    for shape in ('tuck', 'pike', 'straight')
}
#: The default classes: 2 somersault counts x tuck/pike x with/without twist.
DEFAULT_CLASSES: Tuple[str, ...] = (
    '1som_tuck', '1som_pike', '2som_tuck', '2som_pike', '1som_tuck_twist', '1som_pike_twist',
    '2som_tuck_twist', '2som_pike_twist')
#: Duration of the take-off preparation (crouch, arm swing) and of the landing, seconds.
PREP_S, LAND_S = 0.4, 0.4
#: Flight time in seconds per number of somersaults.
FLIGHT_S = {1: 0.8, 2: 1.1}
GRAVITY = 9.81


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _bump(t: np.ndarray, start: float, peak: float, end: float) -> np.ndarray:
    """[T] in [0, 1]: 0 before ``start``, smooth rise to 1 at ``peak``, back to 0 at ``end``."""
    up = _smoothstep((t - start) / max(peak - start, 1e-6))
    down = 1 - _smoothstep((t - peak) / max(end - peak, 1e-6))
    return np.where(t < peak, up, down)


def idle_angles(rng: np.random.Generator, num_frames: int, fps: float,
                amount: float = 1.0) -> Dict[str, np.ndarray]:
    """Joint angles of a person standing at ease (small smooth random motion).

    Args:
        rng (np.random.Generator): Source of randomness.
        num_frames (int): T.
        fps (float): Frame rate.
        amount (float): Scale of the motion (0: still). Defaults to 1.

    Returns:
        dict[str, np.ndarray]: [T] angle trajectories in degrees (the keys of
        :func:`~vpd_mm.datasets.pose3d.synthetic.forward_kinematics`), ``height`` zero.
    """
    t = np.arange(num_frames, dtype=np.float64) / fps

    def sm(lo, hi, freq=0.6):
        mid = 0.5 * (lo + hi)
        return mid + amount * (_smooth(rng, t, lo, hi, freq) - mid)

    a = dict(
        salto=sm(-3, 3), twist=sm(-10, 10, 0.3), roll=sm(-3, 3), height=np.zeros_like(t),
        spine_pitch=sm(0, 12), spine_roll=sm(-5, 5), spine_yaw=sm(-10, 10), head_pitch=sm(-10, 15))
    for side in 'LR':
        a[f'hip_flex_{side}'] = sm(0, 12)
        a[f'hip_abd_{side}'] = sm(2, 12)
        a[f'knee_{side}'] = sm(0, 15)
        a[f'sh_flex_{side}'] = sm(-15, 30)
        a[f'sh_abd_{side}'] = sm(5, 30)
        a[f'elbow_{side}'] = sm(5, 50)
    return a


def _walk(a: Dict[str, np.ndarray], phase: np.ndarray, w: np.ndarray) -> None:
    """Blend a walking gait with weight ``w`` [T] in [0, 1] at stride phase ``phase`` [T]."""
    for side, off in (('L', 0.0), ('R', np.pi)):
        gait = dict(hip_flex=15 + 25 * np.sin(phase + off),
                    knee=25 + 25 * np.sin(phase + off - 1.2),
                    sh_flex=5 - 25 * np.sin(phase + off), elbow=25 + 0 * phase)
        for name, val in gait.items():
            key = f'{name}_{side}'
            a[key] = (1 - w) * a[key] + w * val


def clip_angles(a: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Clip the angles to :data:`~vpd_mm.datasets.pose3d.synthetic.JOINT_LIMITS` (in place)."""
    for key, (lo, hi) in JOINT_LIMITS.items():
        for k in ([key] if key in a else [f'{key}_L', f'{key}_R']):
            a[k] = np.clip(a[k], lo, hi)
    return a


def head_points(angles: Dict[str, np.ndarray], bones: Dict[str, float]) -> np.ndarray:
    """Eyes and ears of the skeleton, consistent with ``forward_kinematics``' nose.

    Args:
        angles (dict[str, np.ndarray]): [T] trajectories (see ``forward_kinematics``).
        bones (dict[str, float]): Bone lengths.

    Returns:
        np.ndarray: [T, 4, 3] left eye, right eye, left ear, right ear (body frame, root at
        ``(0, height, 0)``).
    """
    pelvis = rot_x(angles['salto']) @ rot_y(angles['twist']) @ rot_z(angles['roll'])
    torso = pelvis @ rot_x(angles['spine_pitch']) @ rot_z(angles['spine_roll']) @ rot_y(
        angles['spine_yaw'])
    head = torso @ rot_x(angles['head_pitch'])  # [T, 3, 3]
    root = np.zeros((len(angles['salto']), 3))
    root[:, 1] = angles['height']
    neck = root + torso @ np.array([0.0, bones['spine'], 0.0])
    h, f = bones['head'], bones['nose_forward']
    offsets = np.array([[0.035, h + 0.03, 0.8 * f], [-0.035, h + 0.03, 0.8 * f],
                        [0.075, h, 0.0], [-0.075, h, 0.0]])  # [4, 3]
    return neck[:, None] + np.einsum('tij,kj->tki', head, offsets)


def pose17(angles: Dict[str, np.ndarray], bones: Dict[str, float]) -> np.ndarray:
    """COCO-17 joints in the body frame: forward kinematics plus eyes and ears.

    Returns:
        np.ndarray: [T, 17, 3] float64 (root at ``(0, height, 0)``, facing +z when unrotated).
    """
    kept = forward_kinematics(angles, bones).astype(np.float64)  # [T, 13, 3]
    out = np.empty((kept.shape[0], 17, 3))
    out[:, 0] = kept[:, 0]
    out[:, 1:5] = head_points(angles, bones)
    out[:, 5:] = kept[:, 1:]
    return out


def place_in_world(body: np.ndarray, facing_deg: float, root_xz: np.ndarray,
                   ground: bool = True) -> np.ndarray:
    """Turn a body-frame pose sequence to face ``facing_deg`` and move it to ``root_xz``.

    Args:
        body (np.ndarray): [T, 17, 3] body-frame joints.
        facing_deg (float): Yaw about the vertical axis, degrees (0: facing world +z).
        root_xz (np.ndarray): [T, 2] world x, z of the root.
        ground (bool): Shift each frame vertically so that its lowest ankle touches y = 0.

    Returns:
        np.ndarray: [T, 17, 3] world joints.
    """
    out = body @ rot_y(facing_deg).T
    if ground:
        out[..., 1] -= out[:, 15:17, 1].min(axis=1)[:, None]
    out[..., 0] += root_xz[:, None, 0]
    out[..., 2] += root_xz[:, None, 1]
    return out


def athlete_motion(rng: np.random.Generator, num_frames: int, fps: float,
                   spec: dict) -> dict:
    """One uncut athlete sequence with one jump of class ``spec``.

    Args:
        rng (np.random.Generator): Source of randomness.
        num_frames (int): T; must hold the jump (about 1.6-1.9 s) plus 0.5 s.
        fps (float): Frame rate.
        spec (dict): ``somersaults``, ``shape``, ``twists`` (a value of :data:`SPORTS_CLASSES`).

    Returns:
        dict: ``joints`` [T, 17, 3] world metres, ``start``, ``end`` (the action's frames,
        end exclusive), ``takeoff``, ``landing`` (frames), ``facing`` (degrees).
    """
    n_som, shape, twists = int(spec['somersaults']), spec['shape'], int(spec['twists'])
    flight = FLIGHT_S[n_som] * rng.uniform(0.92, 1.08)
    n_prep = int(round(PREP_S * fps))
    n_flight = max(int(round(flight * fps)), 4)
    n_land = int(round(LAND_S * fps))
    length = n_prep + n_flight + n_land
    if num_frames < length + 4:
        raise ValueError(f'{num_frames} frames cannot hold a jump of {length} frames at {fps} fps')
    slack = num_frames - length
    start = int(rng.integers(int(0.3 * slack), max(int(0.7 * slack), int(0.3 * slack) + 1) + 1))
    start = min(start, slack)
    takeoff, landing, end = start + n_prep, start + n_prep + n_flight, start + length
    f = np.arange(num_frames, dtype=np.float64)
    a = idle_angles(rng, num_frames, fps)
    bones = _subject(rng)

    # optional approach walk before the jump, along the facing direction
    forward = np.zeros(num_frames)  # distance walked, metres; 0 at the take-off spot
    if start >= 10 and rng.uniform() < 0.5:
        walk_end = start - int(rng.integers(2, 6))
        walk_start = int(rng.integers(0, max(walk_end - 8, 1)))
        w = _smoothstep((f - walk_start) / 3) * (1 - _smoothstep((f - walk_end + 3) / 3))
        speed = rng.uniform(1.0, 1.6) / fps  # metres per frame
        forward = np.cumsum(w * speed) - (w * speed).sum()  # arrives at 0
        _walk(a, 2 * np.pi * np.cumsum(w) * speed / 1.3, w)

    # take-off preparation: crouch with the arms back, then extension with the arms up
    crouch = _bump(f, start, start + 0.7 * n_prep, takeoff)
    arms_up = _smoothstep((f - (start + 0.6 * n_prep)) / (0.4 * n_prep + 1))
    arms_up = arms_up * (f < landing) + (f >= landing) * (1 - _smoothstep(
        (f - landing) / max(n_land, 1)))
    land = _bump(f, landing - 1, landing + 0.35 * n_land, end + 2)
    for side in 'LR':
        a[f'hip_flex_{side}'] += 70 * crouch + 60 * land
        a[f'knee_{side}'] += 90 * crouch + 70 * land
        a[f'sh_flex_{side}'] = (1 - arms_up) * (a[f'sh_flex_{side}'] - 50 * crouch + 70 * land) \
            + arms_up * 170
        a[f'elbow_{side}'] *= 1 - arms_up
    a['spine_pitch'] += 35 * crouch + 30 * land

    # flight: shape, somersaults, twists, parabolic height
    u = np.clip((f - takeoff) / n_flight, 0.0, 1.0)
    in_air = (f >= takeoff) & (f < landing)
    w = np.clip(1.8 * np.sin(np.pi * u), 0, 1) * in_air
    _shape(rng, a, w, shape)
    rot = _smoothstep((u - 0.04) / 0.88)
    a['salto'] = a['salto'] + 360.0 * n_som * rot
    if twists:
        direction = rng.choice([-1.0, 1.0])
        a['twist'] = a['twist'] + direction * 360.0 * twists * _smoothstep((u - 0.1) / 0.75)
    height = GRAVITY * flight**2 / 2 * u * (1 - u) * in_air  # g t_f^2 / 8 at the apex
    clip_angles(a)
    body = pose17(a, bones)
    facing = float(rng.uniform(-180, 180))
    # feet on the ground outside the flight; in the air, the ground offset interpolated between
    # take-off and landing plus the parabola
    ground = -body[:, 15:17, 1].min(axis=1)  # [T]
    g_air = np.interp(f, [takeoff, landing], [ground[max(takeoff - 1, 0)], ground[landing]])
    body[..., 1] += np.where(in_air, g_air + height, ground)[:, None]
    yaw = np.deg2rad(facing)
    joints = place_in_world(body, facing, forward[:, None] * np.array([np.sin(yaw), np.cos(yaw)]),
                            ground=False)
    return dict(joints=joints, start=start, end=end, takeoff=takeoff, landing=landing,
                facing=facing)


def bystander_motion(rng: np.random.Generator, num_frames: int, fps: float,
                     position: Tuple[float, float], walk: Optional[bool] = None) -> np.ndarray:
    """A distractor (judge, coach, audience): standing at ease, sometimes walking slowly.

    Args:
        rng (np.random.Generator): Source of randomness.
        num_frames (int): T.
        fps (float): Frame rate.
        position (tuple[float, float]): World x, z of the root at the first frame.
        walk (bool, optional): Walk slowly (0.3-0.7 m/s); drawn with p = 0.3 when None.

    Returns:
        np.ndarray: [T, 17, 3] world joints.
    """
    a = idle_angles(rng, num_frames, fps, amount=rng.uniform(0.3, 1.0))
    bones = _subject(rng)
    facing = float(rng.uniform(-180, 180))
    root = np.tile(np.asarray(position, np.float64), (num_frames, 1))
    if walk if walk is not None else rng.uniform() < 0.3:
        speed = rng.uniform(0.3, 0.7) / fps
        _walk(a, 2 * np.pi * np.arange(num_frames) * speed / 1.0, np.ones(num_frames))
        yaw = np.deg2rad(facing)
        steps = np.arange(num_frames)[:, None] * speed
        root = root + steps * np.array([np.sin(yaw), np.cos(yaw)])
    clip_angles(a)
    return place_in_world(pose17(a, bones), facing, root)
