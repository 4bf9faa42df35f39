"""DumpPredictions (per-sample predictions JSON) and the few-shot confusion files."""
import json
import os

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample

import vpd_mm  # noqa: F401
from vpd_mm.evaluation.fewshot_confusion import (load_confusion, per_class_accuracy,
                                                 summarize_confusion)
from vpd_mm.evaluation.metrics import DumpPredictions


def _sample(action_id, label, scores):
    ds = ActionDataSample().set_gt_label(label)
    ds.set_pred_score(torch.tensor(scores, dtype=torch.float32))
    ds.set_metainfo(dict(action_id=action_id))
    return ds.to_dict()


def test_dump_predictions_hand_computed(tmp_path):
    out = tmp_path / 'sub' / 'predictions.json'
    metric = DumpPredictions(out_file=str(out))
    metric.dataset_meta = {}
    metric.process({}, [_sample('v2', 1, [0.1, 0.7, 0.2]), _sample('v1', 0, [0.2, 0.5, 0.3])])
    metric.process({}, [_sample('v3', 2, [0.0, 0.1, 0.9]),
                        _sample('v4', 2, [float('nan'), 0.5, 0.5])])
    assert metric.evaluate(4) == {'predictions/num_samples': 4}
    data = json.loads(out.read_text())
    assert [(p['id'], p['label'], p['pred']) for p in data['predictions']] == [
        ('v1', 0, 1), ('v2', 1, 1), ('v3', 2, 2), ('v4', 2, -1)]  # sorted by id; NaN: no pred
    assert data['predictions'][3]['scores'][0] is None
    # rows = true class: v1 (0 -> 1), v2 (1 -> 1), v3 (2 -> 2); v4 has no prediction
    assert data['confusion'] == [[0, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert not [f for f in os.listdir(out.parent) if '.tmp.' in f]
    with pytest.raises(ValueError, match='.json'):
        DumpPredictions(out_file=str(tmp_path / 'p.pkl'))


def test_per_class_accuracy_and_confusion_files(tmp_path):
    conf = np.array([[3, 1, 0], [0, 0, 0], [2, 0, 2]])
    np.testing.assert_allclose(per_class_accuracy(conf), [0.75, np.nan, 0.5])
    files = []
    for i, m in enumerate((conf, np.array([[4, 0, 0], [1, 1, 0], [0, 0, 4]]))):
        files.append(str(tmp_path / f'run{i}.json'))
        with open(files[-1], 'w') as f:
            json.dump(dict(num_classes=3, predictions=[], confusion=m.tolist()), f)
    res = summarize_confusion(files + [str(tmp_path / 'missing.json')], ['a', 'b', 'c'])
    assert res['num_runs'] == 2 and res['confusion'] == [[7, 1, 0], [1, 1, 0], [2, 0, 6]]
    # class a: (0.75 + 1) / 2; class b: only run 1 has test samples (0.5); c: (0.5 + 1) / 2
    assert res['per_class_accuracy'] == [0.875, 0.5, 0.75]
    assert res['per_class_accuracy_std'][0] == pytest.approx(np.std([0.75, 1.0], ddof=1),
                                                             abs=1e-6)
    assert summarize_confusion([str(tmp_path / 'missing.json')]) is None
    with pytest.raises(ValueError, match='3 classes, expected 4'):
        summarize_confusion(files, ['a', 'b', 'c', 'd'])


@pytest.mark.parametrize('content, match', [
    ('{"confusion": [[1, 2]]}', r'\[C, C\]'),
    ('{"confusion": [[1, -1], [0, 2]]}', 'non-negative'),
    ('{"confusion": [[1.5, 0], [0, 2]]}', 'non-negative integers'),
    ('not json', 'not a predictions file'),
    ('{"other": 1}', 'not a predictions file'),
])
def test_hostile_prediction_files(tmp_path, content, match):
    path = tmp_path / 'predictions.json'
    path.write_text(content)
    with pytest.raises(ValueError, match=match) as err:
        load_confusion(str(path))
    assert 'predictions.json' in str(err.value)
    good = tmp_path / 'good.json'
    good.write_text('{"confusion": [[1, 0], [0, 1]]}')
    with pytest.raises(ValueError, match='2 classes, expected 3'):
        load_confusion(str(good), 3)
