#!/bin/sh
# Runs one Python test of the seqnn package with Debian's /usr/bin/python3
# against the library LIB (SEQNN_LIBRARY), the package from this source tree.
# Exit 77 (skipped) when python3 or numpy (or torch, for a script that
# imports it; venv and setuptools for the install test) is missing, except
# under CI=true, where that fails. A shell script (*.sh) gets LIB as its
# first argument instead of SEQNN_LIBRARY.
# Usage: run.sh LIB SCRIPT [ARGS...]
py=/usr/bin/python3
lib=$1
script=$2
shift 2
need=numpy
grep -q '^import torch' "$script" && need="numpy torch"
case $script in *.sh) need="numpy ensurepip setuptools" ;; esac
for mod in $need; do
    if [ ! -x "$py" ] || ! "$py" -c "import $mod" 2>/dev/null; then
        echo "$(basename "$script"): $py with $mod is missing (apt-get install python3-numpy python3-torch)"
        [ "${CI:-}" = true ] && { echo "CI=true: failing"; exit 1; }
        echo "skipped"
        exit 77
    fi
done
here=$(cd "$(dirname "$0")/.." && pwd)
case $script in
*.sh) exec sh "$script" "$lib" "$@" ;;
esac
SEQNN_LIBRARY=$lib PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$py" "$script" "$@"
