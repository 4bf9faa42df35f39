#!/usr/bin/env bash
# Create (or reuse) the virtual environment with the tested OpenMMLab stack, then install vpd_mm.
#
#   bash tools/setup_env.sh            # runtime stack + vpd_mm (editable)
#   bash tools/setup_env.sh --tests    # ... plus the test requirements
#   bash tools/setup_env.sh --which-python   # print the interpreter it would use, change nothing
#
# Environment variables:
#   VPD_MM_VENV    where the environment lives (default: <repo>/.venv)
#   PYTHON         the interpreter that creates the environment (default: the first supported
#                  one of python3.11, python3.12, python3.10, python3). The pins of
#                  requirements/constraints.txt support Python 3.10-3.12; 3.11 is the tested
#                  one (and the only one whose torch wheel lies on this kind of machine's disk).
#   VPD_MM_WHEELS  colon-separated folders holding a prebuilt mmcv 2.1.0 wheel for this stack
#                  (torch 2.14.1 and this Python; directly in the folder or in a sub-folder named
#                  like the cache tag below); without one, mmcv is built from its PyPI sdist
#                  (~16 min on 2 cores with CPU ops) and the wheel is cached in
#                  <repo>/build/wheels/<tag> and ${XDG_CACHE_HOME:-~/.cache}/vpd_mm/wheels/<tag>
#                  for every later run and clone. <tag>: torch2.14.1-cp311 (CPU ops),
#                  torch2.14.1-cu130-cp311 (CUDA ops, CUDA 13.0).
#   VPD_MM_CUDA    auto (default) | 1 | 0: build mmcv with CUDA ops (FORCE_CUDA=1). auto = when
#                  nvcc is found (PATH or $CUDA_HOME/bin) and nvidia-smi lists a GPU; the torch
#                  must be a CUDA build, else mmcv gets CPU ops. TORCH_CUDA_ARCH_LIST (e.g. "9.0")
#                  limits the GPU architectures compiled (without a GPU to detect, nvcc's default
#                  list: much longer). The CUDA build was not run on a GPU machine.
#   MAX_JOBS       parallel compile jobs of the mmcv build (default: the number of cores)
#
# A second run with unchanged requirements finishes in seconds (a stamp file records what the
# environment was built from: the requirement files, this script, setup.py, the Python version
# and the mmcv flavour).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VPD_MM_VENV:-$ROOT/.venv}
WITH_TESTS=0 WHICH_PYTHON=0
for arg in "$@"; do
    case "$arg" in
        --tests) WITH_TESTS=1 ;;
        --which-python) WHICH_PYTHON=1 ;;
        *) echo "setup_env.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done
CONSTRAINTS=$ROOT/requirements/constraints.txt

log() { printf '[setup_env] %s\n' "$*"; }
die() { printf '[setup_env] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- a supported Python, up front
# What the pins support: torch 2.14.1 needs >= 3.10, numpy 1.26.4 has no wheels past 3.12.
SUPPORTED="3.10 3.11 3.12"
CANDIDATES="python3.11 python3.12 python3.10 python3"
py_version() {  # "3.11" for a working interpreter, nothing (status 1) otherwise
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}
is_supported() { [[ " $SUPPORTED " == *" $1 "* ]]; }
if [[ -e $VENV/bin/python ]]; then
    PYV=$(py_version "$VENV/bin/python") || die "$VENV/bin/python does not run (its interpreter \
was removed?): delete $VENV, or set VPD_MM_VENV to another folder, and run this again"
    is_supported "$PYV" || die "$VENV uses Python $PYV, but the pinned stack needs Python \
3.10, 3.11 or 3.12 (tested: 3.11). Delete $VENV (or set VPD_MM_VENV to another folder) and run \
this again, with PYTHON=/path/to/python3.11 if python3.11 is not on the PATH."
    PY=""
elif [[ -n ${PYTHON:-} ]]; then
    PYV=$(py_version "$PYTHON") || die "PYTHON=$PYTHON does not run"
    is_supported "$PYV" || die "PYTHON=$PYTHON is Python $PYV; the pinned stack (torch 2.14.1, \
numpy 1.26.4) needs Python 3.10, 3.11 or 3.12 (tested: 3.11)"
    PY=$PYTHON
else
    PY="" PYV="" TRIED=""
    for cand in $CANDIDATES; do
        command -v "$cand" >/dev/null 2>&1 || continue
        if ! v=$(py_version "$cand"); then
            TRIED="$TRIED $cand (does not run)"
            continue
        fi
        if is_supported "$v"; then
            PY=$(command -v "$cand") PYV=$v
            break
        fi
        TRIED="$TRIED $cand ($v)"
    done
    [[ -n $PY ]] || die "no supported Python found (tried:${TRIED:- none on the PATH}). \
The pinned stack needs Python 3.10, 3.11 or 3.12 (tested: 3.11): install one, or point \
PYTHON=/path/to/python3.11 at it."
fi
PYTAG=cp${PYV/./}
if [[ $WHICH_PYTHON == 1 ]]; then
    echo "${PY:-$VENV/bin/python} (Python $PYV)"
    exit 0
fi

# ---------------------------------------------------------------- mmcv flavour: CPU or CUDA ops
find_nvcc() {
    command -v nvcc 2>/dev/null && return 0
    local c=${CUDA_HOME:-/usr/local/cuda}/bin/nvcc
    [[ -x $c ]] && { echo "$c"; return 0; }
    return 1
}
case ${VPD_MM_CUDA:-auto} in
    0 | no | cpu) MMCV_FLAVOUR=cpu ;;
    1 | yes | cuda) MMCV_FLAVOUR=cuda ;;
    auto)
        MMCV_FLAVOUR=cpu
        if find_nvcc >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
            MMCV_FLAVOUR=cuda
        fi ;;
    *) die "VPD_MM_CUDA must be auto, 1 or 0 (got '$VPD_MM_CUDA')" ;;
esac

# ---------------------------------------------------------------- fast path: nothing changed
# The runtime stack is stamped with the hash of what it was built from; the test requirements
# (a small addition) with their own stamp.
STAMP_WANT=$(cat "$ROOT"/requirements/{build,constraints,mminstall,runtime}.txt \
    "$ROOT/tools/setup_env.sh" "$ROOT/setup.py" \
    <(echo "$ROOT python$PYV mmcv-$MMCV_FLAVOUR ${TORCH_CUDA_ARCH_LIST:-}") \
    | sha256sum | cut -d' ' -f1)
TESTS_WANT=$(sha256sum < "$ROOT/requirements/tests.txt" | cut -d' ' -f1)
STAMP_FILE=$VENV/.vpd_mm_stamp
TESTS_STAMP_FILE=$VENV/.vpd_mm_tests_stamp
install_tests() {
    if [[ $WITH_TESTS == 1 && "$(cat "$TESTS_STAMP_FILE" 2>/dev/null)" != "$TESTS_WANT" ]]; then
        log "test requirements"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" \
            -r "$ROOT/requirements/tests.txt" 2> >(grep -v 'is ignored: it is neither' >&2)
        echo "$TESTS_WANT" > "$TESTS_STAMP_FILE"
    fi
}
if [[ -f $STAMP_FILE && "$(cat "$STAMP_FILE")" == "$STAMP_WANT" && -x $VENV/bin/python ]]; then
    install_tests
    log "environment $VENV is up to date"
    exit 0
fi

# ---------------------------------------------------------------- the environment
# A new environment takes about 6.5 GB (torch's CUDA build); pip fails half-way without it.
NEED_KB=$((7 * 1024 * 1024))
if [[ ! -x $VENV/bin/python && ${VPD_MM_SKIP_DISK_CHECK:-0} != 1 ]]; then
    VENV_FS=$(dirname "$VENV")
    while [[ ! -d $VENV_FS ]]; do VENV_FS=$(dirname "$VENV_FS"); done
    FREE_KB=$(df -Pk "$VENV_FS" | awk 'NR == 2 {print $4}')
    if [[ -n $FREE_KB && $FREE_KB -lt $NEED_KB ]]; then
        die "a new environment needs about 7 GB free, but the filesystem of $VENV_FS has \
$((FREE_KB / 1024 / 1024)) GB: free some space, or set VPD_MM_VENV to a folder on another disk \
(VPD_MM_SKIP_DISK_CHECK=1 skips this check)"
    fi
fi
if [[ ! -x $VENV/bin/python ]]; then
    log "creating $VENV with $PY (Python $PYV)"
    "$PY" -m venv "$VENV" || die "'$PY -m venv' failed (on Debian/Ubuntu: apt-get install \
python$PYV-venv)"
fi
[[ $PYV == 3.11 ]] || log "note: Python $PYV is untested (tested: 3.11); torch 2.14.1 for it \
comes from PyPI (several GB) unless pip finds it locally"
VPY=$VENV/bin/python
rm -f "$STAMP_FILE" "$TESTS_STAMP_FILE"
# (pip warns about every package missing from this machine's local indexes: not useful here)
pip_install() {
    "$VPY" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" "$@" \
        2> >(grep -v 'is ignored: it is neither' >&2)
}

log "build tools and torch stack (torch 2.14.1 is large: the first install takes about a minute)"
pip_install -r "$ROOT/requirements/build.txt"
pip_install torch torchvision numpy opencv-python-headless
# The GUI build of OpenCV (mmengine's declared dependency, or an older setup of this
# environment) shares the cv2 folder with the headless one: remove it, then restore headless.
if "$VPY" -m pip show -q opencv-python >/dev/null 2>&1; then
    log "replacing opencv-python (GUI build) with opencv-python-headless"
    "$VPY" -m pip uninstall -q -y opencv-python
    pip_install --force-reinstall --no-deps opencv-python-headless
fi

# ---------------------------------------------------------------- the rest of the stack
# Before mmcv: `import mmcv` (the check of a wheel below) needs mmengine and its dependencies.
log "mmengine, mmdet, mmpose, mmaction2 and their real dependencies"
pip_install -r "$ROOT/requirements/runtime.txt"
# --no-deps: mmengine would add the GUI opencv-python, mmpose chumpy (whose setup fails on a
# modern pip), mmaction2 opencv-contrib-python; runtime.txt holds what they really need.
pip_install --no-deps mmengine mmdet mmpose mmaction2

# ---------------------------------------------------------------- mmcv 2.1.0 with ops
TORCH_VERSION=$(sed -n 's/^torch==//p' "$CONSTRAINTS")
if [[ $MMCV_FLAVOUR == cuda ]]; then
    TORCH_CUDA=$("$VPY" -c 'import torch; print(torch.version.cuda or "")')
    if [[ -z $TORCH_CUDA ]]; then
        log "warning: torch $TORCH_VERSION here is a CPU build: mmcv gets CPU ops only"
        MMCV_FLAVOUR=cpu
    elif ! NVCC=$(find_nvcc); then
        die "VPD_MM_CUDA=1 but nvcc is not on the PATH nor in \$CUDA_HOME/bin"
    else
        log "mmcv with CUDA ops: torch built with CUDA $TORCH_CUDA," \
            "$("$NVCC" --version | tail -n 1)"
    fi
fi
if [[ $MMCV_FLAVOUR == cuda ]]; then
    WHEEL_TAG=torch$TORCH_VERSION-cu${TORCH_CUDA//./}-$PYTAG
else
    WHEEL_TAG=torch$TORCH_VERSION-$PYTAG
fi
LOCAL_WHEELS=$ROOT/build/wheels/$WHEEL_TAG
USER_WHEELS=${XDG_CACHE_HOME:-$HOME/.cache}/vpd_mm/wheels/$WHEEL_TAG

MMCV_WHY=""
mmcv_ok() {  # the installed mmcv is 2.1.0 with ops (CUDA ops for the cuda flavour); else MMCV_WHY
    MMCV_WHY=$("$VPY" - "$MMCV_FLAVOUR" 2>&1 <<'EOF'
import sys
try:
    import mmcv
    from mmcv.ops import get_compiling_cuda_version, nms  # noqa: F401
except Exception as e:  # a missing or broken mmcv, or ops built against another torch
    sys.exit(f'{type(e).__name__}: {e}')
if mmcv.__version__ != '2.1.0':
    sys.exit(f'mmcv {mmcv.__version__} is installed, not 2.1.0')
if sys.argv[1] == 'cuda' and get_compiling_cuda_version() == 'not available':
    sys.exit('its ops were compiled without CUDA')
EOF
) && return 0
    MMCV_WHY=$(tail -n 1 <<<"$MMCV_WHY")
    return 1
}
find_mmcv_wheels() {  # candidate wheels, best first (user folders, then the caches)
    local IFS=:
    for d in ${VPD_MM_WHEELS:-} $LOCAL_WHEELS $USER_WHEELS; do
        [[ -n $d ]] || continue
        for w in "$d/$WHEEL_TAG"/mmcv-2.1.0-"$PYTAG-$PYTAG"-linux_*.whl \
                 "$d"/mmcv-2.1.0-"$PYTAG-$PYTAG"-linux_*.whl; do
            [[ -f $w ]] && echo "$w"
        done
    done
    return 0
}
build_mmcv_wheel() {  # sets BUILT_WHEEL
    local src=$ROOT/build/src jobs=${MAX_JOBS:-$(nproc)} cuda=0 tmpw built
    [[ $MMCV_FLAVOUR == cuda ]] && cuda=1
    log "building mmcv 2.1.0 from the sdist with $MMCV_FLAVOUR ops, $jobs jobs (CPU ops: about \
16 minutes on 2 cores; CUDA ops take much longer)"
    mkdir -p "$src" "$LOCAL_WHEELS"
    if [[ ! -d $src/mmcv-2.1.0 ]]; then
        "$VPY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$src" \
            mmcv==2.1.0 2> >(grep -v 'is ignored: it is neither' >&2)
        tar xzf "$src/mmcv-2.1.0.tar.gz" -C "$src"
        # torch 2.14's headers require C++20; mmcv hard-codes C++17 (for g++ and for nvcc).
        sed -i "s/'-std=c++17'\]/'-std=c++20']/" "$src/mmcv-2.1.0/setup.py"
        grep -q "'-std=c++20'\]" "$src/mmcv-2.1.0/setup.py" \
            || die "could not patch mmcv's C++ standard in $src/mmcv-2.1.0/setup.py"
    fi
    rm -rf "$src/mmcv-2.1.0/build"  # objects of the other flavour
    rm -rf "$ROOT"/build/wheels/tmp.*  # left by an interrupted build
    tmpw=$(mktemp -d "$ROOT/build/wheels/tmp.XXXXXX")
    (cd "$src/mmcv-2.1.0" && MMCV_WITH_OPS=1 FORCE_CUDA=$cuda MAX_JOBS=$jobs \
        "$VPY" -m pip wheel -q --no-cache-dir --no-build-isolation --no-deps -w "$tmpw" .) \
        || die "building mmcv failed (see the compiler output above)"
    built=$(find "$tmpw" -maxdepth 1 -name 'mmcv-2.1.0-*.whl' | head -n 1)
    [[ -n $built ]] || die "the mmcv build wrote no wheel into $tmpw"
    mv "$built" "$LOCAL_WHEELS/" && rmdir "$tmpw"
    BUILT_WHEEL=$LOCAL_WHEELS/$(basename "$built")
}
if mmcv_ok; then
    log "mmcv 2.1.0 with $MMCV_FLAVOUR ops already installed"
else
    INSTALLED=""
    mapfile -t WHEELS < <(find_mmcv_wheels)
    for WHEEL in "${WHEELS[@]}"; do
        log "installing $WHEEL"
        pip_install --no-deps --force-reinstall "$WHEEL"
        if mmcv_ok; then INSTALLED=$WHEEL; break; fi
        log "$WHEEL does not give mmcv 2.1.0 with $MMCV_FLAVOUR ops here ($MMCV_WHY): skipped"
    done
    if [[ -z $INSTALLED ]]; then
        [[ ${#WHEELS[@]} -gt 0 ]] || log "no prebuilt mmcv wheel ($WHEEL_TAG) found"
        build_mmcv_wheel
        INSTALLED=$BUILT_WHEEL
        log "installing $INSTALLED"
        pip_install --no-deps --force-reinstall "$INSTALLED"
        mmcv_ok || die "the mmcv wheel built here does not import with $MMCV_FLAVOUR ops: \
$MMCV_WHY"
    fi
    # Keep the wheel for every later clone of the repository on this machine.
    mkdir -p "$USER_WHEELS"
    if [[ ! -f $USER_WHEELS/$(basename "$INSTALLED") ]]; then
        cp "$INSTALLED" "$USER_WHEELS/.$(basename "$INSTALLED").tmp" && \
            mv "$USER_WHEELS/.$(basename "$INSTALLED").tmp" "$USER_WHEELS/$(basename "$INSTALLED")"
    fi
fi

# ---------------------------------------------------------------- vpd_mm
log "vpd_mm (editable; configs and tools linked into vpd_mm/.mim for 'vpd_mm::' bases)"
pip_install --no-deps --no-build-isolation -e "$ROOT"

"$VPY" - <<'EOF'
import os.path as osp

import vpd_mm  # noqa: F401  (applies the stack's workarounds)
import mmaction.models, mmcv.ops, mmdet.models, mmpose.models  # noqa: F401,E401
import torch
from mmcv.ops import get_compiling_cuda_version

mim = osp.join(osp.dirname(vpd_mm.__file__), '.mim', 'configs')
assert osp.isdir(mim), f'{mim} is missing: vpd_mm::<config> bases will not resolve'
print(f'[setup_env] stack ok: torch {torch.__version__}, mmcv ops compiled with CUDA: '
      f'{get_compiling_cuda_version()}, vpd_mm {vpd_mm.__version__}')
EOF
echo "$STAMP_WANT" > "$STAMP_FILE"
install_tests
log "done: $VENV"
