# Copyright (c) vpd_mm contributors. All rights reserved.
"""Hostile and broken inputs to the preparation pipeline (issue 16).

* video names that would escape ``out_dir`` (the issue's attack: a Diving48 entry with
  ``"vid_name": "/abs/dir"`` or ``"../../dir"`` made ``tools/data/prepare.py`` delete those
  folders) are refused before anything is written or deleted;
* ``--overwrite`` removes only what the pipeline wrote in ``--work-dir``;
* temporaries of atomic writes left by a killed run are swept by the next run;
* a label or frame number that is not an integer is one line naming the file, the entry and
  the value; annotations that list no video, and a run whose every video is skipped, stop with
  a non-zero exit status instead of an empty dataset.

The detector and teacher are the deterministic stand-ins of ``test_prepare_pipeline.py``.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from test_prepare_pipeline import ROOT, cli_main, make_cfg, make_videos

from vpd_mm.preparation import NothingPreparedError, PrepareLayout, prepare_dataset
from vpd_mm.preparation.readers.base import ReaderError
from vpd_mm.utils.paths import UnsafePathError

#: name -> what the error says
HOSTILE = {
    '../../victim': 'path separator',
    '..': 'relative path',
    '': 'empty',
    'a\x00b': 'control character',
    '.hidden': 'starts with a dot',
    'a\\b': 'path separator',
}


def _victims(tmp_path):
    """Two folders the attack targets: ``<tmp>/victim`` (``out/rawframes/../../victim``) and an
    absolute path elsewhere; each with a file that must survive."""
    rel = tmp_path / 'victim'
    absolute = tmp_path / 'elsewhere' / 'abs_victim'
    for d in (rel, absolute):
        d.mkdir(parents=True)
        (d / 'keep.txt').write_text('precious')
    return str(rel), str(absolute)


def _diving48_root(root, names):
    os.makedirs(osp.join(root, 'rgb'), exist_ok=True)
    with open(osp.join(root, 'Diving48_vocab.json'), 'w') as f:
        json.dump([['Back', '15som', 'NoTwis', 'TUCK'], ['Forward', '1som', 'NoTwis', 'PIKE']], f)
    entries = [dict(vid_name=n, label=0, start_frame=0, end_frame=10) for n in names]
    with open(osp.join(root, 'Diving48_V2_train.json'), 'w') as f:
        json.dump(entries, f)
    with open(osp.join(root, 'Diving48_V2_test.json'), 'w') as f:
        json.dump([], f)
    return dict(type='Diving48Reader', data_root=root, dataset='tiny')


def _segments_root(root, names):
    os.makedirs(osp.join(root, 'videos'), exist_ok=True)
    with open(osp.join(root, 'list.json'), 'w') as f:
        json.dump(dict(videos=[dict(video=n, split='train') for n in names]), f)
    return dict(type='SegmentListReader', data_root=root, ann_file='list.json', dataset='tiny')


def _assert_untouched(victims, out, logs=False):
    for d in victims:
        assert os.listdir(d) == ['keep.txt'], d
        with open(osp.join(d, 'keep.txt')) as f:
            assert f.read() == 'precious'
    assert not osp.exists(osp.join(osp.dirname(victims[0]), 'victim.json'))
    # nothing was written: the names are refused when the annotations are read
    written = [osp.relpath(osp.join(r, f), out) for r, _, fs in os.walk(out) for f in fs]
    assert len(written) == (1 if logs else 0) and all(
        p.startswith(osp.join('work', 'logs', '')) for p in written), written


@pytest.mark.parametrize('reader', ['diving48', 'segments'])
@pytest.mark.parametrize('target', ['relative', 'absolute'])
def test_traversal_names_delete_nothing(tmp_path, reader, target):
    """The issue's attack, through the Diving48 reader and the generic segment list."""
    victims = _victims(tmp_path)
    bad = '../../victim' if target == 'relative' else victims[1]
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    names = ['ok_clip', bad]
    reader_cfg = (_diving48_root if reader == 'diving48' else _segments_root)(raw, names)
    cfg = make_cfg(raw, out, reader=reader_cfg)
    reason = 'path separator' if target == 'relative' else 'absolute path'
    with pytest.raises(ReaderError, match=reason) as e:
        prepare_dataset(cfg, progress=False)
    assert repr(bad) in str(e.value)
    entry = 'list.json: videos[1]' if reader == 'segments' else 'Diving48_V2_train.json: entry #1'
    assert f'{osp.join(raw, entry)}: video name' in str(e.value)  # the file and the entry
    _assert_untouched(victims, out)


@pytest.mark.parametrize('name', sorted(HOSTILE))
def test_every_unsafe_name_is_refused_with_file_and_entry(tmp_path, name):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    cfg = make_cfg(raw, out, reader=_segments_root(raw, ['ok_clip', name]))
    with pytest.raises(ReaderError, match=HOSTILE[name]) as e:
        prepare_dataset(cfg, progress=False)
    assert f'{osp.join(raw, "list.json")}: videos[1]' in str(e.value)
    assert not osp.exists(out)


def test_segment_file_must_stay_under_video_dir(tmp_path):
    raw = str(tmp_path / 'raw')
    os.makedirs(osp.join(raw, 'videos'))
    with open(osp.join(raw, 'list.json'), 'w') as f:
        json.dump(dict(videos=[dict(video='a', file='2018/a.mp4'),
                               dict(video='b', file='../../etc/passwd')]), f)
    from vpd_mm.preparation.readers.segments import SegmentListReader
    with pytest.raises(ReaderError, match=r'videos\[1\].*relative path'):
        SegmentListReader(raw, 'list.json').read()
    with open(osp.join(raw, 'list.json'), 'w') as f:
        json.dump(dict(videos=[dict(video='a', file='2018/a.mp4')]), f)
    index = SegmentListReader(raw, 'list.json').read()
    assert index.videos[0]['path'] == osp.join(raw, 'videos', '2018', 'a.mp4')


def test_the_tool_exits_non_zero_and_deletes_nothing(tmp_path):
    """``tools/data/prepare.py`` on the attack: a one-line error, exit status 2."""
    victims = _victims(tmp_path)
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    cfg = make_cfg(raw, out, reader=_diving48_root(raw, ['ok_clip', victims[1]]))
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tests', 'preparation',
                                                    'test_prepare_pipeline.py'), cfg_file,
                           '--no-progress'],
                          cwd=ROOT, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 2, log[-2000:]
    assert 'ReaderError' in log and 'absolute path' in log and 'Traceback' not in log
    _assert_untouched(victims, out, logs=True)  # only the log of the run


def test_layout_refuses_unsafe_names(tmp_path):
    """Defence in depth: a reader that lets a name through still cannot make the layout
    point outside its folders."""
    layout = PrepareLayout(str(tmp_path / 'out'), 'tiny')
    for method in (layout.frames, layout.tmp_frames, layout.done, layout.skipped):
        for name in ('../x', '/etc', '', '..'):
            with pytest.raises(UnsafePathError):
                method(name)
    assert layout.frames('a_run') == osp.join(str(tmp_path / 'out'), 'rawframes', 'a_run')
    with pytest.raises(UnsafePathError):
        PrepareLayout(str(tmp_path / 'out'), '../tiny')


# ------------------------------------------------------------------ --overwrite, temporaries
@pytest.fixture(scope='module')
def raw_one(tmp_path_factory):
    return make_videos(str(tmp_path_factory.mktemp('raw1')), names=('a_run', 'b_run'))


def test_overwrite_keeps_foreign_files_in_work_dir(raw_one, tmp_path):
    out, work = str(tmp_path / 'out'), str(tmp_path / 'scratch')
    os.makedirs(osp.join(work, 'pose'))
    foreign = [osp.join(work, 'notes.txt'), osp.join(work, 'other_job', 'model.pth'),
               osp.join(work, 'pose', 'README.md'), osp.join(work, 'logs', 'mine.log')]
    for path in foreign:
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write('not the pipeline\'s')
    cfg = make_cfg(raw_one, out, work_dir=work)
    first = prepare_dataset(cfg, progress=False)
    assert sorted(first['processed']) == ['a_run', 'b_run']
    layout = PrepareLayout(out, 'tiny', work)
    stale = [layout.done('gone'),  # a video an earlier annotation file listed
             layout.shard_report(3, 4)]  # a report of an earlier sharded run
    for path in stale:
        with open(path, 'wb') as f:
            f.write(b'x')
    report = prepare_dataset(make_cfg(raw_one, out, work_dir=work, crop_size=24),
                             overwrite=True, progress=False)
    assert sorted(report['processed']) == ['a_run', 'b_run']  # redone with the new settings
    for path in foreign:
        assert osp.isfile(path), path
    for path in stale:
        assert not osp.exists(path), path
    with open(layout.settings) as f:
        assert json.load(f)['crop_size'] == 24
    assert os.listdir(osp.join(work, 'reports')) == ['shard_0_of_1.json']


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_killed_runs_temporaries_are_swept(raw_one, tmp_path):
    out = str(tmp_path / 'out')
    cfg = make_cfg(raw_one, out)
    prepare_dataset(cfg, progress=False)
    layout = PrepareLayout(out, 'tiny')
    pid = _dead_pid()
    # what kill -9 leaves: a per-video pkl and skip record of the video in flight, the merged
    # files, the settings and a shard report, each under its temporary name
    os.remove(layout.done('b_run'))
    per_video = [f'{layout.done("b_run")}.tmp.{pid}', f'{layout.skipped("b_run")}.tmp.{pid}']
    shared = [f'{layout.pose_pkl}.tmp.{pid}', f'{layout.report_json}.tmp.{pid}',
              f'{layout.settings}.tmp.{pid}',
              f'{layout.shard_report(0, 1)}.tmp.{pid}']
    recent = f'{layout.actions_json}.tmp.{pid}'  # too recent: maybe a shard on another node
    live = f'{layout.actions_json}.tmp.{os.getppid()}'  # a running process's
    foreign = [osp.join(layout.annotations, 'notes.tmp.txt'),
               osp.join(layout.annotations, f'other.pkl.tmp.{pid}.tmp'),
               osp.join(layout.rawframes, 'a_run', f'img_00001.jpg.tmp.{pid}')]
    for path in per_video + shared + [recent, live] + foreign:
        with open(path, 'wb') as f:
            f.write(b'partial')
    old = os.stat(layout.pose_pkl).st_mtime - 3600
    for path in shared + [live] + foreign:
        os.utime(path, (old, old))
    report = prepare_dataset(cfg, progress=False)
    assert report['processed'] == ['b_run']
    for path in per_video + shared:
        assert not osp.exists(path), path
    for path in [recent, live] + foreign:
        assert osp.exists(path), path


# ------------------------------------------------------------------ broken and empty annotations
@pytest.mark.parametrize('key,value', [('label', 'seven'), ('start_frame', 2.5),
                                       ('end_frame', None)])
def test_non_integer_field_names_file_entry_and_value(tmp_path, key, value):
    path, out, e = _prepare_diving48_with(tmp_path, key, value)
    assert str(e.value) == f'{path}: entry #1 (clip_b): {key} must be an integer, got {value!r}'
    assert not osp.exists(out)


def _prepare_diving48_with(tmp_path, key, value, match=None):
    """Prepare two Diving48 clips, the second's ``key`` set to ``value``: (its annotation file,
    the output folder, the ReaderError raised)."""
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    reader = _diving48_root(raw, ['clip_a', 'clip_b'])
    path = osp.join(raw, 'Diving48_V2_train.json')
    with open(path) as f:
        entries = json.load(f)
    entries[1][key] = value
    with open(path, 'w') as f:
        json.dump(entries, f)
    with pytest.raises(ReaderError, match=match) as e:
        prepare_dataset(make_cfg(raw, out, reader=reader), progress=False)
    return path, out, e


def test_annotations_without_videos_exit_2(tmp_path):
    raw, out = str(tmp_path / 'raw'), str(tmp_path / 'out')
    reader = _diving48_root(raw, [])  # both annotation lists empty
    files = [osp.join(raw, f'Diving48_V2_{s}.json') for s in ('train', 'test')]
    with pytest.raises(ReaderError) as e:
        prepare_dataset(make_cfg(raw, out, reader=reader), progress=False)
    assert str(e.value) == (f'{files[0]}, {files[1]}: no video to prepare (the annotations of '
                            "dataset 'tiny' list none)")
    assert not osp.exists(out)
    cfg_file = str(tmp_path / 'cfg.py')
    make_cfg(raw, out, reader=reader).dump(cfg_file)
    assert cli_main([cfg_file, '--no-progress']) == 2
    # a video folder without videos (no annotation file): the folder is named
    os.makedirs(osp.join(raw, 'videos'))
    empty = dict(type='VideoFolderReader', data_root=raw, dataset='tiny')
    with pytest.raises(ReaderError, match=f"^{osp.join(raw, 'videos')}: no video to prepare"):
        prepare_dataset(make_cfg(raw, out, reader=empty), progress=False)


def test_every_video_skipped_exits_3_without_a_dataset(tmp_path):
    raw = make_videos(str(tmp_path / 'raw'), names=('c_empty', 'd_short'))
    out = str(tmp_path / 'out')
    cfg = make_cfg(raw, out)
    cfg_file = str(tmp_path / 'cfg.py')
    cfg.dump(cfg_file)
    # tools/data/prepare.py with the stand-in stages (as test_the_tool_exits_non_zero...)
    proc = subprocess.run([sys.executable, osp.join(ROOT, 'tests', 'preparation',
                                                    'test_prepare_pipeline.py'), cfg_file,
                           '--no-progress'],
                          cwd=ROOT, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 3, log[-2000:]
    layout = PrepareLayout(out, 'tiny')
    assert ('NothingPreparedError: tiny: none of the 2 videos was prepared, nothing to merge (2 '
            'skipped by reason no person: 1, track too short: 1, 0 unfinished; e.g. ') in log
    assert f'the skip records are in {layout.skipped_dir}' in log and 'Traceback' not in log
    for path in (layout.pose_pkl, layout.actions_json, layout.report_json):
        assert not osp.exists(path), path
    assert sorted(os.listdir(layout.skipped_dir)) == ['c_empty.json', 'd_short.json']
    with pytest.raises(NothingPreparedError, match='none of the 2 videos was prepared'):
        prepare_dataset(cfg, progress=False)  # a rerun: the same, nothing redone


@pytest.mark.parametrize('key,value,problem', [
    ('end_frame', 10**30, r'bad segment \[0, 10+\) \(more than 1e\+08 frames'),
    ('start_frame', -3, r'bad segment \[-3, 10\) \(negative start\)'),
    ('vid_name', None, 'vid_name must be a string, got None'),
])
def test_frame_ranges_and_names_refused_before_preparing(tmp_path, key, value, problem):
    """A huge end frame used to be dropped silently after decoding (an int64 overflow in
    ``actions_on_prepared_frames``); now nothing is prepared."""
    path, out, e = _prepare_diving48_with(tmp_path, key, value, problem)
    assert str(e.value).startswith(f'{path}: entry #1')
    assert not osp.exists(out)
