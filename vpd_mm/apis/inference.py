# Copyright (c) vpd_mm contributors. All rights reserved.
"""One video in, features, gallery neighbours and an annotated video out (``demo/vpd_demo.py``).

:func:`run_video_inference` chains the parts the rest of the package already has:

1. :func:`prepare_single_video`: the preparation config's stages (``build_preparer``: detector,
   tracker, athlete selector, teacher, crops, flow) on the video, decoded chunk by chunk in two
   passes (:class:`~vpd_mm.preparation.VideoPreparer`), written in the layout of
   ``docs/data_layout.md``: ``OUT/rawframes/<name>/`` and ``OUT/annotations/<name>_pose.pkl``;
2. :func:`init_student` + :func:`extract_student_outputs`: the student built from its config
   (mmaction's ``init_recognizer``), its weights loaded weights-only
   (:func:`load_checkpoint_weights`), run on every frame through the config's test pipeline and
   ``model.test_step`` -> ``OUT/features/<name>.npy`` [T, V, d] (V = 2: as is, flipped) and,
   for a 2D-VPD student, ``OUT/poses/<name>.npy`` [T, 1, 26] (its decoded pose);
3. :func:`gallery_neighbours`: the nearest labelled actions of a gallery (a feature folder and
   its action annotations) by DTW alignment cost
   (:func:`vpd_mm.ops.dtw_cost_matrix`) -> ``OUT/<name>_neighbours.json``;
4. :func:`vpd_mm.visualization.render_annotated_video` -> ``OUT/<name>_vis.mp4``.

Every file is written under a temporary name and renamed; the frame folder is filled as
``rawframes/.tmp_<name>`` and renamed when complete. Errors about the input (a missing,
corrupt or unreadable video, no athlete, no confident frame, a bad checkpoint or gallery)
raise :class:`VideoInferenceError` naming the file.
"""
import os.path as osp
import time
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from vpd_mm.utils.io import dump_json_atomic
from .inference_gallery import gallery_neighbours, sliding_windows
from .inference_student import (ConfigLike, decodes_pose2d, extract_student_outputs, init_student,
                                write_feature_array)
from .inference_video import (VideoInferenceError, check_video, load_prep_config,
                              prepare_single_video, video_name)


def run_video_inference(video: str,
                        student_config: ConfigLike,
                        student_checkpoint: Optional[str],
                        out_dir: str,
                        prep_config: ConfigLike,
                        gallery: Optional[Tuple[str, str]] = None,
                        device: str = 'cpu',
                        name: Optional[str] = None,
                        prep_cfg_options: Optional[dict] = None,
                        cfg_options: Optional[dict] = None,
                        batch_size: int = 64,
                        top_k: int = 5,
                        query_ranges: Optional[Sequence[Tuple[int, int]]] = None,
                        window: Optional[int] = None,
                        stride: Optional[int] = None,
                        gallery_splits: Optional[Sequence[str]] = None,
                        step_pattern: Optional[str] = None,
                        render: bool = True,
                        progress: bool = True) -> dict:
    """Preparation, student, gallery and annotated video of one video (module docstring).

    The student and the gallery are checked before the video is prepared, so a bad
    checkpoint or gallery fails in seconds.

    Args:
        video (str): Video file.
        student_config (str | Config): Student config (``configs/vpd/*.py``).
        student_checkpoint (str, optional): Its weights (path or URL); None: the config's
            initial weights (for tests only).
        out_dir (str): Output folder (see :func:`prepare_single_video` and the module
            docstring).
        prep_config (str | Config): Preparation config (``configs/preparation/*.py``).
        gallery (tuple[str, str], optional): ``(feature_dir, ann_file)`` of labelled actions
            embedded by the same student. Defaults to None (no lookup).
        device (str): Device of the detector, the teacher and the student. Defaults to 'cpu'.
        name (str, optional): Output name. Defaults to the video file's stem.
        prep_cfg_options (dict, optional): Overrides of the preparation config.
        cfg_options (dict, optional): Overrides of the student config.
        batch_size (int): Student frames per forward pass. Defaults to 64.
        top_k (int): Gallery neighbours per query. Defaults to 5.
        query_ranges (Sequence[tuple[int, int]], optional): Frame ranges to look up. Defaults
            to the whole video (or the windows).
        window (int, optional): Look up sliding windows of this many frames instead.
        stride (int, optional): Their stride. Defaults to ``window // 2``.
        gallery_splits (Sequence[str], optional): Gallery splits. Defaults to all.
        step_pattern (str, optional): DTW step pattern. Defaults to the DTW default.
        render (bool): Write the annotated video. Defaults to True.
        progress (bool): Progress bars. Defaults to True.

    Returns:
        dict: The summary also written to ``OUT/<name>_summary.json``: ``video``, ``name``,
        ``frames``, ``info``, ``files``, ``seconds`` per step, ``stages`` (preparation),
        ``neighbours`` (with a gallery) and ``student_pose`` (whether a pose was decoded).
    """
    from vpd_mm.visualization import STATE_NAMES, render_annotated_video, teacher_views

    seconds: Dict[str, float] = {}
    name = video_name(video, name)
    pcfg = load_prep_config(prep_config, device, prep_cfg_options)
    check_video(video, pcfg.get('video_backend', 'decord'))
    if gallery is not None:
        for path in gallery:
            if not osp.exists(path):
                raise VideoInferenceError(f'gallery {path} does not exist')
    if query_ranges and window:
        raise ValueError('give query ranges or a window, not both')

    t0 = time.perf_counter()
    model, pipeline, scfg = init_student(student_config, student_checkpoint, device, cfg_options)
    seconds['student_init'] = time.perf_counter() - t0

    t0 = time.perf_counter()
    prepared = prepare_single_video(video, pcfg, out_dir, name, progress)
    seconds['prepare'] = time.perf_counter() - t0
    ann = prepared['annotation']
    num = int(ann['total_frames'])
    states = teacher_views(ann, prepared['options']['conf_thr'])['states']  # [T]

    t0 = time.perf_counter()
    outputs = extract_student_outputs(model, pipeline, prepared['frame_dir'], num, name,
                                      batch_size, progress)
    seconds['student'] = time.perf_counter() - t0
    files = dict(frames=prepared['frame_dir'], pose_pkl=prepared['pose_pkl'])
    files['features'] = write_feature_array(osp.join(out_dir, 'features'), name,
                                            outputs['features'], 'pred_feature')
    poses = outputs['poses']
    pose2d = poses is not None and decodes_pose2d(scfg, poses.shape[-1])
    if poses is not None:
        files['poses'] = write_feature_array(osp.join(out_dir, 'poses'), name, poses[:, None],
                                             'pred_pose')

    neighbours = None
    if gallery is not None:
        t0 = time.perf_counter()
        ranges = sliding_windows(num, window, stride) if window else query_ranges
        neighbours = gallery_neighbours(outputs['features'], gallery[1], gallery[0], ranges,
                                        top_k, gallery_splits, step_pattern)
        neighbours['video'] = name
        files['neighbours'] = osp.join(out_dir, f'{name}_neighbours.json')
        dump_json_atomic(neighbours, files['neighbours'], indent=1)
        seconds['gallery'] = time.perf_counter() - t0

    if render:
        t0 = time.perf_counter()
        opts = prepared['options']
        files['video'] = osp.join(out_dir, f'{name}_vis.mp4')
        render_annotated_video(
            video, ann, files['video'], crop_dir=prepared['frame_dir'],
            student_poses=poses if pose2d else None, track_rows=prepared['track_rows'],
            athlete_ids=prepared['athlete_ids'], conf_thr=opts['conf_thr'], fps=opts['fps'],
            sampling=opts['sampling'], chunk_size=opts['chunk_size'], backend=opts['backend'],
            allow_truncated=opts['allow_truncated'], progress=progress)
        seconds['render'] = time.perf_counter() - t0

    files['summary'] = osp.join(out_dir, f'{name}_summary.json')
    summary = dict(
        video=video,
        name=name,
        frames=num,
        fps=ann.get('fps'),
        info=prepared['info'],
        feature_shape=list(outputs['features'].shape),
        student_pose=bool(pose2d),
        tracks=int(len(np.unique(prepared['track_rows'][:, 1]))),
        athlete_track_ids=sorted(prepared['athlete_ids']),
        frame_states={STATE_NAMES[s]: int((states == s).sum()) for s in sorted(STATE_NAMES)},
        files=files,
        seconds={k: round(v, 3) for k, v in seconds.items()},
        stages=prepared['stages'],
        neighbours=None if neighbours is None else neighbours['queries'])
    dump_json_atomic(summary, files['summary'], indent=1)
    return summary
