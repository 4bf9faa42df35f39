# Copyright (c) vpd_mm contributors. All rights reserved.
"""The readers of the official annotation formats, on small hand-written files."""
import json
import os.path as osp

import numpy as np
import pytest
from mmaction.registry import TASK_UTILS

import vpd_mm  # noqa: F401
from vpd_mm.datasets import load_action_annotations
from vpd_mm.preparation.readers import (GYM99_FX_CLASSES, ReaderError, actions_on_prepared_frames,
                                        build_action_annotations, parse_action_id)
from vpd_mm.preparation.stages.video import resampled_indices


def _touch(path):
    with open(path, 'wb') as f:
        f.write(b'x')


def _json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f)


def test_diving48(tmp_path):
    _json(tmp_path / 'Diving48_vocab.json', [['Back', '15som', 'NoTwis', 'PIKE'],
                                             ['Forward', '25som', '1Twis', 'FREE']])
    _json(tmp_path / 'Diving48_V2_train.json', [
        dict(vid_name='clip_b', label=1, start_frame=0, end_frame=40),
        dict(vid_name='clip_a', label=0, start_frame=2, end_frame=30)
    ])
    _json(tmp_path / 'Diving48_V2_test.json',
          [dict(vid_name='clip_c', label=1, start_frame=0, end_frame=10)])
    (tmp_path / 'rgb').mkdir()
    _touch(tmp_path / 'rgb' / 'clip_a.mp4')
    _touch(tmp_path / 'rgb' / 'clip_b.webm')
    index = TASK_UTILS.build(dict(type='Diving48Reader', data_root=str(tmp_path))).read()
    assert index.dataset == 'diving48'
    assert index.classes == ['Back 15som NoTwis PIKE', 'Forward 25som 1Twis FREE']
    v = {r['video']: r for r in index.videos}
    assert [r['video'] for r in index.videos] == ['clip_a', 'clip_b', 'clip_c']
    assert v['clip_a']['path'] == str(tmp_path / 'rgb' / 'clip_a.mp4')
    assert v['clip_b']['path'].endswith('clip_b.webm')
    assert v['clip_c']['path'] == str(tmp_path / 'rgb' / 'clip_c.mp4')  # missing: unreadable
    assert v['clip_c']['split'] == 'test' and v['clip_a']['label'] == 0
    assert v['clip_a']['actions'] == [
        dict(id='clip_a', label=0, split='train', start=2, end=30, unit='frame')
    ]
    # bad input: the file is named
    _json(tmp_path / 'Diving48_V2_test.json', [dict(vid_name='x', label=7, start_frame=0,
                                                    end_frame=3)])
    with pytest.raises(ReaderError, match='Diving48_V2_test.json.*label 7'):
        TASK_UTILS.build(dict(type='Diving48Reader', data_root=str(tmp_path))).read()
    (tmp_path / 'Diving48_V2_test.json').write_text('[{"vid_name": ')
    with pytest.raises(ReaderError, match='Diving48_V2_test.json: not a readable JSON'):
        TASK_UTILS.build(dict(type='Diving48Reader', data_root=str(tmp_path))).read()


def _finegym(tmp_path, with_categories):
    ann = {
        'vidA': {
            'E_000100_000160': {
                'event': 2,
                'timestamps': [[100.0, 160.0]],
                'segments': {
                    'A_0001_0003': {'stages': 1, 'timestamps': [[1.2, 3.0]]},
                    'A_0010_0012': {'stages': 1, 'timestamps': [[10.0, 11.5]]},
                    'A_0020_0021': {'stages': 1, 'timestamps': [[20.0, 21.0]]},
                }
            },
            'E_000200_000205': {  # a vault: not floor
                'event': 1,
                'timestamps': [[200.0, 205.0]],
                'segments': {'A_0000_0003': {'stages': 3, 'timestamps': [[0, 1], [1, 2],
                                                                         [2, 3]]}}
            }
        },
        'vidB': {
            'E_000010_000050': {
                'event': 2,
                'timestamps': [[10.0, 50.0]],
                'segments': {'A_0005_0006': {'stages': 1, 'timestamps': [[5.0, 6.0]]}}
            }
        }
    }
    _json(tmp_path / 'finegym_annotation_info_v1.1.json', ann)
    (tmp_path / 'gym99_train_element_v1.1.txt').write_text(
        'vidA_E_000100_000160_A_0001_0003 6\nvidA_E_000100_000160_A_0010_0012 40\n'
        'vidA_E_000200_000205_A_0000_0003 2\n')
    (tmp_path / 'gym99_val_element.txt').write_text('vidB_E_000010_000050_A_0005_0006 17\n')
    if with_categories:
        lines = ['Clabel:   2; set:  1; Glabel:  20; (VT) round-off, flic-flac on']
        lines += [f'Clabel: {i:3d}; set: 21; Glabel: {60 + i:3d}; (FX) element {i}'
                  for i in GYM99_FX_CLASSES]
        (tmp_path / 'gym99_categories.txt').write_text('\n'.join(lines) + '\n')


@pytest.mark.parametrize('with_categories', [True, False])
def test_finegym_fx(tmp_path, with_categories):
    _finegym(tmp_path, with_categories)
    index = TASK_UTILS.build(dict(type='FineGymFXReader', data_root=str(tmp_path))).read()
    assert index.dataset == 'finegym_fx' and len(index.classes) == 35
    assert index.classes[0] == ('element 6' if with_categories else 'gym99_6')
    assert [v['video'] for v in index.videos] == ['vidA_E_000100_000160', 'vidB_E_000010_000050']
    a, b = index.videos
    assert a['split'] == 'train' and b['split'] == 'test'
    assert a['path'] == osp.join(str(tmp_path), 'event_videos', 'vidA_E_000100_000160.mp4')
    assert sorted((x['id'], x['label'], x['start'], x['end']) for x in a['actions']) == [
        ('vidA_E_000100_000160_A_0001_0003', 0, 1.2, 3.0),
        ('vidA_E_000100_000160_A_0010_0012', 34, 10.0, 11.5)
    ]  # the unlabelled A_0020_0021 and the vault are left out
    assert b['actions'][0]['label'] == 11 and b['actions'][0]['split'] == 'test'
    parsed = parse_action_id('a_b_E_000001_000002_A_0003_0004')
    assert parsed == ('a_b', 'E_000001_000002', 'A_0003_0004')


def test_finegym_fx_authors_window(tmp_path):
    """pre_seconds=0.25, end_inclusive: source frames floor((s - 0.25) * fps) ..
    ceil(e * fps) inclusive, at the routine's frame rate (here 30 fps, given)."""
    _finegym(tmp_path, False)
    with open(tmp_path / 'gym99_train_element_v1.1.txt', 'a') as f:
        f.write('vidA_E_000100_000160_A_0020_0021 7\n')
    ann = tmp_path / 'finegym_annotation_info_v1.1.json'
    data = json.loads(ann.read_text())
    data['vidA']['E_000100_000160']['segments']['A_0020_0021']['timestamps'] = [[0.1, 0.52]]
    _json(ann, data)
    reader = TASK_UTILS.build(
        dict(type='FineGymFXReader', data_root=str(tmp_path), pre_seconds=0.25,
             end_inclusive=True, fps=30.0))
    a, b = reader.read().videos
    got = sorted((x['id'][-11:], x['start'], x['end'], x['unit']) for x in a['actions'])
    assert got == [
        ('A_0001_0003', 28, 91, 'frame'),  # 0.95 * 30 = 28.5 -> 28; 3.0 * 30 = 90 inclusive
        ('A_0010_0012', 292, 346, 'frame'),  # 9.75 * 30 = 292.5 -> 292; 11.5 * 30 = 345
        ('A_0020_0021', 0, 17, 'frame'),  # 0.1 - 0.25 clamped to 0; ceil(15.6) = 16
    ]
    assert (b['actions'][0]['start'], b['actions'][0]['end']) == (142, 181)  # [4.75, 6.0]
    # on the prepared frames of a 30 fps routine resampled with the authors' accumulator
    # (increment 5/6 from balance 1: the skipped source frames are 7, 13, 19, ..., 7 + 6j):
    # source 28 is prepared 28 - 4 = 24, source 90 is prepared 90 - 14 = 76, 91 is skipped
    src = resampled_indices(120, 30.0, 25.0, 'accumulator', increment_offset=0.0,
                            start_balance=1.0)
    (act, ), _ = actions_on_prepared_frames([a['actions'][0]], src, 30.0)
    assert (src[24], src[76], src[77]) == (28, 90, 92)
    assert (act['start_frame'], act['end_frame']) == (24, 77)
    # the default keeps the seconds and the end exclusive
    (c, _) = TASK_UTILS.build(dict(type='FineGymFXReader', data_root=str(tmp_path))).read().videos
    assert ('vidA_E_000100_000160_A_0001_0003', 1.2, 3.0, 'second') in [
        (x['id'], x['start'], x['end'], x['unit']) for x in c['actions']]
    with pytest.raises(ValueError, match='pre_seconds'):
        TASK_UTILS.build(dict(type='FineGymFXReader', data_root=str(tmp_path), pre_seconds=-1))


def test_diving48_clip_on_the_authors_frames():
    """A Diving48 clip of 30 fps prepared at 25 fps with the accumulator shows, for its action
    [0, 20), the source frames the authors' loop keeps (increment 0.8433 from balance 0)."""
    src = resampled_indices(20, 30.0, 25.0, 'accumulator', increment_offset=0.01,
                            start_balance=0.0)
    (act, ), dropped = actions_on_prepared_frames(
        [dict(id='c', label=3, split='train', start=0, end=20, unit='frame')], src, 30.0)
    assert not dropped and (act['start_frame'], act['end_frame']) == (0, 17)
    assert src[act['start_frame']:act['end_frame']].tolist() == [
        0, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19
    ]


def test_finegym_bad_reference(tmp_path):
    _finegym(tmp_path, False)
    with open(tmp_path / 'gym99_val_element.txt', 'a') as f:
        f.write('vidB_E_000010_000050_A_0099_0100 7\n')
    with pytest.raises(ReaderError, match='gym99_val_element.txt: action vidB.*A_0099_0100'):
        TASK_UTILS.build(dict(type='FineGymFXReader', data_root=str(tmp_path))).read()


def test_segment_list_csv_and_json(tmp_path):
    (tmp_path / 'videos').mkdir()
    _touch(tmp_path / 'videos' / 'p1.mp4')
    (tmp_path / 'seg.csv').write_text('video,split,start,end,time,label,id\n'
                                      'p1,train,1.0,2.5,,Lutz,x1\n'
                                      'p1,train,,,4.0,Axel,\n'
                                      'p2,test,,,,,\n')
    index = TASK_UTILS.build(
        dict(type='SegmentListReader', data_root=str(tmp_path), ann_file='seg.csv',
             dataset='fs')).read()
    assert index.classes == ['Axel', 'Lutz'] and index.dataset == 'fs'
    p1, p2 = index.videos
    assert p1['actions'] == [
        dict(id='x1', label=1, split='train', start=1.0, end=2.5, unit='second'),
        dict(id='p1_1', label=0, split='train', start=3.5, end=4.5, unit='second')
    ]
    assert p2['actions'] == [] and p2['split'] == 'test'
    _json(tmp_path / 'seg.json', dict(
        classes=['fh', 'bh'], unit='frame', videos=[
            dict(video='m1', split='test', file='sub/m1.mov',
                 actions=[dict(time=50, label='bh'), dict(start=3, end=9, label=0, id='s')])
        ]))
    index = TASK_UTILS.build(
        dict(type='SegmentListReader', data_root=str(tmp_path), ann_file='seg.json',
             point_window=5)).read()
    (m1, ) = index.videos
    assert m1['path'] == osp.join(str(tmp_path), 'videos', 'sub/m1.mov')
    assert [(a['id'], a['label'], a['start'], a['end'], a['unit']) for a in m1['actions']] == [
        ('m1_0', 1, 45.0, 55.0, 'frame'), ('s', 0, 3.0, 9.0, 'frame')
    ]
    (tmp_path / 'bad.csv').write_text('video,split,start,end,label\np1,train,3,1,Axel\n')
    with pytest.raises(ReaderError, match=r'bad.csv:2: bad segment'):
        TASK_UTILS.build(dict(type='SegmentListReader', data_root=str(tmp_path),
                              ann_file='bad.csv')).read()
    (tmp_path / 'bad.csv').write_text('video,split,start,end,label\np1,train,0,1,Flip\n')
    with pytest.raises(ReaderError, match=r'bad.csv:2: label'):
        TASK_UTILS.build(dict(type='SegmentListReader', data_root=str(tmp_path),
                              ann_file='bad.csv', classes=['Axel'])).read()


def test_video_folder(tmp_path):
    (tmp_path / 'videos' / 'sub').mkdir(parents=True)
    for name in ('a.mp4', 'b.MKV', 'notes.txt', 'sub/c.mp4'):
        _touch(tmp_path / 'videos' / name)
    index = TASK_UTILS.build(dict(type='VideoFolderReader', data_root=str(tmp_path))).read()
    assert [v['video'] for v in index.videos] == ['a', 'b']
    assert all(v['label'] == -1 and v['actions'] == [] and v['split'] == 'train'
               for v in index.videos)
    (tmp_path / 'labels.txt').write_text('# name label split\na kick\nsub__c punch test\n')
    index = TASK_UTILS.build(
        dict(type='VideoFolderReader', data_root=str(tmp_path), label_file='labels.txt',
             recursive=True)).read()
    v = {r['video']: r for r in index.videos}
    assert sorted(v) == ['a', 'b', 'sub__c'] and index.classes == ['kick', 'punch']
    assert v['sub__c']['split'] == 'test' and v['sub__c']['label'] == 1
    assert v['a']['actions'] == [dict(id='a', label=0, split='train', unit='video', start=0,
                                      end=0)]
    _json(tmp_path / 'labels.json', {'a': {'label': 'kick', 'split': 'val'}, 'zz': 'punch'})
    with pytest.raises(ReaderError, match=r'labels.json: 1 labelled videos are not in'):
        TASK_UTILS.build(dict(type='VideoFolderReader', data_root=str(tmp_path),
                              label_file='labels.json')).read()
    with pytest.raises(FileNotFoundError, match='nowhere'):
        TASK_UTILS.build(dict(type='VideoFolderReader', data_root=str(tmp_path),
                              video_dir='nowhere')).read()


def test_actions_on_prepared_frames():
    # a 30 fps source of 90 frames prepared at 10 fps: prepared frame k shows source 3k
    src = resampled_indices(90, 30.0, 10.0)
    np.testing.assert_array_equal(src, np.arange(0, 90, 3))
    acts = [
        dict(id='s', label=2, split='train', start=1.0, end=2.0, unit='second'),
        dict(id='f', label=-1, split='test', start=4, end=8, unit='frame'),
        dict(id='w', label=0, split='train', unit='video'),
        dict(id='late', label=0, split='train', start=5.0, end=6.0, unit='second'),
        dict(id='gap', label=0, split='train', start=4, end=5, unit='frame'),
    ]
    kept, dropped = actions_on_prepared_frames(acts, src, 30.0)
    # seconds [1, 2) -> source [30, 60) -> prepared [10, 20); frames [4, 8) -> sources 6 -> [2, 3)
    assert kept == [
        dict(id='s', label=2, split='train', start_frame=10, end_frame=20),
        dict(id='f', label=-1, split='test', start_frame=2, end_frame=3),
        dict(id='w', label=0, split='train', start_frame=0, end_frame=30),
    ]
    assert [d['id'] for d in dropped] == ['late', 'gap'] and 'no prepared frame' in \
        dropped[0]['reason']
    ann = build_action_annotations('x', ['a', 'b', 'c'], {
        'v': dict(fps=10.0, num_frames=30, split='train')
    }, {'v': kept})
    assert [a['id'] for a in ann['actions']] == ['w', 'f', 's']
    assert all(a['video'] == 'v' for a in ann['actions'])


def test_action_json_round_trip(tmp_path):
    from vpd_mm.datasets import dump_action_annotations
    ann = build_action_annotations('x', ['a'], {'v': dict(fps=25.0, num_frames=5, split='test')},
                                   {'v': [dict(id='i', label=0, split='test', start_frame=1,
                                               end_frame=5)]})
    dump_action_annotations(ann, str(tmp_path / 'a.json'))
    back = load_action_annotations(str(tmp_path / 'a.json'))
    assert back['actions'][0]['end_frame'] == 5 and back['videos']['v']['split'] == 'test'


# ------------------------------------------------------------- hostile annotation files (audit)
def _read(tmp_path, **cfg):
    return TASK_UTILS.build(dict(data_root=str(tmp_path), **cfg)).read()


def _seg_json(tmp_path, **top):
    """A one-video JSON segment list; ``top`` replaces top-level keys (``video``, ``actions``,
    ... go into the video entry when given as ``v_<key>``)."""
    video = dict(video='p1', split='train', actions=[dict(start=1.0, end=2.0, label='Axel')])
    video.update({k[2:]: v for k, v in top.items() if k.startswith('v_')})
    data = dict(classes=['Axel'], videos=[video])
    data.update({k: v for k, v in top.items() if not k.startswith('v_')})
    with open(tmp_path / 'seg.json', 'w') as f:
        json.dump(data, f)  # (NaN and Infinity written as JSON's extensions)
    return dict(type='SegmentListReader', ann_file='seg.json')


@pytest.mark.parametrize('row,problem', [
    ('nan,2.0,', r'\[nan, 2.0\) \(start and end must be finite'),
    ('1.0,inf,', r'\[1.0, inf\) \(start and end must be finite'),
    (',,nan', 'finite'),
    ('1.0,1e30,', r'more than 1e\+06 seconds'),
    ('2.0,2.0,', 'the end must come after the start'),
])
def test_segment_list_refuses_bad_times(tmp_path, row, problem):
    (tmp_path / 'seg.csv').write_text(f'video,start,end,time,label\np1,{row},Axel\n')
    with pytest.raises(ReaderError, match=rf'seg.csv:2: bad segment .*{problem}'):
        _read(tmp_path, type='SegmentListReader', ann_file='seg.csv')


@pytest.mark.parametrize('top,problem', [
    (dict(v_actions=[dict(start=float('nan'), end=2.0)]), r'videos\[0\].actions\[0\]: bad seg'),
    (dict(v_actions=[dict(start=0, end=10**30)], unit='frame'), 'more than 1e.08 frames'),
    (dict(unit='minute'), "unit must be one of .*'minute'"),
    (dict(unit=3), 'unit must be one of .*, got 3'),
    (dict(classes=5), 'classes must be a list of class names'),
    (dict(classes=[{'a': 1}]), 'classes must be a list of class names'),
    (dict(classes=['Axel', 'Lutz', 'Axel']), r"classes\[2\] 'Axel' is classes\[0\] again"),
    (dict(v_actions={'a': 1}), r'videos\[0\]: actions must be a list'),
    (dict(v_actions=[[1, 2]]), r'videos\[0\].actions\[0\]: expected an object'),
    (dict(v_actions=[None]), r'videos\[0\].actions\[0\]: expected an object'),
    (dict(v_actions=[dict(start=[1], end=2)]), 'start must be a number, got'),
    (dict(v_actions=[dict(start=1, end=2, label=True)]), 'label must be a string or an int'),
    (dict(v_actions=[dict(start=1, end=2, id=['x'])]), r"id must be a string or an int.*\['x"),
    (dict(v_video=None), r'videos\[0\]: video must be a string, got None'),
    (dict(v_video=['a']), r"videos\[0\]: video must be a string, got \['a'\]"),
    (dict(v_video=5), r'videos\[0\]: video must be a string, got 5'),
    (dict(v_split=['train']), r'videos\[0\]: split must be a string'),
    (dict(v_split='holdout'), r"videos\[0\].actions\[0\]: split 'holdout' is not one of"),
    (dict(v_file=['a', 'b']), r'videos\[0\]: file must be a string'),
])
def test_segment_list_json_refused_with_file_and_entry(tmp_path, top, problem):
    with pytest.raises(ReaderError, match=problem) as e:
        _read(tmp_path, **_seg_json(tmp_path, **top))
    assert str(e.value).startswith(str(tmp_path / 'seg.json') + ':')


def test_segment_list_split_duplicates_and_encoding(tmp_path):
    csv_head = 'video,split,start,end,label,id\n'
    cfg = dict(type='SegmentListReader', ann_file='seg.csv')
    (tmp_path / 'seg.csv').write_text(csv_head + 'p1,train,0,1,Axel,a\np2,holdout,0,1,Axel,b\n')
    with pytest.raises(ReaderError, match=r"seg.csv:3: split 'holdout' is not one of"):
        _read(tmp_path, **cfg)
    (tmp_path / 'seg.csv').write_text(csv_head + 'p1,train,0,1,Axel,a\np2,test,0,1,Axel,a\n')
    with pytest.raises(ReaderError, match=r"seg.csv:3: action id 'a' is also the id of .*"
                       r'seg.csv:2$'):
        _read(tmp_path, **cfg)
    (tmp_path / 'seg.csv').write_text(csv_head + 'p1,train,0,1,Axel,p1_1\np1,train,2,3,Axel,\n')
    with pytest.raises(ReaderError, match=r"seg.csv:3: action id 'p1_1' is also the id of"):
        _read(tmp_path, **cfg)  # an explicit id equal to a generated one
    (tmp_path / 'classes.txt').write_text('Axel\nLutz\n\nAxel\n')
    with pytest.raises(ReaderError, match=r"classes.txt:4: class 'Axel' already listed on line 1"):
        _read(tmp_path, classes='classes.txt', **cfg)
    # a class name of Unicode digits is a name, not an index ('²'.isdigit() is True)
    (tmp_path / 'seg.csv').write_text(csv_head + 'p1,train,0,1,\u00b2,a\n')
    assert _read(tmp_path, **cfg).classes == ['\u00b2']
    with pytest.raises(ReaderError, match=r"seg.csv:2: label '\u00b2' is not one of the 1 cl"):
        _read(tmp_path, classes=['Axel'], **cfg)
    # a byte-order mark (Windows editors) is dropped; bytes that are not UTF-8 are named
    (tmp_path / 'seg.csv').write_bytes(b'\xef\xbb\xbf' + (csv_head + 'p1,test,0,1,Axel,a\n')
                                       .encode())
    (p1, ) = _read(tmp_path, **cfg).videos
    assert p1['split'] == 'test' and p1['actions'][0]['id'] == 'a'
    (tmp_path / 'seg.csv').write_bytes(csv_head.encode() + b'p\xff1,train,0,1,Axel,a\n')
    with pytest.raises(ReaderError, match=r'seg.csv: not a UTF-8 segment list'):
        _read(tmp_path, **cfg)
    (tmp_path / 'seg.csv').write_text(csv_head + 'p1,train,0,1,Axel,a\n')
    (tmp_path / 'classes.txt').write_bytes(b'Axel\n\xe9t\xe9\n')
    with pytest.raises(ReaderError, match=r'classes.txt: not a UTF-8 class list'):
        _read(tmp_path, **cfg, classes='classes.txt')


def _diving48_files(tmp_path, **entry):
    _json(tmp_path / 'Diving48_vocab.json', [['Back', '15som', 'NoTwis', 'PIKE']])
    _json(tmp_path / 'Diving48_V2_train.json',
          [dict(dict(vid_name='clip_a', label=0, start_frame=0, end_frame=10), **entry)])
    _json(tmp_path / 'Diving48_V2_test.json', [])
    return dict(type='Diving48Reader')


@pytest.mark.parametrize('entry,problem', [
    (dict(vid_name=None), 'entry #0: vid_name must be a string, got None'),
    (dict(vid_name=['a', 'b']), r"entry #0: vid_name must be a string, got \['a', 'b'\]"),
    (dict(vid_name=123), 'entry #0: vid_name must be a string, got 123'),
    (dict(start_frame=-3), r'entry #0 \(clip_a\): bad segment \[-3, 10\) \(negative start\)'),
    (dict(end_frame=10**30), r'entry #0 \(clip_a\): bad segment .*more than 1e\+08 frames'),
])
def test_diving48_refuses_bad_entries(tmp_path, entry, problem):
    with pytest.raises(ReaderError, match=problem) as e:
        _read(tmp_path, **_diving48_files(tmp_path, **entry))
    assert str(e.value).startswith(str(tmp_path / 'Diving48_V2_train.json') + ': ')


@pytest.mark.parametrize('stamps,problem', [
    ([[float('nan'), 3.0]], r'timestamps\[0\]: bad segment \[nan, 3.0\) \(start and end must'),
    ([[1.2, 3.0], [3.0, float('inf')]], r'timestamps\[1\]: bad segment .*finite'),
    ([[-1.0, 3.0]], r'timestamps\[0\]: bad segment .*negative start'),
    ([[3.0, 1.2]], r'timestamps\[0\]: bad segment .*the end must come after'),
    ([[1.2, 1e300]], r'timestamps\[0\]: bad segment .*more than 1e\+06 seconds'),
    ([['1.2', 3.0]], 'start and end must be numbers'),
    ([[1.2]], r'timestamps\[0\] must be \[start, end\], got \[1.2\]'),
    ([], 'timestamps must be a non-empty list'),
])
@pytest.mark.parametrize('end_inclusive', [False, True])
def test_finegym_refuses_bad_timestamps(tmp_path, stamps, problem, end_inclusive):
    _finegym(tmp_path, False)
    ann = tmp_path / 'finegym_annotation_info_v1.1.json'
    data = json.loads(ann.read_text())
    data['vidA']['E_000100_000160']['segments']['A_0001_0003']['timestamps'] = stamps
    _json(ann, data)
    with pytest.raises(ReaderError, match=problem) as e:
        _read(tmp_path, type='FineGymFXReader', end_inclusive=end_inclusive, fps=25.0)
    assert str(e.value).startswith(f'{ann}: action vidA_E_000100_000160_A_0001_0003: ')


def test_finegym_label_files_checked(tmp_path):
    _finegym(tmp_path, True)
    train = tmp_path / 'gym99_train_element_v1.1.txt'
    text = train.read_text()
    cfg = dict(type='FineGymFXReader')
    train.write_text(text + 'vidA_E_000100_000160_A_0001_0003 7\n')
    with pytest.raises(ReaderError, match=r"train_element_v1.1.txt:4: action 'vidA_E_000100_"
                       r"000160_A_0001_0003' already listed on line 1"):
        _read(tmp_path, **cfg)
    train.write_text(text + 'vidB_E_000010_000050_A_0005_0006 17\n')  # also a val action
    with pytest.raises(ReaderError, match=r'gym99_val_element.txt: action vidB_E_000010_000050_'
                       r'A_0005_0006 is also listed in .*gym99_train_element_v1.1.txt'):
        _read(tmp_path, **cfg)
    train.write_text(text + 'vidB_E_000010_000050_A_0005_0007 \u00b2\n')
    with pytest.raises(ReaderError, match=r"1.txt:4: the label must be an integer, got '\u00b2'"):
        _read(tmp_path, **cfg)
    train.write_bytes(b'vidA_E_000100_000160_A_0001_0003 \xff6\n')
    with pytest.raises(ReaderError, match=r'train_element_v1.1.txt: not a UTF-8 label file'):
        _read(tmp_path, **cfg)
    train.write_bytes(b'\xef\xbb\xbf' + text.encode())  # a byte-order mark is dropped
    assert len(_read(tmp_path, **cfg).videos) == 2
    cats = tmp_path / 'gym99_categories.txt'
    lines = cats.read_text().splitlines()
    cats.write_text('\n'.join(lines + [lines[1].replace('element 6', 'again')]) + '\n')
    with pytest.raises(ReaderError, match=r'categories.txt:37: Clabel 6 already listed on line 2'):
        _read(tmp_path, **cfg)
    cats.write_bytes(b'Clabel: 6; set: 21; Glabel: 66; (FX) \xff\n')
    with pytest.raises(ReaderError, match=r'categories.txt: not a UTF-8 FineGym categories'):
        _read(tmp_path, **cfg)


def test_video_folder_label_file_checked(tmp_path):
    (tmp_path / 'videos').mkdir()
    for name in ('a.mp4', 'b.mp4'):
        _touch(tmp_path / 'videos' / name)
    cfg = dict(type='VideoFolderReader', label_file='labels.txt')
    (tmp_path / 'labels.txt').write_text('a kick\n# b\nb punch\na punch test\n')
    with pytest.raises(ReaderError, match=r"labels.txt:4: video 'a' already listed on .*"
                       r'labels.txt:1$'):
        _read(tmp_path, **cfg)
    (tmp_path / 'labels.txt').write_text('a \u00b2\n')
    with pytest.raises(ReaderError, match=r"labels.txt:1: label '\u00b2' is not one of the 1 cl"):
        _read(tmp_path, classes=['kick'], **cfg)
    (tmp_path / 'labels.txt').write_bytes(b'a kick\nb p\xfcnch\n')
    with pytest.raises(ReaderError, match=r'labels.txt: not a UTF-8 label file'):
        _read(tmp_path, **cfg)
    (tmp_path / 'labels.txt').write_bytes(b'\xef\xbb\xbfa kick\n')  # byte-order mark dropped
    assert [v['label'] for v in _read(tmp_path, **cfg).videos] == [0, -1]
    for label in (['kick'], True, 0.0):
        _json(tmp_path / 'labels.json', {'a': {'label': label}})
        with pytest.raises(ReaderError, match=r'labels.json: a: label must be a class name or '
                           r'index, got'):
            _read(tmp_path, type='VideoFolderReader', label_file='labels.json')
    _json(tmp_path / 'labels.json', {'a': {'label': 'kick', 'split': ['test']}})
    with pytest.raises(ReaderError, match=r'labels.json: a: split must be one of'):
        _read(tmp_path, type='VideoFolderReader', label_file='labels.json')


def test_actions_on_prepared_frames_huge_and_non_finite_times():
    src = np.arange(0, 30, 3)
    acts = [dict(id='huge', label=0, split='train', start=3, end=10**30, unit='frame'),
            dict(id='huge_s', label=0, split='train', start=0.0, end=1e300, unit='second'),
            dict(id='max_s', label=0, split='train', start=0.1, end=1.7e308, unit='second')]
    kept, dropped = actions_on_prepared_frames(acts, src, 30.0)
    assert not dropped  # to the last prepared frame, not dropped by an int64 overflow
    assert [(a['start_frame'], a['end_frame']) for a in kept] == [(1, 10), (0, 10), (1, 10)]
    with pytest.raises(ValueError, match=r"action 'n': start and end must be finite"):
        actions_on_prepared_frames([dict(id='n', start=float('nan'), end=3, unit='frame')], src,
                                   30.0)


def test_segment_list_video_listed_with_two_files(tmp_path):
    """The same video with two ``file``s was merged silently: a.mp4 kept, b.mp4's action
    attached to it. Now both rows are named, as for two splits."""
    csv_head = 'video,split,start,end,label,id,file\n'
    cfg = dict(type='SegmentListReader', ann_file='seg.csv')
    (tmp_path / 'seg.csv').write_text(csv_head + 'clip,train,0,0.4,jump,a1,a.mp4\n'
                                      'clip,train,0.2,0.6,spin,b1,b.mp4\n')
    videos = tmp_path / 'videos'
    with pytest.raises(ReaderError) as e:
        _read(tmp_path, **cfg)
    assert str(e.value) == (f"{tmp_path / 'seg.csv'}:3: video 'clip' listed with files "
                            f"{videos / 'a.mp4'} (at {tmp_path / 'seg.csv'}:2) and "
                            f"{videos / 'b.mp4'}")
    # a row without a file means <video_dir>/<video>.mp4: another file than sub/clip.mp4
    (tmp_path / 'seg.csv').write_text(csv_head + 'clip,train,0,0.4,jump,a1,sub/clip.mp4\n'
                                      'clip,train,0.2,0.6,spin,b1,\n')
    with pytest.raises(ReaderError, match=r"seg.csv:3: video 'clip' listed with files .*sub/"):
        _read(tmp_path, **cfg)
    # the same file on every row: one video, two actions
    (tmp_path / 'seg.csv').write_text(csv_head + 'clip,train,0,0.4,jump,a1,sub/clip.mp4\n'
                                      'clip,train,0.2,0.6,spin,b1,sub/clip.mp4\n')
    (clip, ) = _read(tmp_path, **cfg).videos
    assert clip['path'] == str(videos / 'sub' / 'clip.mp4')
    assert [a['id'] for a in clip['actions']] == ['a1', 'b1']
    # JSON: the entries are named; two splits name both rows too
    _json(tmp_path / 'seg.json', dict(classes=['jump'], videos=[
        dict(video='clip', file='a.mp4', actions=[dict(start=0, end=1, label='jump')]),
        dict(video='clip', file='b.mp4', actions=[dict(start=1, end=2, label='jump')])]))
    with pytest.raises(ReaderError, match=r"seg.json: videos\[1\].actions\[0\]: video 'clip' "
                       r'listed with files .*a.mp4 \(at .*seg.json: videos\[0\].actions\[0\]\)'):
        _read(tmp_path, type='SegmentListReader', ann_file='seg.json')
    (tmp_path / 'seg.csv').write_text(csv_head + 'clip,train,0,0.4,jump,a1,\n'
                                      'clip,test,0.2,0.6,spin,b1,\n')
    with pytest.raises(ReaderError, match=r"seg.csv:3: video 'clip' listed with splits 'train' "
                       r"\(at .*seg.csv:2\) and 'test'"):
        _read(tmp_path, **cfg)


@pytest.mark.parametrize('row,problem', [
    ('2.5,8,,jump', "start (a frame number, unit='frame') must be an integer, got 2.5"),
    ('2,7.5,,jump', "end (a frame number, unit='frame') must be an integer, got 7.5"),
    (',,40.5,jump', "time (a frame number, unit='frame') must be an integer, got 40.5"),
])
def test_segment_list_frame_numbers_must_be_integers(tmp_path, row, problem):
    """docs/data_preparation.md: a frame number of 7.5 stops the run (it was accepted)."""
    (tmp_path / 'seg.csv').write_text(f'video,start,end,time,label\np1,{row}\n')
    with pytest.raises(ReaderError) as e:
        _read(tmp_path, type='SegmentListReader', ann_file='seg.csv', unit='frame')
    assert str(e.value) == f"{tmp_path / 'seg.csv'}:2: {problem}"
    # in seconds, fractions are fine
    (p1, ) = _read(tmp_path, type='SegmentListReader', ann_file='seg.csv').videos
    assert len(p1['actions']) == 1


def test_segment_list_frame_numbers_integral_floats_pass(tmp_path):
    (tmp_path / 'seg.csv').write_text('video,start,end,label\np1,2.0,8,jump\np1,1e1,12,jump\n')
    (p1, ) = _read(tmp_path, type='SegmentListReader', ann_file='seg.csv', unit='frame').videos
    assert [(a['start'], a['end']) for a in p1['actions']] == [(2.0, 8.0), (10.0, 12.0)]
    # the JSON's unit applies as well
    _json(tmp_path / 'seg.json', dict(unit='frame', videos=[
        dict(video='p1', actions=[dict(start=3.0, end=9, label='jump'),
                                  dict(start=3.5, end=9, label='jump')])]))
    with pytest.raises(ReaderError, match=r"seg.json: videos\[0\].actions\[1\]: start \(a frame "
                       r"number, unit='frame'\) must be an integer, got 3.5"):
        _read(tmp_path, type='SegmentListReader', ann_file='seg.json')


def test_segment_list_label_without_a_segment(tmp_path):
    """A row without start/end/time lists a video without actions: its label added a class
    ('7.5' before 'jump', so every 'jump' became label 1) and was dropped. Now refused."""
    head = 'video,split,start,end,label,id\n'
    (tmp_path / 'seg.csv').write_text(head + 'a,train,2,7,jump,x1\nb,train,,,7.5,\n')
    with pytest.raises(ReaderError) as e:
        _read(tmp_path, type='SegmentListReader', ann_file='seg.csv', unit='frame')
    assert str(e.value) == (f"{tmp_path / 'seg.csv'}:3: label '7.5' without start/end or time "
                            '(a row without a segment lists a video without actions)')
    (tmp_path / 'seg.csv').write_text(head + 'a,train,2,7,jump,x1\nb,train,,,,y1\n')
    with pytest.raises(ReaderError, match=r"seg.csv:3: id 'y1' without start/end or time"):
        _read(tmp_path, type='SegmentListReader', ann_file='seg.csv')
    _json(tmp_path / 'seg.json', dict(videos=[dict(video='b', actions=[dict(label='Axel')])]))
    with pytest.raises(ReaderError, match=r"seg.json: videos\[0\].actions\[0\]: label 'Axel' "
                       'without start/end or time'):
        _read(tmp_path, type='SegmentListReader', ann_file='seg.json')
    # a video without actions, and the classes of the actions only
    (tmp_path / 'seg.csv').write_text(head + 'a,train,2,7,jump,x1\nb,train,,,,\n')
    index = _read(tmp_path, type='SegmentListReader', ann_file='seg.csv', unit='frame')
    assert index.classes == ['jump'] and index.videos[0]['actions'][0]['label'] == 0
    assert index.videos[1]['actions'] == []
