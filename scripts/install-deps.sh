#!/bin/sh
# Installs what building, testing and running seqnn need, from Debian 12's
# packages (run as root, or with sudo available). Safe to run again.
# usage: install-deps.sh [test]   (test: also what the test suite needs:
# PyTorch and NumPy for the interoperability checks)
set -eu
packages="cmake gcc make pkg-config libc6-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo libclblast-dev
  fortunes gnuplot-nox"
if [ "${1:-}" = test ]; then
    packages="$packages python3 python3-torch python3-numpy"
fi
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
