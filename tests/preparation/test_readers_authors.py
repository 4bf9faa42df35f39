# Copyright (c) vpd_mm contributors. All rights reserved.
"""FSJump6 and Tennis7 readers on small files written in the VPD authors' formats, the few-shot
id lists, and the preparation configs that use them."""
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
from mmaction.registry import TASK_UTILS
from mmengine.config import Config

import vpd_mm  # noqa: F401
from vpd_mm.preparation.readers import (ReaderError, SourceFrameRates, filter_id_list, parse_clip,
                                        parse_routine, swing_window, widen_jump)
from vpd_mm.preparation.stages.video import check_sampling

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
R17 = 'men_world_short_program_2017_19_00258475_00262700'
R18 = 'men_world_short_program_2018_25_00350300_00354450'
R14 = 'women_olympic_short_program_2014_02_00010000_00014000'


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'x')  # not a video: its frame rate cannot be read


def _real_video(path, fps, frames=3):
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, (16, 16))
    assert writer.isOpened()
    for t in range(frames):
        writer.write(np.full((16, 16, 3), 10 * t, np.uint8))
    writer.release()


def _fs_files(root):
    (root / 'all.txt').write_text(f'{R17}:642:681 axel\n'
                                  f'{R17}:1056:1099 lutz\n'
                                  '\n'
                                  f'{R17}:10:40 flip\n'
                                  f'{R18}:734:773 salchow\n'
                                  f'{R14}:100:200 toe_loop\n')
    (root / 'val.ids.txt').write_text(f'{R17}:1056:1099\n')


def _fs(root, **kwargs):
    return TASK_UTILS.build(dict(type='FSJump6Reader', data_root=str(root), **kwargs))


def test_widen_jump_hand_computed():
    # mid 661.5: 661.5 - 62.5 = 599 < 642; 661.5 + 12.5 = 674 < 681 keeps the label's end
    assert widen_jump(642, 681, 25.0) == (599, 681)
    # 30 fps: 661.5 - 75 = 586.5 -> 586; 661.5 + 15 = 676.5 -> 676 < 681
    assert widen_jump(642, 681, 30.0) == (586, 681)
    # a short jump: the end grows too (mid 50: 50 + 12.5 -> 62)
    assert widen_jump(48, 52, 25.0) == (0, 62)
    # near the start of the routine: 25 - 62.5 < 0 is clamped to 0 (the authors' slice would
    # have counted it from the end)
    assert widen_jump(10, 40, 25.0) == (0, 40)
    # a jump longer than the window keeps its bounds
    assert widen_jump(100, 200, 25.0) == (87, 200)


def test_fsjump6_reader(tmp_path):
    _fs_files(tmp_path)
    _touch(tmp_path / 'videos' / f'{R17}.mp4')
    index = _fs(tmp_path, fps=25.0).read()
    assert index.dataset == 'fs'
    assert index.classes == ['axel', 'lutz', 'flip', 'loop', 'salchow', 'toe_loop']
    assert [v['video'] for v in index.videos] == [R17, R18, R14]  # sorted names
    v = {r['video']: r for r in index.videos}
    assert v[R17]['path'] == str(tmp_path / 'videos' / f'{R17}.mp4')
    assert v[R18]['path'] == str(tmp_path / 'videos' / f'{R18}.mp4')  # missing: unreadable
    assert (v[R17]['split'], v[R18]['split'], v[R14]['split']) == ('train', 'test', 'train')
    assert all(r['label'] == -1 for r in index.videos)
    assert v[R17]['actions'] == [
        dict(id=f'{R17}:642:681', label=0, split='train', start=599, end=681, unit='frame'),
        dict(id=f'{R17}:1056:1099', label=1, split='val', start=1015, end=1099, unit='frame'),
        dict(id=f'{R17}:10:40', label=2, split='train', start=0, end=40, unit='frame'),
    ]
    # 2018: test; mid 753.5 -> [691, 773)
    assert v[R18]['actions'] == [
        dict(id=f'{R18}:734:773', label=4, split='test', start=691, end=773, unit='frame')
    ]
    assert v[R14]['actions'][0]['label'] == 5
    # a routine whose only jumps are validation jumps is a validation video
    (tmp_path / 'val.ids.txt').write_text(f'{R14}:100:200\n')
    assert {r['video']: r['split'] for r in _fs(tmp_path, fps=25.0).read().videos}[R14] == 'val'
    # no val file: every jump of 2014/2017 trains
    index = _fs(tmp_path, fps=25.0, val_file=None).read()
    assert {a['split'] for r in index.videos[::2] for a in r['actions']} == {'train'}


def test_fsjump6_frame_rate_from_the_clip(tmp_path):
    _fs_files(tmp_path)
    _real_video(tmp_path / 'videos' / f'{R17}.avi', 30.0)
    rates = SourceFrameRates()
    assert rates(str(tmp_path / 'videos' / f'{R17}.avi')) == pytest.approx(30.0)
    index = _fs(tmp_path).read()
    v = {r['video']: r for r in index.videos}
    assert v[R17]['path'].endswith(f'{R17}.avi')
    assert v[R17]['actions'][0]['start'] == 586  # widened at 30 fps
    assert v[R18]['actions'][0]['start'] == 691  # missing clip: default_fps 25
    assert rates(str(tmp_path / 'nothing.mp4')) == 25.0 and len(rates.assumed) == 1
    with pytest.raises(ReaderError, match="nothing.mp4.*give the reader's fps"):
        SourceFrameRates(default_fps=None)(str(tmp_path / 'nothing.mp4'))


@pytest.mark.parametrize('line, problem', [
    (f'{R17}:642:681', r'all.txt:2: expected "<action id> <label>"'),
    (f'{R17}:642:681 axel extra', r'all.txt:2: expected "<action id> <label>"'),
    (f'{R17}:642 axel', r'all.txt:2: expected the id "<routine>:<start>:<end>"'),
    (f'{R17}:6x:681 axel', r'all.txt:2: expected the id'),
    ('program_7:1:5 axel', r'all.txt:2: not a routine name'),
    (f'{R17}:681:642 axel', r'all.txt:2: empty jump'),
    (f'{R17}:1:5 quad', r"all.txt:2: label 'quad' is not one of the classes"),
    (f'{R18}:734:773 lutz', r'all.txt:2: action .* already listed on line 1'),
])
def test_fsjump6_bad_lines(tmp_path, line, problem):
    (tmp_path / 'all.txt').write_text(f'{R18}:734:773 salchow\n{line}\n')
    with pytest.raises(ReaderError, match=problem):
        _fs(tmp_path, fps=25.0, val_file=None).read()


def test_fsjump6_bad_references(tmp_path):
    _fs_files(tmp_path)
    (tmp_path / 'val.ids.txt').write_text(f'{R17}:642:681\n{R17}:1:2\n')
    with pytest.raises(ReaderError, match=r'val.ids.txt:2: .*:1:2\' is not an action of'):
        _fs(tmp_path, fps=25.0).read()
    (tmp_path / 'val.ids.txt').write_text(f'{R17}:642:681\n{R17}:642:681\n')
    with pytest.raises(ReaderError, match=r'val.ids.txt:2: id .* already listed on line 1'):
        _fs(tmp_path, fps=25.0).read()
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        _fs(tmp_path, fps=25.0, val_file='nope.txt').read()
    with pytest.raises(ReaderError, match=r'no routine of the test years \[2022\]'):
        _fs(tmp_path, fps=25.0, val_file=None, test_years=(2022, )).read()


def test_parse_names():
    assert parse_routine(R18) == dict(event='men_world_short_program', year=2018, num=25,
                                      start=350300, end=354450)
    assert parse_clip('usopen_2019_mens_final_medvedev_nadal_1348_2256') == (
        'usopen_2019_mens_final_medvedev_nadal', 1348, 2256)
    for bad in ('a_2018_1_2', 'x/../2018_1_2_3', ''):
        with pytest.raises(ValueError):
            parse_routine(bad)
    for bad in ('m_5_5', 'm_9_3', 'noframes'):
        with pytest.raises(ValueError):
            parse_clip(bad)


def test_swing_window_hand_computed():
    # contact 1237 in the clip 1200..1500: mid 37; 25 fps: 37 -+ 12.5 -> [24, 49)
    assert swing_window(1237, 1200, 1500, 25.0) == (24, 49)
    # 29.97 fps: 37 - 14.985 = 22.015 -> 22; 37 + 14.985 = 51.985 -> 51
    assert swing_window(1237, 1200, 1500, 29.97) == (22, 51)
    # clamped to the clip: [0, ...) and [..., 300)
    assert swing_window(1205, 1200, 1500, 25.0) == (0, 17)
    assert swing_window(1495, 1200, 1500, 25.0) == (282, 300)


def _tennis_files(root):
    for clip in ('matchA_100_400', 'matchA_350_700', 'matchA_800_900', 'matchT_0_500'):
        _touch(root / 'videos' / f'{clip}.mp4')
    (root / 'all.txt').write_text('matchA:front:110 forehand_topspin\n'
                                  'matchA:back:390 backhand_slice\n'
                                  'matchA:back:200 serve\n'
                                  'matchA:front:650 overhead\n'
                                  'matchA:front:695 forehand_volley\n'
                                  'matchA:front:850 backhand_volley\n'
                                  'matchT:front:250 backhand_topspin\n')
    (root / 'val.ids.txt').write_text('matchA:front:650\nmatchA:back:200\nmatchA:front:850\n')


def _tennis(root, **kwargs):
    cfg = dict(type='Tennis7Reader', data_root=str(root), fps=25.0, test_matches=('matchT', ))
    cfg.update(kwargs)
    return TASK_UTILS.build(cfg)


def test_tennis7_reader(tmp_path):
    _tennis_files(tmp_path)
    reader = _tennis(tmp_path)
    index = reader.read()
    assert index.dataset == 'tennis' and len(index.classes) == 7
    assert index.classes[0] == 'forehand_topspin' and index.classes[6] == 'overhead'
    v = {r['video']: r for r in index.videos}
    # one video per clip and player, named like the authors' pose folders
    assert sorted(v) == [f'{p}__{c}' for p in ('back', 'front') for c in (
        'matchA_100_400', 'matchA_350_700', 'matchA_800_900', 'matchT_0_500')]
    assert [r['video'] for r in index.videos] == sorted(v)
    assert v['front__matchA_100_400']['path'] == str(tmp_path / 'videos' / 'matchA_100_400.mp4')
    assert v['back__matchA_100_400']['path'] == v['front__matchA_100_400']['path']
    assert v['back__matchA_100_400']['player'] == 'back'

    def acts(name):
        return [(a['id'], a['label'], a['split'], a['start'], a['end'])
                for a in v[name]['actions']]

    # 110 in 100..400: mid 10 -> [0, 22)
    assert acts('front__matchA_100_400') == [('matchA:front:110', 0, 'train', 0, 22)]
    # 390 is in both matchA clips; 9 frames from the end of 100..400, 40 from the start of
    # 350..700: the second, mid 40 -> [27, 52)
    assert acts('back__matchA_350_700') == [('matchA:back:390', 3, 'train', 27, 52)]
    assert acts('back__matchA_100_400') == []  # the serve at 200 is left out
    # 650: mid 300 -> [287, 312) (val); 695: mid 345 -> [332, 350): clamped to the clip's end
    assert acts('front__matchA_350_700') == [('matchA:front:650', 6, 'val', 287, 312),
                                             ('matchA:front:695', 4, 'train', 332, 350)]
    assert acts('front__matchT_0_500') == [('matchT:front:250', 2, 'test', 237, 262)]
    splits = {k: r['split'] for k, r in v.items()}
    assert splits['front__matchA_350_700'] == 'train' and splits['back__matchA_100_400'] == 'train'
    assert splits['front__matchA_800_900'] == 'val'  # its only stroke is a val stroke
    assert splits['front__matchT_0_500'] == splits['back__matchT_0_500'] == 'test'
    assert reader.ignored_ids == ['matchA:back:200']


@pytest.mark.parametrize('line, problem', [
    ('matchA:front:110', r'all.txt:2: expected "<action id> <label>"'),
    ('matchA:front forehand_slice', r'all.txt:2: expected the id "<match>:<player>:<frame>"'),
    ('matchA:front:-3 forehand_slice', r'all.txt:2: expected the id'),
    ('matchA:left:110 forehand_slice', r"all.txt:2: player 'left' is not one of"),
    ('matchA:front:110 smash', r"all.txt:2: label 'smash' is not one of the classes"),
    ('matchA:front:750 forehand_slice', r"all.txt:2: no clip of match 'matchA' .* holds frame "
     '750'),
    ('matchZ:back:10 forehand_slice', r"all.txt:2: no clip of match 'matchZ'"),
])
def test_tennis7_bad_lines(tmp_path, line, problem):
    _tennis_files(tmp_path)
    (tmp_path / 'all.txt').write_text(f'matchT:front:250 backhand_topspin\n{line}\n')
    with pytest.raises(ReaderError, match=problem):
        _tennis(tmp_path, val_file=None).read()


def test_tennis7_unplaced_and_bad_files(tmp_path):
    _tennis_files(tmp_path)
    with open(tmp_path / 'all.txt', 'a') as f:
        f.write('matchA:back:760 forehand_slice\n')
    reader = _tennis(tmp_path, drop_unplaced=True)
    index = reader.read()
    assert reader.unplaced_ids == ['matchA:back:760']
    assert 'matchA:back:760' not in {a['id'] for r in index.videos for a in r['actions']}
    (tmp_path / 'val.ids.txt').write_text('matchA:front:111\n')
    with pytest.raises(ReaderError, match=r"val.ids.txt:1: 'matchA:front:111' is not an action"):
        _tennis(tmp_path).read()
    with pytest.raises(ReaderError, match=r"test matches \['matchQ'\] have no clip"):
        _tennis(tmp_path, val_file=None, drop_unplaced=True, test_matches=('matchQ', )).read()
    _touch(tmp_path / 'videos' / 'highlights.mp4')
    with pytest.raises(ReaderError, match=r"1 videos are not named <match>_<start>_<end>.*"
                       'highlights'):
        _tennis(tmp_path, val_file=None).read()
    with pytest.raises(FileNotFoundError, match='point clips not found'):
        _tennis(tmp_path, val_file=None, video_dir='clips').read()


def test_tennis7_frame_rate_from_the_clip(tmp_path):
    _tennis_files(tmp_path)
    (tmp_path / 'videos' / 'matchT_0_500.mp4').unlink()
    _real_video(tmp_path / 'videos' / 'matchT_0_500.avi', 30.0)
    index = _tennis(tmp_path, fps=None).read()
    v = {r['video']: r for r in index.videos}
    # 30 fps: 250 -+ 15 -> [235, 265); the placeholder clips (unreadable) assume 25 fps
    assert v['front__matchT_0_500']['actions'][0]['start'] == 235
    assert v['front__matchT_0_500']['actions'][0]['end'] == 265
    assert v['front__matchA_100_400']['actions'][0]['end'] == 22


def test_fewshot_id_lists(tmp_path):
    _tennis_files(tmp_path)
    reader = _tennis(tmp_path)
    index = reader.read()
    # the authors' subsets mix in labels outside the 7 classes (here the serve)
    (tmp_path / 'train_1_0.ids.txt').write_text('matchA:back:390\nmatchA:back:200\n\n'
                                                'matchA:front:110\n')
    kept, dropped = filter_id_list(str(tmp_path / 'train_1_0.ids.txt'), index, reader.ignored_ids)
    assert kept == ['matchA:back:390', 'matchA:front:110']
    assert dropped == [('matchA:back:200', 'label outside the classes')]
    kept, dropped = filter_id_list(str(tmp_path / 'train_1_0.ids.txt'), index, reader.ignored_ids,
                                   prepared_ids=['matchA:front:110'])
    assert kept == ['matchA:front:110']
    assert dropped == [('matchA:back:390', 'not in the prepared annotations (video skipped)'),
                       ('matchA:back:200', 'label outside the classes')]
    for ids, problem in (('matchA:front:110\nmatchA:back:1\n', r'train_1_0.ids.txt:2: '
                          r"'matchA:back:1' is not an action of dataset 'tennis'"),
                         ('matchA:front:650\n', r'train_1_0.ids.txt:1: .* is a val action'),
                         ('matchT:front:250\n', r'train_1_0.ids.txt:1: .* is a test action'),
                         ('matchA:back:200\n', None)):
        (tmp_path / 'train_1_0.ids.txt').write_text(ids)
        if problem is None:  # without the reader's ignored ids the serve is unknown
            with pytest.raises(ReaderError, match='is not an action'):
                filter_id_list(str(tmp_path / 'train_1_0.ids.txt'), index)
            continue
        with pytest.raises(ReaderError, match=problem):
            filter_id_list(str(tmp_path / 'train_1_0.ids.txt'), index, reader.ignored_ids)


def test_filter_id_lists_tool(tmp_path, capsys):
    sys.path.insert(0, osp.join(ROOT, 'tools', 'data'))
    try:
        from filter_id_lists import main
    finally:
        sys.path.pop(0)
    raw = tmp_path / 'raw'
    _tennis_files(raw)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"dataset_name = 'tennis'\nout_dir = {str(tmp_path / 'out')!r}\n"
                   f"reader = dict(type='Tennis7Reader', data_root={str(raw)!r}, fps=25.0, "
                   "test_matches=('matchT', ), dataset='tennis')\n")
    (tmp_path / 'train_1_0.ids.txt').write_text('matchA:back:390\nmatchA:back:200\n')
    out = tmp_path / 'lists'
    assert main([str(cfg), str(tmp_path / 'train_1_0.ids.txt'), '--out-dir', str(out)]) == 0
    assert (out / 'train_1_0.ids.txt').read_text() == 'matchA:back:390\n'
    assert '1 ids kept, 1 dropped (label outside the classes: 1)' in capsys.readouterr().out
    (tmp_path / 'train_1_1.ids.txt').write_text('matchA:back:391\n')
    assert main([str(cfg), str(tmp_path / 'train_1_1.ids.txt'), '--out-dir', str(out)]) == 2
    assert 'train_1_1.ids.txt:1:' in capsys.readouterr().err
    assert not (out / 'train_1_1.ids.txt').exists()
    # every list is checked before any is written: a good list before a bad one is not written
    (tmp_path / 'train_2_0.ids.txt').write_text('matchA:back:390\n')
    assert main([str(cfg), str(tmp_path / 'train_2_0.ids.txt'),
                 str(tmp_path / 'train_1_1.ids.txt'), '--out-dir', str(out)]) == 2
    assert not (out / 'train_2_0.ids.txt').exists()
    # two lists of one file name would overwrite each other: refused, both named
    (tmp_path / 'b').mkdir()
    (tmp_path / 'b' / 'train_1_0.ids.txt').write_text('matchA:back:390\n')
    assert main([str(cfg), str(tmp_path / 'train_1_0.ids.txt'),
                 str(tmp_path / 'b' / 'train_1_0.ids.txt'), '--out-dir', str(tmp_path / 'l2')]) == 2
    err = capsys.readouterr().err
    assert 'same file name would overwrite each other' in err and str(tmp_path / 'b') in err
    assert not (tmp_path / 'l2').exists()
    # a malformed --ann-file and a missing label file: one line each, no traceback
    bad = tmp_path / 'bad_actions.json'
    bad.write_text('{"actions": [{"id": 1}]}')
    assert main([str(cfg), str(tmp_path / 'train_1_0.ids.txt'), '--out-dir', str(out),
                 '--ann-file', str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f'error: {bad}: action #0')
    assert main([str(cfg), str(tmp_path / 'train_1_0.ids.txt'), '--out-dir', str(out),
                 '--cfg-options', f'reader.data_root={tmp_path / "nowhere"}']) == 2
    assert 'not found' in capsys.readouterr().err


def test_preparation_configs_use_the_authors_rules():
    def load(name):
        return Config.fromfile(osp.join(ROOT, 'configs', 'preparation', f'{name}.py'))

    diving, fx, fs, tennis = (load(n) for n in ('diving48', 'finegym_fx', 'fs', 'tennis'))
    assert diving.fps == fx.fps == 25
    assert check_sampling(diving.sampling) == dict(sampling='accumulator',
                                                   increment_offset=0.01, start_balance=0.0)
    assert check_sampling(fx.sampling) == dict(sampling='accumulator', increment_offset=0.0,
                                               start_balance=1.0)
    assert fx.reader.pre_seconds == 0.25 and fx.reader.end_inclusive is True
    assert fs.get('fps') is None and tennis.get('fps') is None  # the source rate is kept
    assert fs.get('sampling') is None and tennis.get('sampling') is None
    for cfg, reader in ((fs, 'FSJump6Reader'), (tennis, 'Tennis7Reader')):
        assert cfg.reader.type == reader and TASK_UTILS.get(reader) is not None
        assert cfg.reader.dataset == cfg.dataset_name
        assert cfg.reader.ann_file == 'all.txt' and cfg.reader.val_file == 'val.ids.txt'
