#!/bin/sh
# The OpenCL plugin on a GPU in one run, with a log per step and a summary:
# the devices seqnn sees, the whole conformance suite on the GPU (a Markdown
# report), the recurrent layers' host round trips, each layer's
# time against the CLBlast GEMMs it contains (device time per kernel), and
# `seqnn bench` of the GPU against PyTorch on the same GPU (peer torch-cuda,
# when a CUDA PyTorch >= 2.0 is found) and against the CPU plugins.
#
# usage: sh bench/gpu_check.sh [-q] [-b BUILD] [-o OUT] [-d DEVICE] [-p PYTHON] [-t SECONDS]
#   -b BUILD   a build or install tree holding bin/seqnn (default: build)
#   -o OUT     where the logs and reports go (default: BUILD/gpu-check)
#   -d DEVICE  a substring of the OpenCL device's name (default: the first GPU `seqnn info` lists)
#   -p PYTHON  the interpreter of the torch-cuda peer (default: python3 on PATH)
#   -t SECONDS stop starting benchmarks once SECONDS have passed (default 3600)
#   -q         (first) quick: conformance, round trips, the H=512 layers, LSTM H=512 and the main job's model
# Each step has a time limit; a step that fails is reported and the rest
# still run. Exit status: 0 when the conformance suite and the round-trip
# count passed on the GPU, 1 otherwise, 2 when no GPU was found.
#
# Containers often mount the NVIDIA driver without its ICD file: when no
# OpenCL vendor file names NVIDIA but libnvidia-opencl.so.1 is found, a
# vendors directory naming it is made in OUT and OCL_ICD_VENDORS points at
# it (the ICD loader reads that variable).
set -u
. "$(dirname "$0")/common.sh"

build=build out= device= python=python3 quick=0 seconds=3600
start=$(date +%s)
if [ "${1:-}" = -q ]; then
    quick=1
    shift
fi
bench_opts "b=build o=out d=device p=python t=seconds" \
    "usage: sh bench/gpu_check.sh [-q] [-b BUILD] [-o OUT] [-d DEVICE] [-p PYTHON] [-t SECONDS]" "$@"
out=${out:-$build/gpu-check}
mkdir -p "$out" || exit 2
seqnn=$build/bin/seqnn
[ -x "$seqnn" ] || { echo "gpu_check: $seqnn not found (build first: sh scripts/build.sh)" >&2; exit 2; }

if ! grep -qs . /etc/OpenCL/vendors/*nvidia* && [ -z "${OCL_ICD_VENDORS:-}" ]; then
    lib=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1/ { print $NF; exit }')
    [ -n "$lib" ] || lib=$(find /usr/local/nvidia /usr/local/lib /usr/lib /usr/lib64 /lib -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1)
    if [ -n "$lib" ]; then
        mkdir -p "$out/vendors" && echo "$lib" > "$out/vendors/nvidia.icd"
        OCL_ICD_VENDORS=$(cd "$out/vendors" && pwd)
        export OCL_ICD_VENDORS
        echo "OpenCL: no NVIDIA vendor file; OCL_ICD_VENDORS=$OCL_ICD_VENDORS names $lib"
    fi
fi
# seqnn's program cache and CLBlast's kernels start cold in OUT
XDG_CACHE_HOME=$(cd "$out" && pwd)/cache
export XDG_CACHE_HOME

failed=
# step NAME SECONDS COMMAND...: runs COMMAND with a time limit, output in OUT/NAME.log
step() {
    step_name=$1 step_limit=$2
    shift 2
    t0=$(date +%s)
    timeout "$step_limit" "$@" > "$out/$step_name.log" 2>&1
    rc=$?
    echo "-- $step_name: exit $rc, $(($(date +%s) - t0)) s (log $out/$step_name.log)"
    [ $rc -eq 0 ] || failed="$failed $step_name"
    return $rc
}

echo "== gpu_check $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n); CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
step info 120 "$seqnn" info
sed -n '/^Devices/,$p' "$out/info.log"
if [ -z "$device" ]; then
    # the device part of "<platform>: <device>", at most 24 characters (a
    # substring selects it; `seqnn bench --plugin` keeps 31 of a spec)
    device=$(awk '$1 == "opencl" && $2 == "GPU" { sub(/.*score +[0-9]+ +/, ""); sub(/.*: /, ""); print substr($0, 1, 24); exit }' "$out/info.log")
fi
[ -n "$device" ] || { echo "gpu_check: no OpenCL GPU in seqnn info (log: $out/info.log)" >&2; exit 2; }
spec="opencl:$device"
echo "== device: $spec"

step conformance 600 env SEQNN_BACKEND="$spec" "$seqnn" conformance --report "$out/conformance.md"
tail -3 "$out/conformance.log"
grep -E '^(FAIL|ERROR)' "$out/conformance.log" | head -20

probe=$build/bin/seqnn-ocl-rnn-probe
if [ -x "$probe" ]; then
    step round_trips 300 "$probe" count --spec "$spec"
    tail -2 "$out/round_trips.log"
    for cell in lstm gru rnn; do
        for h in 512 1024; do
            [ $quick -eq 1 ] && [ $h -ne 512 ] && continue
            step "layer_${cell}_$h" 300 "$probe" bench --cell $cell --hidden $h --batch 64 --seq 50 --train --profile --spec "$spec"
            grep -E '^(calls|ratio|profile of the layer)' "$out/layer_${cell}_$h.log"
        done
    done
else
    echo "-- $probe not built (it is built with the tests): no round-trip count or layer / GEMM ratio"
    failed="$failed round_trips"
fi

export SEQNN_BENCH_PYTHON="$(command -v "$python" || echo "$python")"
# bench NAME PLUGINS CASE...: the GPU (and PLUGINS) against PyTorch on the same GPU
bench() {
    name=$1 plugins=$2
    shift 2
    if [ $(($(date +%s) - start)) -ge "$seconds" ]; then
        echo "-- bench_$name: skipped (-t $seconds s reached)"
        return
    fi
    step "bench_$name" 400 "$seqnn" bench "$@" --plugin "$spec$plugins" --peers torch-cuda --threads all \
        --reps 5 --rounds 2 --budget 30
    grep -E '^==|^  (opencl:|avx512 |avx2 |torch-cuda )|^  (peer|plugin) .*not available|^ratio opencl' "$out/bench_$name.log" |
        cut -c1-160
}
bench lstm512 ,avx512,avx2 lstm --hidden 512 --both
bench model ,avx512,avx2 model examples/charlm/model.seqnn
if [ $quick -eq 0 ]; then
    bench gru512 "" gru --hidden 512 --both
    bench lstm1024 "" lstm --hidden 1024 --both
    bench bilstm "" lstm --hidden 512 --layers 2 --bidir --both
    bench gemm "" gemm --m 4096 --n 4096 --k 4096
    bench conv "" conv --both
    bench attention "" attention --both
fi

echo "== failed steps:${failed:- none}"
case " $failed " in *" conformance "*|*" round_trips "*) exit 1 ;; esac
exit 0
