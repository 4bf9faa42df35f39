# Copyright (c) vpd_mm contributors. All rights reserved.
"""Collect ``*.result.json`` files into Markdown tables shaped like the paper's Tables 1-4.

    python tools/report.py [DIRS_OR_FILES ...] [--out report.md]

Default input: ``work_dirs/``. The tables (recognition, few-shot, retrieval, temporal detection,
localization) are built by ``vpd_mm.evaluation.results_report``, whose docstring describes them.
A result file that breaks the rules of ``vpd_mm.utils.results`` (a name that is not a one-line
string, a NaN, a fraction outside [0, 1], ...), a missing path or an unwritable ``--out`` stop
the tool with one line (``error: ...``, exit status 1) and nothing written.
"""
import argparse
import os.path as osp

from vpd_mm.evaluation.results_report import write_report
from vpd_mm.utils import DATA_ERRORS, data_error_message


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description='Markdown tables of *.result.json files')
    parser.add_argument('paths', nargs='*', default=['work_dirs'],
                        help='folders (searched recursively) or files (default: work_dirs)')
    parser.add_argument('--out', default=None, help='write the Markdown here (else stdout)')
    args = parser.parse_args(argv)
    if args.out and osp.isdir(args.out):
        raise SystemExit(f'error: --out {args.out} is a folder; name the Markdown file')
    try:
        text = write_report(args.paths, args.out)
    except DATA_ERRORS as e:  # a missing path or a malformed result file, named in one line
        raise SystemExit(data_error_message(e)) from None
    except OSError as e:  # the report cannot be written (permissions, a full disk, ...)
        where = f'cannot write {args.out}: ' if args.out else ''
        raise SystemExit(f'error: {where}{e.strerror or e}'
                         + (f' ({e.filename})' if e.filename else '')) from None
    print(f'wrote {args.out}' if args.out else text)
    return text


if __name__ == '__main__':
    main()
