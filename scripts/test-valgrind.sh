#!/bin/sh
# valgrind memcheck over a subset of the suite (docs/reliability.md): the whole
# conformance suite on the ref plugin, a kernel of every family of the avx2
# plugin (the single-step cell kernels stand for the whole-sequence ones, which
# take minutes under memcheck; the ASan run covers those), `seqnn info`, the API and safetensors unit tests and the fuzz
# targets' seed corpora. Zero errors;
# definite and indirect leaks count as errors (possible leaks are reported by
# valgrind but come from libraries' thread stacks, not from seqnn).
# Uses an ordinary build (BUILD_DIR, default build; built here if missing).
# OpenCL: the ICD loader is pointed at an empty vendor directory, so the
# opencl plugin is loaded and initialised ("no platform") but POCL's LLVM is
# not run under memcheck (minutes, and none of it is seqnn's code).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-fuzz-deps.sh
dir=${BUILD_DIR:-build}
[ -x "$dir/bin/seqnn" ] || BUILD_DIR=$dir sh scripts/build.sh
icd=$(mktemp -d)
trap 'rm -rf "$icd"' EXIT
export OCL_ICD_VENDORS="$icd"
unset SEQNN_BACKEND SEQNN_PLUGIN_PATH
vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"   # add --track-origins=yes to find where an uninitialised value came from
fails=0
run() {     # run NAME command...: memcheck must exit 0
    name=$1
    shift
    start=$(date +%s)
    log="$dir/valgrind-$name.log"
    if $vg "$@" > "$log" 2>&1; then
        echo "ok   memcheck $name: 0 errors, 0 definite/indirect leaks ($(($(date +%s) - start)) s; $(grep -E '^[0-9]+ passed' "$log" || true))"
    else
        echo "FAIL memcheck $name (exit $?), log $log:"
        grep -E '^==[0-9]+==' "$log" | head -n 40 | sed 's/^/    /'
        fails=$((fails + 1))
    fi
}
run info "$dir/bin/seqnn" info
run conformance-ref "$dir/bin/seqnn" conformance --plugin ref
if grep -q avx2 /proc/cpuinfo && [ -f "$dir/lib/seqnn/libseqnn-avx2.so" ]; then
    run conformance-avx2 "$dir/bin/seqnn" conformance --plugin avx2 \
        --kernel '^(gemm|bias_backward|act_backward|softmax_backward|xent_backward|embedding_backward|dropout_backward|cell_forward|cell_backward|conv1d_backward|maxpool_backward|attention_forward|adam_step|clip_scale)$'
else
    echo "skip memcheck conformance-avx2: no AVX2 here"
fi
bin_of() {  # the built test program NAME, wherever its CMake file put it
    find "$dir" -name "$1" -type f -perm -u+x | head -n 1
}
run test_api "$(bin_of test_api)"
TMPDIR="$dir" run test_safetensors "$(bin_of test_safetensors)"
# the fuzz targets on their seed corpora and regression inputs (ordinary
# build: fuzz/replay_main.c), kernel arguments dispatched to ref
for t in kernel_args safetensors; do
    r=$(bin_of "fuzz_${t}_replay")
    [ -n "$r" ] && run "fuzz-$t" "$r" $(ls -d fuzz/corpus/$t/* fuzz/regress/$t/* 2>/dev/null)
done
echo "valgrind: $fails failed"
[ "$fails" -eq 0 ]
