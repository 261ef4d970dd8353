#!/usr/bin/env bash
# One window of base-model training on a machine lent for a few minutes (a GPU with no
# network): resume the run carried in, train for DURATION, and pack the run to carry out.
#
#   bash tools/train_window.sh CARRY OUT DURATION [train-base flags of a new run]
#
# CARRY: a folder that may hold ckpt.tar.part-* from the last window (the run's ckpt/ and
#        log.jsonl, tar-ed and cut into 15 MiB parts); if it holds none, a new run starts
#        with the flags given.
# OUT:   where the new parts and train.log go (15 MiB parts: a lent machine returns files
#        of at most 16 MiB; the 3.5 M-parameter model and its optimizer state make 3 parts).
# DURATION: --stop-after's value (e.g. 8m): leave time for the final checkpoint and
#        evaluation, and for packing.
#
# Wheels of missing packages (orjson on a bare PyTorch image) are installed from .whl/ if
# that folder exists. The run itself is in $WINDOW_RUN (default runs/window, inside the repo
# and ignored by git; emptied first).
# Next window: copy OUT's ckpt.tar.part-* into CARRY and run the same line again; a
# resumed run keeps its own settings, so the flags matter only for the first window.
#
# Example, new v2 run on a GPU:
#   bash tools/train_window.sh runs/carry "$OUT" 8m --tasks v2 --device cuda --workers 14 \
#       --batch-tokens 32768 --max-positions 4096 --max-new-tokens 64
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
carry=$1 out=$2 duration=$3
shift 3
py=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if ! "$py" -c "import orjson" 2>/dev/null && compgen -G ".whl/*.whl" >/dev/null; then
    "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
run=${WINDOW_RUN:-runs/window}
mkdir -p "$out"
rm -rf "$run" && mkdir -p "$run"
if compgen -G "$carry/ckpt.tar.part-*" >/dev/null; then
    cat "$carry"/ckpt.tar.part-* | tar -x -C "$run"
    set -- --resume
    echo "window: resuming the carried run at step $("$py" -c "import json,sys; \
print(json.load(open(sys.argv[1]))['step'])" "$run/ckpt/state.json")"
else
    echo "window: new run: $*"
fi
# parts left in OUT by an earlier window (CARRY and OUT may be one folder, read above)
# would otherwise mix with this window's
rm -f "$out"/ckpt.tar.part-*
status=0
"$py" -m solver train-base --out "$run" --stop-after "$duration" --no-progress "$@" \
    2>&1 | tee "$out/train.log" || status=$?
if [ -f "$run/ckpt/state.json" ]; then
    members=(ckpt)
    for f in log.jsonl config.json library.log; do
        [ -f "$run/$f" ] && members+=("$f")
    done
    tar -c -C "$run" "${members[@]}" | split -b 15M - "$out/ckpt.tar.part-"
    echo "window: packed $(ls "$out"/ckpt.tar.part-* | wc -l) parts into $out"
fi
exit "$status"
