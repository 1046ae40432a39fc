#!/bin/sh
# CTest onnx_export: the round trip of every example model file
# (test_onnx_export), `seqnn export` and its errors (export_cli.sh), then
# every exported file checked and run by export_check.py with Debian's
# /usr/bin/python3 (onnx, numpy, torch). Skips (77) when the library has no ONNX or python3-onnx / torch is
# missing, except under CI=true, where that fails.
# usage: export.sh SEQNN TEST_ONNX_EXPORT WORK_DIR HAVE_ONNX MODEL.seqnn...
set -u
py=/usr/bin/python3
seqnn=$1 prog=$2 work=$3 have=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
why=""
[ "$have" = 1 ] || why="libseqnn was built without ONNX (scripts/install-deps.sh onnx)"
[ -z "$why" ] && ! "$py" -c "import onnx, torch, numpy" 2>/dev/null &&
    why="$py cannot import onnx, torch and numpy (apt-get install python3-onnx python3-torch)"
if [ -n "$why" ]; then
    echo "onnx_export: $why"
    [ "${CI:-}" = true ] && { echo "CI=true: failing"; exit 1; }
    echo "skipped"
    exit 77
fi
rm -rf "$work" && mkdir -p "$work" || exit 1
fail=0
"$prog" "$work" "$@" || fail=1
sh "$here/export_cli.sh" "$seqnn" "$work" || fail=1
"$py" "$here/export_check.py" "$work" || fail=1
exit $fail
