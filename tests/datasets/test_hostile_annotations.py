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
