#!/bin/sh
# ThreadSanitizer (docs/reliability.md): builds libseqnn, the plugins, the CLI
# and tests/test_threads.c with gcc -fsanitize=thread in build-tsan/ (or
# BUILD_DIR), then runs
#   - test_threads: several threads, each with its own context (ref and avx2
#     mixed), created and destroyed repeatedly, run gemm, LSTM forward and
#     backward, adam; results bitwise equal to sequential runs, each thread
#     its own last error;
#   - the whole conformance suite on the avx2 plugin with 2 worker threads
#     (its thread pool under the race detector).
# Any ThreadSanitizer report fails the run (exit 66).
set -eu
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build-tsan}
tsan="-fsanitize=thread"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQNN_WERROR=ON \
    "-DCMAKE_C_FLAGS=$tsan" "-DCMAKE_EXE_LINKER_FLAGS=$tsan" "-DCMAKE_SHARED_LINKER_FLAGS=$tsan" \
    "-DCMAKE_MODULE_LINKER_FLAGS=$tsan" >/dev/null
cmake --build "$dir" -j "$(nproc)" --target test_threads seqnn-cli seqnn-plugins >/dev/null
unset SEQNN_BACKEND SEQNN_PLUGIN_PATH
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66"
fails=0
run() {     # run NAME command...
    name=$1
    shift
    start=$(date +%s)
    log="$dir/tsan-$name.log"
    if "$@" > "$log" 2>&1 && ! grep -q "WARNING: ThreadSanitizer" "$log"; then
        echo "ok   tsan $name: 0 reports ($(($(date +%s) - start)) s): $(tail -n 1 "$log")"
    else
        echo "FAIL tsan $name, log $log:"
        grep -A 30 -m 1 "WARNING: ThreadSanitizer" "$log" | sed 's/^/    /' || tail -n 20 "$log" | sed 's/^/    /'
        fails=$((fails + 1))
    fi
}
run threads "$dir/tests/test_threads" 8 20
if [ -f "$dir/lib/seqnn/libseqnn-avx2.so" ] && grep -q avx2 /proc/cpuinfo; then
    SEQNN_NUM_THREADS=2 run conformance-avx2 "$dir/bin/seqnn" conformance --plugin avx2
fi
echo "tsan: $fails failed"
[ "$fails" -eq 0 ]
