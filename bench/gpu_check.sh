#!/bin/sh
# The OpenCL plugin on a GPU in one run, with a log per step and a summary:
# the devices seqnn sees, the whole conformance suite on the GPU (a Markdown
# report), the recurrent layers' host round trips, each layer's
# time against the CLBlast GEMMs it contains (device time per kernel), and
# `seqnn bench` of the GPU against PyTorch on the same GPU (peer torch-cuda,
# when a CUDA PyTorch >= 2.0 is found) and against the CPU plugins. The
# plugin's per-device variants (docs/opencl.md) are printed (variants.log)
# and set against the others: the LSTM H=512 layer with 2 and 8 units per
# work-item of the cell kernels (layer_lstm_512_units*.log; 1 is the GPU's
# default), the conv bank and attention on the direct kernels
# (bench_conv_direct.log, bench_attention_direct.log; the GEMM path is the
# default at their sizes).
#
# usage: sh bench/gpu_check.sh [-q] [-b BUILD] [-o OUT] [-d DEVICE] [-p PYTHON] [-t SECONDS]
#   -b BUILD   a build or install tree holding bin/seqnn (default: build)
#   -o OUT     where the logs and reports go (default: BUILD/gpu-check)
#   -d DEVICE  a substring of the OpenCL device's name (default: the first GPU `seqnn info` lists)
#   -p PYTHON  the interpreter of the torch-cuda peer (default: python3 on PATH)
#   -t SECONDS stop starting benchmarks once SECONDS have passed (default 3600)
#   -q         (first) quick: conformance, round trips, the H=512 layers, LSTM H=512, the main job's model
#              and the conv bank and attention (GEMM path and direct)
# Each step has a time limit; a step that fails is reported and the rest
# still run. Exit status: 0 when the conformance suite (also its conv1d and
# attention tests with SEQNN_OPENCL_GEMM_PATH=always) and the round-trip
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

echo "== gpu_check $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown), on $(uname -n); CPU: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
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
# the variants the plugin chose for the device (cell kernel units, conv path) and its build options
SEQNN_LOG=debug SEQNN_BACKEND="$spec" "$seqnn" info 2>&1 | grep -E "^seqnn opencl: .*(units per work-item|program )" |
    tee "$out/variants.log"

step conformance 600 env SEQNN_BACKEND="$spec" "$seqnn" conformance --report "$out/conformance.md"
tail -3 "$out/conformance.log"
grep -E '^(FAIL|ERROR)' "$out/conformance.log" | head -20
# the suite's shapes are mostly below the GEMM path's threshold: its conv1d and attention tests
# again with every call on the GEMM path
step conformance_gemm_path 300 env SEQNN_BACKEND="$spec" SEQNN_OPENCL_GEMM_PATH=always "$seqnn" conformance \
    --kernel '^(golden/)?(conv1d|attention)' --report "$out/conformance_gemm_path.md"
tail -1 "$out/conformance_gemm_path.log"
grep -E '^(FAIL|ERROR)' "$out/conformance_gemm_path.log" | head -20

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
    # the cell kernels with 2 and 8 units per work-item (the default on a GPU is 1)
    for u in 2 8; do
        step "layer_lstm_512_units$u" 300 env SEQNN_OPENCL_RNN_UNITS=$u "$probe" bench --cell lstm --hidden 512 \
            --batch 64 --seq 50 --train --profile --spec "$spec"
        grep -E '^(ratio|profile of the layer)|  rnn_(fwd|bwd)_step ' "$out/layer_lstm_512_units$u.log" | head -4
    done
    grep -E '  rnn_(fwd|bwd)_step ' "$out/layer_lstm_512.log" | head -2 | sed 's/^/  (default units) /'
else
    echo "-- $probe not built (it is built with the tests): no round-trip count or layer / GEMM ratio"
    failed="$failed round_trips"
fi

export SEQNN_BENCH_PYTHON="$(command -v "$python" || echo "$python")"
# bench NAME PLUGINS CASE...: the GPU (and PLUGINS) against PyTorch on the same GPU
# (benv: VAR=VALUE settings for the run, none by default)
benv=
bench() {
    name=$1 plugins=$2
    shift 2
    if [ $(($(date +%s) - start)) -ge "$seconds" ]; then
        echo "-- bench_$name: skipped (-t $seconds s reached)"
        return
    fi
    step "bench_$name" 400 env $benv "$seqnn" bench "$@" --plugin "$spec$plugins" --peers torch-cuda --threads all \
        --reps 5 --rounds 2 --budget 30
    grep -E '^==|^  (opencl:|avx512 |avx2 |torch-cuda )|^  (peer|plugin) .*not available|^ratio opencl' "$out/bench_$name.log" |
        cut -c1-160
}
bench lstm512 ,avx512,avx2 lstm --hidden 512 --both
bench model ,avx512,avx2 model examples/charlm/model.seqnn
bench conv "" conv --both
bench attention "" attention --both
benv=SEQNN_OPENCL_GEMM_PATH=never
bench conv_direct "" conv --both
bench attention_direct "" attention --both
benv=
if [ $quick -eq 0 ]; then
    bench gru512 "" gru --hidden 512 --both
    bench lstm1024 "" lstm --hidden 1024 --both
    bench bilstm "" lstm --hidden 512 --layers 2 --bidir --both
    bench gemm "" gemm --m 4096 --n 4096 --k 4096
fi

echo "== failed steps:${failed:- none}"
case " $failed " in *" conformance "*|*" conformance_gemm_path "*|*" round_trips "*) exit 1 ;; esac
exit 0
