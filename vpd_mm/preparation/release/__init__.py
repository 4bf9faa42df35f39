# Copyright (c) vpd_mm contributors. All rights reserved.
"""Readers and converters for the files the VPD authors released (``docs/vpd_release.md``):
per-video athlete boxes and COCO-17 poses, ``.emb.pkl`` features and the VIPE* encoder."""
from vpd_mm.utils.io import read_id_list
from .checkpoint import (CheckpointLayoutError, convert_vipe_checkpoint, convert_vipe_state_dict,
                         load_vpd_vipe_encoder, vpd_vipe_key_map)
from .features import (emb_entries_to_array, fill_gaps_dense, import_release_features,
                       list_emb_files, read_emb_pkl)
from .masks import import_release_masks
from .poses import (ReleaseFormatError, box_iou, import_release_poses, list_release_videos,
                    read_frame_counts, read_release_video, resolve_ids, strip_player_prefix)
from .report import ImportReport

__all__ = [
    'CheckpointLayoutError', 'convert_vipe_checkpoint', 'convert_vipe_state_dict',
    'load_vpd_vipe_encoder', 'vpd_vipe_key_map', 'emb_entries_to_array', 'fill_gaps_dense',
    'import_release_features', 'list_emb_files', 'read_emb_pkl', 'ReleaseFormatError', 'box_iou',
    'import_release_poses', 'list_release_videos', 'read_frame_counts', 'read_id_list',
    'read_release_video', 'resolve_ids', 'strip_player_prefix', 'ImportReport',
    'import_release_masks'
]
