# Copyright (c) vpd_mm contributors. All rights reserved.
"""frame_collate: the values of pseudo_collate, one tensor storage per field of a batch."""
import torch
from mmaction.registry import DATASETS, MODELS
from mmaction.structures import ActionDataSample
from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS, DefaultScope
from torch.utils.data import DataLoader

from vpd_mm.datasets.transforms import frame_collate

PIPELINE = [
    dict(type='LoadVPDFrame'),
    dict(type='VPDRandomFlip', prob=0.5),
    dict(type='VPDResize', size=32),
    dict(type='PackVPDInputs'),
]


def _dataset(corpus):
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(
            dict(type='VPDPoseTargetDataset', pipeline=PIPELINE, split='all', **corpus))


def _same_batches(a: dict, b: dict) -> None:
    assert torch.equal(torch.stack(list(a['inputs'])), torch.stack(list(b['inputs'])))
    assert len(a['data_samples']) == len(b['data_samples'])
    for sa, sb in zip(a['data_samples'], b['data_samples']):
        assert set(sa.keys()) == set(sb.keys()) and sa.metainfo == sb.metainfo
        for key in sa.keys():
            assert torch.equal(sa.get(key), sb.get(key)), key


def test_values_of_pseudo_collate_in_one_storage_per_field(toy_corpus):
    ds = _dataset(toy_corpus)
    ds.pipeline.transforms[1].prob = 1.0  # every frame flipped: the same samples twice
    assert FUNCTIONS.get('frame_collate') is frame_collate
    items = [ds[i] for i in range(len(ds))]
    ref = pseudo_collate([ds[i] for i in range(len(ds))])
    batch = frame_collate(items)
    assert batch['inputs'].shape == (5, 5, 32, 32) and batch['inputs'].dtype == torch.uint8
    _same_batches(batch, ref)
    samples = batch['data_samples']
    for key in ('pose_target', 'motion_target', 'target_valid', 'motion_valid'):
        storages = {s.get(key).untyped_storage().data_ptr() for s in samples}
        assert len(storages) == 1, key  # one storage shared by the rows of the batch
    assert samples[2].pose_target.shape == (26, )
    # a config loaded through `vpd_mm::` passes mmengine's `_scope_` on to the function
    _same_batches(frame_collate(items, _scope_='vpd_mm'), ref)


def test_crops_of_different_sizes_stay_a_list_and_missing_fields_are_kept():
    a, b = ActionDataSample(), ActionDataSample()
    a.pose_target = torch.ones(3)
    a.only_here = torch.zeros(2)
    b.pose_target = torch.full((3, ), 2.0)
    batch = frame_collate([
        dict(inputs=torch.zeros(5, 8, 8, dtype=torch.uint8), data_samples=a),
        dict(inputs=torch.zeros(5, 6, 6, dtype=torch.uint8), data_samples=b),
    ])
    assert isinstance(batch['inputs'], list) and [x.shape[-1] for x in batch['inputs']] == [8, 6]
    assert batch['data_samples'][1].pose_target.tolist() == [2.0, 2.0, 2.0]
    assert batch['data_samples'][0].only_here.shape == (2, ) and 'only_here' not in b


def test_through_a_loader_worker_the_model_sees_the_same_batch(toy_corpus):
    """A worker process hands the batch over; the student's preprocessor and loss are those of
    the pseudo_collate batch."""
    ds = _dataset(dict(toy_corpus))
    ds.pipeline.transforms[1].prob = 0.0  # no random flip: the two loaders see the same frames
    loaders = [
        DataLoader(ds, batch_size=5, num_workers=w, collate_fn=fn)
        for w, fn in ((1, frame_collate), (0, pseudo_collate))
    ]
    got, ref = (next(iter(loader)) for loader in loaders)
    _same_batches(got, ref)
    with DefaultScope.overwrite_default_scope('mmaction'):
        model = MODELS.build(
            dict(type='VPDDistiller',
                 backbone=dict(type='VPDStudentResNet', depth=18, base_channels=8,
                               in_channels=5, out_channels=26, pretrained=None),
                 head=dict(type='VPDDistillHead', in_channels=26, hidden_channels=16),
                 data_preprocessor=dict(type='VPDDataPreprocessor')))
    model.eval()
    losses = [model(**model.data_preprocessor(b, True), mode='loss') for b in (got, ref)]
    assert losses[0].keys() == losses[1].keys()
    for key in losses[0]:
        assert torch.equal(losses[0][key], losses[1][key]), key
