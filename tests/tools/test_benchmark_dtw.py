# Copyright (c) vpd_mm contributors. All rights reserved.
"""tools/benchmarks/dtw_throughput.py on a tiny workload: the figures it writes."""
import json
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_dtw_benchmark_writes_both_protocols_checks_and_ratios(tmp_path):
    out = tmp_path / 'dtw.json'
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'benchmarks', 'dtw_throughput.py'),
           '--queries', '6', '--candidates', '20', '--calls', '3', '--rounds', '2',
           '--subset', '4', '--warmup', '0', '--long', '3', '20', '30', '--torch-queries', '2',
           '--out', str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rec = json.loads(out.read_text())
    res = rec['results']
    for pattern in ('symmetric1', 'symmetricP2', 'symmetric2'):
        ours = res[f'ours ({pattern})']
        # 2 rounds of 3 calls, back to back and interleaved; spread = median of the rounds'
        assert [len(r) for r in ours['seconds']] == [3, 3]
        assert [len(r) for r in ours['interleaved']['seconds']] == [3, 3]
        assert len(ours['round_spreads']) == 2 and min(ours['round_spreads']) >= 0
        assert abs(ours['spread'] - sum(ours['round_spreads']) / 2) < 1e-4
        assert ours['pairs_per_s'] > 0 and ours['best_pairs_per_s'] >= ours['pairs_per_s']
        assert len(ours['slowest_calls']) == 3 and ours['major_page_faults'] >= 0
    for probe in [k for k in res if k.startswith('machine noise floor')]:
        assert len(res[probe]['round_spreads']) == 2 and 'interleaved' in res[probe]
    assert len([k for k in res if k.startswith('machine noise floor')]) == 4
    # the long-sequence workload: 3 x 3 pairs of lengths 20-30, with DP cells per second
    long1 = res['ours (symmetric1, 3 x 3, lengths 20-30)']
    assert long1['cells_per_s'] > 20 * 20 * long1['best_pairs_per_s'] * 0.99
    # exactness against dtw-python and the torch path, measured in the same run
    for pattern in ('symmetric1', 'symmetricP2'):
        check = rec['exactness_vs_dtw_python'][pattern]
        assert check['pairs'] == 24 and check['infinite_agree']
        assert check['max_rel_diff'] < 1e-5
        torch_check = rec['exactness_torch_vs_ours'][f'torch ({pattern}, cpu)']
        assert torch_check['infinite_agree'] and torch_check['max_abs_diff_vs_ours'] < 1e-4
        assert rec['ratios'][f'ours ({pattern}) / dtw-python ({pattern})'] > 0
    assert rec['memory']['peak_over_gallery'] > 0 and rec['threads'] >= 1
