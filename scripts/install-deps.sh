#!/bin/sh
# Installs from Debian 12's packages what building, testing and running seqnn
# need (run as root, or with sudo available; Open MPI: data-parallel training,
# docs/distributed.md). Safe to run again.
# usage: install-deps.sh [GROUP...]   groups beyond the base (build, run, the
# main job): test (PyTorch and NumPy for the interop checks; venv and
# setuptools to install the Python package; the ONNX import's build
# dependencies and its test's), fuzz (clang and
# its sanitizer runtimes, valgrind: scripts/test-reliability.sh), bench (the
# peers of `seqnn bench`: OpenBLAS, oneDNN, PyTorch, perf; GNU time for bench/decode.sh),
# onnx (ONNX import: protobuf-c and the onnx.proto of python3-onnx; PyTorch
# for its test).
set -eu
packages="cmake gcc make pkg-config libc6-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo libclblast-dev
  fortunes gnuplot-nox libopenmpi-dev openmpi-bin"
for group in "$@"; do
    case $group in
    test) packages="$packages python3 python3-torch python3-numpy python3-venv python3-setuptools
      libprotobuf-c-dev protobuf-c-compiler python3-onnx" ;;
    fuzz) packages="$packages clang libclang-rt-14-dev valgrind" ;;
    bench) packages="$packages libopenblas-dev libdnnl-dev python3-torch python3-numpy linux-perf time" ;;
    onnx) packages="$packages libprotobuf-c-dev protobuf-c-compiler python3-onnx python3-torch python3-numpy" ;;
    *) echo "install-deps.sh: unknown group '$group' (test, fuzz, bench, onnx)" >&2; exit 2 ;;
    esac
done
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
