# Copyright (c) vpd_mm contributors. All rights reserved.
"""Packaging of vpd_mm (docs/installation.md).

    bash tools/setup_env.sh       # the tested stack in .venv, then vpd_mm (what `make` runs)
    pip install -e .              # into an environment that has the OpenMMLab stack already

``install_requires`` holds ranges the code supports (requirements/runtime.txt); the OpenMMLab
packages are the ``mim`` extra (requirements/mminstall.txt), as in mmaction2; the tested versions
are pinned in requirements/constraints.txt. The configs and tools ship inside the package as
``vpd_mm/.mim/`` (symbolic links in the source for an editable install, copies in a wheel), so
that ``_base_ = 'vpd_mm::vpd/2dvpd_diving48.py'`` resolves after either install.
"""
import os
import os.path as osp
import platform
import re
import shutil
import sys
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from typing import List

HERE = osp.dirname(osp.abspath(__file__))
#: What ``vpd_mm/.mim/`` holds (mmaction2's convention; ``model-index.yml`` is written).
MIM_ITEMS = ('configs', 'tools')
#: mmengine reads ``.mim/model-index.yml`` before the configs; vpd_mm has no model metafiles,
#: so every ``vpd_mm::<config>`` resolves to ``.mim/configs/<config>``.
MODEL_INDEX = ('# Written by setup.py. No model metafiles: mmengine resolves vpd_mm::<config> to\n'
               '# .mim/configs/<config>.\nImport: []\n')


def get_version() -> str:
    """The version of ``vpd_mm/version.py``."""
    with open(osp.join(HERE, 'vpd_mm', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(fname: str) -> List[str]:
    """Read a requirements file, following ``-r`` includes, without comments.

    Args:
        fname (str): Path relative to the repository root.

    Returns:
        list[str]: The requirement lines.
    """
    reqs = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(osp.join(osp.dirname(fname), line[3:].strip()))
            else:
                reqs.append(line)
    return reqs


def write_mim(mim_path: str, link: bool) -> None:
    """Fill ``mim_path`` (a ``vpd_mm/.mim`` folder) with the configs, the tools and the index.

    Args:
        mim_path (str): The folder.
        link (bool): Symbolic links to the repository's folders (editable installs) instead of
            copies.
    """
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_ITEMS:
        src, dst = osp.join(HERE, name), osp.join(mim_path, name)
        if not osp.isdir(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if link:
            os.symlink(osp.relpath(src, mim_path), dst)
        else:
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    with open(osp.join(mim_path, 'model-index.yml'), 'w') as f:
        f.write(MODEL_INDEX)


class BuildPyWithMim(build_py):
    """``build_py`` that also copies configs/ and tools/ into ``<build_lib>/vpd_mm/.mim``.

    A wheel (``pip install .``, ``bdist_wheel``) thus ships them without anything being written
    into the source tree (mmaction2 copies them into its package folder instead, where an
    editable install would then serve stale copies).
    """

    def run(self) -> None:
        super().run()
        if not getattr(self, 'editable_mode', False):
            write_mim(osp.join(self.build_lib, 'vpd_mm', '.mim'), link=False)


def link_mim_for_editable_install() -> None:
    """For ``pip install -e .``, link configs/ and tools/ into ``vpd_mm/.mim`` of the source.

    setuptools runs ``editable_wheel`` (``develop`` in legacy mode); the editable package is
    the source folder itself, so that is where mmengine looks (copies on Windows).
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        write_mim(osp.join(HERE, 'vpd_mm', '.mim'), link=platform.system() != 'Windows')


if __name__ == '__main__':
    link_mim_for_editable_install()
    setup(
        name='vpd_mm',
        version=get_version(),
        description='Video Pose Distillation for few-shot, fine-grained sports '
        'action understanding, as an OpenMMLab plugin',
        long_description=open(osp.join(HERE, 'README.md')).read()
        if osp.exists(osp.join(HERE, 'README.md')) else '',
        long_description_content_type='text/markdown',
        # torch 2.14.1 (tested, Python 3.11) needs >= 3.10; numpy < 2 has no wheels past 3.12
        python_requires='>=3.10,<3.13',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs', 'demo')),
        cmdclass={'build_py': BuildPyWithMim},
        license='Apache License 2.0',
        classifiers=[
            'Programming Language :: Python :: 3',
            'Programming Language :: Python :: 3.10',
            'Programming Language :: Python :: 3.11',
            'Programming Language :: Python :: 3.12',
        ],
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
        },
        zip_safe=False)
