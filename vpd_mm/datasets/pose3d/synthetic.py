# Copyright (c) vpd_mm contributors. All rights reserved.
"""A synthetic 3D pose corpus: a kinematic skeleton driven by athletic joint-angle trajectories.

Needs no download; used by the tests, the demo and as a stand-in for Human3.6M / AMASS.
Each sequence draws a subject (bone lengths with a small per-subject variation) and a motion:

* ``random``: smooth random trajectories of every joint angle;
* ``run``: alternating hip/knee flexion with counter-swinging arms;
* ``jump``: crouch, extension with an arm swing, flight, landing;
* ``arm_swing``: large arm circles/swings over a near-still stance;
* ``somersault``: whole-body rotation about the left-right axis (inverted poses) with a tuck,
  pike or straight shape, sometimes combined with twists;
* ``twist``: rotation about the body's long axis with the arms wrapped or overhead.

Joint angles are clipped to anatomical limits (:data:`JOINT_LIMITS`): knees and elbows flex one
way only, within [0, 150] degrees. Forward kinematics runs on all frames at once with batched
rotation matrices.
"""
from typing import Dict, Tuple

import numpy as np

from .geometry import rot_x, rot_y, rot_z

MOTIONS: Tuple[str, ...] = ('random', 'run', 'jump', 'arm_swing', 'somersault', 'twist')

#: Limits of the joint angles, degrees. Positive hip/shoulder flexion raises the limb forward,
#: positive abduction moves it away from the body, positive knee/elbow values flex the joint
#: (the shank backward, the forearm forward), positive spine pitch bends the torso forward.
JOINT_LIMITS: Dict[str, Tuple[float, float]] = dict(
    spine_pitch=(-30.0, 80.0),
    spine_roll=(-25.0, 25.0),
    spine_yaw=(-35.0, 35.0),
    head_pitch=(-30.0, 40.0),
    hip_flex=(-20.0, 140.0),
    hip_abd=(-10.0, 50.0),
    knee=(0.0, 150.0),
    sh_flex=(-50.0, 180.0),
    sh_abd=(0.0, 170.0),
    elbow=(0.0, 150.0),
)

#: Mean bone lengths in metres.
BONE_LENGTHS: Dict[str, float] = dict(
    hip_width=0.26, shoulder_width=0.36, spine=0.50, head=0.20, nose_forward=0.08, thigh=0.43,
    shank=0.42, upper_arm=0.29, forearm=0.26)


def _smooth(rng: np.random.Generator, t: np.ndarray, lo: float, hi: float,
            max_freq: float = 1.5) -> np.ndarray:
    """A smooth random trajectory in [lo, hi]: a normalised sum of 3 random sinusoids."""
    k = 3
    amp = rng.uniform(0.2, 1.0, size=(k, 1))
    freq = rng.uniform(0.1, max_freq, size=(k, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(k, 1))
    x = (amp * np.sin(2 * np.pi * freq * t[None] + phase)).sum(0) / amp.sum()  # [T] in [-1, 1]
    return lo + (hi - lo) * (0.5 + 0.5 * x)


def _subject(rng: np.random.Generator) -> Dict[str, float]:
    scale = rng.uniform(0.88, 1.12)
    return {k: v * scale * float(np.clip(rng.normal(1.0, 0.04), 0.9, 1.1))
            for k, v in BONE_LENGTHS.items()}


def _base_angles(rng: np.random.Generator, t: np.ndarray) -> Dict[str, np.ndarray]:
    """Small random motion of every angle around a relaxed stance."""
    a = dict(
        salto=_smooth(rng, t, -15, 15, 0.5),
        twist=_smooth(rng, t, -180, 180, 0.3),
        roll=_smooth(rng, t, -10, 10, 0.5),
        height=np.zeros_like(t),
        spine_pitch=_smooth(rng, t, -5, 25),
        spine_roll=_smooth(rng, t, -8, 8),
        spine_yaw=_smooth(rng, t, -15, 15),
        head_pitch=_smooth(rng, t, -10, 20),
    )
    for side in 'LR':
        a[f'hip_flex_{side}'] = _smooth(rng, t, -10, 40)
        a[f'hip_abd_{side}'] = _smooth(rng, t, 0, 15)
        a[f'knee_{side}'] = _smooth(rng, t, 0, 50)
        a[f'sh_flex_{side}'] = _smooth(rng, t, -30, 60)
        a[f'sh_abd_{side}'] = _smooth(rng, t, 0, 40)
        a[f'elbow_{side}'] = _smooth(rng, t, 0, 90)
    return a


def _shape(rng: np.random.Generator, a: Dict[str, np.ndarray], w: np.ndarray, kind: str) -> None:
    """Blend the body into a tuck, pike or straight shape with weight ``w`` [T] in [0, 1]."""
    hip, knee, sh, elbow = dict(
        tuck=((115, 135), (125, 150), (50, 90), (80, 120)),
        pike=((110, 135), (0, 10), (80, 150), (0, 20)),
        straight=((-10, 10), (0, 5), (160, 180), (0, 10)),
    )[kind]
    for side in 'LR':
        for name, rng_ in (('hip_flex', hip), ('knee', knee), ('sh_flex', sh),
                           ('elbow', elbow)):
            key = f'{name}_{side}'
            a[key] = (1 - w) * a[key] + w * rng.uniform(*rng_)
        a[f'hip_abd_{side}'] *= 1 - 0.8 * w
        a[f'sh_abd_{side}'] *= 1 - 0.8 * w


def _motion_angles(rng: np.random.Generator, frames: int, motion: str) -> Dict[str, np.ndarray]:
    t = np.arange(frames, dtype=np.float64) / 30.0  # seconds at 30 fps
    u = np.linspace(0.0, 1.0, frames)  # normalised time
    a = _base_angles(rng, t)
    if motion == 'random':
        for key, (lo, hi) in JOINT_LIMITS.items():
            for k in ([key] if key in a else [f'{key}_L', f'{key}_R']):
                a[k] = _smooth(rng, t, lo, hi)
        a['salto'] = _smooth(rng, t, -40, 40, 0.5)
    elif motion == 'run':
        phase = 2 * np.pi * rng.uniform(1.2, 1.8) * t + rng.uniform(0, 2 * np.pi)
        for side, off in (('L', 0.0), ('R', np.pi)):
            a[f'hip_flex_{side}'] = 30 + 40 * np.sin(phase + off)
            a[f'knee_{side}'] = 60 + 55 * np.sin(phase + off - 1.2)
            a[f'sh_flex_{side}'] = 10 - 45 * np.sin(phase + off)
            a[f'elbow_{side}'] = rng.uniform(70, 110) + 0 * t
        a['spine_pitch'] = rng.uniform(5, 25) + 5 * np.sin(2 * phase)
        a['height'] = 0.05 * np.abs(np.sin(phase))
    elif motion == 'jump':
        crouch = np.exp(-((u - 0.3) / 0.12)**2)  # [T] crouch before take-off
        flight = np.clip(np.sin(np.pi * (u - 0.4) / 0.45), 0, None) * (u > 0.4) * (u < 0.85)
        for side in 'LR':
            a[f'hip_flex_{side}'] = 5 + 85 * crouch + 30 * flight * rng.uniform(0, 1)
            a[f'knee_{side}'] = 5 + 105 * crouch + 40 * flight * rng.uniform(0, 1)
            a[f'sh_flex_{side}'] = -40 * crouch + 200 * flight
            a[f'elbow_{side}'] = 10 + 20 * crouch
        a['spine_pitch'] = 10 + 40 * crouch
        a['height'] = rng.uniform(0.3, 0.7) * flight
    elif motion == 'arm_swing':
        phase = 2 * np.pi * rng.uniform(0.5, 1.5) * t + rng.uniform(0, 2 * np.pi)
        sync = rng.choice([0.0, np.pi])
        for side, off in (('L', 0.0), ('R', sync)):
            a[f'sh_flex_{side}'] = 65 + 115 * np.sin(phase + off)
            a[f'sh_abd_{side}'] = _smooth(rng, t, 0, 120)
            a[f'elbow_{side}'] = _smooth(rng, t, 0, 60)
    elif motion in ('somersault', 'twist'):
        shape = rng.choice(['tuck', 'pike', 'straight']) if motion == 'somersault' else 'straight'
        w = np.clip(1.6 * np.sin(np.pi * u), 0, 1)  # open -> shape -> open
        _shape(rng, a, w, shape)
        turns = rng.choice([1.0, 1.5, 2.0, 2.5]) * rng.choice([-1, 1])
        start = rng.uniform(-30, 30)
        if motion == 'somersault':
            a['salto'] = start + 360 * turns * u
            if rng.uniform() < 0.3:
                a['twist'] = a['twist'][0] + 360 * rng.uniform(0.5, 2.0) * u
        else:
            a['twist'] = a['twist'][0] + 360 * turns * u
            a['salto'] = start + rng.choice([0.0, 180.0]) + rng.uniform(-20, 20) * u
            if rng.uniform() < 0.5:  # arms wrapped on the chest
                for side in 'LR':
                    a[f'sh_flex_{side}'] = rng.uniform(60, 90) + 0 * t
                    a[f'sh_abd_{side}'] = rng.uniform(0, 20) + 0 * t
                    a[f'elbow_{side}'] = rng.uniform(120, 150) + 0 * t
        a['height'] = 1.5 * np.sin(np.pi * u)
    else:
        raise ValueError(f'unknown motion {motion!r}, expected one of {MOTIONS}')
    for key, (lo, hi) in JOINT_LIMITS.items():
        for k in ([key] if key in a else [f'{key}_L', f'{key}_R']):
            a[k] = np.clip(a[k], lo, hi)
    return a


def forward_kinematics(angles: Dict[str, np.ndarray], bones: Dict[str, float]) -> np.ndarray:
    """Joint positions of the skeleton for every frame.

    The body faces +z with y up and its left on +x when all angles are 0 (standing, arms down).

    Args:
        angles (dict[str, np.ndarray]): [T] trajectories in degrees (``salto``, ``twist``,
            ``roll``, the spine and head angles, ``{hip_flex, hip_abd, knee, sh_flex, sh_abd,
            elbow}_{L,R}``) and ``height`` in metres.
        bones (dict[str, float]): Bone lengths (keys of :data:`BONE_LENGTHS`).

    Returns:
        np.ndarray: [T, 13, 3] float32 in ``KEPT_JOINTS`` order.
    """
    T = len(angles['salto'])
    root = np.zeros((T, 3))
    root[:, 1] = angles['height']
    pelvis = rot_x(angles['salto']) @ rot_y(angles['twist']) @ rot_z(angles['roll'])  # [T, 3, 3]
    torso = pelvis @ rot_x(angles['spine_pitch']) @ rot_z(angles['spine_roll']) @ rot_y(
        angles['spine_yaw'])  # [T, 3, 3]
    head = torso @ rot_x(angles['head_pitch'])  # positive: chin down

    def apply(R, v):  # [T, 3, 3] @ [3] -> [T, 3]
        return R @ np.asarray(v, dtype=np.float64)

    neck = root + apply(torso, (0, bones['spine'], 0))
    nose = neck + apply(head, (0, bones['head'], bones['nose_forward']))
    joints = {'nose': nose}
    down = (0.0, -1.0, 0.0)
    for side, sign in (('L', 1.0), ('R', -1.0)):
        hip = root + apply(pelvis, (sign * bones['hip_width'] / 2, 0, 0))
        thigh = pelvis @ rot_z(sign * angles[f'hip_abd_{side}']) @ rot_x(
            -angles[f'hip_flex_{side}'])
        knee = hip + bones['thigh'] * apply(thigh, down)
        shank = thigh @ rot_x(angles[f'knee_{side}'])
        ankle = knee + bones['shank'] * apply(shank, down)
        sh = neck + apply(torso, (sign * bones['shoulder_width'] / 2, 0, 0))
        upper = torso @ rot_z(sign * angles[f'sh_abd_{side}']) @ rot_x(-angles[f'sh_flex_{side}'])
        elbow = sh + bones['upper_arm'] * apply(upper, down)
        fore = upper @ rot_x(-angles[f'elbow_{side}'])
        wrist = elbow + bones['forearm'] * apply(fore, down)
        joints.update({f'sh{side}': sh, f'el{side}': elbow, f'wr{side}': wrist, f'hip{side}': hip,
                       f'kn{side}': knee, f'an{side}': ankle})
    order = ('nose', 'shL', 'shR', 'elL', 'elR', 'wrL', 'wrR', 'hipL', 'hipR', 'knL', 'knR', 'anL',
             'anR')
    return np.stack([joints[k] for k in order], axis=1).astype(np.float32)  # [T, 13, 3]


def synthetic_sequences(num_sequences: int = 64,
                        frames: int = 60,
                        seed: int = 0) -> Dict[str, np.ndarray]:
    """Generate the synthetic corpus.

    Sequence ``i`` depends on ``(seed, i)`` only, so a larger corpus extends a smaller one.
    Motions cycle through :data:`MOTIONS` (``i % 6``).

    Args:
        num_sequences (int): Number of sequences. Defaults to 64.
        frames (int): Frames per sequence (30 fps). Defaults to 60.
        seed (int): Seed. Defaults to 0.

    Returns:
        dict[str, np.ndarray]: ``'synth_{i:04d}_{motion}'`` -> [frames, 13, 3] float32 world
        poses (y up, metres; not canonicalised).
    """
    out = {}
    for i in range(num_sequences):
        rng = np.random.default_rng([seed, i])
        motion = MOTIONS[i % len(MOTIONS)]
        angles = _motion_angles(rng, frames, motion)
        out[f'synth_{i:04d}_{motion}'] = forward_kinematics(angles, _subject(rng))
    return out
