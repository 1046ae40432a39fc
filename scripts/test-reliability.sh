#!/bin/sh
# The reliability runs of CI (docs/reliability.md), after scripts/test.sh has
# built and tested build/: short fuzz runs of every target (FUZZ_SECONDS,
# default 25, each), valgrind memcheck over a subset of the suite (on build/),
# ThreadSanitizer over the threading test and the avx2 plugin. Prints how long
# each part took.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-fuzz-deps.sh
status=0
part() {    # part NAME command...
    name=$1
    shift
    start=$(date +%s)
    echo "== $name"
    if "$@"; then r=ok; else r=FAILED; status=1; fi
    echo "== $name: $r in $(($(date +%s) - start)) s"
}
total=$(date +%s)
part "fuzz (libFuzzer, ASan, UBSan)" env BUILD_DIR=build-fuzz sh scripts/test-fuzz.sh
part "valgrind memcheck" env BUILD_DIR="${VALGRIND_BUILD_DIR:-build}" sh scripts/test-valgrind.sh
part "ThreadSanitizer" env BUILD_DIR=build-tsan sh scripts/test-tsan.sh
echo "== reliability runs: $([ $status -eq 0 ] && echo ok || echo FAILED) in $(($(date +%s) - total)) s"
exit $status
