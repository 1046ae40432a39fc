#!/bin/sh
# `pip install` of the package into a fresh virtual environment (with the
# system's numpy), offline and compiling nothing, then a smoke test run from
# elsewhere against the library LIB. The source is copied first (into
# WORK_DIR/src) so that setuptools' build files stay out of the tree; only
# WORK_DIR/src and WORK_DIR/venv are ever removed.
# Usage: test_install.sh LIB PYTHON_DIR WORK_DIR
set -eu
[ $# -eq 3 ] || { echo "usage: test_install.sh LIB PYTHON_DIR WORK_DIR" >&2; exit 2; }
lib=$1
src=$2
work=$3
[ -f "$lib" ] && [ -f "$src/pyproject.toml" ] || { echo "test_install.sh: $lib or $src/pyproject.toml missing" >&2; exit 2; }
mkdir -p "$work"
rm -rf "$work/src" "$work/venv"
cp -r "$src" "$work/src"
rm -rf "$work/src/build" "$work/src/seqnn.egg-info"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$work/src"
cd "$work"
SEQNN_LIBRARY=$lib "$work/venv/bin/python" - <<'PY'
import sys
import numpy as np
import seqnn
assert seqnn.__file__.startswith(sys.prefix), seqnn.__file__
with seqnn.Context("ref") as ctx:
    a = np.eye(3, dtype=np.float32)
    assert np.array_equal(seqnn.kernels.gemm(a, a, ctx=ctx), a)
    t = ctx.tensor(a)
    assert np.array_equal(seqnn.kernels.gemm(t, t).numpy(), a)
print("installed at", seqnn.__file__, "library", seqnn.LIBRARY_PATH)
PY
