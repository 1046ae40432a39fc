#!/bin/sh
# The reliability runs of CI (docs/reliability.md), after scripts/test.sh has
# built and tested build/: short fuzz runs of every target (FUZZ_SECONDS,
# default 25, each), valgrind memcheck over a subset of the suite (on build/),
# ThreadSanitizer over the threading test and the avx2 plugin. Prints how long
# each part took. libFuzzer and valgrind each keep one core busy, so on a
# machine with two or more the memcheck runs beside the fuzzing followed by
# ThreadSanitizer (the memcheck alone took as long as the other two: 395 s
# against 317 + 149 on the 2-core CI machine); their reports are printed when
# all are done. RELIABILITY_SERIAL=1 runs them one after the other.
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
fuzz="fuzz (libFuzzer, ASan, UBSan)"
memcheck="valgrind memcheck"
tsan="ThreadSanitizer"
if [ "${RELIABILITY_SERIAL:-0}" = 1 ] || [ "$(nproc)" -lt 2 ]; then
    part "$fuzz" env BUILD_DIR=build-fuzz sh scripts/test-fuzz.sh
    part "$memcheck" env BUILD_DIR="${VALGRIND_BUILD_DIR:-build}" sh scripts/test-valgrind.sh
    part "$tsan" env BUILD_DIR=build-tsan sh scripts/test-tsan.sh
else
    side_log=$(mktemp)
    trap 'rm -f "$side_log"' EXIT
    (part "$fuzz" env BUILD_DIR=build-fuzz sh scripts/test-fuzz.sh
     part "$tsan" env BUILD_DIR=build-tsan sh scripts/test-tsan.sh
     exit $status) > "$side_log" 2>&1 &
    side_pid=$!
    part "$memcheck" env BUILD_DIR="${VALGRIND_BUILD_DIR:-build}" sh scripts/test-valgrind.sh
    wait $side_pid || status=1
    cat "$side_log"
fi
echo "== reliability runs: $([ $status -eq 0 ] && echo ok || echo FAILED) in $(($(date +%s) - total)) s"
exit $status
