# Copyright (c) vpd_mm contributors. All rights reserved.
"""ProposalAPMetric: class-agnostic AP of BMN-style proposals at temporal IoU 0.3..0.7."""
import json
import os.path as osp

import pytest
from mmaction.structures import ActionDataSample

from vpd_mm.evaluation.metrics import ProposalAPMetric

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def batch(video, segments):
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_name=video,
                             annotations=[dict(segment=s, label='x') for s in segments]))
    return dict(inputs=[], data_samples=[sample])


def proposals(video, items):
    return [dict(video_name=video, proposal_list=[dict(segment=s, score=c) for s, c in items])]


def run(metric, videos):
    for video, gts, props in videos:
        metric.process(batch(video, gts), proposals(video, props))
    return metric.evaluate(len(videos))


def test_perfect_and_partial_proposals():
    perfect = run(ProposalAPMetric(), [('v_a', [[1, 3], [5, 9]], [([1, 3], .9), ([5, 9], .8)])])
    assert all(perfect[f'AP@{t}'] == pytest.approx(1) for t in (0.3, 0.4, 0.5, 0.6, 0.7))
    # [1, 3] vs gt [1, 4]: IoU 2/3 -> a hit up to 0.6, a miss at 0.7
    # a higher-scored false positive [10, 12] halves precision at the first hit
    res = run(ProposalAPMetric(), [('v_a', [[1, 4]], [([10, 12], .9), ([1, 3], .5)])])
    for t in (0.3, 0.4, 0.5, 0.6):
        assert res[f'AP@{t}'] == pytest.approx(0.5)
    assert res['AP@0.7'] == pytest.approx(0)
    assert res['mAP'] == pytest.approx(0.4)


def test_top_k_and_result_file(tmp_path):
    out = tmp_path / 'r.result.json'
    metric = ProposalAPMetric(top_k=1, result_file=str(out), dataset='d', features='f')
    # only the best-scored (wrong) proposal survives top_k=1
    res = run(metric, [('v_a', [[1, 4]], [([1, 4], .5), ([10, 12], .9)]),
                       ('v_b', [[0, 2]], [([0, 2], .7)])])
    # ranked: FP (.9), TP (.7) -> precision 1/2 at recall 1/2: AP 0.25
    assert res['AP@0.5'] == pytest.approx(0.25)
    rec = json.load(open(out))
    assert (rec['task'], rec['dataset'], rec['features'], rec['method']) == \
        ('localization', 'd', 'f', 'bmn')
    assert rec['metrics']['AR@100'] == pytest.approx(0.5)  # one of two videos recalled
    assert rec['metrics']['AP@0.5'] == pytest.approx(0.25)


def test_missing_annotations_is_a_clear_error():
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_name='v_a'))
    with pytest.raises(ValueError, match="'v_a' has no \"annotations\""):
        ProposalAPMetric().process(dict(data_samples=[sample]), proposals('v_a', []))


def test_unresolved_work_dir_is_a_clear_error(tmp_path):
    metric = ProposalAPMetric(result_file='{work_dir}/r.result.json')
    with pytest.raises(ValueError, match=r"'\{work_dir\}/r.result.json' holds \{work_dir\} but "
                       r"nothing filled it in: add custom_hooks=\[dict\(type='WorkDirOutputsHook"):
        run(metric, [('v_a', [[1, 4]], [([1, 4], .5)])])


def test_bmn_outputs_follow_the_work_dir(tmp_path, monkeypatch):
    """``--work-dir`` (cfg.work_dir set after the config is read) moves the proposals and the
    result file of the BMN configs: the runner's WorkDirOutputsHook fills in '{work_dir}'."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from vpd_mm.apis.localization_export import export_localization
    from vpd_mm.synthetic import make_uncut_features
    monkeypatch.chdir(tmp_path)  # nothing may land under the config's ./work_dirs/bmn_tiny_cpu
    toy = make_uncut_features(str(tmp_path / 'src'), num_train=2, num_test=2, num_frames=30,
                              dim=4, ann_file='actions.json')
    export_localization(toy['ann_file'], toy['feature_dir'], str(tmp_path / 'export'),
                        temporal_dim=16, views='concat')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'localization', 'bmn_tiny_cpu.py'))
    assert cfg.test_evaluator[0].dump_config.out == '{work_dir}/test_proposals.json'
    assert cfg.test_evaluator[1].result_file == '{work_dir}/localization_toy_bmn.result.json'
    for split in ('train', 'val', 'test'):
        cfg[f'{split}_dataloader'].dataset.data_root = str(tmp_path / 'export')
    cfg.work_dir = str(tmp_path / 'elsewhere')  # what tools/{train,test}.py --work-dir do
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()  # one epoch and a validation: only the files matter here
    assert (tmp_path / 'elsewhere' / 'val_proposals.json').is_file()
    metrics = runner.test()
    assert 0 <= metrics['mAP'] <= 1
    proposals = json.load(open(tmp_path / 'elsewhere' / 'test_proposals.json'))['results']
    assert len(proposals) == 2
    record = json.load(open(tmp_path / 'elsewhere' / 'localization_toy_bmn.result.json'))
    assert record['metrics']['mAP'] == pytest.approx(metrics['mAP'])
    assert not (tmp_path / 'work_dirs').exists() and not (tmp_path / '{work_dir}').exists()
