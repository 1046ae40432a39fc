#!/bin/sh
# CTest onnx_import: runs onnx_models.py with Debian's /usr/bin/python3 and
# torch; skips (77) when torch or the library's ONNX import is missing,
# except under CI=true, where that fails.
# usage: run.sh ONNX_MODELS_PY SEQNN TEST_ONNX_RUN WORK_DIR HAVE_ONNX
py=/usr/bin/python3
why=""
[ "$5" = 1 ] || why="libseqnn was built without ONNX import (scripts/install-deps.sh onnx)"
[ -z "$why" ] && ! "$py" -c "import torch" 2>/dev/null && why="$py cannot import torch (apt-get install python3-torch)"
if [ -n "$why" ]; then
    echo "onnx_import: $why"
    [ "${CI:-}" = true ] && { echo "CI=true: failing"; exit 1; }
    echo "skipped"
    exit 77
fi
exec "$py" "$1" "$2" "$3" "$4"
