# Copyright (c) vpd_mm contributors. All rights reserved.
"""Tiny on-disk corpora in the layout of docs/data_layout.md, for the dataset tests."""
import os.path as osp

import cv2
import mmengine
import numpy as np

# A COCO-17 skeleton in image pixels: hips (11, 12) at (47, 60) and (53, 60), shoulders (5, 6)
# at (47, 52) and (53, 52): hip midpoint (50, 60), largest shoulder/hip distance
# |(47, 52) - (53, 60)| = 10, so the normalised pose is ((x - 50) * 0.05, (y - 60) * 0.05).
SKELETON = np.array(
    [
        [50, 46],
        [49, 45],
        [51, 45],
        [48, 46],
        [52, 46],  # nose, eyes, ears
        [47, 52],
        [53, 52],
        [44, 56],
        [56, 56],
        [42, 60],
        [58, 60],  # shoulders, elbows, wrists
        [47, 60],
        [53, 60],
        [46, 70],
        [54, 70],
        [45, 80],
        [55, 80]
    ],  # hips, knees, ankles
    dtype=np.float32)
ATHLETE_BOX = np.array([40, 40, 60, 84], dtype=np.float32)
CROP_BOX = np.array([26, 38, 74, 86], dtype=np.float32)  # square, side 48


def frame_pose(t: int) -> np.ndarray:
    """Frame t: the skeleton moved right by t px, its nose raised by t px."""
    kp = SKELETON.copy()
    kp[:, 0] += t
    kp[0, 1] -= t
    return kp


def frame_rgb(vid: int, t: int) -> tuple:
    """The constant colour of crop t of video vid (distinct per frame and video)."""
    return (20 + 30 * t, 200 - 25 * t, 40 + 60 * vid)


def frame_flow(t: int) -> tuple:
    """The constant quantised flow x, y of frame t."""
    return (100 + 5 * t, 160 - 5 * t)


def write_frames(root: str, name: str, vid: int, num: int, size: int = 16) -> str:
    """Write img/flow_x/flow_y JPEGs of constant colour for frames 1..num."""
    folder = osp.join(root, name)
    mmengine.mkdir_or_exist(folder)
    for t in range(num):
        rgb = np.zeros((size, size, 3), np.uint8) + np.array(frame_rgb(vid, t), np.uint8)
        cv2.imwrite(osp.join(folder, f'img_{t + 1:05d}.jpg'), rgb[..., ::-1].copy())
        for axis, value in zip('xy', frame_flow(t)):
            cv2.imwrite(
                osp.join(folder, f'flow_{axis}_{t + 1:05d}.jpg'),
                np.full((size, size), value, np.uint8))
    return folder


def make_annotation(name: str, scores: np.ndarray, nan_frames=(), num_joints: int = 17) -> dict:
    """An annotation of len(scores) frames; each frame's 17 joint scores equal scores[t]."""
    num = len(scores)
    kp = np.stack([frame_pose(t) for t in range(num)])  # [T, 17, 2]
    kp = np.concatenate([kp, kp[:, :num_joints - 17]], axis=1) if num_joints > 17 else kp
    kp[list(nan_frames)] = np.nan
    sc = np.repeat(np.asarray(scores, np.float32)[:, None], kp.shape[1], axis=1)
    return dict(
        frame_dir=name,
        total_frames=num,
        img_shape=(120, 160),
        original_shape=(120, 160),
        label=-1,
        keypoint=kp[None],
        keypoint_score=sc[None],
        athlete_box=np.repeat(ATHLETE_BOX[None], num, axis=0),
        crop_box=np.repeat(CROP_BOX[None], num, axis=0))


# Three videos of six frames (conf_thr 0.5):
#   vid_a: frame 2 low confidence              -> confident 0,1,3,4,5; with motion 1,4,5
#   vid_b: NaN keypoints at 0 and 3, frame 5 at exactly 0.5 -> confident 1,2,4,5; motion 2,5
#   vid_c: every frame low confidence          -> nothing
TOY_SCORES = dict(
    vid_a=([0.9, 0.8, 0.3, 0.9, 0.7, 0.6], ()),
    vid_b=([0.9, 0.9, 0.9, 0.9, 0.9, 0.5], (0, 3)),
    vid_c=([0.2, 0.4, 0.45, 0.1, 0.3, 0.49], ()),
)


def write_corpus(root: str,
                 videos: dict = None,
                 with_frames: bool = True,
                 as_list: bool = False,
                 split: dict = None) -> dict:
    """Write a corpus; returns the dataset arguments (ann_file, data_prefix)."""
    videos = TOY_SCORES if videos is None else videos
    anns = []
    for vid, (name, (scores, nan_frames)) in enumerate(sorted(videos.items())):
        anns.append(make_annotation(name, scores, nan_frames))
        if with_frames:
            write_frames(osp.join(root, 'rawframes'), name, vid, len(scores))
    ann_file = osp.join(root, 'annotations', 'toy_pose.pkl')
    mmengine.mkdir_or_exist(osp.dirname(ann_file))
    mmengine.dump(anns if as_list else dict(split=split or {}, annotations=anns), ann_file)
    return dict(ann_file=ann_file, data_prefix=dict(img=osp.join(root, 'rawframes')))
