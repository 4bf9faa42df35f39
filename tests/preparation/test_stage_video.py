"""Video decoding stage: probing, chunked deterministic decoding, resampling, bad files."""
import struct

import cv2
import numpy as np
import pytest

import vpd_mm  # noqa: F401
from vpd_mm.preparation.stages import (VideoReadError, iter_video_chunks, probe_video,
                                       resampled_indices)
from vpd_mm.preparation.stages.video import check_sampling, read_frame_rate

H, W, N, FPS = 48, 64, 30, 25.0


def _frame(t: int) -> np.ndarray:
    """[H, W, 3] BGR frame t: grey background, a red 'athlete' moving right, a green box."""
    img = np.full((H, W, 3), 40 + 4 * t, np.uint8)
    cv2.rectangle(img, (4 + t, 8), (16 + t, 40), (0, 0, 255), -1)  # red in BGR
    cv2.rectangle(img, (50, 30 - t // 3), (58, 40), (0, 255, 0), -1)
    return img


def _write(path, fourcc: str) -> str:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, (W, H))
    assert writer.isOpened()
    for t in range(N):
        writer.write(_frame(t))
    writer.release()
    return str(path)


def _atoms(buf, start, end):
    i = start
    while i < end:
        size, kind = struct.unpack('>I4s', buf[i:i + 8])
        yield kind.decode('latin-1'), i, size
        i += size


def _faststart(data: bytes) -> bytes:
    """Move the mp4 'moov' atom before 'mdat' (as streaming files have it), fixing offsets."""
    top = list(_atoms(data, 0, len(data)))
    start, size = [(i, s) for k, i, s in top if k == 'moov'][0]
    moov = bytearray(data[start:start + size])

    def fix(b, s, e):
        for kind, i, sz in _atoms(b, s, e):
            if kind in ('trak', 'mdia', 'minf', 'stbl'):
                fix(b, i + 8, i + sz)
            elif kind == 'stco':
                for k in range(struct.unpack('>I', b[i + 12:i + 16])[0]):
                    o = i + 16 + 4 * k
                    b[o:o + 4] = struct.pack('>I', struct.unpack('>I', b[o:o + 4])[0] + size)

    fix(moov, 8, size)
    out = bytearray()
    for kind, i, s in top:
        if kind != 'moov':
            out += data[i:i + s]
        if kind == 'ftyp':
            out += moov
    return bytes(out)


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('videos')
    out = dict(avi=_write(root / 'a.avi', 'MJPG'), mp4=_write(root / 'a.mp4', 'mp4v'))
    (root / 'empty.mp4').write_bytes(b'')
    out['empty'] = str(root / 'empty.mp4')
    (root / 'garbage.mp4').write_bytes(np.random.default_rng(0).bytes(5000))
    out['garbage'] = str(root / 'garbage.mp4')
    out['missing'] = str(root / 'missing.mp4')
    data = open(out['avi'], 'rb').read()
    (root / 'trunc.avi').write_bytes(data[:len(data) // 2])
    out['trunc_avi'] = str(root / 'trunc.avi')
    fast = _faststart(open(out['mp4'], 'rb').read())
    (root / 'fast.mp4').write_bytes(fast)
    out['fast_mp4'] = str(root / 'fast.mp4')
    (root / 'trunc.mp4').write_bytes(fast[:int(len(fast) * 0.6)])
    out['trunc_mp4'] = str(root / 'trunc.mp4')
    return out


def _decode(path, **kwargs):
    chunks = list(iter_video_chunks(path, **kwargs))
    idx = np.concatenate([c[0] for c in chunks])
    frames = np.concatenate([c[1] for c in chunks])
    return idx, frames, [len(c[0]) for c in chunks]


def test_resampled_indices_known_answers():
    np.testing.assert_array_equal(resampled_indices(5, 25, None), np.arange(5))
    np.testing.assert_array_equal(resampled_indices(10, 30, 15), [0, 2, 4, 6, 8])
    # 25 -> 10 fps: k * 2.5 rounded half up: 0, 3 (2.5), 5, 8 (7.5); 10 is past the end
    np.testing.assert_array_equal(resampled_indices(10, 25, 10), [0, 3, 5, 8])
    # 30 -> 20 fps: 0, 1.5 -> 2, 3, 4.5 -> 5
    np.testing.assert_array_equal(resampled_indices(6, 30, 20), [0, 2, 3, 5])
    # upsampling repeats frames
    np.testing.assert_array_equal(resampled_indices(3, 10, 20), [0, 1, 1, 2, 2])
    idx = resampled_indices(3000, 29.97, 25)
    assert idx.dtype == np.int64 and np.all(np.diff(idx) >= 1) and idx[-1] < 3000
    assert abs(len(idx) - 3000 * 25 / 29.97) <= 1
    assert len(resampled_indices(0, 25, 10)) == 0
    with pytest.raises(ValueError):
        resampled_indices(10, 25, 0)
    with pytest.raises(ValueError):
        resampled_indices(10, 0, 10)


def _accumulator(n, src_fps, offset, balance, fps=25):
    return resampled_indices(n, src_fps, fps, 'accumulator', increment_offset=offset,
                             start_balance=balance).tolist()


def test_accumulator_known_answers():
    # Diving48 (increment 25/30 + 0.01 = 0.8433, balance 0), balance before each source frame:
    # 0 keep | -.157 skip | .687 keep | .530 keep | .373 keep | .217 keep | .060 keep |
    # -.097 skip | .747 keep | .590 keep | .433 keep | .277 keep | ...
    assert _accumulator(40, 30.0, 0.01, 0.0)[:10] == [0, 2, 3, 4, 5, 6, 8, 9, 10, 11]
    # FineGym (increment 5/6, balance 1): 1, 5/6, 4/6, 3/6, 2/6, 1/6 and 0 (kept: >= 0; in
    # double precision the balance is +2e-16 there, so the tie goes the same way), then -1/6
    assert _accumulator(40, 30.0, 0.0, 1.0)[:10] == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]
    # 50 fps, exact halves. FineGym: 1 | .5 | 0 keep | -.5 skip | 0 keep | ...
    assert _accumulator(12, 50.0, 0.0, 1.0) == [0, 1, 2, 4, 6, 8, 10]
    # Diving48: increment .51: the balance before frame 2k is .02k, before 2k+1 .02k - .49 (skip)
    # until k = 25: frame 50 leaves .01 and frame 51 is kept as well
    assert _accumulator(54, 50.0, 0.01, 0.0) == list(range(0, 51, 2)) + [51, 53]
    # at or below 25 fps every frame is kept once (no repeats, unlike 'round')
    for src in (25.0, 24.0, 10.0):
        assert _accumulator(7, src, 0.01, 0.0) == list(range(7))
        assert _accumulator(7, src, 0.0, 1.0) == list(range(7))
    # a negative start balance skips the first frames: -.25 skip | .25 keep | -.25 skip | ...
    assert _accumulator(6, 50.0, 0.0, -0.25) == [1, 3, 5]
    # K kept frames: the final balance b0 - K + n * increment lies in [-1, increment)
    for src, offset, b0 in ((29.97, 0.01, 0.0), (59.94, 0.0, 1.0), (30.0, 0.0, 1.0)):
        n, inc = 3000, 25 / src + offset
        k = len(_accumulator(n, src, offset, b0))
        assert b0 + n * inc - inc < k <= b0 + n * inc + 1
    assert _accumulator(0, 30.0, 0.0, 1.0) == []
    assert resampled_indices(5, 30, None, 'accumulator', 0.01).tolist() == list(range(5))


def test_accumulator_is_the_authors_loop():
    """A transcription of the authors' loop (diving48/util.py, finegym/util.py) over frames."""

    def authors(n, src_fps, incr_extra, balance):
        sample_incr = min(1, 25 / src_fps) + incr_extra
        kept = []
        for frame_num in range(n):
            if balance >= 0:
                balance -= 1
                kept.append(frame_num)
            balance += sample_incr
        return kept

    for src in (23.976, 24.917, 29.833, 29.97, 30.0, 50.0, 59.94, 60.0):
        assert _accumulator(2000, src, 0.01, 0.0) == authors(2000, src, 0.01, 0)
        assert _accumulator(2000, src, 0.0, 1.0) == authors(2000, src, 0, 1)


def test_sampling_options():
    assert check_sampling(None) == check_sampling('round') == dict(sampling='round')
    assert check_sampling('accumulator') == dict(sampling='accumulator', increment_offset=0.0,
                                                 start_balance=0.0)
    assert check_sampling(dict(type='accumulator', increment_offset=0.01)) == dict(
        sampling='accumulator', increment_offset=0.01, start_balance=0.0)
    assert check_sampling(dict(start_balance=1)) == dict(
        sampling='accumulator', increment_offset=0.0, start_balance=1.0)
    with pytest.raises(ValueError, match='unknown sampling'):
        check_sampling('nearest')
    with pytest.raises(ValueError, match=r"unknown keys \['offset'\]"):
        check_sampling(dict(type='accumulator', offset=0.01))
    with pytest.raises(ValueError, match="'round' takes no"):
        check_sampling(dict(type='round', start_balance=1))
    with pytest.raises(ValueError, match='belong to'):
        resampled_indices(10, 30, 25, 'round', start_balance=1)
    with pytest.raises(ValueError, match='must be > 0'):
        resampled_indices(10, 30, 25, 'accumulator', increment_offset=-1)
    with pytest.raises(ValueError, match='finite'):
        resampled_indices(10, 30, 25, 'accumulator', start_balance=float('nan'))


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
def test_decode_with_accumulator(videos, backend):
    _, ref, _ = _decode(videos['avi'], backend=backend)
    # 25 -> 12.5 fps: increment 0.5. Balance 0: 0 keep, -.5 skip, 0 keep, ...: even frames.
    # Balance 1: 1, .5, 0 keep, then every other frame: 0, 1, 2, 4, 6, ...
    for sampling, want in ((dict(type='accumulator'), list(range(0, N, 2))),
                           (dict(type='accumulator', start_balance=1.0),
                            [0, 1] + list(range(2, N, 2)))):
        idx, frames, sizes = _decode(videos['avi'], fps=12.5, chunk_size=4, backend=backend,
                                     sampling=sampling)
        assert idx.tolist() == want and sum(sizes) == len(want) and max(sizes) == 4
        np.testing.assert_array_equal(frames, ref[want])
    with pytest.raises(ValueError, match='unknown sampling'):
        next(iter_video_chunks(videos['avi'], fps=12.5, sampling='bogus'))


def test_read_frame_rate(videos):
    assert read_frame_rate(videos['mp4']) == pytest.approx(FPS)
    assert read_frame_rate(videos['mp4']) == probe_video(videos['mp4']).fps
    for key in ('missing', 'empty', 'garbage'):
        with pytest.raises(VideoReadError, match=videos[key]):
            read_frame_rate(videos[key])


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
def test_probe(videos, backend):
    for key in ('avi', 'mp4'):
        info = probe_video(videos[key], backend=backend)
        assert (info.num_frames, info.fps, info.height, info.width) == (N, FPS, H, W)


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
def test_decode_all_frames_rgb_deterministic(videos, backend):
    idx, frames, sizes = _decode(videos['mp4'], chunk_size=8, backend=backend)
    np.testing.assert_array_equal(idx, np.arange(N))
    assert sizes == [8, 8, 8, 6]
    assert frames.shape == (N, H, W, 3) and frames.dtype == np.uint8
    # RGB order: the red rectangle (x 4+t..16+t, y 8..40) has a high R and low B channel
    patch = frames[10, 20:30, 16:24].astype(int)  # inside the rectangle at t = 10
    assert patch[..., 0].mean() > 180 and patch[..., 2].mean() < 80
    # identical on a second pass
    idx2, frames2, _ = _decode(videos['mp4'], chunk_size=5, backend=backend)
    np.testing.assert_array_equal(idx2, idx)
    np.testing.assert_array_equal(frames2, frames)


def test_backends_agree(videos):
    _, a, _ = _decode(videos['avi'], backend='decord')
    _, b, _ = _decode(videos['avi'], backend='opencv')
    assert np.abs(a.astype(int) - b.astype(int)).mean() < 1.0


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
def test_resampling(videos, backend):
    _, full, _ = _decode(videos['mp4'], backend=backend)
    idx, frames, sizes = _decode(videos['mp4'], fps=10, chunk_size=4, backend=backend)
    np.testing.assert_array_equal(idx, resampled_indices(N, FPS, 10))
    np.testing.assert_array_equal(idx[:4], [0, 3, 5, 8])
    assert sizes == [4, 4, 4]
    np.testing.assert_array_equal(frames, full[idx])


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
@pytest.mark.parametrize('key,problem', [('missing', 'does not exist'), ('empty', 'empty'),
                                         ('garbage', '')])
def test_bad_files(videos, backend, key, problem):
    with pytest.raises(VideoReadError, match=problem) as err:
        probe_video(videos[key], backend=backend)
    assert videos[key] in str(err.value)
    with pytest.raises(VideoReadError):
        next(iter_video_chunks(videos[key], backend=backend))


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
def test_truncated_avi(videos, backend):
    path = videos['trunc_avi']
    assert probe_video(path, backend=backend).num_frames == N  # what the header declares
    with pytest.raises(VideoReadError, match='truncated') as err:
        _decode(path, backend=backend)
    assert path in str(err.value) and 'frame' in str(err.value)
    idx, frames, _ = _decode(path, backend=backend, allow_truncated=True, chunk_size=4)
    assert 0 < len(idx) < N
    np.testing.assert_array_equal(idx, np.arange(len(idx)))
    _, full, _ = _decode(videos['avi'], backend=backend)
    np.testing.assert_array_equal(frames[:len(idx) - 1], full[:len(idx) - 1])


def test_truncated_streaming_mp4(videos):
    _, full, _ = _decode(videos['fast_mp4'], backend='opencv')
    _, ref, _ = _decode(videos['mp4'], backend='opencv')
    np.testing.assert_array_equal(full, ref)  # the rewritten file is a valid video
    path = videos['trunc_mp4']
    with pytest.raises(VideoReadError) as err:  # decord cannot even open it
        probe_video(path, backend='decord')
    assert path in str(err.value) and "backend='opencv'" in str(err.value)
    with pytest.raises(VideoReadError, match='truncated'):
        _decode(path, backend='opencv')
    idx, frames, _ = _decode(path, backend='opencv', allow_truncated=True)
    assert 5 < len(idx) < N
    np.testing.assert_array_equal(frames[:5], ref[:5])


def test_bad_arguments(videos):
    with pytest.raises(ValueError, match='backend'):
        probe_video(videos['mp4'], backend='pyav')
    with pytest.raises(ValueError, match='chunk_size'):
        next(iter_video_chunks(videos['mp4'], chunk_size=0))


def _forge_avi_frame_count(src: str, dst, count: int) -> str:
    """The AVI ``src`` with its main and stream headers declaring ``count`` frames."""
    data = bytearray(open(src, 'rb').read())
    avih, strh = data.find(b'avih'), data.find(b'strh')
    data[avih + 24:avih + 28] = struct.pack('<I', count)  # avih.dwTotalFrames
    data[strh + 40:strh + 44] = struct.pack('<I', count)  # strh.dwLength
    dst.write_bytes(bytes(data))
    return str(dst)


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
def test_forged_frame_count_is_refused_before_decoding(videos, tmp_path, backend):
    # 4e9 declared frames: decord aborted the whole process (std::bad_alloc), OpenCV's path
    # would have built 4e9 frame indices
    path = _forge_avi_frame_count(videos['avi'], tmp_path / 'forged.avi', 4_000_000_000)
    with pytest.raises(VideoReadError, match=r'declares 4000000000 frames, more than') as err:
        probe_video(path, backend=backend)
    assert path in str(err.value)
    with pytest.raises(VideoReadError, match='MAX_VIDEO_FRAMES'):
        next(iter_video_chunks(path, backend=backend))
    honest = _forge_avi_frame_count(videos['avi'], tmp_path / 'same.avi', N)
    assert probe_video(honest, backend=backend).num_frames == N


def test_frame_size_limit(videos, monkeypatch):
    from vpd_mm.preparation.stages import video
    monkeypatch.setattr(video, 'MAX_VIDEO_PIXELS', 100)
    with pytest.raises(VideoReadError, match=r'frames, more than the 100 pixels'):
        probe_video(videos['avi'], backend='opencv')


def test_sampling_numbers_must_be_finite():
    for value in (float('nan'), float('inf'), '0.01', True):
        with pytest.raises(ValueError, match='increment_offset must be a finite number'):
            check_sampling(dict(type='accumulator', increment_offset=value))
    with pytest.raises(ValueError, match='start_balance must be a finite number'):
        check_sampling(dict(start_balance=float('-inf')))


@pytest.mark.parametrize('width', [8, 16, 24, 48, 72])
def test_decord_frames_of_another_shape(tmp_path, width):
    """decord 0.6 decodes mp4s of these widths into [H, W, 4/6/12] arrays (get_batch fails, the
    frame-by-frame path returned them): refused, naming the file and the OpenCV backend, which
    decodes them."""
    import decord
    path = str(tmp_path / f'w{width}.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), FPS, (width, 16))
    rng = np.random.default_rng(width)
    for _ in range(3):
        writer.write(rng.integers(0, 255, (16, width, 3), dtype=np.uint8))
    writer.release()
    idx, frames, _ = _decode(path, backend='opencv')
    assert idx.tolist() == [0, 1, 2] and frames.shape == (3, 16, width, 3)
    shape = decord.VideoReader(path, ctx=decord.cpu(0), num_threads=1)[0].asnumpy().shape
    if shape == (16, width, 3):  # a decord without the bug: the same frames as OpenCV
        assert _decode(path, backend='decord')[1].shape == frames.shape
        return
    for run in (lambda: probe_video(path, backend='decord'),
                lambda: next(iter_video_chunks(path, backend='decord'))):
        with pytest.raises(VideoReadError) as err:
            run()
        assert str(err.value).startswith(f'{path}: decord decodes source frame 0 as an array of '
                                         f'shape {list(shape)} (uint8), not [H, W, 3] uint8 RGB')
        assert "video_backend='opencv' decodes it" in str(err.value)


class _Frame:

    def __init__(self, array):
        self.array = array

    def asnumpy(self):
        return self.array


class _FakeDecord:
    """A decord reader whose frame ``bad`` has the shape ``bad_shape``. ``get_batch`` fails
    (as decord's did on those videos) for ``batch='fails'``; for ``batch='pads'`` it returns a
    chunk that holds frame ``bad`` as frames of ``bad_shape``."""

    def __init__(self, frames, bad, bad_shape, batch):
        self.frames = [f[..., ::-1].copy() for f in frames]  # BGR -> RGB
        self.frames[bad] = np.zeros(bad_shape, np.uint8)
        self.bad, self.bad_shape, self.batch = bad, bad_shape, batch

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, i):
        return _Frame(self.frames[i])

    def get_batch(self, indices):
        if self.batch == 'fails':
            raise RuntimeError('Check failed: frame shape')
        if self.bad in indices:
            return _Frame(np.zeros((len(indices), *self.bad_shape), np.uint8))
        return _Frame(np.stack([self.frames[i] for i in indices]))


@pytest.mark.parametrize('bad_shape,batch,problem', [
    ((H, W, 4), 'fails', r'decodes source frame 7 as an array of shape \[48, 64, 4\] \(uint8\), '
     r'not \[H, W, 3\] uint8 RGB \(a decord bug'),
    ((H // 2, W // 2, 3), 'fails', r'source frame 7 is 32x24, frame 0 is 64x48 \(frames of '),
    ((H, W, 4), 'pads', r'decodes source frame 4 as an array of shape \[48, 64, 4\]'),
])
def test_decord_frame_shapes_checked_on_every_frame(videos, monkeypatch, bad_shape, batch,
                                                    problem):
    from vpd_mm.preparation.stages import video
    frames = [_frame(t) for t in range(N)]
    monkeypatch.setattr(video, '_open_decord',
                        lambda path, num_threads=0: _FakeDecord(frames, 7, bad_shape, batch))
    chunks = iter_video_chunks(videos['mp4'], backend='decord', chunk_size=4)
    idx, first = next(chunks)  # frames 0..3 are fine
    assert idx.tolist() == [0, 1, 2, 3] and first.shape == (4, H, W, 3)
    with pytest.raises(VideoReadError, match=problem) as err:
        next(chunks)
    assert str(err.value).startswith(f"{videos['mp4']}: ")
