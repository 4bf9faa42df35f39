#!/usr/bin/env bash
# GPU check of the whole path (issue 14): prepare 2 generated videos with the real detector
# (Faster R-CNN: mmcv's RoIAlign and NMS) and teacher (HRNet-w32) on the device, distil a
# student for 50 steps with --amp, dump its features; print frames/s per stage.
#
#   bash tools/benchmarks/gpu_check.sh                  # on cuda:0 (needs mmcv with CUDA
#                                                       # ops: setup_env.sh builds them with nvcc)
#   bash tools/benchmarks/gpu_check.sh --device cpu     # the same, small, as a CPU smoke check
#
# Options: --device DEV (cuda:0) --work-dir DIR (work_dirs/gpu_check in the repository; a
#   relative DIR is relative to the current directory) --steps N (50; 5 on cpu)
#   --frames N (frames per video: 96 at 25 fps; 24 at 10 fps on cpu)
#   --det-checkpoint P --pose-checkpoint P (local files; default: random weights)
#   --python PY (default: $VPD_MM_VENV/bin/python, .venv/bin/python, else python)
# Steps: (1) tools/benchmarks/prepare_stages.py times decode / detect / track / pose / crop / flow
# with the real models on the device (Faster R-CNN R50 + HRNet-w32 on cuda; the light
# RTMDet-tiny + RTMPose-t on cpu, 12 small frames: a smoke check); (2) tools/data/prepare.py
# prepares the 2 videos: with both checkpoints through the real models on the device, else with
# the simulated detector and teacher (random weights find nobody to crop); (3) tools/train.py,
# the tiny student, --amp; (4) tools/test.py --dump-features --all-videos. Unmeasured on a GPU
# so far (docs/installation.md).
# Each run starts from an empty DIR: the script deletes DIR only when it made it itself (the
# marker file DIR/.gpu_check) or DIR is empty; any other existing DIR is refused, never deleted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVICE=cuda:0 WORK=$ROOT/work_dirs/gpu_check STEPS="" FRAMES="" DET_CKPT="" POSE_CKPT="" PY=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --device) DEVICE=$2; shift 2 ;;
        --work-dir) WORK=$2; shift 2 ;;
        --steps) STEPS=$2; shift 2 ;;
        --frames) FRAMES=$2; shift 2 ;;
        --det-checkpoint) DET_CKPT=$2; shift 2 ;;
        --pose-checkpoint) POSE_CKPT=$2; shift 2 ;;
        --python) PY=$2; shift 2 ;;
        *) echo "gpu_check.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [[ -z $PY ]]; then
    for cand in "${VPD_MM_VENV:-$ROOT/.venv}/bin/python" python; do
        if command -v "$cand" >/dev/null 2>&1; then PY=$cand; break; fi
    done
fi
if [[ $DEVICE == cpu ]]; then
    STEPS=${STEPS:-5} FRAMES=${FRAMES:-24} FPS=10
    export CUDA_VISIBLE_DEVICES=""  # the runners of train/test pick cuda whenever they see one
else
    STEPS=${STEPS:-50} FRAMES=${FRAMES:-96} FPS=25
fi
[[ $FRAMES -ge 8 ]] || { echo "gpu_check.sh: --frames must be >= 8" >&2; exit 2; }
[[ $WORK == /* ]] || WORK=$PWD/$WORK  # relative to the caller's directory, not the repository
MARKER=.gpu_check
if [[ -e $WORK || -L $WORK ]]; then
    if [[ -L $WORK || ! -d $WORK ]] \
        || { [[ ! -f $WORK/$MARKER ]] && [[ -n $(ls -A "$WORK") ]]; }; then
        echo "gpu_check.sh: refusing to delete --work-dir $WORK: it exists and was not made by" \
            "gpu_check.sh (no $MARKER marker in it); choose a new or empty folder" >&2
        exit 2
    fi
fi
cd "$ROOT"
log() { printf '[gpu_check] %s\n' "$*"; }

"$PY" - "$DEVICE" <<'PYEOF'
import sys

import torch

device = sys.argv[1]
if device.startswith('cuda'):
    if not torch.cuda.is_available():
        sys.exit(f'[gpu_check] torch {torch.__version__} sees no GPU; use --device cpu')
    from mmcv.ops import get_compiling_cuda_version
    if get_compiling_cuda_version() == 'not available':
        sys.exit('[gpu_check] mmcv was built without CUDA ops (Faster R-CNN needs them on a GPU): '
                 'rerun tools/setup_env.sh where nvcc is on the PATH (VPD_MM_CUDA=1)')
    print(f'[gpu_check] {torch.cuda.get_device_name(device)}, torch {torch.__version__}, '
          f'mmcv ops CUDA {get_compiling_cuda_version()}')
else:
    print(f'[gpu_check] CPU, torch {torch.__version__}')
PYEOF

rm -rf "$WORK" && mkdir -p "$WORK"  # made by this script (marker) or empty: checked above
echo "made by tools/benchmarks/gpu_check.sh, which deletes this folder when rerun" > "$WORK/$MARKER"
RAW=$WORK/raw OUT=$WORK/prepared
log "2 generated videos of $FRAMES frames at $FPS fps"
"$PY" tools/data/make_sports_corpus.py "$RAW" --videos-per-class 1 --classes 1som_tuck 2som_pike \
    --frames "$FRAMES" "$FRAMES" --fps "$FPS" --test-fraction 0 --name gpucheck --no-progress \
    > "$WORK/corpus.log"

# 1. the stages with the real models on the device (random weights unless checkpoints are given)
HRNET=td-hm_hrnet-w32_8xb64-210e_coco-256x192.py
if [[ $DEVICE == cpu ]]; then  # the light models: a smoke check, not a measurement
    MODELS=(--frames 12 --size 120 160)  # (athlete selection needs >= 10 frames)
else
    MODELS=(--frames "$FRAMES" --size 240 320
        --detector-config mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py
        --pose-config "mmpose::body_2d_keypoint/topdown_heatmap/coco/$HRNET")
fi
[[ -z $DET_CKPT ]] || MODELS+=(--det-checkpoint "$DET_CKPT")
[[ -z $POSE_CKPT ]] || MODELS+=(--pose-checkpoint "$POSE_CKPT")
log "stage speeds of the detector and the teacher on $DEVICE"
"$PY" tools/benchmarks/prepare_stages.py --device "$DEVICE" --threads "${OMP_NUM_THREADS:-1}" \
    --flow-presets medium --repeats 1 --out "$WORK/stages.json" "${MODELS[@]}" \
    > "$WORK/stages.log" 2>&1 || { tail -n 30 "$WORK/stages.log"; exit 1; }

# 2. tools/data/prepare.py on the 2 videos: with both checkpoints the real models on the device;
# without, the simulated detector and teacher (random weights find nobody) and the real tracker
if [[ -n $DET_CKPT && -n $POSE_CKPT ]]; then
    PREP=(configs/preparation/video_folder.py --device "$DEVICE" --cfg-options
        detector.checkpoint="$DET_CKPT" teacher.checkpoint="$POSE_CKPT"
        reader.data_root="$RAW" dataset_name=gpucheck reader.dataset=gpucheck)
    log "prepare (real detector and teacher on $DEVICE)"
    PREP_KIND=prepare
else
    PREP=(configs/preparation/synthetic_sports.py --cfg-options reader.data_root="$RAW"
        reader.ann_file=annotations/gpucheck_videos.json dataset_name=gpucheck
        reader.dataset=gpucheck)
    log "prepare (simulated detector and teacher: no checkpoints given)"
    PREP_KIND="prepare, simulated models"
fi
T0=$(date +%s.%N)
"$PY" tools/data/prepare.py "${PREP[0]}" --out-dir "$OUT" --no-progress "${PREP[@]:1}" \
    crop_size=64 > "$WORK/prepare.log" 2>&1 || { tail -n 30 "$WORK/prepare.log"; exit 1; }
T1=$(date +%s.%N)

TRAIN_OPTS=(
    train_dataloader.dataset.ann_file="$OUT/annotations/gpucheck_pose.pkl"
    train_dataloader.dataset.data_prefix.img="$OUT/rawframes"
    train_dataloader.batch_size=16 train_dataloader.num_workers=1
    val_dataloader.dataset.ann_file="$OUT/annotations/gpucheck_pose.pkl"
    val_dataloader.dataset.data_prefix.img="$OUT/rawframes" val_dataloader.num_workers=1
    train_cfg.max_iters="$STEPS" train_cfg.val_interval=1000000
    default_hooks.checkpoint.interval="$STEPS" default_hooks.logger.interval=1)
log "distillation: $STEPS steps with --amp"
T2=$(date +%s.%N)
"$PY" tools/train.py configs/vpd/2dvpd_tiny_cpu.py --amp --work-dir "$WORK/train" \
    --cfg-options "${TRAIN_OPTS[@]}" > "$WORK/train.log" 2>&1 \
    || { tail -n 30 "$WORK/train.log"; exit 1; }
T3=$(date +%s.%N)

log "feature dumping (every frame of both videos)"
TEST_OPTS=(
    test_dataloader.dataset.ann_file="$OUT/annotations/gpucheck_pose.pkl"
    test_dataloader.dataset.data_prefix.img="$OUT/rawframes"
    test_dataloader.batch_size=64 test_dataloader.num_workers=1)
T4=$(date +%s.%N)
"$PY" tools/test.py configs/vpd/2dvpd_tiny_cpu.py "$WORK/train/iter_$STEPS.pth" --all-videos \
    --dump-features "$WORK/features" --work-dir "$WORK/test" --cfg-options "${TEST_OPTS[@]}" \
    > "$WORK/test.log" 2>&1 || { tail -n 30 "$WORK/test.log"; exit 1; }
T5=$(date +%s.%N)

WEIGHTS="random weights"
[[ -z $DET_CKPT && -z $POSE_CKPT ]] || WEIGHTS=checkpoints
"$PY" - "$WORK" "$STEPS" "$WEIGHTS" "$PREP_KIND" "$T0" "$T1" "$T2" "$T3" "$T4" "$T5" <<'PYEOF'
import glob
import json
import os.path as osp
import sys

import numpy as np

work, steps, weights, prep = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[5:])
rows = []
with open(osp.join(work, 'stages.json')) as f:
    stages = json.load(f)
for stage, r in stages['stages'].items():
    rows.append((f'models/{stage} ({weights}, {r["unit"]})', r['count'], r['seconds'],
                 r['per_s']))
(shard, ) = glob.glob(osp.join(work, 'prepared', 'work', 'reports', 'shard_*.json'))
with open(shard) as f:
    report = json.load(f)
if len(report['processed']) != 2:
    sys.exit(f'[gpu_check] prepare processed {report["processed"]}, skipped '
             f'{report["skipped"]}, errors {report["errors"]}: see {work}/prepare.log')
for stage, s in report['stages'].items():
    rows.append((f'{prep}/{stage}', s['frames'], s['seconds'], s['frames_per_s']))
rows.append((f'{prep} (whole command)', report['frames'], round(t1 - t0, 2),
             round(report['frames'] / (t1 - t0), 2)))
records = []
for path in glob.glob(osp.join(work, 'train', '*', 'vis_data', 'scalars.json')):
    with open(path) as f:
        records += [json.loads(line) for line in f if line.strip()]
times = [r['time'] for r in records if 'loss' in r and 'time' in r]
if len(times) != steps:
    sys.exit(f'[gpu_check] {len(times)} logged training steps, expected {steps}')
timed = times[min(3, len(times) - 1):]  # the first steps warm up (cudnn, autocast caches)
batch = 16
rows.append((f'distill {steps} steps --amp (batch {batch}, mean step after warm-up)',
             batch * len(timed), round(sum(timed), 3), round(batch * len(timed) / sum(timed), 2)))
rows.append(('distill (whole command)', batch * steps, round(t3 - t2, 2),
             round(batch * steps / (t3 - t2), 2)))
feats = sorted(glob.glob(osp.join(work, 'features', '*.npy')))
frames = int(sum(np.load(p, mmap_mode='r').shape[0] for p in feats))
if len(feats) != 2:
    sys.exit(f'[gpu_check] {len(feats)} feature files, expected 2')
rows.append(('dump features (whole command)', frames, round(t5 - t4, 2),
             round(frames / (t5 - t4), 2)))
print(f'[gpu_check] {"stage":<66} {"frames":>7} {"seconds":>9} {"frames/s":>9}')
for name, n, sec, fps in rows:
    print(f'[gpu_check] {name:<66} {n:>7} {sec:>9} {fps:>9}')
print('[gpu_check] "whole command" rows include start-up (imports, model building); '
      f'logs in {work}')
PYEOF
