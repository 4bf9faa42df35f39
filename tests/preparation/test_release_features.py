# Copyright (c) vpd_mm contributors. All rights reserved.
"""Importing the VPD authors' released <video>.emb.pkl features as <video>.npy files."""
import json
import os
import os.path as osp
import pickle
import struct

import numpy as np
import pytest

from vpd_mm.datasets import load_feature_sequence
from vpd_mm.preparation.release import (ReleaseFormatError, emb_entries_to_array,
                                        import_release_features, read_emb_pkl)
from vpd_mm.preparation.release.poses import NothingImportedError

MAX_FRAMES = 'vpd_mm.preparation.release.poses.MAX_FRAMES_PER_VIDEO'


class Evil:
    """Unpickling this would run ``os.getcwd``: the reader must refuse it."""

    def __reduce__(self):
        return os.getcwd, ()


def dump(path, obj):
    with open(path, 'wb') as f:
        pickle.dump(obj, f)


def test_features_become_npy_files_read_by_the_downstream_loader(tmp_path):
    emb = tmp_path / 'vipe'
    emb.mkdir()
    rng = np.random.default_rng(0)
    a = {t: rng.standard_normal((2, 8)).astype(np.float32) for t in range(5)}
    extra = rng.standard_normal((2, 8)).astype(np.float32)
    meta = {'kp_score': 0.8, 'is_mean': False}
    # vid_a: frame 1 missing, frame 3 listed twice (averaged, as the authors' loader does)
    dump(emb / 'vid_a.emb.pkl', [(t, a[t], meta) for t in (0, 2, 3, 4)] + [(3, extra, meta)])
    dump(emb / 'vid_b.emb.pkl', [(0, a[0], meta), (6, a[1], meta)])
    raw = pickle.dumps([(0, a[0], meta)] * 50)
    (emb / 'vid_trunc.emb.pkl').write_bytes(raw[:len(raw) // 2])
    dump(emb / 'vid_evil.emb.pkl', [(0, Evil(), meta)])
    dump(emb / 'vid_shape.emb.pkl', [(0, a[0], meta), (1, a[1][0], meta)])
    dump(emb / 'vid_dim.emb.pkl', [(0, np.zeros((2, 4), np.float32), meta)])
    (emb / 'notes.txt').write_text('not a feature file')

    out = str(tmp_path / 'features' / 'vipe')
    report = import_release_features(str(emb), out, num_frames={'vid_a': 7}, progress=False)
    assert sorted(report.imported) == ['vid_a', 'vid_b']
    skipped = {s['video']: s['error'] for s in report.skipped}
    assert sorted(skipped) == ['vid_dim', 'vid_evil', 'vid_shape', 'vid_trunc']
    assert 'refusing to load posix.getcwd' in skipped['vid_evil']
    assert 'not a readable pickle' in skipped['vid_trunc']
    assert 'entry #1' in skipped['vid_shape'] and 'vid_shape.emb.pkl' in skipped['vid_shape']
    assert 'differ' in skipped['vid_dim']

    fa = load_feature_sequence(out, 'vid_a')
    assert fa.shape == (7, 2, 8) and fa.dtype == np.float32  # T from the pose annotations
    np.testing.assert_allclose(fa[0], a[0])
    np.testing.assert_allclose(fa[3], (a[3] + extra) / 2, rtol=1e-6)
    assert np.isnan(fa[[1, 5, 6]]).all() and np.isfinite(fa[[0, 2, 3, 4]]).all()
    fb = load_feature_sequence(out, 'vid_b')
    assert fb.shape == (7, 2, 8) and np.isnan(fb[1:6]).all()  # max frame_num + 1

    index = json.load(open(osp.join(out, 'features.json')))
    assert index['dim'] == 8 and index['views'] == ['as_is', 'hflip']
    assert index['videos'] == {'vid_a': 7, 'vid_b': 7}
    rep = json.load(open(osp.join(out, 'import_report.json')))
    assert rep['num_skipped'] == 4 and rep['frames_without_features'] == 3 + 5
    assert not [f for f in os.listdir(out) if '.tmp.' in f]


def test_one_dimensional_features_and_flip_flags(tmp_path):
    emb = tmp_path / 'emb'
    emb.mkdir()
    x, y = np.arange(4, dtype=np.float32), -np.arange(4, dtype=np.float32)
    dump(emb / 'plain.emb.pkl', [(0, x, {}), (2, y, {})])
    out = str(tmp_path / 'out')
    import_release_features(str(emb), out, num_frames={'plain': 3, 'gone': 9}, progress=False)
    f = load_feature_sequence(out, 'plain')
    assert f.shape == (3, 1, 4)  # one view: no flip view is invented
    np.testing.assert_array_equal(f[2, 0], y)
    assert json.load(open(osp.join(out, 'features.json')))['views'] == ['as_is']

    # entries written one per pose with an is_flip flag -> view 1 is the flipped pose
    emb2 = tmp_path / 'emb2'
    emb2.mkdir()
    dump(emb2 / 'many.emb.pkl', [(0, x, {'is_flip': False}), (0, y, {'is_flip': True}),
                                 (1, x, {'is_flip': False}), (1, x + 2, {'is_flip': False})])
    out2 = str(tmp_path / 'out2')
    import_release_features(str(emb2), out2, progress=False)
    f = load_feature_sequence(out2, 'many')
    assert f.shape == (2, 2, 4)
    np.testing.assert_array_equal(f[0, 1], y)
    np.testing.assert_array_equal(f[1, 0], x + 1)
    assert np.isnan(f[1, 1]).all()


def test_read_emb_pkl_rejects_bad_entries(tmp_path):
    p = str(tmp_path / 'v.emb.pkl')
    dump(p, {'not': 'a list'})
    with pytest.raises(ReleaseFormatError, match='expected a list'):
        read_emb_pkl(p)
    dump(p, [(-1, np.zeros(3), {})])
    with pytest.raises(ReleaseFormatError, match='non-negative'):
        read_emb_pkl(p)
    dump(p, [(0, np.zeros((2, 2, 2)), {})])
    with pytest.raises(ReleaseFormatError, match=r'\(d,\) or \(V, d\)'):
        read_emb_pkl(p)


def test_dense_features_fill_gaps_as_the_authors_with_the_right_weights(tmp_path):
    """--dense-features: gaps interpolated (1 - i/g) x_a + (i/g) x_b, zeros outside the entries."""
    from vpd_mm.preparation.release import fill_gaps_dense
    entries = [(1, np.array([[0.0, 4.0]], np.float32), {}),
               (4, np.array([[3.0, 1.0]], np.float32), {}),
               (4, np.array([[3.0, 1.0]], np.float32), {})]  # two entries of frame 4: mean
    sparse, _ = emb_entries_to_array(entries, num_frames=6)
    assert np.isnan(sparse[[0, 2, 3, 5]]).all()
    dense, _ = emb_entries_to_array(entries, num_frames=6, dense=True)
    assert dense.shape == (6, 1, 2) and np.isfinite(dense).all()
    expected = np.array([[0, 0], [0, 4], [1, 3], [2, 2], [3, 1], [0, 0]], np.float32)
    np.testing.assert_allclose(dense[:, 0], expected, atol=1e-6)
    # frame 2 lies 1/3 of the way from frame 1 to 4: closer to frame 1's value (not reversed)
    assert abs(dense[2, 0, 0] - 0.0) < abs(dense[2, 0, 0] - 3.0)
    # a view without any entry stays NaN; the input is not modified
    two_views = np.full((3, 2, 1), np.nan, np.float32)
    two_views[1, 0] = 5.0
    filled = fill_gaps_dense(two_views)
    np.testing.assert_array_equal(filled[:, 0, 0], [0.0, 5.0, 0.0])
    assert np.isnan(filled[:, 1]).all() and np.isnan(two_views[0, 0, 0])
    # through the importer
    emb_dir = tmp_path / 'emb'
    emb_dir.mkdir()
    with open(emb_dir / 'v1.emb.pkl', 'wb') as f:
        pickle.dump(entries, f)
    report = import_release_features(str(emb_dir), str(tmp_path / 'out'), num_frames={'v1': 6},
                                     progress=False, dense=True)
    assert report.imported == ['v1']
    np.testing.assert_allclose(load_feature_sequence(str(tmp_path / 'out'), 'v1')[:, 0], expected,
                               atol=1e-6)


def test_a_hostile_size_field_is_a_format_error(tmp_path):
    """A pickle whose BINBYTES8 length asks for 2**62 bytes: MemoryError inside the unpickler,
    turned into the module's error naming the file."""
    p = tmp_path / 'huge.emb.pkl'
    p.write_bytes(b'\x80\x04\x8e' + struct.pack('<Q', 2**62) + b'abc.')
    with pytest.raises(ReleaseFormatError, match='size field') as err:
        read_emb_pkl(str(p))
    assert err.value.path == str(p)


def test_frame_counts_and_sizes_are_bounded(tmp_path, monkeypatch):
    """T comes from a frame number of the file or the pose annotations' count: both are bounded
    by MAX_FRAMES_PER_VIDEO (named in the message, how to raise it), T x V x d by
    MAX_FEATURE_VALUES; the video is skipped and reported, the others imported."""
    monkeypatch.setattr(MAX_FRAMES, 1000)
    emb = tmp_path / 'emb'
    emb.mkdir()
    x = np.ones((2, 4), np.float32)
    dump(emb / 'far.emb.pkl', [(0, x, {}), (1000, x, {})])  # T would be 1001
    dump(emb / 'last.emb.pkl', [(999, x, {})])  # T = 1000: the limit
    dump(emb / 'given.emb.pkl', [(0, x, {})])
    with pytest.raises(ReleaseFormatError, match=r'entry #1: frame_num 1000 is beyond the 1000 '
                       r'frames .*MAX_FRAMES_PER_VIDEO') as err:
        read_emb_pkl(str(emb / 'far.emb.pkl'))
    assert err.value.path == str(emb / 'far.emb.pkl')
    out = str(tmp_path / 'out')
    report = import_release_features(str(emb), out, num_frames={'given': 5000}, progress=False)
    assert report.imported == ['last']
    skipped = {s['video']: s for s in report.skipped}
    assert 'frame_num 1000 is beyond' in skipped['far']['error']
    assert skipped['given']['file'] == str(emb / 'given.emb.pkl')
    assert 'the frame count given' in skipped['given']['error'] and \
        '5000 is beyond' in skipped['given']['error']
    assert load_feature_sequence(out, 'last').shape == (1000, 2, 4)

    monkeypatch.setattr(
        'vpd_mm.preparation.release.features.MAX_FEATURE_VALUES', 1000 * 2 * 4 - 1)
    with pytest.raises(ReleaseFormatError, match=r'1000 frames x 2 views x 4 values exceed the '
                       r'7999 values .*MAX_FEATURE_VALUES') as err:
        emb_entries_to_array(read_emb_pkl(str(emb / 'last.emb.pkl')), path='last.emb.pkl')
    assert err.value.path == 'last.emb.pkl'


def _bytes(folder):
    """{file name: content} of a folder."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_import_of_nothing_keeps_the_earlier_features(tmp_path):
    """Every file bad, or no .emb.pkl at all: nothing written, the earlier index, report and
    .npy files stay byte for byte; the error names the folder and the reasons."""
    emb = tmp_path / 'emb'
    emb.mkdir()
    dump(emb / 'vid_a.emb.pkl', [(0, np.ones((2, 8), np.float32), {})])
    out = tmp_path / 'features' / 'vpd'
    import_release_features(str(emb), str(out), progress=False)
    before = _bytes(out)
    assert sorted(before) == ['features.json', 'import_report.json', 'vid_a.npy']

    bad = tmp_path / 'bad'
    bad.mkdir()
    (bad / 'vid_a.emb.pkl').write_bytes(b'not a pickle')
    with pytest.raises(NothingImportedError) as err:
        import_release_features(str(bad), str(out), progress=False)
    msg = str(err.value)
    assert err.value.path == str(bad)
    assert msg.startswith(f'{bad}: nothing imported: the one .emb.pkl file was skipped '
                          f'({bad / "vid_a.emb.pkl"}: not a readable pickle')
    assert msg.endswith(f'nothing was written, {out} is left as it was')
    assert _bytes(out) == before

    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'notes.txt').write_text('no features here')
    with pytest.raises(NothingImportedError, match='it holds no .emb.pkl file'):
        import_release_features(str(empty), str(out), progress=False)
    assert _bytes(out) == before
    with pytest.raises(NothingImportedError, match=r'no .emb.pkl file; nothing was written$'):
        import_release_features(str(empty), str(tmp_path / 'fresh'), progress=False)
    assert not (tmp_path / 'fresh').exists()


def test_a_partial_reimport_indexes_exactly_the_usable_files(tmp_path):
    """features.json lists this run's files and the earlier import's files of the same [V, d]
    that are still there: no entry without a file, none for a file of another d."""
    x = np.ones((2, 8), np.float32)
    emb = tmp_path / 'emb'
    emb.mkdir()
    for video in ('vid_a', 'vid_b', 'vid_gone'):
        dump(emb / f'{video}.emb.pkl', [(0, x, {}), (2, x, {})])
    out = tmp_path / 'out'
    import_release_features(str(emb), str(out), progress=False)
    os.remove(out / 'vid_gone.npy')  # listed by the earlier index, file gone
    np.save(out / 'stray_dim4.npy', np.zeros((3, 2, 4), np.float32))  # another d, not listed
    (out / 'corrupt.npy').write_bytes(b'\x93NUMPY garbage')
    vid_b = (out / 'vid_b.npy').read_bytes()

    emb2 = tmp_path / 'emb2'
    emb2.mkdir()
    dump(emb2 / 'vid_a.emb.pkl', [(0, 2 * x, {})] * 2 + [(4, 2 * x, {})])  # T 5 now
    (emb2 / 'vid_b.emb.pkl').write_bytes(b'truncated')  # skipped: the earlier file is kept
    dump(emb2 / 'vid_c.emb.pkl', [(1, x, {})])
    report = import_release_features(str(emb2), str(out), num_frames={'vid_b': 9},
                                     progress=False)
    assert report.imported == ['vid_a', 'vid_c'] and [s['video'] for s in report.skipped] == [
        'vid_b']
    index = json.load(open(out / 'features.json'))
    assert index['videos'] == {'vid_a': 5, 'vid_b': 3, 'vid_c': 2}
    assert index['dim'] == 8 and index['source']['dir'] == str(emb2)
    assert all((out / f'{v}.npy').is_file() for v in index['videos'])
    assert (out / 'vid_b.npy').read_bytes() == vid_b  # never touched
    assert report.extra['kept_from_earlier'] == ['vid_b']
    warnings = {(w['video'], w['message']) for w in report.warnings}
    assert ('vid_b', 'kept from an earlier import with 3 frames, the pose annotations have 9') \
        in warnings
    assert ('stray_dim4', "left out of features.json: features [V, d] = [2, 4] of an earlier "
            "import, not this import's [2, 8]") in warnings
    assert any(v == 'corrupt' and m.startswith(f'left out of features.json: {out / "corrupt.npy"}'
                                               ': not a readable .npy') for v, m in warnings)
    np.testing.assert_array_equal(load_feature_sequence(str(out), 'vid_a')[4], 2 * x)


def test_a_folder_of_another_models_features_is_refused_before_writing(tmp_path):
    emb = tmp_path / 'emb'
    emb.mkdir()
    dump(emb / 'vid_a.emb.pkl', [(0, np.ones((2, 8), np.float32), {})])
    out = tmp_path / 'out'
    import_release_features(str(emb), str(out), progress=False)
    before = _bytes(out)
    emb2 = tmp_path / 'emb2'
    emb2.mkdir()
    dump(emb2 / 'vid_b.emb.pkl', [(0, np.ones(4, np.float32), {})])
    with pytest.raises(ReleaseFormatError, match=r'holds the features \[V, d\] = \[2, 8\] of an '
                       r'earlier import .*has \[V, d\] = \[1, 4\].*nothing was written') as err:
        import_release_features(str(emb2), str(out), progress=False)
    assert err.value.path == str(out)
    assert _bytes(out) == before  # no vid_b.npy either


def test_values_beyond_float32_are_nan_and_reported(tmp_path):
    """1e39 overflows float32 to inf: stored as NaN like a NaN of the file, its frame counted
    without features, and a warning says so (not '0 warnings')."""
    emb = tmp_path / 'emb'
    emb.mkdir()
    dump(emb / 'v.emb.pkl', [(0, np.array([1e39, 1.0]), {}), (1, np.array([1.0, 2.0]), {}),
                             (2, np.array([np.nan, 1.0]), {}), (3, np.array([-np.inf, 1.0]), {})])
    entries = read_emb_pkl(str(emb / 'v.emb.pkl'))
    assert not np.isinf(np.stack([e[1] for e in entries])).any()
    assert np.isnan(entries[0][1][0]) and entries[0][1][1] == 1.0
    out = tmp_path / 'out'
    report = import_release_features(str(emb), str(out), progress=False)
    f = load_feature_sequence(str(out), 'v')
    assert not np.isinf(f).any() and np.isnan(f[[0, 2, 3], 0, 0]).all()
    np.testing.assert_array_equal(f[1, 0], [1.0, 2.0])
    assert report.extra['frames_without_features'] == 3
    assert [w['message'] for w in report.warnings] == [
        '3 entries hold values that are not finite float32 numbers (NaN, infinite, or beyond '
        'the float32 range such as 1e39): stored as NaN, their frames count as frames without '
        'features']
    assert '1 warnings' in report.summary()
