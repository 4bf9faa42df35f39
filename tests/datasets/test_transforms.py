# Copyright (c) vpd_mm contributors. All rights reserved.
import copy
import os.path as osp
import struct
import zlib

import cv2
import numpy as np
import pytest
import torch
from mmaction.registry import TRANSFORMS
from toy_data import CROP_BOX, frame_flow, frame_rgb, write_frames

from vpd_mm.codecs import PoseNormalizer
from vpd_mm.datasets.transforms import (LoadVPDFrame, PackVPDInputs, VPDBackgroundNoise,
                                        VPDColorJitter, VPDRandomFlip, VPDRandomResizedCrop,
                                        VPDResize)
from vpd_mm.datasets.transforms.loading import MAX_FRAME_PIXELS, image_header_size


def test_load_reads_the_right_files(tmp_path):
    folder = write_frames(str(tmp_path), 'v', vid=1, num=4, size=16)
    load = TRANSFORMS.build(dict(type='LoadVPDFrame'))
    for t in (0, 3):
        out = load(dict(frame_path=folder, frame_idx=t))
        imgs = out['imgs']
        assert imgs.dtype == np.uint8 and imgs.shape == (16, 16, 5)
        assert out['img_shape'] == (16, 16) and out['flip'] is False
        assert out['flow_scale'] == (1.0, 1.0)
        np.testing.assert_allclose(imgs[..., :3].reshape(-1, 3).mean(0), frame_rgb(1, t), atol=2)
        np.testing.assert_allclose(imgs[..., 3:].reshape(-1, 2).mean(0), frame_flow(t), atol=1)
        # pixel for pixel: the RGB crop (OpenCV reads BGR), then flow x and y
        name = f'{t + 1:05d}.jpg'
        bgr = cv2.imread(osp.join(folder, 'img_' + name), cv2.IMREAD_COLOR)
        np.testing.assert_array_equal(imgs[..., :3], bgr[..., ::-1])
        for c, d in ((3, 'x'), (4, 'y')):
            flow = cv2.imread(osp.join(folder, f'flow_{d}_' + name), cv2.IMREAD_GRAYSCALE)
            np.testing.assert_array_equal(imgs[..., c], flow)
    rgb_only = LoadVPDFrame(with_flow=False)(dict(frame_path=folder, frame_idx=1))['imgs']
    assert rgb_only.shape == (16, 16, 3)
    np.testing.assert_allclose(rgb_only.reshape(-1, 3).mean(0), frame_rgb(1, 1), atol=2)


def test_load_bad_files(tmp_path):
    folder = write_frames(str(tmp_path), 'v', vid=0, num=3, size=16)
    load = LoadVPDFrame()
    with pytest.raises(FileNotFoundError, match=r'img_00004\.jpg'):
        load(dict(frame_path=folder, frame_idx=3))
    with open(osp.join(folder, 'flow_y_00002.jpg'), 'wb') as f:
        f.write(b'\x00garbage, not a jpeg' * 10)
    with pytest.raises(IOError, match=r'flow_y_00002\.jpg'):
        load(dict(frame_path=folder, frame_idx=1))
    cv2.imwrite(osp.join(folder, 'flow_x_00003.jpg'), np.zeros((8, 16), np.uint8))
    with pytest.raises(ValueError, match=r'flow_x_00003\.jpg.*img_00003\.jpg'):
        load(dict(frame_path=folder, frame_idx=2))


def _chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data +
            struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))


def _claiming(fmt, width, height):
    """A PNG, JPEG or BMP whose header claims ``width`` x ``height`` pixels, with no data."""
    if fmt == 'png':
        ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
        return (b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', ihdr) +
                _chunk(b'IDAT', zlib.compress(b'\0' * 100)) + _chunk(b'IEND', b''))
    if fmt == 'jpg':  # SOI, an APP0 segment, then SOF0 (3 components)
        app0 = b'\xff\xe0' + struct.pack('>H', 16) + b'JFIF\0\x01\x01\0\0\x01\0\x01\0\0'
        sof = struct.pack('>HBHHB', 17, 8, height, width, 3) + b'\x01\x11\0\x02\x11\0\x03\x11\0'
        return b'\xff\xd8' + app0 + b'\xff\xc0' + sof + b'\xff\xd9'
    dib = struct.pack('<IiiHHIIiiII', 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b'BM' + struct.pack('<IHHI', 70, 0, 0, 54) + dib + b'\0' * 16


@pytest.mark.parametrize('fmt,width,height', [('png', 20000, 20000), ('png', 40000, 40000),
                                              ('jpg', 30000, 30000), ('bmp', 40000, 40000)])
def test_load_refuses_a_header_claiming_a_huge_image(tmp_path, fmt, width, height):
    """A few bytes claiming a huge image: refused from the header naming the file, never
    allocated by OpenCV (20000 x 20000 was 1.2 GB) nor a bare cv2.error (above 2**30 pixels)."""
    folder = write_frames(str(tmp_path), 'v', vid=0, num=2, size=16)
    path = osp.join(folder, 'img_00002.jpg')
    with open(path, 'wb') as f:
        f.write(_claiming(fmt, width, height))
    with pytest.raises(IOError) as err:
        LoadVPDFrame(with_flow=False)(dict(frame_path=folder, frame_idx=1))
    if fmt == 'bmp':  # not a format whose header we read: OpenCV's own limit, with the file
        why = 'its header claims an image larger than OpenCV decodes (CV_IO_MAX_IMAGE_PIXELS)'
    else:
        why = (f'its header claims {width} x {height} pixels, more than a frame has '
               f'(MAX_FRAME_PIXELS = {MAX_FRAME_PIXELS})')
    assert str(err.value) == f'cannot decode image file {path}: {why}'


def test_image_header_size_of_encoded_frames():
    rng = np.random.default_rng(0)
    for shape in ((12, 20, 3), (7, 9)):
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        for ext, params in (('.jpg', []), ('.png', []),
                            ('.jpg', [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])):
            data = cv2.imencode(ext, img, params)[1].tobytes()
            assert image_header_size(data) == (shape[1], shape[0]), (ext, params)
    assert image_header_size(b'BM' + b'\0' * 60) is None
    assert image_header_size(b'\xff\xd8\xff\xe0\x00') is None  # truncated: the decoder judges


def test_flip_round_trip_and_targets(toy_sample):
    orig = copy.deepcopy(toy_sample)
    flip = TRANSFORMS.build(dict(type='VPDRandomFlip', prob=1.0))
    once = flip(copy.deepcopy(toy_sample))
    assert once['flip'] is True
    # pixels mirrored, flow x negated in storage (255 - q), flow y mirrored only
    np.testing.assert_array_equal(once['imgs'][..., :3], orig['imgs'][:, ::-1, :3])
    np.testing.assert_array_equal(once['imgs'][..., 3], 255 - orig['imgs'][:, ::-1, 3])
    np.testing.assert_array_equal(once['imgs'][..., 4], orig['imgs'][:, ::-1, 4])
    # the views swap
    np.testing.assert_array_equal(once['pose_target'], orig['pose_target'][::-1])
    np.testing.assert_array_equal(once['prev_pose_target'], orig['prev_pose_target'][::-1])
    # view 0 of the flipped sample is the target of the flipped keypoints
    enc = PoseNormalizer()
    np.testing.assert_allclose(once['pose_target'][0], enc.encode(once['keypoint']), atol=1e-5)
    np.testing.assert_allclose(
        once['pose_target'][0], enc.encode(PoseNormalizer.flip(orig['keypoint'])), atol=1e-5)
    # keypoints mirrored about the crop box's centre line, left/right swapped
    pivot = CROP_BOX[0] + CROP_BOX[2]
    np.testing.assert_allclose(
        once['keypoint'][6], [pivot - orig['keypoint'][5, 0], orig['keypoint'][5, 1]], atol=1e-4)
    assert once['keypoint_score'][6] == orig['keypoint_score'][5]
    np.testing.assert_allclose(once['athlete_box'], [pivot - 60, 40, pivot - 40, 84])
    np.testing.assert_array_equal(once['crop_box'], orig['crop_box'])

    twice = flip(once)
    assert twice['flip'] is False
    for key in ('imgs', 'pose_target', 'prev_pose_target', 'keypoint_score', 'crop_box'):
        np.testing.assert_array_equal(twice[key], orig[key])
    for key in ('keypoint', 'athlete_box'):  # up to float32 rounding of x1 + x2 - x
        np.testing.assert_allclose(twice[key], orig[key], rtol=0, atol=1e-4)


def test_flip_without_crop_box_negates_x(toy_sample):
    toy_sample['crop_box'] = np.full(4, np.nan, np.float32)
    out = VPDRandomFlip(prob=1.0)(copy.deepcopy(toy_sample))
    np.testing.assert_array_equal(out['keypoint'][0],
                                  [-toy_sample['keypoint'][0, 0], toy_sample['keypoint'][0, 1]])
    np.testing.assert_array_equal(out['athlete_box'], [-60, 40, -40, 84])
    assert np.isnan(out['crop_box']).all()


def test_flip_probability(toy_sample):
    np.random.seed(0)
    never = VPDRandomFlip(prob=0.0)
    assert not any(never(copy.deepcopy(toy_sample))['flip'] for _ in range(20))
    flips = [VPDRandomFlip(prob=0.5)(copy.deepcopy(toy_sample))['flip'] for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_random_resized_crop_same_box_and_flow_scale(toy_sample):
    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, size=(40, 48), dtype=np.uint8)
    toy_sample['imgs'] = np.repeat(base[..., None], 5, axis=2)  # five identical channels
    toy_sample['crop_box'] = np.array([0, 0, 48, 40], np.float32)  # 1 px per image px
    crop = TRANSFORMS.build(dict(type='VPDRandomResizedCrop', size=24, scale=(0.3, 0.6)))
    np.random.seed(3)
    for _ in range(5):
        out = crop(copy.deepcopy(toy_sample))
        imgs = out['imgs']
        assert imgs.shape == (24, 24, 5) and imgs.dtype == np.uint8
        assert out['img_shape'] == (24, 24)
        for c in range(1, 5):
            np.testing.assert_array_equal(imgs[..., c], imgs[..., 0])
        # crop_box is the region shown: its size gives the crop size, hence flow_scale
        x1, y1, x2, y2 = out['crop_box']
        w, h = x2 - x1, y2 - y1
        assert 0.3 * 48 * 40 - 60 <= w * h <= 0.6 * 48 * 40 + 60
        assert out['flow_scale'] == pytest.approx((24 / w, 24 / h))
        # the same pixels as cropping the source with that box and resizing
        shrink = w >= 24 and h >= 24
        ref = cv2.resize(
            base[int(y1):int(y2), int(x1):int(x2)], (24, 24),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        np.testing.assert_array_equal(imgs[..., 0], ref)


def test_random_resized_crop_params_and_flow_scale_accumulates():
    crop = VPDRandomResizedCrop(size=16)
    np.random.seed(0)
    for _ in range(50):
        x, y, w, h = crop.get_params(40, 50)
        assert 0 <= x and x + w <= 50 and 0 <= y and y + h <= 40
        assert 0.5 * 2000 - 50 <= w * h <= 2000 and 0.85 <= w / h <= 1.15
    # impossible ratio -> the centre crop fallback
    assert VPDRandomResizedCrop(size=8, ratio=(3.0, 3.0)).get_params(10, 10) == (0, 3, 10, 3)
    res = dict(imgs=np.zeros((32, 64, 5), np.uint8), flow_scale=(0.5, 1.0))
    out = VPDResize(16)(res)
    assert out['imgs'].shape == (16, 16, 5) and out['flow_scale'] == (0.125, 0.5)


def test_color_jitter_leaves_flow_untouched(toy_sample):
    jitter = TRANSFORMS.build(
        dict(type='VPDColorJitter', brightness=0.5, contrast=0.5, saturation=0.5, hue=0.2))
    np.random.seed(0)
    imgs = toy_sample['imgs'].copy()
    out = jitter(toy_sample)['imgs']
    assert out.dtype == np.uint8 and out.shape == imgs.shape
    np.testing.assert_array_equal(out[..., 3:], imgs[..., 3:])
    assert np.abs(out[..., :3].astype(int) - imgs[..., :3]).mean() > 2
    # no jitter at all is the identity; a pure brightness factor scales
    assert VPDColorJitter(0, 0, 0, 0)(dict(imgs=imgs.copy()))['imgs'].tolist() == imgs.tolist()
    flat = np.full((4, 4, 5), 100, np.uint8)
    out = VPDColorJitter(
        brightness=(1.5, 1.5), contrast=0, saturation=0, hue=0)(dict(imgs=flat))['imgs']
    assert (out[..., :3] == 150).all() and (out[..., 3:] == 100).all()


@pytest.mark.parametrize('factors', [(1.3, 1.0, 1.0, 0.0), (1.0, 0.7, 1.0, 0.0),
                                     (1.0, 1.0, 1.4, 0.0), (1.0, 1.0, 1.0, 0.1),
                                     (0.8, 1.2, 0.9, -0.05)])
def test_color_jitter_matches_torchvision(factors):
    F = pytest.importorskip('torchvision.transforms.functional')
    b, c, s, h = factors
    rng = np.random.default_rng(2)
    imgs = rng.integers(0, 256, size=(8, 8, 5), dtype=np.uint8)
    jitter = VPDColorJitter(brightness=(b, b), contrast=(c, c), saturation=(s, s), hue=(h, h))
    out = jitter(dict(imgs=imgs.copy()))['imgs']
    ref = torch.from_numpy(imgs[..., :3].astype(np.float32) / 255).permute(2, 0, 1)
    ref = F.adjust_hue(F.adjust_saturation(F.adjust_contrast(F.adjust_brightness(ref, b), c), s), h)
    ref = (ref.permute(1, 2, 0).numpy() * 255).round()
    assert np.abs(out[..., :3].astype(float) - ref).max() <= 1.0
    np.testing.assert_array_equal(out[..., 3:], imgs[..., 3:])


def test_background_noise_only_on_background_rgb():
    imgs = np.full((48, 48, 5), 128, np.uint8)
    res = dict(
        imgs=imgs.copy(),
        athlete_box=np.array([40, 40, 60, 84], np.float32),
        crop_box=CROP_BOX.copy())  # 1 crop px per image px
    np.random.seed(0)
    out = TRANSFORMS.build(dict(type='VPDBackgroundNoise'))(res)['imgs']
    changed = (out != imgs).any(axis=2)
    fg = np.zeros((48, 48), bool)
    fg[2:46, 14:34] = True  # athlete box minus crop origin (26, 38)
    assert not changed[fg].any()
    assert changed[~fg].mean() > 0.9
    np.testing.assert_array_equal(out[..., 3:], imgs[..., 3:])
    std = (out[~fg][:, :3].astype(float) - 128).std(axis=0)
    np.testing.assert_allclose(std, np.array([41.565, 43.605, 49.215]) * 0.05**0.5, rtol=0.1)
    # no box -> no noise at all
    res = dict(
        imgs=imgs.copy(), athlete_box=np.full(4, np.nan, np.float32), crop_box=CROP_BOX.copy())
    assert (VPDBackgroundNoise()(res)['imgs'] == imgs).all()


def test_background_noise_follows_flip(toy_sample):
    toy_sample['imgs'] = np.full((48, 48, 5), 128, np.uint8)
    toy_sample['athlete_box'] = np.array([30, 40, 50, 84], np.float32)  # crop x 4..24
    flipped = VPDRandomFlip(prob=1.0)(toy_sample)
    np.testing.assert_array_equal(flipped['athlete_box'], [50, 40, 70, 84])  # crop x 24..44
    np.random.seed(0)
    flow = flipped['imgs'][..., 3:].copy()
    out = VPDBackgroundNoise()(flipped)['imgs']
    np.testing.assert_array_equal(out[..., 3:], flow)
    changed = (out[..., :3] != 128).any(axis=2)
    assert not changed[2:46, 24:44].any()
    assert changed[:, :24].mean() > 0.9 and changed[:, 44:].mean() > 0.9


def _disc_mask(h=48, w=48, cx=20.0, cy=30.0, r=9.0):
    """A round athlete (not box-shaped): True inside the disc."""
    yy, xx = np.mgrid[:h, :w] + 0.5
    return (xx - cx)**2 + (yy - cy)**2 <= r**2


def test_load_mask(tmp_path):
    folder = write_frames(str(tmp_path), 'v', vid=0, num=3, size=16)
    mask = np.zeros((16, 16), np.uint8)
    mask[3:9, 5:12] = 255
    cv2.imwrite(osp.join(folder, 'mask_00002.png'), mask)
    load = TRANSFORMS.build(dict(type='LoadVPDFrame', with_mask=True))
    out = load(dict(frame_path=folder, frame_idx=1))
    assert out['athlete_mask'].dtype == bool
    np.testing.assert_array_equal(out['athlete_mask'], mask == 255)
    assert load(dict(frame_path=folder, frame_idx=0))['athlete_mask'] is None  # no file
    assert 'athlete_mask' not in LoadVPDFrame()(dict(frame_path=folder, frame_idx=1))
    # hostile files name themselves
    cv2.imwrite(osp.join(folder, 'mask_00003.png'), np.zeros((8, 16), np.uint8))
    with pytest.raises(ValueError, match=r'mask_00003\.png.*img_00003\.jpg'):
        load(dict(frame_path=folder, frame_idx=2))
    with open(osp.join(folder, 'mask_00001.png'), 'wb') as f:
        f.write(b'\x89PNG not really' * 4)
    with pytest.raises(IOError, match=r'mask_00001\.png'):
        load(dict(frame_path=folder, frame_idx=0))


def test_background_noise_only_outside_the_mask():
    imgs = np.full((48, 48, 5), 128, np.uint8)
    athlete = _disc_mask()
    res = dict(
        imgs=imgs.copy(),
        athlete_mask=athlete,
        athlete_box=np.array([40, 40, 60, 84], np.float32),  # crop x 14..34, y 2..46
        crop_box=CROP_BOX.copy(),
        flip=False,
        flow_scale=(1.0, 1.0))
    np.random.seed(0)
    out = TRANSFORMS.build(dict(type='VPDBackgroundNoise'))(res)['imgs']
    changed = (out[..., :3] != 128).any(axis=2)
    assert not changed[athlete].any()  # the athlete's pixels are untouched
    assert changed[~athlete].mean() > 0.9
    # the mask, not the box: pixels inside the box but off the athlete get noise too
    in_box = np.zeros((48, 48), bool)
    in_box[2:46, 14:34] = True
    assert changed[in_box & ~athlete].mean() > 0.9
    np.testing.assert_array_equal(out[..., 3:], imgs[..., 3:])


def test_background_noise_mask_fallbacks():
    imgs = np.full((48, 48, 5), 128, np.uint8)
    box_fg = np.zeros((48, 48), bool)
    box_fg[2:46, 14:34] = True  # the athlete box in crop pixels
    for mask in (None, np.zeros((48, 48), bool)):  # no mask, or one without an athlete pixel
        res = dict(
            imgs=imgs.copy(),
            athlete_mask=mask,
            athlete_box=np.array([40, 40, 60, 84], np.float32),
            crop_box=CROP_BOX.copy())
        np.random.seed(0)
        changed = (VPDBackgroundNoise()(res)['imgs'] != 128).any(axis=2)
        assert not changed[box_fg].any() and changed[~box_fg].mean() > 0.9


def test_background_noise_mask_must_come_before_geometry(toy_sample):
    toy_sample['athlete_mask'] = np.zeros((12, 16), bool)
    toy_sample['athlete_mask'][2:8, 4:9] = True
    flipped = VPDRandomFlip(prob=1.0)(copy.deepcopy(toy_sample))
    with pytest.raises(ValueError, match='VPDRandomFlip'):
        VPDBackgroundNoise()(flipped)
    zoomed = VPDRandomResizedCrop(size=12, scale=(0.5, 0.6))(copy.deepcopy(toy_sample))
    zoomed['athlete_mask'] = np.ones((12, 12), bool)
    with pytest.raises(ValueError, match='ResizedCrop'):
        VPDBackgroundNoise()(zoomed)
    toy_sample['rotation'] = 30.0
    with pytest.raises(ValueError, match='VPDRandomRotate'):
        VPDBackgroundNoise()(copy.deepcopy(toy_sample))
    toy_sample['rotation'] = 0.0
    toy_sample['athlete_mask'] = np.ones((12, 12), bool)
    with pytest.raises(ValueError, match='does not fit'):
        VPDBackgroundNoise()(toy_sample)


def test_train_pipeline_noise_spares_the_masked_athlete(tmp_path):
    """The configs' train pipeline start: LoadVPDFrame(with_mask) -> noise -> flip."""
    from mmcv.transforms import Compose
    folder = write_frames(str(tmp_path), 'v', vid=0, num=1, size=48)
    athlete = _disc_mask()
    cv2.imwrite(osp.join(folder, 'mask_00001.png'), athlete.astype(np.uint8) * 255)
    pipeline = Compose([
        TRANSFORMS.build(t) for t in (dict(type='LoadVPDFrame', with_mask=True),
                                      dict(type='VPDBackgroundNoise', sigma=1.0),
                                      dict(type='VPDRandomFlip', prob=1.0))
    ])
    clean = LoadVPDFrame()(dict(frame_path=folder, frame_idx=0))['imgs']
    np.random.seed(0)
    out = pipeline(dict(frame_path=folder, frame_idx=0, athlete_box=np.full(4, np.nan),
                        crop_box=np.full(4, np.nan)))['imgs'][:, ::-1]  # undo the flip
    same = (out[..., :3] == clean[..., :3]).all(axis=2)
    assert same[athlete].all() and (~same[~athlete]).mean() > 0.9


def test_pack(toy_sample):
    out = TRANSFORMS.build(dict(type='PackVPDInputs'))(copy.deepcopy(toy_sample))
    inputs, sample = out['inputs'], out['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (5, 12, 16)
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.permute(1, 2, 0).numpy(), toy_sample['imgs'])
    np.testing.assert_array_equal(sample.pose_target.numpy(), toy_sample['pose_target'][0])
    np.testing.assert_allclose(sample.motion_target.numpy(),
                               toy_sample['pose_target'][0] - toy_sample['prev_pose_target'][0])
    assert sample.pose_target.dtype == torch.float32
    assert sample.target_valid.dtype == torch.bool and bool(sample.motion_valid)
    assert sample.metainfo['flow_scale'] == (1.0, 1.0) and sample.frame_idx == 2
    toy_sample['motion_valid'] = False
    sample = PackVPDInputs()(toy_sample)['data_samples']
    assert not bool(sample.motion_valid) and (sample.motion_target == 0).all()


def test_reprs():
    for t in (LoadVPDFrame(), VPDRandomFlip(), VPDRandomResizedCrop(), VPDResize(64),
              VPDColorJitter(), VPDBackgroundNoise(), PackVPDInputs()):
        assert repr(t).startswith(type(t).__name__ + '(')
