# Copyright (c) vpd_mm contributors. All rights reserved.
"""The --help of the command-line tools: every option explained, with its default where it has one,
and each default shown once."""
import importlib.util
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: tool -> (function that parses argv, the options whose help must show a default)
TOOLS = {
    'tools/analysis_tools/distill_learning_curve.py': (
        'parse_args', ['--config', '--steps', '--data-dir', '--work-dir']),
    'tools/fewshot.py': ('parse_args', ['--shots', '--subsets', '--seed', '--jobs',
                                        '--work-dir']),
    'tools/retrieval.py': ('parse_args', ['--ks', '--block-size', '--threads']),
    'tools/analysis_tools/fewshot_confusion_matrix.py': ('parse_args', ['--device', '--dpi']),
    'tools/run_demo.py': ('parse_args', ['--videos-per-class', '--shots', '--subsets',
                                         '--work-dir', '--data-dir', '--size', '--frames']),
    'tools/data/make_sports_corpus.py': (
        'parse_args', ['--videos-per-class', '--seed', '--size', '--fps', '--frames',
                       '--distractors', '--classes', '--test-fraction', '--name']),
    'tools/report.py': ('main', ['paths']),
    'tools/temporal_detection.py': ('parse_args', ['--folds']),
    'demo/vpd_demo.py': ('parse_args', ['--student-config', '--prep-config', '--top-k',
                                        '--device', '--batch-size']),
}


def _help(tool, capsys):
    spec = importlib.util.spec_from_file_location(
        'help_' + re.sub(r'\W', '_', tool), osp.join(ROOT, tool))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        getattr(module, TOOLS[tool][0])(['--help'])
    return capsys.readouterr().out


def _option_blocks(text):
    """Option name -> its help text (flattened), from argparse's help output."""
    blocks, name = {}, None
    for line in text.splitlines():
        m = re.match(r'  (-{0,2}[a-z][\w-]*)', line)
        if m and not line.startswith('   '):
            name = m.group(1)
            blocks[name] = line[len(m.group(0)):]
        elif name and line.startswith('   '):
            blocks[name] += ' ' + line.strip()
        elif not line.strip() or not line.startswith(' '):
            name = None
    return {k: ' '.join(v.split()) for k, v in blocks.items()}


@pytest.mark.parametrize('tool', sorted(TOOLS))
def test_every_option_has_help_and_each_default_shows_once(tool, capsys):
    text = _help(tool, capsys)
    flat = ' '.join(text.split())
    assert '(default: None)' not in flat
    assert not re.search(r'\(default: [^)]*\) \(default:', flat)
    blocks = _option_blocks(text)
    for option in TOOLS[tool][1]:
        assert option in blocks, (option, text)
        assert 'default' in blocks[option], (option, blocks[option])
    for option, block in blocks.items():
        if option not in ('-h', '--help'):
            # a metavar alone is no help
            words = [w for w in block.split() if not re.fullmatch(r'[A-Z_]+|\[?[A-Z_.]+\]?', w)]
            assert words, (option, block)


def test_temporal_detection_folds_help_names_the_tiny_configs_value(capsys):
    block = _option_blocks(_help('tools/temporal_detection.py', capsys))['--folds']
    assert 'config: 5' not in block and '2 in bigru_tiny_cpu.py' in block
