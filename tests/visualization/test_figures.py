# Copyright (c) vpd_mm contributors. All rights reserved.
"""The figures of the picture tools built from hand-made inputs, saved atomically."""
import os

import cv2
import numpy as np
import pytest

from vpd_mm.codecs import FlowQuantizer
from vpd_mm.visualization import (action_frames, confusion_matrix_figure, contact_sheet,
                                  even_frames, pose_distance, retrieval_strip, save_figure,
                                  save_image, select_preview_frames, track_preview)
from vpd_mm.visualization.track_preview import _runs


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.texts]
    return '\n'.join(out)


def test_small_helpers():
    assert even_frames(10, 4).tolist() == [0, 3, 6, 9]
    assert even_frames(3, 8).tolist() == [0, 1, 2]
    s = np.zeros((2, 26))
    t = np.zeros((2, 26))
    t[0, 0::2] = 0.3  # every joint 0.3 away in x
    t[0, 1::2] = 0.4  # and 0.4 in y: 0.5
    t[1] = np.nan
    d = pose_distance(s, t)
    assert d[0] == pytest.approx(0.5) and np.isnan(d[1])
    assert _runs(np.array([1, 2, 3, 7, 9, 10])) == [(1, 3), (7, 1), (9, 2)]
    boxes = np.full((20, 4), np.nan)
    boxes[5:16] = 1
    assert select_preview_frames(20, boxes, 3) == [5, 10, 15]  # over the athlete's span
    assert select_preview_frames(20, boxes, frames=[4, 2, 4]) == [2, 4]
    with pytest.raises(ValueError, match='outside'):
        select_preview_frames(20, boxes, frames=[25])


def _frame_dir(root, T=6, size=32):
    q = FlowQuantizer(20.0)
    os.makedirs(root)
    for t in range(1, T + 1):
        cv2.imwrite(str(root / f'img_{t:05d}.jpg'), np.full((size, size, 3), 20 * t, np.uint8))
        flow = q.encode(np.full((size, size, 2), float(t), np.float32))
        cv2.imwrite(str(root / f'flow_x_{t:05d}.jpg'), flow[..., 0])
        cv2.imwrite(str(root / f'flow_y_{t:05d}.jpg'), flow[..., 1])


def _annotation(T=6):
    kp = np.zeros((1, T, 17, 2), np.float32)
    kp[0, :, :, 0] = np.linspace(40, 60, 17)
    kp[0, :, :, 1] = np.linspace(20, 80, 17)
    sc = np.full((1, T, 17), 0.9, np.float32)
    sc[0, 4] = 0.1
    kp[0, 5] = np.nan
    box = np.tile(np.array([[30, 10, 70, 90]], np.float32), (T, 1))
    return dict(keypoint=kp, keypoint_score=sc, crop_box=box, athlete_box=box, total_frames=T,
                img_shape=(100, 100))


def test_contact_sheet(tmp_path):
    _frame_dir(tmp_path / 'v')
    ann = _annotation()
    poses = np.zeros((6, 26), np.float32)
    fig = contact_sheet(str(tmp_path / 'v'), ann, num_frames=3, student_poses=poses, tile=48)
    text = _texts(fig)
    assert 'v: 6 frames, 4 confident (>= 0.5)' in text
    assert 'confident 4, unconfident 1, no pose 1' in text
    # 0-based frame labels, as the tools' --frames: frames 0, 2 (or 3) and 5
    assert 't=0\n0.90' in text and 't=5\nno pose' in text and 't=6\n' not in text
    fig = contact_sheet(str(tmp_path / 'v'), ann, frames=[0, 4], tile=48)
    text = _texts(fig)
    assert 't=0\n0.90' in text and 't=4\n0.10' in text
    timeline = fig.axes[-1]
    assert timeline.get_xlim() == (-0.5, 5.5)
    assert sorted(line.get_xdata()[0] for line in timeline.get_lines()[1:]
                  if line.get_xdata()[0] == line.get_xdata()[1]) == [0, 4]  # the frame markers
    fig = contact_sheet(str(tmp_path / 'v'), ann, num_frames=3, student_poses=poses, tile=48)
    # 3 rows x 3 frames + the plot + its twin axis (the student's distance)
    assert len(fig.axes) == 3 * 3 + 2
    out = save_figure(fig, str(tmp_path / 'pics' / 'sheet.png'))
    assert cv2.imread(out) is not None and os.listdir(tmp_path / 'pics') == ['sheet.png']
    with pytest.raises(ValueError, match='outside'):
        contact_sheet(str(tmp_path / 'v'), ann, frames=[6])
    os.remove(tmp_path / 'v' / 'flow_x_00006.jpg')
    with pytest.raises(FileNotFoundError, match='flow_x_00006.jpg'):
        contact_sheet(str(tmp_path / 'v'), ann, frames=[5])


def test_track_preview():
    T = 10
    rows = np.array([[t, 1, 10, 10, 30, 60, 0.9] for t in range(0, 6)] +
                    [[t, 4, 50, 10, 70, 60, 0.8] for t in range(3, 10)], np.float64)
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    boxes = np.tile(np.array([[10, 10, 30, 60]], np.float64), (T, 1))
    interp = np.zeros(T, bool)
    interp[6] = True
    frames = {t: np.zeros((80, 100, 3), np.uint8) for t in (0, 5)}
    fig = track_preview(frames, rows, boxes, interp, athlete_ids={1})
    text = _texts(fig)
    assert '2 tracks, athlete = tracks [1]' in text
    # 0-based frame labels, as the tools' --frames (frame 5 is the 6th: both tracks)
    assert 'frame 0: 1 tracked' in text and 'frame 5: 2 tracked' in text
    assert 'frame 6:' not in text
    timeline = fig.axes[-1]
    assert timeline.get_xlim() == (-0.5, 9.5)
    assert [t.get_text() for t in timeline.get_yticklabels()] == ['athlete', '#1*', '#4']


def test_retrieval_strip_and_action_frames(tmp_path):
    _frame_dir(tmp_path / 'v')
    crops = action_frames(str(tmp_path / 'v'), 1, 5, count=3, size=16)
    assert len(crops) == 3 and crops[0].shape == (16, 16, 3)
    # frames 1, 3, 4 (0-based) have grey levels 40, 80, 100 (JPEG: about)
    assert [int(round(c.mean() / 20)) for c in crops] == [2, 4, 5]
    fig = retrieval_strip(dict(frames=crops, text='query'),
                          [dict(frames=crops, text='hit 1', relevant=True),
                           dict(frames=crops[:2], text='hit 2', relevant=False)], title='t')
    assert len(fig.axes) == 3 + 3 + 2
    labels = [ax.yaxis.label for ax in fig.axes if ax.get_ylabel()]
    assert [(lb.get_text(), lb.get_color()) for lb in labels] == [
        ('query', 'k'), ('hit 1', 'tab:green'), ('hit 2', 'tab:red')]
    with pytest.raises(FileNotFoundError, match='img_00008.jpg'):
        action_frames(str(tmp_path / 'v'), 7, 9, count=2)


def test_confusion_matrix_figure(tmp_path):
    m = np.array([[3, 1, 0], [0, 2, 2], [0, 0, 4]])
    fig = confusion_matrix_figure(m, ['a', 'b', 'c'], title='run')
    text = _texts(fig)
    assert 'top-1 75.0% of 12 predictions' in text  # (3 + 2 + 4) / 12
    ax = fig.axes[0]
    cells = {t.get_text() for t in ax.texts}
    assert cells == {'3', '1', '2', '4'}  # zeros are not written
    assert [t.get_text() for t in ax.get_yticklabels()] == ['a (4)', 'b (4)', 'c (4)']
    shown = ax.images[0].get_array()
    assert shown[1, 2] == pytest.approx(0.5) and shown[2, 2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='for 2 classes'):
        confusion_matrix_figure(m, ['a', 'b'])
    path = save_image(np.zeros((4, 4, 3), np.uint8), str(tmp_path / 'x.png'))
    assert cv2.imread(path).shape == (4, 4, 3)
