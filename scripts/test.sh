#!/bin/sh
# The whole test suite, as CI runs it: installs dependencies, builds with
# warnings as errors and runs every CTest test (the conformance suite on every
# plugin built here included), then again under AddressSanitizer and
# UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh test
BUILD_DIR=build sh scripts/build.sh
(cd build && ctest --output-on-failure -j 2)
echo "== again under ASan + UBSan"
# A failing test is run once more here, and only here: LeakSanitizer's tracer
# itself sometimes crashes at exit ("Tracer caught signal 11") while POCL's
# worker threads wind down. Tests are deterministic, so a real failure fails
# twice; the normal build above runs each test once.
BUILD_DIR=build-asan sh scripts/build.sh -DSEQNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j 2 --repeat until-pass:2)
