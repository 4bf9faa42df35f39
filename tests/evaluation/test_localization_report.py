# Copyright (c) vpd_mm contributors. All rights reserved.
"""The localization table: feature type x model x metric."""
from vpd_mm.evaluation.localization_report import localization_table
from vpd_mm.utils.results import load_results, write_result


def test_table_from_result_files(tmp_path):
    ap = {'AP@0.3': 0.8, 'AP@0.4': 0.7, 'AP@0.5': 0.6071, 'AP@0.6': 0.4, 'AP@0.7': 0.2,
          'mAP': 0.54}
    bmn = dict(ap, auc=61.25, **{'AR@1': 0.1, 'AR@5': 0.3, 'AR@10': 0.5, 'AR@100': 0.9})
    write_result(str(tmp_path / 'a.result.json'), 'localization', 'fs', 'vivpd', 'bmn', bmn)
    write_result(str(tmp_path / 'b.result.json'), 'localization', 'fs', 'pose2d', 'bmn',
                 dict(bmn, auc=40.0))
    write_result(str(tmp_path / 'c.result.json'), 'detection', 'fs', 'vivpd', 'bigru',
                 dict(ap, **{'AP@0.5': 0.5}))
    write_result(str(tmp_path / 'd.result.json'), 'recognition', 'fs', 'vivpd', 'bigru',
                 dict(top1=0.9))
    table = localization_table(load_results(str(tmp_path)))
    lines = table.splitlines()
    assert lines[0] == ('| dataset | features | model | AR@1 | AR@5 | AR@10 | AR@100 | AUC | '
                        'AP@0.3 | AP@0.4 | AP@0.5 | AP@0.6 | AP@0.7 | mAP |')
    assert len(lines) == 2 + 3  # recognition ignored
    # pose2d before vivpd; the detector's row has no AR/AUC
    assert lines[2] == ('| fs | pose2d | bmn | 10.0 | 30.0 | 50.0 | 90.0 | 40.0 | 80.0 | 70.0 | '
                        '60.7 | 40.0 | 20.0 | 54.0 |')
    assert lines[3].startswith('| fs | vivpd | bigru | - | - | - | - | - | 80.0 | 70.0 | 50.0 |')
    assert lines[4].startswith('| fs | vivpd | bmn | 10.0 | 30.0 | 50.0 | 90.0 | 61.2 |')


def test_latest_record_wins_and_empty():
    old = dict(task='localization', dataset='t', features='2dvpd', method='bmn',
               metrics={'AP@0.5': 0.1}, created='2024-01-01T00:00:00+00:00')
    new = dict(old, metrics={'AP@0.5': 0.3}, created='2024-02-01T00:00:00+00:00')
    table = localization_table([new, old])
    assert '| t | 2dvpd | bmn | - | - | - | - | - | - | - | 30.0 |' in table
    assert '10.0' not in table
    assert localization_table([]) == 'No temporal localization results.'
