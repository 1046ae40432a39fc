#!/bin/sh
# The whole test suite, as CI runs it: installs dependencies, builds with
# warnings as errors and runs every CTest test (the conformance suite on every
# plugin built here included), builds the Release configuration (warnings as
# errors, no tests), then runs the tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then the reliability runs (fuzzing, valgrind,
# ThreadSanitizer). Stages, what each samples and its time budget:
# docs/testing.md.
#   sh scripts/test.sh           CI: the sanitizer pass built -Og, without the
#                                tests labelled "variant" (a thread count or a
#                                device build option of a test it runs), its
#                                POCL tests starting from the plain pass's POCL
#                                kernel caches
#   sh scripts/test.sh --full    (or SEQNN_TEST_FULL=1) the sanitizer pass built
#                                -O0, over every test, POCL's caches cold
set -eu
cd "$(dirname "$0")/.."
full=${SEQNN_TEST_FULL:-0}
case "${1:-}" in
    --full) full=1 ;;
    "") ;;
    *) echo "usage: sh scripts/test.sh [--full]" >&2; exit 2 ;;
esac
stage() {   # stage NAME: prints when the previous stage ended and this one starts
    now=$(date +%s)
    [ -n "${stage_start:-}" ] && echo "== $stage_name: $((now - stage_start)) s"
    stage_name=$1 stage_start=$now
    echo "== $1"
}
stage "dependencies and the build (-Werror)"
sh scripts/install-deps.sh test
BUILD_DIR=build sh scripts/build.sh
stage "ctest"
(cd build && ctest --output-on-failure -j 2)
stage "Release build (-O3 inlines more, so GCC's flow warnings see more), warnings as errors"
BUILD_DIR=build-release sh scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DSEQNN_BUILD_TESTS=OFF
if [ "$full" = 1 ]; then
    opt=-O0 skip="" seed=""
else
    # -Og: the SIMD plugins and the oracle run 1.5-3x faster under the
    # sanitizers than at -O0, assertions stay on; the variants' host code runs
    # in this pass through the tests they vary.
    opt=-Og skip="-LE variant" seed=1
fi
stage "again under ASan + UBSan ($opt${skip:+, tests labelled variant skipped${seed:+, POCL kernel caches from build/}})"
BUILD_DIR=build-asan sh scripts/build.sh -DSEQNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-g $opt"
if [ -n "$seed" ]; then
    # POCL compiles every OpenCL program (ours and CLBlast's) with LLVM, which is not
    # instrumented but runs slower inside a sanitized process: with cold caches, four
    # POCL tests took 619 of this pass's 1562 test-seconds, with warm ones 45
    # (docs/testing.md). The plain pass compiled the same sources with the same options,
    # so each POCL test here starts from its POCL kernel cache; seqnn's own program cache
    # stays cold, so our build and cache code still runs. Not opencl_pocl_program_cache's:
    # a cold build is what it measures.
    for cache in build/tests/opencl/*/pocl; do
        [ -d "$cache" ] || continue
        test_dir=build-asan/tests/opencl/$(basename "$(dirname "$cache")")
        case $test_dir in */cache) continue ;; esac
        if [ ! -e "$test_dir/pocl" ]; then
            mkdir -p "$test_dir"
            cp -R "$cache" "$test_dir/pocl"
        fi
    done
fi
# intercept_tls_get_addr=0: without it LeakSanitizer's tracer itself can crash
# at exit in processes that loaded POCL ("Tracer caught signal 11",
# google/sanitizers#1322).
# shellcheck disable=SC2086
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j 2 $skip)
stage "reliability runs"
sh scripts/test-reliability.sh    # fuzzing (short), valgrind subset, ThreadSanitizer
stage "done"
