# Copyright (c) vpd_mm contributors. All rights reserved.
"""Make the VPD authors' few-shot subsets usable with ``tools/fewshot.py --id-lists``.

    python tools/data/filter_id_lists.py configs/preparation/tennis.py \
        action_dataset/tennis/train_*_*.ids.txt --out-dir data/tennis/fewshot_ids
        [--ann-file data/tennis/annotations/tennis_actions.json] [--cfg-options ...]

The authors' ``train_{K}_{i}.ids.txt`` name actions in the dataset's own id form, which the
readers keep (FSJump6 ``routine:start:end``, Tennis7 ``match:player:frame``). Their tennis
subsets also hold serves and non-shots, labels outside the 7 classes that the reader leaves out;
and an action whose video the preparation skipped is not in the action annotations. Each list
is written to ``--out-dir`` under its own name without those ids (one line per list says how
many were dropped and why); any other id that is not a labelled training action is an error
naming the file and the line. Then::

    python tools/fewshot.py configs/recognition/bigru_2dvpd_tennis.py \
        --id-lists data/tennis/fewshot_ids/train_*_*.ids.txt
"""
import argparse
import os
import os.path as osp
import sys
from collections import Counter

from mmaction.registry import TASK_UTILS
from mmengine.config import Config, DictAction

import vpd_mm  # noqa: F401  (registers vpd_mm's modules)
from vpd_mm.datasets.features import load_action_annotations
from vpd_mm.preparation.readers import ReaderError, filter_id_list
from vpd_mm.utils import DATA_ERRORS, data_error_message, require_configs
from vpd_mm.utils.io import FileFormatError, atomic_path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Filter few-shot id lists to the prepared '
                                     'training actions')
    parser.add_argument('config', help='preparation config (configs/preparation/*.py)')
    parser.add_argument('id_lists', nargs='+', help='the authors\' train_{K}_{i}.ids.txt')
    parser.add_argument('--out-dir', required=True, help='folder of the filtered lists')
    parser.add_argument('--ann-file', help='prepared action annotations (default: '
                        '<out_dir of the config>/annotations/<dataset>_actions.json; without '
                        'the file every action of the reader counts as prepared)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, key=value pairs')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    require_configs(args.config)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    names = Counter(osp.basename(p) for p in args.id_lists)
    same = [p for p in args.id_lists if names[osp.basename(p)] > 1]
    if same:  # each list is written under its own name: one would overwrite the other
        print(f'error: id lists of the same file name would overwrite each other in '
              f'--out-dir: {same}; filter them into separate --out-dir folders', file=sys.stderr)
        return 2
    reader = TASK_UTILS.build(cfg.reader)
    try:
        index = reader.read()
        dataset = cfg.get('dataset_name', None) or index.dataset
        ann_file = args.ann_file or osp.join(cfg.out_dir, 'annotations',
                                             f'{dataset}_actions.json')
        prepared = None
        if osp.isfile(ann_file):
            prepared = [str(a['id']) for a in load_action_annotations(ann_file)['actions']]
        elif args.ann_file:
            raise FileNotFoundError(f'{ann_file} not found')
        else:
            print(f'{ann_file} not found: every action of the reader counts as prepared')
        ignored = getattr(reader, 'ignored_ids', ())
        results = []  # every list is checked before any is written
        for path in args.id_lists:
            kept, dropped = filter_id_list(path, index, ignored, prepared)
            if not kept:
                raise FileFormatError(path, 'no id is a prepared training action')
            out = osp.join(args.out_dir, osp.basename(path))
            if osp.exists(out) and osp.samefile(out, path):
                raise FileFormatError(out, 'would overwrite its input: choose another --out-dir')
            results.append((out, kept, dropped))
    except (ReaderError, *DATA_ERRORS) as e:
        print(data_error_message(e), file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    for out, kept, dropped in results:
        with atomic_path(out) as tmp:
            with open(tmp, 'w') as f:
                f.write(''.join(f'{i}\n' for i in kept))
        why = ', '.join(f'{reason}: {n}' for reason, n in Counter(r for _, r in dropped).items())
        print(f'{out}: {len(kept)} ids kept, {len(dropped)} dropped' + (f' ({why})'
                                                                        if why else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
