# Copyright (c) vpd_mm contributors. All rights reserved.
"""The 2D-joint teacher as features: normalised COCO-17 poses of a PoseDataset pkl, per video."""
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from tqdm import tqdm

from vpd_mm.codecs import NUM_KEYPOINTS, PoseNormalizer
from vpd_mm.datasets.features import dump_action_annotations
from vpd_mm.datasets.pose_annotations import athlete_track, load_pose_annotations
from vpd_mm.utils.io import (SOURCE_FILE, FileFormatError, claim_output_folder, dump_json_atomic,
                             file_sha256, load_json, save_npy_atomic, sweep_temporaries)
from vpd_mm.utils.paths import join_under

INDEX_FILE = 'features.json'


def pose_feature_views(keypoint: np.ndarray, normalizer: Optional[PoseNormalizer] = None
                       ) -> np.ndarray:
    """Normalised 2D joints of both flip views.

    Args:
        keypoint (np.ndarray): [T, 17, 2] image coordinates (NaN where there is no pose).
        normalizer (PoseNormalizer, optional): Defaults to ``PoseNormalizer()``.

    Returns:
        np.ndarray: float32 [T, 2, 26]: view 0 the pose as is, view 1 horizontally flipped;
        all-NaN rows for frames with a non-finite keypoint.
    """
    kp = np.asarray(keypoint, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1:] != (NUM_KEYPOINTS, 2):
        raise ValueError(f'keypoints must be [T, {NUM_KEYPOINTS}, 2], got {list(kp.shape)}')
    valid = np.isfinite(kp).all(axis=(1, 2))  # [T]
    normalizer = normalizer or PoseNormalizer()
    out = np.full((len(kp), 2, normalizer.dim), np.nan, dtype=np.float32)
    if valid.any():
        out[valid] = normalizer.encode_views(kp[valid])  # [T', 2, 26]
    return out


def feature_paths(anns: List[dict], ann_file: str, out_dir: str) -> List[str]:
    """``<out_dir>/<frame_dir>.npy`` of every annotation, each ``frame_dir`` checked to be a
    plain file name (:func:`vpd_mm.utils.paths.join_under`) before anything is written.

    Raises:
        ValueError: an annotation without ``frame_dir``;
            :class:`vpd_mm.utils.paths.UnsafePathError` (a ValueError) naming the file, the
            annotation and the name, for one that would leave ``out_dir``.
    """
    paths = []
    for i, ann in enumerate(anns):
        if 'frame_dir' not in ann:
            raise FileFormatError(ann_file, f'annotation #{i} has no frame_dir')
        paths.append(join_under(out_dir, ann['frame_dir'], what='frame_dir',
                                where=f'{ann_file}: annotation #{i}', suffix='.npy'))
    return paths


def index_has_key(out_dir: str, key: str) -> bool:
    """Whether ``out_dir``'s index file (``features.json``, ``embeddings.json``) is a JSON
    object with ``key``: one that :func:`write_pose_features` (``keypoint_key``) or
    ``embed_pose_dataset`` (``vertical_flip``) wrote before folders recorded their source."""
    for name in (INDEX_FILE, 'embeddings.json'):
        try:
            index = load_json(osp.join(out_dir, name), 'feature index')
        except (OSError, ValueError):
            continue
        if isinstance(index, dict) and key in index:
            return True
    return False


def write_pose_features(ann_file: str,
                        out_dir: str,
                        keypoint_key: str = 'keypoint',
                        overwrite: bool = False,
                        progress: bool = True) -> Dict:
    """Write ``<out_dir>/<frame_dir>.npy`` [T, 2, 26] for every video of a pose pkl.

    The features are :func:`pose_feature_views` of the annotation's ``keypoint_key``
    (``'keypoint'``: the teacher; ``'gt_keypoint'``: ground-truth joints, an upper reference),
    in the feature format of ``docs/data_layout.md``, plus ``<out_dir>/features.json`` (``dim``,
    ``views``, ``keypoint_key``, ``videos``: lengths). Files are written atomically; existing
    ones are kept unless ``overwrite`` or unless ``<out_dir>/source.json`` says they were made
    from another pose file or key (:func:`vpd_mm.utils.io.claim_output_folder`: then all are
    computed again); a folder of other files (e.g. a student's features) is refused unless
    ``overwrite``; temporaries of a killed run are swept
    (:func:`vpd_mm.utils.io.sweep_temporaries`). Every ``frame_dir`` must be a plain file name
    (:func:`feature_paths`).

    Returns:
        dict: ``out_dir``, ``dim``, ``num_videos``, ``num_written``, ``num_skipped``,
        ``num_frames_without_pose`` (of the written videos).
    """
    anns = load_pose_annotations(ann_file)['annotations']
    paths = feature_paths(anns, ann_file, out_dir)
    os.makedirs(out_dir, exist_ok=True)
    sweep_temporaries(out_dir, {osp.basename(p) for p in paths} | {INDEX_FILE, SOURCE_FILE})
    source = dict(kind='pose features', ann_file_sha256=file_sha256(ann_file),
                  keypoint_key=keypoint_key, dim=PoseNormalizer.dim)
    overwrite = not claim_output_folder(out_dir, source, paths, overwrite,
                                        own_index=lambda d: index_has_key(d, 'keypoint_key'))
    normalizer = PoseNormalizer()
    lengths, written, skipped, no_pose = {}, 0, 0, 0
    for ann, path in tqdm(
            zip(anns, paths), total=len(anns), desc='pose features', unit='video',
            disable=not progress):
        name = ann['frame_dir']
        kp, _ = athlete_track(ann, ann_file, keypoint_key, score_key=None)  # [T, 17, 2]
        if osp.exists(path) and not overwrite:
            skipped += 1
        else:
            feats = pose_feature_views(kp, normalizer)
            save_npy_atomic(path, feats)
            written += 1
            no_pose += int(np.isnan(feats[:, 0, 0]).sum())
        lengths[name] = int(len(kp))
    dump_json_atomic(
        dict(
            dim=normalizer.dim,
            views=2,
            keypoint_key=keypoint_key,
            layout='[T, 2, 26] float32 normalised COCO-17 joints (nose + 5..16): view 0 as is, '
            'view 1 horizontally flipped; NaN rows without a pose',
            videos=lengths),
        osp.join(out_dir, INDEX_FILE),
        indent=1)
    return dict(
        out_dir=out_dir,
        dim=normalizer.dim,
        num_videos=len(lengths),
        num_written=written,
        num_skipped=skipped,
        num_frames_without_pose=no_pose)


def pose_class_names(ann_file: str, anns: List[dict], num_classes: int) -> Optional[List[str]]:
    """The class names of a pose pkl's labels, where the corpus records them; else None.

    Looked for, in this order:

    1. ``class_name`` strings in the annotations (one name per label; ``make_toy_corpus``
       writes them);
    2. the ``corpus.json`` of a generated corpus in the folder above the pkl's
       (``<root>/corpus.json`` for ``<root>/annotations/<name>.pkl``): its ``classes`` list
       (``make_sports_corpus``).

    Names that do not cover every label (fewer than ``num_classes``) are not used.

    Raises:
        ValueError: naming the file and the videos, when the annotations give one label two
            names or a ``class_name`` that is not a string.
    """
    by_label: Dict[int, str] = {}
    where: Dict[int, str] = {}
    for ann in anns:
        if 'class_name' not in ann or int(ann.get('label', -1)) < 0:
            continue
        label, name = int(ann['label']), ann['class_name']
        if not isinstance(name, str) or not name:
            raise ValueError(f"{ann_file}: video {ann['frame_dir']!r}: class_name must be a "
                             f'non-empty string, got {name!r:.80}')
        if by_label.setdefault(label, name) != name:
            raise ValueError(f"{ann_file}: label {label} is named {by_label[label]!r} (video "
                             f"{where[label]!r}) and {name!r} (video {ann['frame_dir']!r})")
        where.setdefault(label, ann['frame_dir'])
    if by_label and sorted(by_label) == list(range(num_classes)):
        return [by_label[i] for i in range(num_classes)]
    corpus = osp.join(osp.dirname(osp.dirname(osp.abspath(ann_file))), 'corpus.json')
    if osp.isfile(corpus):
        from vpd_mm.utils.io import load_json
        try:
            meta = load_json(corpus, 'corpus description')
        except ValueError:  # not a generated corpus's file: not a source of names
            meta = None
        names = meta.get('classes') if isinstance(meta, dict) else None
        if (isinstance(names, list) and all(isinstance(n, str) for n in names)
                and len(names) >= num_classes):
            return list(names)
    return None


def write_video_actions(ann_file: str,
                        out_file: str,
                        dataset: str = 'toy',
                        classes: Optional[List[str]] = None,
                        fps: float = 25.0) -> dict:
    """An action annotation file with one action per video (trimmed clips) from a pose pkl.

    Each video becomes the action ``<frame_dir>`` spanning all its frames, with the pkl's
    ``label`` and split ``test`` if the video is in the pkl's ``split['test']`` list, else
    ``train``. Useful for the toy corpus (``vpd_mm.synthetic.make_toy_corpus``). The class
    names are ``classes`` if given, else those the corpus records (:func:`pose_class_names`:
    the toy corpus's ``jumping_jacks``, ``somersault``, ...), else ``class 0``, ``class 1``...

    Raises:
        ValueError: naming ``ann_file``, when ``classes`` has fewer names than the labels
            need (the largest label + 1) or repeats a name.

    Returns:
        dict: The written annotations.
    """
    data = load_pose_annotations(ann_file)
    test = set((data.get('split') or {}).get('test', []))
    anns = data['annotations']
    feature_paths(anns, ann_file, osp.dirname(osp.abspath(out_file)))  # names are file names
    num_classes = max([int(a.get('label', -1)) for a in anns] + [-1]) + 1
    if classes:
        classes = [str(c) for c in classes]
        if len(classes) < num_classes:
            raise FileFormatError(ann_file, f'labels go up to {num_classes - 1}, so {num_classes} '
                                  f'class names are needed, got {len(classes)}: {classes}')
    else:
        classes = (pose_class_names(ann_file, anns, num_classes)
                   or [f'class {i}' for i in range(num_classes)])
    if len(set(classes)) != len(classes):
        raise FileFormatError(ann_file, f'class names must be distinct, got {classes}')
    videos, actions = {}, []
    for ann in anns:
        name = str(ann['frame_dir'])
        split = 'test' if name in test else 'train'
        num = int(ann['total_frames'])
        videos[name] = dict(fps=float(fps), num_frames=num, split=split)
        actions.append(
            dict(id=name, video=name, start_frame=0, end_frame=num,
                 label=int(ann.get('label', -1)), split=split))
    out = dict(dataset=dataset, classes=list(classes), videos=videos, actions=actions)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    dump_action_annotations(out, out_file)
    return out
