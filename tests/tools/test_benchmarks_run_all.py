# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/benchmarks/run_all.py: the benchmark file it writes from the benchmarks' JSON."""
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _module():
    spec = importlib.util.spec_from_file_location(
        'bench_run_all', osp.join(ROOT, 'tools', 'benchmarks', 'run_all.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_flatten_keeps_paths_and_stage_rates():
    run_all = _module()
    flat = run_all.flatten(dict(a=dict(b=1, c=[1, 2]),
                                stages=dict(decode=dict(seconds=2.0, count=10, unit='frames',
                                                        per_s=5.0))))
    assert flat == {'a / b': 1, 'a / c': [1, 2], 'stages / decode (frames/s)': 5.0}


def test_markdown_has_environment_figures_ratios_and_notes():
    run_all = _module()
    report = dict(
        created='2026-01-01T00:00:00+00:00', command='python tools/benchmarks/run_all.py',
        quick=True, amp=False, commit='abc123', load_before=[0.1, 0.2, 0.3],
        load_after=[0.4, 0.5, 0.6], seconds=12.0,
        environment=dict(cpu='Some CPU', cores=2, logical_cpus=4, torch_threads=2,
                         omp_num_threads=None, python='3.11', torch='2.x'),
        benchmarks=[
            dict(name='x', title='Thing', command='python x.py', status='ok', seconds=3.0,
                 result=dict(created='t', machine='m', command='c', setting='batch 8',
                             frames_per_second={'model-only': 1234.56},
                             ratios={'end-to-end / model-only': 0.5})),
            dict(name='y', title='Other', command='python y.py', status='skipped',
                 note='data/x.pkl does not exist: run `make demo` first')])
    text = run_all.markdown(report)
    assert 'QUICK RUN' in text and 'NOT measurements' in text
    assert '| CPU | Some CPU |' in text and '| cores (usable / logical) | 2 / 4 |' in text
    assert 'OMP_NUM_THREADS=unset' in text and '| commit | abc123 |' in text
    assert '| frames_per_second / model-only | 1,234.6 |' in text
    assert '| end-to-end / model-only | 0.5 |' in text and '| setting | batch 8 |' in text
    assert '| machine |' not in text  # the run's environment is said once, at the top
    assert '**skipped**: data/x.pkl does not exist: run `make demo` first' in text


def test_component_needing_demo_data_is_skipped(tmp_path, monkeypatch):
    run_all = _module()
    monkeypatch.setitem(run_all.COMPONENTS, 'needy', ('Needs data', 'none.py', [], [],
                                                      'data/does_not_exist.pkl'))
    rec = run_all.run_component('needy', quick=True, amp=False, work_dir=str(tmp_path))
    assert rec['status'] == 'skipped' and 'make demo' in rec['note']
    assert 'data/does_not_exist.pkl' in rec['note'] and not list(tmp_path.iterdir())
