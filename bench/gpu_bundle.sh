#!/bin/sh
# A self-contained bundle for running bench/gpu_check.sh on a machine that
# has a GPU and its OpenCL driver but not seqnn's build dependencies (a
# cluster node, a container with another distribution): seqnn, its plugins,
# the recurrent probe and the PyTorch peer, built here without MPI and ONNX,
# with Debian's ICD loader and CLBlast beside them.
#
# usage: sh bench/gpu_bundle.sh [DIR]    (default DIR: .gpu)
# then, on the GPU machine, from a checkout of the same commit:
#   LD_LIBRARY_PATH=$PWD/DIR/build/lib:$PWD/DIR/deps sh bench/gpu_check.sh -b DIR/build -o /tmp/gc
set -eu
dir=${1:-.gpu}
build=${BUILD_DIR:-build-gpu}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSEQNN_MPI=OFF -DSEQNN_ONNX=OFF > /dev/null
cmake --build "$build" -j"$(nproc)" > /dev/null    # the probe is built with the tests
rm -rf "$dir"
mkdir -p "$dir/build/bin" "$dir/build/lib/seqnn" "$dir/deps"
cp -a "$build/bin/seqnn" "$build/bin/seqnn-ocl-rnn-probe" "$dir/build/bin/"
cp bench/peer_torch.py "$dir/build/bin/seqnn-peer-torch.py"
cp -a "$build"/lib/libseqnn.so* "$dir/build/lib/"
cp -a "$build"/lib/seqnn/*.so "$dir/build/lib/seqnn/"
for lib in libOpenCL.so.1 libclblast.so.1; do
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ { print $NF; exit }')
    [ -n "$path" ] || { echo "gpu_bundle: $lib not found (apt-get install ocl-icd-libopencl1 libclblast1)" >&2; exit 1; }
    cp -L "$path" "$dir/deps/$lib"
done
echo "gpu_bundle: $dir ($(du -sh "$dir" | cut -f1)), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
