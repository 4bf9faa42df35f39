#!/usr/bin/env bash
# Create (or reuse) the virtual environment with the tested OpenMMLab stack, then install vpd_mm.
#
#   bash tools/setup_env.sh            # runtime stack + vpd_mm (editable)
#   bash tools/setup_env.sh --tests    # ... plus the test requirements
#
# Environment variables:
#   VPD_MM_VENV    where the environment lives (default: <repo>/.venv)
#   VPD_MM_WHEELS  colon-separated folders holding a prebuilt mmcv 2.1.0 wheel for this stack
#                  (torch 2.14.1, cp311); without one, mmcv is built from its PyPI sdist (~16 min
#                  on 2 cores) and the wheel is cached in <repo>/build/wheels and
#                  ${XDG_CACHE_HOME:-~/.cache}/vpd_mm/wheels for every later run and clone.
#   PYTHON         the interpreter that creates the environment (default: python3.11 or python3)
#
# A second run with unchanged requirements finishes in seconds (a stamp file records what the
# environment was built from).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VPD_MM_VENV:-$ROOT/.venv}
WITH_TESTS=0
for arg in "$@"; do
    case "$arg" in
        --tests) WITH_TESTS=1 ;;
        *) echo "setup_env.sh: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

TORCH_TAG=torch2.14.1-cp311
LOCAL_WHEELS=$ROOT/build/wheels/$TORCH_TAG
USER_WHEELS=${XDG_CACHE_HOME:-$HOME/.cache}/vpd_mm/wheels/$TORCH_TAG
CONSTRAINTS=$ROOT/requirements/constraints.txt

log() { printf '[setup_env] %s\n' "$*"; }

# ---------------------------------------------------------------- fast path: nothing changed
# The runtime stack is stamped with the hash of what it was built from; the test requirements
# (a small addition) with their own stamp.
STAMP_WANT=$(cat "$ROOT"/requirements/{build,constraints,mminstall,runtime}.txt \
    "$ROOT/tools/setup_env.sh" "$ROOT/setup.py" <(echo "$ROOT") | sha256sum | cut -d' ' -f1)
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
if [[ ! -x $VENV/bin/python ]]; then
    PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
    log "creating $VENV with $PY"
    "$PY" -m venv "$VENV"
fi
VPY=$VENV/bin/python
rm -f "$STAMP_FILE" "$TESTS_STAMP_FILE"
# (pip warns about every package missing from this machine's local indexes: not useful here)
pip_install() {
    "$VPY" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" "$@" \
        2> >(grep -v 'is ignored: it is neither' >&2)
}

log "build tools and torch stack (torch 2.14.1 is large: the first install takes about a minute)"
pip_install -r "$ROOT/requirements/build.txt"
pip_install torch==2.14.1 torchvision==0.29.1 numpy==1.26.4 "opencv-python<4.11"

# ---------------------------------------------------------------- mmcv 2.1.0 with CPU ops
find_mmcv_wheel() {
    local dirs=${VPD_MM_WHEELS:-}
    dirs="$dirs:$LOCAL_WHEELS:$USER_WHEELS"
    local IFS=:
    for d in $dirs; do
        [[ -n $d && -d $d ]] || continue
        for w in "$d"/mmcv-2.1.0-cp311-cp311-linux_*.whl; do
            [[ -f $w ]] && { echo "$w"; return 0; }
        done
    done
    return 1
}
if "$VPY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
    log "mmcv 2.1.0 with ops already installed"
else
    if ! WHEEL=$(find_mmcv_wheel); then
        log "no prebuilt mmcv wheel found: building mmcv 2.1.0 from the sdist (about 16 minutes on 2 cores)"
        SRC=$ROOT/build/src
        mkdir -p "$SRC" "$LOCAL_WHEELS"
        if [[ ! -d $SRC/mmcv-2.1.0 ]]; then
            "$VPY" -m pip download -q --no-deps --no-binary :all: --no-build-isolation -d "$SRC" \
                mmcv==2.1.0 2> >(grep -v 'is ignored: it is neither' >&2)
            tar xzf "$SRC/mmcv-2.1.0.tar.gz" -C "$SRC"
            # torch 2.14's headers require C++20; mmcv hard-codes C++17 for its CPU extension.
            sed -i "s/'-std=c++17'\]/'-std=c++20']/" "$SRC/mmcv-2.1.0/setup.py"
            grep -q "'-std=c++20'\]" "$SRC/mmcv-2.1.0/setup.py" || { echo "could not patch mmcv's C++ standard" >&2; exit 1; }
        fi
        TMPW=$(mktemp -d "$ROOT/build/wheels/tmp.XXXXXX")
        (cd "$SRC/mmcv-2.1.0" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} \
            "$VPY" -m pip wheel -q --no-cache-dir --no-build-isolation --no-deps -w "$TMPW" .)
        mv "$TMPW"/mmcv-2.1.0-*.whl "$LOCAL_WHEELS"/ && rmdir "$TMPW"
        WHEEL=$(find_mmcv_wheel)
    fi
    log "installing $WHEEL"
    pip_install --no-deps "$WHEEL"
    # Keep the wheel for every later clone of the repository on this machine.
    mkdir -p "$USER_WHEELS"
    if [[ ! -f $USER_WHEELS/$(basename "$WHEEL") ]]; then
        cp "$WHEEL" "$USER_WHEELS/.$(basename "$WHEEL").tmp" && \
            mv "$USER_WHEELS/.$(basename "$WHEEL").tmp" "$USER_WHEELS/$(basename "$WHEEL")"
    fi
fi

# ---------------------------------------------------------------- the rest of the stack
log "mmengine, mmdet, mmpose, mmaction2 and their real dependencies"
pip_install mmengine==0.10.7 -r "$ROOT/requirements/runtime.txt"
pip_install --no-deps mmdet==3.3.0 mmpose==1.3.2 mmaction2==1.2.0
log "vpd_mm (editable)"
pip_install --no-deps --no-build-isolation -e "$ROOT"

"$VPY" - <<'EOF'
import vpd_mm  # noqa: F401  (applies the stack's workarounds)
import mmaction.models, mmcv.ops, mmdet.models, mmpose.models  # noqa: F401,E401
import torch
print(f'[setup_env] stack ok: torch {torch.__version__}, vpd_mm {vpd_mm.__version__}')
EOF
echo "$STAMP_WANT" > "$STAMP_FILE"
install_tests
log "done: $VENV"
