# Copyright (c) vpd_mm contributors. All rights reserved.
"""Broken action annotations and mismatched class counts (issue 16): one line naming the file,
the entry and the value, never a bare ``invalid literal for int()``."""
import json

import numpy as np
import pytest
from mmengine.config import Config

from vpd_mm.datasets import (AnnotationError, NumClassesError, check_num_classes,
                             load_action_annotations)
from vpd_mm.utils.io import int_field


def _write(tmp_path, actions, classes=('a', 'b', 'c'), videos=None):
    path = tmp_path / 'actions.json'
    path.write_text(json.dumps(dict(classes=list(classes), videos=videos or {},
                                    actions=actions)))
    return str(path)


def _act(i, label=0, start=0, end=5, video='v0'):
    return dict(id=f'a{i}', video=video, start_frame=start, end_frame=end, label=label,
                split='train')


@pytest.mark.parametrize('key,value', [('label', 'seven'), ('label', 1.5), ('label', None),
                                       ('start_frame', '2x'), ('end_frame', [3]),
                                       ('label', True)])
def test_non_integer_fields_name_file_entry_and_value(tmp_path, key, value):
    acts = [_act(0), dict(_act(1), **{key: value})]
    path = _write(tmp_path, acts)
    with pytest.raises(AnnotationError) as err:
        load_action_annotations(path)
    assert str(err.value) == (f"{path}: action #1 ('a1'): {key} must be an integer, got "
                              f'{value!r}')


def test_integral_values_are_read_as_ints(tmp_path):
    path = _write(tmp_path, [dict(_act(0), label='2', start_frame=1.0, end_frame=4)],
                  videos=dict(v0=dict(num_frames='9')))
    ann = load_action_annotations(path)
    act = ann['actions'][0]
    assert (act['label'], act['start_frame'], act['end_frame']) == (2, 1, 4)
    assert all(type(act[k]) is int for k in ('label', 'start_frame', 'end_frame'))
    assert ann['videos']['v0']['num_frames'] == 9
    bad = _write(tmp_path, [_act(0)], videos=dict(v0=dict(num_frames='many')))
    with pytest.raises(AnnotationError, match=r"video 'v0': num_frames must be an integer, got "
                       r"'many'"):
        load_action_annotations(bad)
    with pytest.raises(AnnotationError, match=r'action #0 is not a dict'):
        load_action_annotations(_write(tmp_path, [['a0', 'v0']]))


def test_int_field():
    assert int_field(np.int32(3), 'label', 'f') == 3 and int_field(' -1 ', 'label', 'f') == -1
    for bad in (float('nan'), float('inf'), '3.0', np.bool_(True), {}):
        with pytest.raises(ValueError, match='f: label must be an integer'):
            int_field(bad, 'label', 'f')


def _cfg(ann_file, num_classes, head=True, dataset='VPDFeatureSequenceDataset'):
    model = dict(cls_head=dict(num_classes=num_classes)) if head else dict(
        num_classes=num_classes)
    loaders = {
        f'{k}_dataloader': dict(dataset=dict(type=dataset, ann_file=ann_file))
        for k in ('train', 'val', 'test')
    }
    return Config(dict(model=model, **loaders))


def test_check_num_classes(tmp_path):
    path = _write(tmp_path, [_act(0, label=2)])
    assert check_num_classes(_cfg(path, 3), 'my.py') == 3
    assert check_num_classes(_cfg(path, 3, head=False), 'my.py') == 3
    with pytest.raises(NumClassesError) as err:
        check_num_classes(_cfg(path, 8), 'bigru_sports.py')
    assert str(err.value) == (
        f'bigru_sports.py: model.cls_head.num_classes=8 but {path} (train_dataloader) lists 3 '
        'classes; set model.cls_head.num_classes=3 (e.g. --cfg-options '
        'model.cls_head.num_classes=3)')
    with pytest.raises(NumClassesError, match='model.num_classes=2 but .* lists 3 classes'):
        check_num_classes(_cfg(path, 2, head=False), 'dtw.py')
    # a file without a class list: every label must be below num_classes
    unnamed = str(tmp_path / 'unnamed.json')
    with open(unnamed, 'w') as f:
        json.dump(dict(actions=[_act(0, label=4)]), f)
    assert check_num_classes(_cfg(unnamed, 5), 'x.py') == 5
    with pytest.raises(NumClassesError, match=r'x.py: model.cls_head.num_classes=4 but .* has '
                       r'label 4; set model.cls_head.num_classes to its number of classes '
                       r'\(at least 5\)'):
        check_num_classes(_cfg(unnamed, 4), 'x.py')
    # nothing to compare: no num_classes, a missing file, another kind of dataset
    assert check_num_classes(Config(dict(model=dict(type='VPDDistiller')))) is None
    assert check_num_classes(_cfg(str(tmp_path / 'missing.json'), 8)) is None
    assert check_num_classes(_cfg(path, 8, dataset='FrameLabelDataset')) is None


def _write_ann(tmp_path, **over):
    ann = dict(classes=['a', 'b'], videos=dict(v0=dict(fps=25.0, num_frames=9, split='train')),
               actions=[_act(0)])
    ann.update(over)
    path = tmp_path / 'actions.json'
    path.write_text(json.dumps(ann))
    return str(path)


@pytest.mark.parametrize('over,problem', [
    (dict(classes=5), '"classes" must be a list of class names (strings), got 5'),
    (dict(classes='ab'), '"classes" must be a list of class names (strings), got \'ab\''),
    (dict(classes=None), '"classes" must be a list of class names (strings), got None'),
    (dict(classes=['a', 3]), '"classes" must be a list of class names (strings)'),
    (dict(actions=[dict(_act(0), id=[1, 2])]), 'action #0: id must be a string'),
    (dict(actions=[dict(_act(0), id={'a': 1})]), 'action #0: id must be a string'),
    (dict(videos=dict(v0=5)), "videos['v0'] must be a dict (fps, num_frames, split), got 5"),
    (dict(videos=dict(v0=None)), "videos['v0'] must be a dict"),
    (dict(videos=dict(v0={}, v1=dict(split='bogus'))),
     "videos['v1']: split 'bogus' is not one of ('train', 'val', 'test')"),
    (dict(videos=dict(v0=dict(fps='fast'))), "videos['v0']: fps must be a positive number, "
     "got 'fast'"),
    (dict(videos=dict(v0=dict(fps=-25))), "videos['v0']: fps must be a positive number"),
    (dict(videos=dict(v0=dict(fps=True))), "videos['v0']: fps must be a positive number"),
    (dict(videos=dict(v0=dict(num_frames=-1))), "videos['v0']: negative num_frames -1"),
])
def test_json_types_are_checked(tmp_path, over, problem):
    path = _write_ann(tmp_path, **over)
    with pytest.raises(AnnotationError) as err:
        load_action_annotations(path)
    assert str(err.value).startswith(f'{path}: {problem}')


@pytest.mark.parametrize('video,why', [('../../etc', 'contains a path separator'),
                                       ('/etc/passwd', 'is an absolute path'),
                                       (None, 'is a NoneType, not a string'),
                                       (['v0'], 'is a list, not a string'),
                                       (5, 'is a int, not a string')])
def test_video_names_must_be_file_names(tmp_path, video, why):
    """A video name becomes <feature_dir>/<video>.npy and rawframes/<video>: refused, in an
    action or as a key of "videos", with an error of both classes."""
    from vpd_mm.datasets.features import UnsafeVideoNameError
    from vpd_mm.utils.paths import UnsafePathError
    path = _write_ann(tmp_path, actions=[_act(0), _act(1, video=video)])
    with pytest.raises(UnsafeVideoNameError) as err:
        load_action_annotations(path)
    assert isinstance(err.value, UnsafePathError)
    assert str(err.value).startswith(f"{path}: action #1 ('a1'): video name {video!r} {why}")
    if isinstance(video, str):
        path = _write_ann(tmp_path, videos={video: dict(num_frames=3)})
        with pytest.raises(UnsafeVideoNameError, match=f'videos\\[{video!r}\\]: video name'):
            load_action_annotations(path)


def test_encodings(tmp_path):
    path = tmp_path / 'actions.json'
    text = json.dumps(dict(classes=['é'], actions=[_act(0)]), ensure_ascii=False)
    path.write_bytes(text.encode('latin-1'))
    with pytest.raises(AnnotationError, match=f"^{path}: .*'utf-8' codec can't decode"):
        load_action_annotations(str(path))
    path.write_bytes(b'\xff\xfe\x00\x01')
    with pytest.raises(AnnotationError, match=f'^{path}: not a readable JSON'):
        load_action_annotations(str(path))
    # a byte-order mark (Windows editors) is fine
    path.write_text('\ufeff' + text, encoding='utf-8')
    assert load_action_annotations(str(path))['classes'] == ['é']


def test_action_frames_dataset_joins_under_rawframes(tmp_path):
    """Defence in depth: the dataset's rawframes path of a video is joined with join_under."""
    from vpd_mm.datasets.action_frames_dataset import VPDActionFramesDataset
    from vpd_mm.utils.paths import UnsafePathError
    ds = VPDActionFramesDataset.__new__(VPDActionFramesDataset)
    ds.data_prefix, ds.ann_file = dict(img=str(tmp_path / 'rawframes')), 'ann.json'
    assert ds._frame_path('v0') == str(tmp_path / 'rawframes' / 'v0')
    with pytest.raises(UnsafePathError, match=r"ann\.json: video name '\.\./x'"):
        ds._frame_path('../x')
