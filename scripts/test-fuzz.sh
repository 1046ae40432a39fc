#!/bin/sh
# Fuzzing (docs/reliability.md): builds the tree with clang, libFuzzer, ASan
# and UBSan in build-fuzz/ (or BUILD_DIR), replays every regression input
# (fuzz/regress/<target>/), then fuzzes each target (fuzz/fuzz_<target>.c) for
# FUZZ_SECONDS (default 25) from its seed corpus (fuzz/corpus/<target>/; new
# inputs go to build-fuzz/fuzz-work/, the committed corpus is not modified).
# The kernel-argument target runs once per plugin it can dispatch to (ref, and
# avx2 where it runs). Prints executions, coverage (libFuzzer's "cov": edges
# reached) and features per target; any crash, leak, timeout or sanitizer
# report fails the run and leaves the input in build-fuzz/fuzz-artifacts/.
#   FUZZ_SECONDS=3600 sh scripts/test-fuzz.sh     a longer run
#   FUZZ_TARGETS="safetensors" ...                 only some targets
#   FUZZ_JOBS=2 ...                                parallel libFuzzer workers per target
#   FUZZ_COVERAGE=1 ...                            afterwards, line coverage of the code each
#       target exercises: the corpora (seeds + what this run found) replayed by a
#       -fprofile-instr-generate build (build-fuzzcov/), reported by llvm-cov
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/install-fuzz-deps.sh
dir=${BUILD_DIR:-build-fuzz}
case $dir in /*) ;; *) dir=$top/$dir ;; esac
seconds=${FUZZ_SECONDS:-25}
jobs=${FUZZ_JOBS:-1}
rt=$(clang -print-resource-dir)/lib/linux
# -shared-libasan: the plugins are linked with --no-undefined, so they need
# the sanitizer runtime as a shared library (clang links it statically into
# executables only otherwise).
san="-shared-libasan -Wl,-rpath,$rt"
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQNN_WERROR=ON -DSEQNN_SANITIZE=ON \
    -DSEQNN_FUZZ=ON "-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -shared-libasan" \
    "-DCMAKE_EXE_LINKER_FLAGS=$san" "-DCMAKE_SHARED_LINKER_FLAGS=$san" "-DCMAKE_MODULE_LINKER_FLAGS=$san" >/dev/null
targets=${FUZZ_TARGETS:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')}
build_targets=""
for t in $targets; do build_targets="$build_targets fuzz_$t"; done
cmake --build "$dir" -j "$(nproc)" --target $build_targets seqnn-plugins >/dev/null

# verify_asan_link_order: the shared runtime is loaded by the executable's
# dependencies, not first; harmless here.
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:allocator_may_return_null=1:intercept_tls_get_addr=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
unset SEQNN_BACKEND SEQNN_PLUGIN_PATH
art="$dir/fuzz-artifacts"
mkdir -p "$art"
fails=0
fuzz_one() {    # fuzz_one LABEL TARGET [VAR=VALUE...]
    label=$1 t=$2
    shift 2
    work="$dir/fuzz-work/$label"
    log="$dir/fuzz-$label.log"
    rm -rf "$work"
    mkdir -p "$work"
    regress=$(ls -d fuzz/regress/"$t"/* 2>/dev/null || true)
    if [ -n "$regress" ] && ! env "$@" "$dir/bin/fuzz_$t" $regress > "$log.regress" 2>&1; then
        echo "FAIL fuzz $label: a regression input fails again, log $log.regress"
        tail -n 30 "$log.regress" | sed 's/^/    /'
        fails=$((fails + 1))
        return
    fi
    nregress=$(printf '%s\n' $regress | grep -c . || true)
    par=""
    [ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
    # run inside the work directory: with -jobs, libFuzzer writes fuzz-N.log to the current one
    if (cd "$work" && env "$@" "$dir/bin/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 $par -artifact_prefix="$art/$label-" \
            "$work" "$top/fuzz/corpus/$t" > "$log" 2>&1); then
        [ "$jobs" -gt 1 ] && cat "$work"/fuzz-*.log >> "$log"
        done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
        execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
        rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{s += $2} END {print s + 0}')
        cov=$(printf '%s\n' "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
        ft=$(printf '%s\n' "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
        corp=$(printf '%s\n' "$done_line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
        echo "ok   fuzz $label: $execs executions in ${seconds} s ($rate/s), cov $cov edges, ft $ft, corpus $corp, $nregress regression inputs clean"
    else
        echo "FAIL fuzz $label: log $log, input in $art/"
        grep -E -A 25 'ERROR|WARNING|SUMMARY|fuzz_[a-z_]+: ' "$log" | head -n 40 | sed 's/^/    /'
        fails=$((fails + 1))
    fi
}
for t in $targets; do
    fuzz_one "$t" "$t"
    if [ "$t" = kernel_args ] && [ -f "$dir/lib/seqnn/libseqnn-avx2.so" ] && grep -q avx2 /proc/cpuinfo; then
        fuzz_one "$t-avx2" "$t" SEQNN_FUZZ_BACKEND=avx2
    fi
done

# Line coverage per target (optional): which source files each target is about.
if [ "${FUZZ_COVERAGE:-0}" = 1 ]; then
    cov="$top/build-fuzzcov"
    prof="-fprofile-instr-generate -fcoverage-mapping"
    CC=clang cmake -S . -B "$cov" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS=$prof" \
        "-DCMAKE_EXE_LINKER_FLAGS=$prof" "-DCMAKE_SHARED_LINKER_FLAGS=$prof" "-DCMAKE_MODULE_LINKER_FLAGS=$prof" >/dev/null
    replays=""
    for t in $targets; do replays="$replays fuzz_${t}_replay"; done
    cmake --build "$cov" -j "$(nproc)" --target $replays seqnn-plugins >/dev/null
    for t in $targets; do
        case $t in
        safetensors) files="frontend/safetensors.c" ;;
        kernel_args) files="backends/check.c backends/check_*.c backends/context.c plugins/ref/kernels/*.inc plugins/avx2/kernels/*.c" ;;
        modelfile) files="frontend/modelfile.c" ;;
        *) files="" ;;
        esac
        rm -f "$cov"/prof-"$t"-*.profraw
        inputs=$(ls -d "$top/fuzz/corpus/$t"/* "$dir/fuzz-work/$t"/* 2>/dev/null || true)
        backends="ref"
        [ "$t" = kernel_args ] && [ -d "$dir/fuzz-work/$t-avx2" ] && backends="ref avx2"
        for b in $backends; do
            extra=""
            [ "$b" = avx2 ] && extra=$(ls -d "$dir/fuzz-work/$t-avx2"/* 2>/dev/null || true)
            printf '%s\n' $inputs $extra | LLVM_PROFILE_FILE="$cov/prof-$t-$b-%p.profraw" SEQNN_FUZZ_BACKEND=$b \
                xargs -n 500 "$cov/bin/fuzz_${t}_replay" >/dev/null 2>&1 || true
        done
        llvm-profdata merge -o "$cov/$t.profdata" "$cov"/prof-"$t"-*.profraw
        objs="-object $cov/lib/libseqnn.so"
        for so in "$cov"/lib/seqnn/*.so; do objs="$objs -object $so"; done
        echo "line coverage of fuzz_$t ($(printf '%s\n' $inputs | grep -c .) corpus inputs):"
        # shellcheck disable=SC2086
        llvm-cov report "$cov/bin/fuzz_${t}_replay" $objs -instr-profile="$cov/$t.profdata" \
            $(ls $files 2>/dev/null) | sed 's/^/    /'
    done
fi
echo "fuzz: $fails failed"
[ "$fails" -eq 0 ]
