#!/bin/sh
# The whole test suite, as CI runs it: installs dependencies, builds with
# warnings as errors and runs every CTest test (the conformance suite on every
# plugin built here included), builds the Release configuration (warnings as
# errors, no tests), then runs the tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh test
BUILD_DIR=build sh scripts/build.sh
(cd build && ctest --output-on-failure -j 2)
echo "== Release build (-O3 inlines more, so GCC's flow warnings see more), warnings as errors"
BUILD_DIR=build-release sh scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DSEQNN_BUILD_TESTS=OFF
echo "== again under ASan + UBSan"
# intercept_tls_get_addr=0: without it LeakSanitizer's tracer itself can crash
# at exit in processes that loaded POCL ("Tracer caught signal 11",
# google/sanitizers#1322).
BUILD_DIR=build-asan sh scripts/build.sh -DSEQNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j 2)
sh scripts/test-reliability.sh    # fuzzing (short), valgrind subset, ThreadSanitizer
