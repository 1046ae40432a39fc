#!/bin/sh
# seqnn -> PyTorch check (CTest interop_torch_check): runs torch_models.py
# check on the files test_interop wrote. PyTorch comes from Debian's
# python3-torch through /usr/bin/python3; without it the test is skipped
# (exit 77) and says why, except under CI=true, where it fails.
# Usage: check.sh TORCH_MODELS_PY WORK_DIR
py=/usr/bin/python3
if [ ! -x "$py" ]; then
    echo "interop_torch_check: $py is missing (apt-get install python3-torch)"
    [ "${CI:-}" = true ] && { echo "CI=true: failing"; exit 1; }
    echo "skipped"
    exit 77
fi
exec "$py" "$1" check "$2"
