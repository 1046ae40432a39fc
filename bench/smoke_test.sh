#!/bin/sh
# Smoke test of `seqnn bench` (CTest, tests/bench.cmake): tiny shapes, checks
# that it runs and the format of what it prints (rows, ratio lines, CSV), never
# timings. Peers may be missing: then their "not available" line is checked.
# usage: smoke_test.sh SEQNN_PROGRAM WORK_DIR
set -u
seqnn=$1
work=$2
mkdir -p "$work"
fail=0
check() { # description, grep -E pattern, file
    if ! grep -Eq "$2" "$3"; then
        echo "FAIL: $1 (no line matching /$2/ in $3):"
        cat "$3"
        fail=1
    fi
}

out=$work/bench_adam.txt
"$seqnn" bench adam --params 4096 --reps 2 --rounds 2 --warmup 1 --threads 1 --plugin ref --peers triad \
    --csv "$work/bench_adam.csv" >"$out" 2>&1 || { echo "FAIL: seqnn bench adam exited $?"; cat "$out"; fail=1; }
check "ref row" '^  ref +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]% +[0-9]+\.[0-9] GB/s' "$out"
check "triad row" '^  triad +[0-9]+\.[0-9]{3} ' "$out"
check "ratio line" '^ratio ref/triad = [0-9]+\.[0-9]{3}x \(adam N=4096, 1 thread; target >= 0\.80: (met|MISSED)\)$' "$out"
check "csv header" '^case,threads,impl,isa,median_ms,min_ms,max_ms,reps,rate,unit,peak_pct,vs,ratio,target$' "$work/bench_adam.csv"
check "csv ratio row" '^"adam N=4096",1,"ref",,,,,,,,,"triad",[0-9]+\.[0-9]{4},0\.80$' "$work/bench_adam.csv"

# dropout: forward and backward, GB/s against the triad, no target
out=$work/bench_dropout.txt
"$seqnn" bench dropout --params 4096 --reps 2 --rounds 2 --warmup 1 --threads 1 --plugin ref --peers triad \
    >"$out" 2>&1 || { echo "FAIL: seqnn bench dropout exited $?"; cat "$out"; fail=1; }
check "dropout ref row" '^  ref +[0-9]+\.[0-9]{3} .* GB/s' "$out"
check "dropout ratio line" '^ratio ref/triad = [0-9]+\.[0-9]{3}x \(dropout N=4096, 1 thread\)$' "$out"

out=$work/bench_lstm.txt
"$seqnn" bench lstm --hidden 8 --batch 2 --seq 3 --both --reps 1 --threads 1,2 --plugin ref \
    >"$out" 2>&1 || { echo "FAIL: seqnn bench lstm exited $?"; cat "$out"; fail=1; }
check "training case, 2 threads" '^== lstm H=8 B=2 T=3 I=8 training \| 2 threads \| wall clock' "$out"
# the peak is measured on x86 with AVX2/FMA; elsewhere the line says why not
check "measured peak" '^  FMA peak (measured now: [0-9]+\.[0-9] GFLOP/s with 1 thread|: not measured.+)$' "$out"
check "ref row" '^  ref +[0-9]+\.[0-9]{3} .* GFLOP/s ' "$out"
for peer in onednn onednn-avx2 torch torch-avx2; do
    check "$peer row or its reason" "^(  $peer +[0-9]+\.[0-9]{3} |  peer $peer: not available \(.+\)$)" "$out"
done
# a peer capped at AVX2 says so in its row
if grep -q '^  torch-avx2 ' "$out"; then
    check "torch-avx2 capped" '^  torch-avx2 .*ATEN_CPU_CAPABILITY=avx2.*DNNL_MAX_CPU_ISA=AVX2.*OPENBLAS_CORETYPE=Haswell' "$out"
fi
if grep -q "plugin ref: not available" "$out"; then
    echo "FAIL: the reference plugin did not run"
    cat "$out"
    fail=1
fi

out=$work/bench_gemm.txt
"$seqnn" bench gemm --m 8 --n 8 --k 8 --reps 1 --threads 1 --plugin ref --peers openblas,openblas-haswell \
    >"$out" 2>&1 || { echo "FAIL: seqnn bench gemm exited $?"; cat "$out"; fail=1; }
for peer in openblas openblas-haswell; do
    check "$peer row or its reason" "^(  $peer +[0-9]+\.[0-9]{3} |  peer $peer: not available \(.+\)$)" "$out"
done
if grep -q '^  openblas-haswell ' "$out"; then
    check "openblas-haswell kernel" '^  openblas-haswell .*kernel Haswell .*OPENBLAS_CORETYPE=Haswell' "$out"
fi

out=$work/bench_model.txt
model=$(dirname "$0")/../examples/charlm/model.seqnn
"$seqnn" bench model "$model" --vocab 11 --batch 2 --seq 3 --reps 2 --threads 1 --plugin ref \
    --peers torch,torch-passive >"$out" 2>&1 || { echo "FAIL: seqnn bench model exited $?"; cat "$out"; fail=1; }
check "model case" '^== model charlm/model\.seqnn B=2 T=3 vocab=11, [0-9]+ params, training step \| 1 thread' "$out"
check "model ref row" '^  ref +[0-9]+\.[0-9]{3} .* GFLOP/s ' "$out"
check "steps/s line" '^ +[0-9]+\.[0-9]{2} steps/s +[0-9]+ tokens/s$' "$out"
for peer in torch torch-passive; do
    check "$peer row or its reason" "^(  $peer +[0-9]+\.[0-9]{3} |  peer $peer: not available \(.+\)$)" "$out"
done
"$seqnn" bench model "$work/missing.seqnn" >"$work/bench_model_bad.txt" 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: a missing model file should exit 2, not $rc"; fail=1; }
check "missing model file message" 'missing\.seqnn' "$work/bench_model_bad.txt"

# plugins named by their files: rows labelled with the plugins' own names, each divided by the peak of
# the ISA its device reports (ref: none, "peak unknown", its peak column "-"; avx2: 256-bit)
plugin_file() { "$seqnn" info 2>/dev/null | awk -v p="$1" '$1 == "loaded" && $2 == p { print $3; exit }'; }
files=$(plugin_file ref)
avx2_runs=0
if [ -n "$(plugin_file avx2)" ] && "$seqnn" info 2>/dev/null | grep -Eq '^  avx2 +CPU +score +[1-9]'; then
    files="$files,$(plugin_file avx2)"
    avx2_runs=1
fi
out=$work/bench_files.txt
"$seqnn" bench gemm --m 8 --n 8 --k 8 --reps 1 --threads 1 --peers none --plugin "$files" >"$out" 2>&1 ||
    { echo "FAIL: seqnn bench --plugin FILE exited $?"; cat "$out"; fail=1; }
check "a plugin file: its name in the banner, the file after it" '^seqnn bench: 1 case\(s\), plugins: ref \(/.*libseqnn-ref' "$out"
check "a plugin file: the row labelled with the plugin's name" '^  ref +[0-9]+\.[0-9]{3} .* GFLOP/s +-  seqnn ref plugin' "$out"
if ! grep -q '^  FMA peak: ' "$out"; then   # the peak is measured (x86 with AVX2/FMA)
    check "ref: peak unknown" '^  peak of each plugin row, by the ISA its device reports: ref peak unknown' "$out"
    [ $avx2_runs = 1 ] && check "avx2 file: 256-bit peak" 'ref peak unknown, avx2 256-bit$' "$out" &&
        check "avx2 file: its row" '^  avx2 +[0-9]+\.[0-9]{3} .* GFLOP/s +[0-9]+%  seqnn avx2 plugin' "$out"
fi

"$seqnn" bench nonsense >"$work/bench_bad.txt" 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: an unknown case should exit 2, not $rc"; fail=1; }

"$seqnn" bench gemm --m 8 --n 8 --k 8 --peers torch,torhc >"$work/bench_bad_peer.txt" 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: an unknown peer should exit 2, not $rc"; fail=1; }
check "unknown peer message" "unknown peer 'torhc'" "$work/bench_bad_peer.txt"

# torch-cuda runs only when named: on a machine without a CUDA PyTorch it says why
out=$work/bench_cuda.txt
"$seqnn" bench gemm --m 8 --n 8 --k 8 --reps 1 --threads 1 --plugin ref --peers torch-cuda >"$out" 2>&1 ||
    { echo "FAIL: seqnn bench gemm --peers torch-cuda exited $?"; cat "$out"; fail=1; }
check "torch-cuda row or its reason" '^(  torch-cuda +[0-9]+\.[0-9]{3} .*PyTorch .* on |  peer torch-cuda: not available \(.+\)$)' "$out"
if grep -q "torch-cuda" "$work/bench_lstm.txt"; then   # its peers: all
    echo "FAIL: torch-cuda ran without being named"
    fail=1
fi

[ "$fail" = 0 ] && echo "seqnn bench smoke test: ok"
exit "$fail"
