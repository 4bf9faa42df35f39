# Copyright (c) vpd_mm contributors. All rights reserved.
import json
import os

import numpy as np
import pytest

from vpd_mm.utils import load_results, write_result


def test_write_and_load_roundtrip(tmp_path):
    p = tmp_path / 'a' / 'b' / 'x.result.json'
    rec = write_result(str(p), 'fewshot', 'diving48', '2dvpd', 'bigru',
                       {'top1': np.float32(0.5)}, shots=8, subset=np.int64(2))
    assert rec['metrics']['top1'] == 0.5
    on_disk = json.loads(p.read_text())
    assert on_disk['task'] == 'fewshot' and on_disk['shots'] == 8 and on_disk['subset'] == 2
    assert 'created' in on_disk and on_disk['created'][:2] == '20'
    # no temporary files left behind
    assert os.listdir(p.parent) == ['x.result.json']
    # other json files are ignored when a folder is given; recursion works
    (tmp_path / 'other.json').write_text('{}')
    write_result(str(tmp_path / 'y.result.json'), 'retrieval', 'fs', 'vipe', 'dtw', {'P@1': 1})
    recs = load_results(str(tmp_path))
    assert [r['task'] for r in recs] == ['fewshot', 'retrieval']
    assert recs[0]['_path'].endswith('x.result.json')


def test_write_rejects_unknown_task(tmp_path):
    with pytest.raises(ValueError, match='task must be one of'):
        write_result(str(tmp_path / 'x.result.json'), 'segmentation', 'd', 'f', 'm', {})


@pytest.mark.parametrize('content, msg', [('{not json', 'malformed'),
                                          ('[1, 2]', 'not an object'),
                                          ('{"task": "fewshot"}', 'missing fields'),
                                          ('{"task": "foo", "dataset": "d", "features": "f", '
                                           '"method": "m", "metrics": {}}', 'unknown task')])
def test_load_names_malformed_file(tmp_path, content, msg):
    bad = tmp_path / 'sub' / 'bad.result.json'
    bad.parent.mkdir()
    bad.write_text(content)
    with pytest.raises(ValueError, match=msg) as err:
        load_results([str(tmp_path)])
    assert 'bad.result.json' in str(err.value)


def test_load_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope'):
        load_results(str(tmp_path / 'nope'))
