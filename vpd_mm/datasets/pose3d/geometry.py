# Copyright (c) vpd_mm contributors. All rights reserved.
"""3D pose geometry for VIPE*: canonicalisation, cameras, projection, mirroring, lifting targets.

Conventions (see ``docs`` and the SPEC, section 2):

* A 3D pose is a float array ``[..., 13, 3]`` of the 13 kept COCO joints in ``KEPT_JOINTS`` order:
  0 nose, 1/2 L/R shoulder, 3/4 L/R elbow, 5/6 L/R wrist, 7/8 L/R hip, 9/10 L/R knee,
  11/12 L/R ankle.
* World axes: x right, y up, z toward the viewer (right-handed). The root is the hip midpoint.
* A *canonical* pose has its root at the origin and is rotated about the vertical y axis so that
  the vector from the right hip to the left hip points along +x (its horizontal part; the hip
  line may still tilt in y). A person standing upright in canonical pose faces +z (the viewer).
* Camera coordinates are ``R @ world``; the orthographic image of a joint is
  ``(u, v) = (x_cam, -y_cam)`` so that image v grows downward and an upright person has the head
  at smaller v.
* Real (perspective) cameras follow OpenCV: camera coordinates ``R @ world + t`` with x right,
  y down, z forward, pixels ``K @ (x / z, y / z, 1)`` after OpenCV's lens distortion
  (:func:`project_perspective`).
"""
from typing import Optional, Tuple, Union

import cv2
import numpy as np

from vpd_mm.codecs import KEPT_FLIP_INDICES, KEPT_JOINTS

NUM_KEPT = len(KEPT_JOINTS)
#: Kept-joint indices by name.
NOSE, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = range(7)
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = range(7, 13)
#: Virtual points appended after the 13 kept joints: the root (hip midpoint) and the neck
#: (shoulder midpoint).
ROOT, NECK = NUM_KEPT, NUM_KEPT + 1

#: The bone tree of the lifting targets, as (parent point, child point) over the 13 kept joints
#: plus ``ROOT`` (13, hip midpoint) and ``NECK`` (14, shoulder midpoint). The root has three
#: children (both hips and the neck); every kept joint is the child of exactly one bone:
#: root->hip->knee->ankle, hip->shoulder (torso sides) ->elbow->wrist, root->neck (spine)
#: ->nose.
LIFT_BONES: Tuple[Tuple[int, int], ...] = (
    (ROOT, L_HIP), (ROOT, R_HIP),  # 0, 1
    (L_HIP, L_KNEE), (L_KNEE, L_ANKLE),  # 2, 3
    (R_HIP, R_KNEE), (R_KNEE, R_ANKLE),  # 4, 5
    (L_HIP, L_SHOULDER), (R_HIP, R_SHOULDER),  # 6, 7
    (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST),  # 8, 9
    (R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST),  # 10, 11
    (ROOT, NECK), (NECK, NOSE),  # 12, 13
)
NUM_BONES = len(LIFT_BONES)


def _parent_bones() -> Tuple[int, ...]:
    """Index of each bone's parent bone (the bone ending at its start), -1 at the root."""
    ends = {child: b for b, (_, child) in enumerate(LIFT_BONES)}
    return tuple(ends.get(parent, -1) for parent, _ in LIFT_BONES)


#: Each bone's parent bone, -1 for the bones leaving the root.
LIFT_PARENTS: Tuple[int, ...] = _parent_bones()
#: Lifting target size: per bone a unit vector (3) and a normalised parent angle (1, in
#: [-0.5, 0.5]), per kept
#: joint a unit root-to-joint vector (3): 14 * 4 + 13 * 3 = 95.
LIFT_DIM = NUM_BONES * 4 + NUM_KEPT * 3

_EPS = 1e-8


def _unit(v: np.ndarray) -> np.ndarray:
    """Unit vectors along the last axis; zero vectors stay zero."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, _EPS) * (n > _EPS)


def _check(poses: np.ndarray) -> np.ndarray:
    poses = np.asarray(poses)
    if poses.shape[-2:] != (NUM_KEPT, 3):
        raise ValueError(f'expected 3D poses of shape [..., {NUM_KEPT}, 3], '
                         f'got {list(poses.shape)}')
    return poses


def _with_virtual(poses: np.ndarray) -> np.ndarray:
    """Append the root and the neck: [..., 13, 3] -> [..., 15, 3]."""
    root = poses[..., [L_HIP, R_HIP], :].mean(axis=-2, keepdims=True)
    neck = poses[..., [L_SHOULDER, R_SHOULDER], :].mean(axis=-2, keepdims=True)
    return np.concatenate([poses, root, neck], axis=-2)


def rot_x(deg: np.ndarray) -> np.ndarray:
    """Rotations about x: [...] degrees -> [..., 3, 3]."""
    a = np.deg2rad(np.asarray(deg, dtype=np.float64))
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([o, z, z, z, c, -s, z, s, c], axis=-1).reshape(a.shape + (3, 3))


def rot_y(deg: np.ndarray) -> np.ndarray:
    """Rotations about y: [...] degrees -> [..., 3, 3]."""
    a = np.deg2rad(np.asarray(deg, dtype=np.float64))
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([c, z, s, z, o, z, -s, z, c], axis=-1).reshape(a.shape + (3, 3))


def rot_z(deg: np.ndarray) -> np.ndarray:
    """Rotations about z: [...] degrees -> [..., 3, 3]."""
    a = np.deg2rad(np.asarray(deg, dtype=np.float64))
    c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
    return np.stack([c, -s, z, s, c, z, z, z, o], axis=-1).reshape(a.shape + (3, 3))


def canonicalize(poses: np.ndarray) -> np.ndarray:
    """Root-centre poses and rotate them about y so that right hip -> left hip points along +x.

    Args:
        poses (np.ndarray): [..., 13, 3] world poses (y up).

    Returns:
        np.ndarray: [..., 13, 3] canonical poses, same dtype as the input (float32 for
        integer input). A pose whose hip vector is vertical or zero is only root-centred.
    """
    poses = _check(poses)
    dtype = poses.dtype if np.issubdtype(poses.dtype, np.floating) else np.float32
    p = poses.astype(np.float64)
    p = p - p[..., [L_HIP, R_HIP], :].mean(axis=-2, keepdims=True)
    hip = p[..., L_HIP, :] - p[..., R_HIP, :]  # [..., 3]
    yaw = np.rad2deg(np.arctan2(hip[..., 2], hip[..., 0]))  # [...]
    R = rot_y(yaw)  # [..., 3, 3]
    return np.einsum('...ij,...kj->...ki', R, p).astype(dtype)


def rotation_matrices(yaw: np.ndarray, tilt_x: np.ndarray, tilt_z: np.ndarray) -> np.ndarray:
    """Camera rotations ``R = Rz(tilt_z) @ Rx(tilt_x) @ Ry(yaw)`` (camera coords = ``R @ world``).

    The yaw turns the person about the vertical axis, ``tilt_x`` is the camera's elevation
    (pitch) and ``tilt_z`` its roll.

    Args:
        yaw (np.ndarray): [N] degrees.
        tilt_x (np.ndarray): [N] degrees.
        tilt_z (np.ndarray): [N] degrees.

    Returns:
        np.ndarray: [N, 3, 3] float64 rotation matrices.
    """
    return rot_z(tilt_z) @ rot_x(tilt_x) @ rot_y(yaw)


def random_cameras(rng: Union[np.random.Generator, np.random.RandomState],
                   n: int,
                   yaw: Tuple[float, float] = (-180.0, 180.0),
                   tilt: Tuple[float, float] = (-30.0, 30.0)) -> np.ndarray:
    """Random orthographic camera rotations: yaw, elevation and roll drawn uniformly.

    Args:
        rng (np.random.Generator | np.random.RandomState): Source of randomness (the
            ``np.random`` module works too).
        n (int): Number of cameras.
        yaw (tuple[float, float]): Yaw range in degrees. Defaults to (-180, 180).
        tilt (tuple[float, float]): Range of both tilts (about x and z) in degrees.
            Defaults to (-30, 30).

    Returns:
        np.ndarray: [n, 3, 3] rotations.
    """
    angles = rng.uniform(0.0, 1.0, size=(3, n))  # [3, n]: yaw, tilt_x, tilt_z
    lo = np.array([yaw[0], tilt[0], tilt[0]], dtype=np.float64)[:, None]
    hi = np.array([yaw[1], tilt[1], tilt[1]], dtype=np.float64)[:, None]
    angles = lo + (hi - lo) * angles
    return rotation_matrices(angles[0], angles[1], angles[2])


def project_orthographic(poses: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Rotate poses into cameras and drop the depth: ``(u, v) = (x_cam, -y_cam)``.

    Args:
        poses (np.ndarray): [N, 13, 3] (or [13, 3] with ``R`` [3, 3]).
        R (np.ndarray): [N, 3, 3] camera rotations.

    Returns:
        np.ndarray: [N, 13, 2] float32 image coordinates (v grows downward).
    """
    cam = np.einsum('...ij,...kj->...ki', np.asarray(R, dtype=np.float64),
                    np.asarray(poses, dtype=np.float64))  # [N, 13, 3]
    uv = np.stack([cam[..., 0], -cam[..., 1]], axis=-1)  # [N, 13, 2]
    return uv.astype(np.float32)


def project_perspective(points: np.ndarray,
                        R: np.ndarray,
                        t: np.ndarray,
                        K: np.ndarray,
                        dist: Optional[np.ndarray] = None) -> np.ndarray:
    """Project world points through one calibrated (pinhole) camera with OpenCV.

    ``x_cam = R @ X + t`` (OpenCV camera axes: x right, y down, z forward), then
    :func:`cv2.projectPoints` with the intrinsic matrix ``K`` and the distortion coefficients
    ``dist`` = (k1, k2, p1, p2, k3) (OpenCV's Brown model; None or zeros: pinhole).

    Args:
        points (np.ndarray): [..., 3] world points (any leading shape).
        R (np.ndarray): [3, 3] world -> camera rotation.
        t (np.ndarray): [3] world -> camera translation.
        K (np.ndarray): [3, 3] intrinsic matrix (pixels).
        dist (np.ndarray, optional): [5] distortion coefficients. Defaults to None.

    Returns:
        np.ndarray: [..., 2] float32 pixel coordinates (v grows downward).
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[-1] != 3:
        raise ValueError(f'expected points [..., 3], got {list(pts.shape)}')
    flat = np.ascontiguousarray(pts.reshape(-1, 1, 3))
    if len(flat) == 0:
        return np.zeros(pts.shape[:-1] + (2, ), dtype=np.float32)
    rvec, _ = cv2.Rodrigues(np.asarray(R, dtype=np.float64))
    dist = np.zeros(5) if dist is None else np.asarray(dist, dtype=np.float64)
    uv, _ = cv2.projectPoints(flat, rvec, np.asarray(t, dtype=np.float64).reshape(3, 1),
                              np.asarray(K, dtype=np.float64), dist)
    return uv.reshape(pts.shape[:-1] + (2, )).astype(np.float32)


def mirror_3d(poses: np.ndarray) -> np.ndarray:
    """The mirror image of poses in the x = 0 plane: negate x and swap left and right joints.

    For a camera ``R``, the projection of the mirrored pose through ``M R M``
    (``M = diag(-1, 1, 1)``; yaw and roll negated) is the horizontal flip of the projection
    of the pose through ``R``. A canonical pose stays canonical.

    Args:
        poses (np.ndarray): [..., 13, 3].

    Returns:
        np.ndarray: [..., 13, 3] mirrored poses.
    """
    out = _check(poses)[..., KEPT_FLIP_INDICES, :].copy()
    out[..., 0] = -out[..., 0]
    return out


def bone_directions(poses: np.ndarray) -> np.ndarray:
    """Unit vectors of the ``LIFT_BONES`` (zero for a zero-length bone).

    Args:
        poses (np.ndarray): [..., 13, 3].

    Returns:
        np.ndarray: [..., 14, 3] float32.
    """
    p = _with_virtual(_check(poses).astype(np.float64))  # [..., 15, 3]
    parents = [a for a, _ in LIFT_BONES]
    children = [b for _, b in LIFT_BONES]
    return _unit(p[..., children, :] - p[..., parents, :]).astype(np.float32)


def max_bone_angle(dirs_a: np.ndarray, dirs_b: np.ndarray) -> np.ndarray:
    """The largest angle between corresponding bones of two poses, in degrees.

    Bones of zero length (zero direction) in either pose are ignored.

    Args:
        dirs_a (np.ndarray): [..., B, 3] unit bone vectors (:func:`bone_directions`).
        dirs_b (np.ndarray): [..., B, 3], broadcastable with ``dirs_a``.

    Returns:
        np.ndarray: [...] degrees in [0, 180] (0 where no bone is valid).
    """
    a = np.asarray(dirs_a, dtype=np.float64)
    b = np.asarray(dirs_b, dtype=np.float64)
    dot = np.clip((a * b).sum(-1), -1.0, 1.0)  # [..., B]
    valid = ((a * a).sum(-1) > 0.25) & ((b * b).sum(-1) > 0.25)
    ang = np.where(valid, np.rad2deg(np.arccos(dot)), 0.0)
    return ang.max(axis=-1)


def lifting_targets(poses: np.ndarray) -> np.ndarray:
    """The 3D-lifting targets of VIPE*'s auxiliary decoder.

    Layout (``LIFT_DIM`` = 95 values):

    * ``[0, 42)``: per bone of ``LIFT_BONES`` the unit bone vector, [14, 3] flattened;
    * ``[42, 56)``: per bone the normalised parent angle, as the VPD authors': the angle
      between the bone and its parent bone divided by pi, minus 0.5, in [-0.5, 0.5]
      (a straight continuation -0.5, a right angle 0, a fold back 0.5); for the three bones
      leaving the root (no parent bone) the angle between the bone and +y, likewise;
    * ``[56, 95)``: per kept joint the unit root-to-joint vector, [13, 3] flattened.

    Poses are expected canonical (:func:`canonicalize`). Degenerate (zero) vectors give zero
    unit vectors and an angle of 0.

    Args:
        poses (np.ndarray): [..., 13, 3].

    Returns:
        np.ndarray: [..., 95] float32.
    """
    p = _with_virtual(_check(poses).astype(np.float64))  # [..., 15, 3]
    bones = _unit(p[..., [b for _, b in LIFT_BONES], :] - p[..., [a for a, _ in LIFT_BONES], :])
    parents = np.array(LIFT_PARENTS)
    up = np.broadcast_to(np.array([0.0, 1.0, 0.0]), bones.shape)
    ref = np.where((parents < 0)[:, None], up, bones[..., np.maximum(parents, 0), :])
    cos = np.clip((bones * ref).sum(-1), -1.0, 1.0)  # [..., 14]
    angle = np.arccos(cos) / np.pi - 0.5  # [..., 14] in [-0.5, 0.5]; zero vectors: 0
    rel = _unit(p[..., :NUM_KEPT, :] - p[..., ROOT:ROOT + 1, :])  # [..., 13, 3]
    lead = bones.shape[:-2]
    out = np.concatenate(
        [bones.reshape(lead + (-1, )), angle,
         rel.reshape(lead + (-1, ))], axis=-1)
    return out.astype(np.float32)
