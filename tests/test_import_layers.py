# Copyright (c) vpd_mm contributors. All rights reserved.
"""The package's layers: every subpackage imports on its own, imports only go down, and
``import vpd_mm`` leaves the synthetic world out (issue 15)."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = osp.join(ROOT, 'vpd_mm')

#: Bottom to top: a module may import (at module level) only from a strictly lower layer.
LAYERS = [
    {'codecs', 'structures', 'utils', 'ops'},  # the ground floor: no other vpd_mm subpackage
    {'datasets'},
    {'models', 'evaluation'},
    {'preparation'},
    {'visualization'},  # draws prepared data (reads videos with preparation's decoder)
    {'engine'},  # hooks draw with visualization
    {'apis'},  # the workflows the tools call
    {'synthetic'},  # generated corpora and simulated models, not imported by `import vpd_mm`
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}

#: Deprecated aliases of moved modules (they go in the next release): they import their new
#: location, wherever it is.
SHIMS = {
    'apis/crops.py',
    'apis/flow.py',
    'datasets/synthetic/__init__.py',
    'evaluation/functional/dtw.py',
    'evaluation/functional/dtw_kernels.py',
    'evaluation/functional/dtw_torch.py',
    'models/recognizers/gallery_loop.py',
}

SUBPACKAGES = sorted(RANK)


def _module_level_imports(tree: ast.Module):
    """Import statements executed when the module is imported (not those inside functions)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ('body', 'orelse', 'finalbody'):
                stack.extend(getattr(node, field, []))
            for handler in getattr(node, 'handlers', []):
                stack.extend(handler.body)


def _subpackage_edges():
    """(file relative to vpd_mm/, its subpackage, the imported vpd_mm subpackage) triples."""
    edges = []
    for dirpath, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(dirpath, name)
            rel = osp.relpath(path, PACKAGE).replace(os.sep, '/')
            if '/' not in rel:
                continue  # vpd_mm/__init__.py, compat.py, registry.py, version.py
            parts = ['vpd_mm'] + rel[:-3].split('/')
            package = parts[:-1]  # the package of the module (of itself for an __init__.py)
            with open(path) as f:
                tree = ast.parse(f.read(), path)
            for node in _module_level_imports(tree):
                if isinstance(node, ast.ImportFrom) and node.level:
                    base = package[:len(package) - node.level + 1]
                    targets = ['.'.join(base + ([node.module] if node.module else []))]
                    if not node.module:  # from . import x
                        targets = [f'{targets[0]}.{a.name}' for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    targets = [node.module or '']
                else:
                    targets = [a.name for a in node.names]
                for target in targets:
                    bits = target.split('.')
                    if bits[0] == 'vpd_mm' and len(bits) > 1 and bits[1] in RANK:
                        edges.append((rel, parts[1], bits[1]))
    return edges


def test_layer_table_covers_every_subpackage():
    found = {
        name
        for name in os.listdir(PACKAGE)
        if osp.isfile(osp.join(PACKAGE, name, '__init__.py'))
    }
    assert found == set(RANK)


def test_imports_only_go_down():
    edges = _subpackage_edges()
    # the walk sees real imports (a broken walk would pass vacuously)
    assert ('models/recognizers/dtw_nearest_neighbour.py', 'models', 'ops') in edges
    assert ('synthetic/simulated_models.py', 'synthetic', 'structures') in edges
    upward = sorted({(rel, target)
                     for rel, source, target in edges
                     if source != target and RANK[target] >= RANK[source]
                     and rel not in SHIMS})
    assert upward == [], ('imports that run up (or across) the layers of '
                          f'tests/test_import_layers.py: {upward}')


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True,
                          text=True)


#: Run in a fresh interpreter: ``vpd_mm`` becomes a bare package (its ``__init__``, which imports
#: every subpackage, does not run), the stack's workarounds are applied as ``vpd_mm/__init__``
#: applies them first, then one subpackage is imported and the loaded subpackages are printed.
ALONE = """
import sys, types
package = types.ModuleType('vpd_mm')
package.__path__ = [{path!r}]
sys.modules['vpd_mm'] = package
import vpd_mm.compat
import vpd_mm.{name}
print(' '.join(sorted({{m.split('.')[1] for m in sys.modules
                       if m.startswith('vpd_mm.') and m.split('.')[1] in {names!r}}})))
"""


@pytest.mark.parametrize('name', SUBPACKAGES)
def test_each_subpackage_imports_alone(name):
    """``vpd_mm.<name>`` imports first in a fresh interpreter (a cycle through it would raise
    "partially initialized module") and loads no subpackage of its layer or above."""
    proc = _run(ALONE.format(path=PACKAGE, name=name, names=set(RANK)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = set(proc.stdout.split())
    assert name in loaded
    allowed = {s for s in RANK if RANK[s] < RANK[name]} | {name, 'utils'}
    assert loaded <= allowed, f'vpd_mm.{name} loads {sorted(loaded - allowed)}'


def test_import_vpd_mm_leaves_the_synthetic_world_out():
    proc = _run('import sys, vpd_mm, mmaction.registry as r\n'
                "print(sorted(m for m in sys.modules if m.startswith('vpd_mm.synthetic') or "
                "m.startswith('vpd_mm.datasets.synthetic')))\n"
                "print('SimulatedPoseTeacher' in r.TASK_UTILS.module_dict)\n"
                'import vpd_mm.synthetic\n'
                "print('SimulatedPoseTeacher' in r.TASK_UTILS.module_dict)\n")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split('\n')[:3] == ['[]', 'False', 'True']


def test_old_synthetic_path_warns_and_is_the_same_module():
    proc = _run('import warnings\n'
                'import vpd_mm\n'
                'warnings.simplefilter("error", DeprecationWarning)\n'
                'try:\n'
                '    import vpd_mm.datasets.synthetic\n'
                'except DeprecationWarning as e:\n'
                '    print("warned:", e)\n'
                'warnings.simplefilter("ignore", DeprecationWarning)\n'
                'from vpd_mm.datasets.synthetic.sports_corpus import make_sports_corpus\n'
                'from vpd_mm.datasets.synthetic import SimulatedPersonDetector as old\n'
                'import vpd_mm.synthetic as new\n'
                'print(make_sports_corpus is new.make_sports_corpus, '
                'old is new.SimulatedPersonDetector)\n')
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().split('\n')
    assert lines[0].startswith('warned:') and 'vpd_mm.synthetic' in lines[0]
    assert lines[-1] == 'True True'


def test_old_crops_and_flow_paths_warn_once_and_are_the_new_objects():
    """``vpd_mm.apis.crops`` and ``vpd_mm.apis.flow`` (moved to ``vpd_mm.structures`` and
    ``vpd_mm.preparation.stages``) warn once when imported and hand out the moved objects;
    ``vpd_mm.apis`` re-exports them without a warning."""
    proc = _run('import importlib, warnings\n'
                'import vpd_mm\n'
                'def moved(w):\n'
                '    return [str(x.message) for x in w if issubclass(x.category, '
                'DeprecationWarning) and "apis." in str(x.message)]\n'
                'with warnings.catch_warnings(record=True) as w:\n'
                '    warnings.simplefilter("always")\n'
                '    import vpd_mm.apis as apis\n'
                'print(len(moved(w)))\n'
                'for name in ("crops", "flow"):\n'
                '    with warnings.catch_warnings(record=True) as w:\n'
                '        warnings.simplefilter("always")\n'
                '        old = importlib.import_module("vpd_mm.apis." + name)\n'
                '        importlib.import_module("vpd_mm.apis." + name)\n'
                '    print(name, len(moved(w)), moved(w)[0])\n'
                'import vpd_mm.apis.crops as oc, vpd_mm.apis.flow as of\n'
                'import vpd_mm.structures as s, vpd_mm.preparation.stages.flow as f\n'
                'print(oc.cut_crop is s.cut_crop is apis.cut_crop, '
                'oc.fill_missing_boxes is s.fill_missing_boxes, '
                'of.RAFTFlowEstimator is f.RAFTFlowEstimator is apis.RAFTFlowEstimator, '
                'of.crop_sequence_flow is f.crop_sequence_flow, '
                'of.build_flow_estimator(None).preset, '
                'of.build_flow_estimator(dict(type="DISFlowEstimator", preset="fast")).preset)\n')
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().split('\n')
    assert lines[0] == '0'  # vpd_mm.apis itself imports the new places
    assert lines[1].startswith('crops 1 vpd_mm.apis.crops is deprecated')
    assert 'vpd_mm.structures' in lines[1]
    assert lines[2].startswith('flow 1 vpd_mm.apis.flow is deprecated')
    assert 'vpd_mm.preparation.stages.flow' in lines[2]
    assert lines[3] == 'True True True True medium fast'


def test_old_dtw_paths_warn_at_the_importer_and_forward_every_name():
    """The old ``vpd_mm.evaluation.functional.dtw*`` modules warn once, the warning points at the
    line that imports them (not at the shim), and every name of the new module resolves there,
    private ones included."""
    proc = _run('import warnings\n'
                'import vpd_mm.ops.dtw as new\n'
                'with warnings.catch_warnings(record=True) as w:\n'
                '    warnings.simplefilter("always")\n'
                '    import vpd_mm.evaluation.functional.dtw as old\n'
                '    import vpd_mm.evaluation.functional.dtw_torch\n'
                'dep = [x for x in w if issubclass(x.category, DeprecationWarning) and '
                '"functional.dtw" in str(x.message)]\n'
                'print(len(dep), {x.filename for x in dep}, str(dep[0].message))\n'
                'print(old.dtw_cost_matrix is new.dtw_cost_matrix, old._checked is new._checked)\n')
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().split('\n')
    assert lines[0].startswith("2 {'<string>'} vpd_mm.evaluation.functional.dtw is deprecated")
    assert 'import vpd_mm.ops.dtw (or the functions from vpd_mm.ops)' in lines[0]
    assert lines[1] == 'True True'
