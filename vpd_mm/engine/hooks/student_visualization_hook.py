# Copyright (c) vpd_mm contributors. All rights reserved.
"""Pictures of a VPD student's test frames: ``tools/test.py --show-dir/--show``."""
import math
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from vpd_mm.utils.paths import check_path_component


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@HOOKS.register_module()
class StudentVisualizationHook(Hook):
    """Draw every ``interval``-th test frame of a VPD student (mmaction2's ``VisualizationHook``
    semantics, for distillation samples instead of labelled videos).

    A picture is, side by side: the RGB crop the student saw, its flow (colour wheel) when the
    input has flow channels, and the teacher's target pose (thin, coloured by nothing: the
    target holds no scores) under the student's decoded pose (thick) when the pose has 26
    values (13 joints; other targets: the crop and flow only). The title line holds the
    frame's squared error of the pose.

    Args:
        interval (int): Draw test samples 0, interval, 2 * interval, ... Defaults to 1.
        out_dir (str, optional): Write ``<out_dir>/<video>_<frame:05d>.jpg``. Defaults to None.
        show (bool): Show each picture through mmengine's visualizer (a window where a GUI
            backend of matplotlib exists). Defaults to False.
        wait_time (float): Seconds each shown picture stays. Defaults to 2.
        panel (int): Side of each panel in pixels. Defaults to 160.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 1,
                 out_dir: Optional[str] = None,
                 show: bool = False,
                 wait_time: float = 2.0,
                 panel: int = 160) -> None:
        if int(interval) < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval, self.out_dir, self.show = int(interval), out_dir, bool(show)
        self.wait_time, self.panel = float(wait_time), int(panel)
        self.drawn = []  # paths written (or names shown), in order

    def draw(self, inputs: torch.Tensor, sample) -> np.ndarray:
        """The picture of one sample.

        Args:
            inputs (torch.Tensor): The packed input, uint8 [C, H, W]: RGB in channels 0-2, the
                quantised flow (x, y; 128 = no motion) in channels 3-4 when present.
            sample (ActionDataSample): With ``pred_pose`` [d] and (with targets) ``pose_target``
                [d].

        Returns:
            np.ndarray: [panel, k * panel, 3] uint8 BGR.
        """
        # imported when a picture is drawn, not when vpd_mm registers the hook: the drawing
        # code would add about 0.7 s to every `import vpd_mm`
        from vpd_mm.visualization import pose_panel, quantized_flow_to_rgb
        img = _numpy(inputs)
        size = (self.panel, self.panel)
        tiles = [cv2.resize(np.ascontiguousarray(img[2::-1].transpose(1, 2, 0)), size,
                            interpolation=cv2.INTER_NEAREST)]
        if img.shape[0] >= 5:
            flow, _ = quantized_flow_to_rgb(img[3], img[4])  # RGB
            tiles.append(cv2.resize(np.ascontiguousarray(flow[..., ::-1]), size,
                                    interpolation=cv2.INTER_NEAREST))
        pred = _numpy(sample.pred_pose).astype(np.float64).reshape(-1)
        target = (_numpy(sample.pose_target).astype(np.float64).reshape(-1)
                  if 'pose_target' in sample else None)
        if pred.size == 26:
            tiles.append(pose_panel(self.panel, student_pose=pred, teacher_pose=target))
        picture = np.concatenate(tiles, axis=1)
        if target is not None and target.shape == pred.shape:
            err = float(np.mean((pred - target)**2))
            cv2.putText(picture, f'pose mse {err:.4f}', (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                        (255, 255, 255), 1, cv2.LINE_AA)
        return picture

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: dict,
                        outputs: Sequence) -> None:
        """Draw the batch's samples whose running index is a multiple of ``interval``."""
        from vpd_mm.visualization import save_image
        batch_size = len(outputs)
        start = batch_size * batch_idx
        first = math.ceil(start / self.interval) * self.interval
        for k in range(first, start + batch_size, self.interval):
            sample = outputs[k - start]
            frame_dir = str(sample.metainfo.get('frame_dir', 'sample')).rstrip('/')
            video = check_path_component(osp.basename(frame_dir), 'video name', frame_dir)
            name = f"{video}_{int(sample.metainfo.get('frame_idx', k)):05d}"
            picture = self.draw(data_batch['inputs'][k - start], sample)
            if self.out_dir is not None:
                self.drawn.append(save_image(picture, osp.join(self.out_dir, name + '.jpg')))
            if self.show:
                Visualizer.get_current_instance().show(
                    picture[..., ::-1], win_name=name, wait_time=self.wait_time)
                if self.out_dir is None:
                    self.drawn.append(name)
