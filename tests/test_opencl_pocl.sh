#!/bin/sh
# The OpenCL plugin on POCL (docs/opencl.md), as CTest runs it (tests/opencl.cmake):
#
#   test_opencl_pocl.sh conformance SEQNN PLUGIN DIR [REGEX]   the whole conformance suite on
#       the POCL device, selected by name (SEQNN_BACKEND=opencl:Portable Computing Language),
#       asserting that POCL ran every test and every test passed (no silent fallback); with
#       REGEX only the tests whose names match it (--kernel REGEX). When
#       SEQNN_OPENCL_RNN_UNITS is set, it also asserts that the program was built with it,
#       when SEQNN_OPENCL_GEMM_PATH is, that the device took it (both at SEQNN_LOG=debug).
#   test_opencl_pocl.sh cache SEQNN PLUGIN DIR         the program cache: first start builds,
#       second start loads in under 10% of the build time; a corrupt entry is rebuilt; an
#       unusable cache directory only costs the build
#   test_opencl_pocl.sh exec PLUGIN COMMAND...         runs COMMAND (exit 77: no POCL device)
#
# PLUGIN is the plugin file, or "none" when the build has no OpenCL plugin. DIR holds the
# caches of the test (XDG_CACHE_HOME for seqnn's program cache, POCL_CACHE_DIR for POCL's
# kernel cache): inside the build tree, so always writable, and never the user's caches.
#
# POCL is required (a missing plugin or device fails) under CI (CI set and not false/0) and
# wherever POCL's ICD is installed (scripts/install-deps.sh installs it); elsewhere a machine
# without POCL skips (exit 77) and says why.
set -u
mode=$1
shift

required=0
case "${CI:-}" in
    ""|0|false|False|FALSE|no) ;;
    *) required=1 ;;
esac
for icd in "${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}" /etc/OpenCL/vendors; do
    if [ -d "$icd" ]; then
        if cat "$icd"/*.icd 2>/dev/null | grep -qi pocl; then required=1; fi
    elif [ -f "$icd" ] && grep -qi pocl "$icd"; then
        required=1
    fi
done

fail() {
    echo "FAIL: $*"
    exit 1
}

# no POCL here: a failure where POCL is required, else a skip
missing() {
    if [ "$required" = 1 ]; then
        fail "$* (POCL is required here: CI is set or POCL's ICD is installed)"
    fi
    echo "SKIP: $*"
    exit 77
}

pocl="Portable Computing Language"

# The POCL device as `seqnn info` lists it ("  opencl   CPU   score  50  Portable Computing
# Language: ..."), with a score above 0; else missing.
pocl_device() {
    info=$("$seqnn" info 2>&1)
    line=$(printf '%s\n' "$info" | grep -E "^  opencl +[A-Z]+ +score +[0-9]+ +$pocl: " | head -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$info"
        missing "seqnn info lists no POCL device"
    fi
    echo "seqnn info: $line"
    score=$(printf '%s\n' "$line" | sed -E 's/.* score +([0-9]+) .*/\1/')
    if [ "$score" -le 0 ]; then
        printf '%s\n' "$info"
        missing "the POCL device cannot run here (score 0)"
    fi
}

case $mode in
exec)
    plugin=$1
    shift
    [ "$plugin" = none ] && missing "the OpenCL plugin was not built (configure found no OpenCL or CLBlast)"
    "$@"
    rc=$?
    [ $rc = 77 ] && missing "$1: no POCL device"
    exit $rc
    ;;
conformance|cache)
    seqnn=$1 plugin=$2 dir=$3 kernels=${4:-}
    [ "$plugin" = none ] && missing "the OpenCL plugin was not built (configure found no OpenCL or CLBlast)"
    ;;
*)
    echo "usage: $0 conformance SEQNN PLUGIN DIR [REGEX] | cache SEQNN PLUGIN DIR | exec PLUGIN COMMAND..." >&2
    exit 2
    ;;
esac

export SEQNN_PLUGIN_PATH="$(dirname "$plugin")"
export POCL_KERNEL_CACHE=1

if [ "$mode" = conformance ]; then
    # caches kept between runs of this build's tests (a fresh build starts cold)
    mkdir -p "$dir" || fail "cannot create $dir"
    export XDG_CACHE_HOME="$dir" POCL_CACHE_DIR="$dir/pocl"
    pocl_device
    if [ -n "${SEQNN_OPENCL_RNN_UNITS:-}${SEQNN_OPENCL_GEMM_PATH:-}" ]; then
        setup=$(SEQNN_LOG=debug SEQNN_BACKEND="opencl:$pocl" "$seqnn" info 2>&1 | grep -E "^seqnn opencl: $pocl: ")
        printf '%s\n' "$setup"
        if [ -n "${SEQNN_OPENCL_RNN_UNITS:-}" ]; then
            printf '%s\n' "$setup" | grep -q -- "-DSEQNN_RNN_UNITS=$SEQNN_OPENCL_RNN_UNITS)" ||
                fail "the program was not built with SEQNN_RNN_UNITS=$SEQNN_OPENCL_RNN_UNITS"
        fi
        case ${SEQNN_OPENCL_GEMM_PATH:-} in
        always|never) want="GEMM path (conv1d, attention) $SEQNN_OPENCL_GEMM_PATH" ;;
        *) want= ;;
        esac
        [ -z "$want" ] || printf '%s\n' "$setup" | grep -q "; $want\$" ||
            fail "the device did not take SEQNN_OPENCL_GEMM_PATH=$SEQNN_OPENCL_GEMM_PATH"
    fi
    if [ -n "$kernels" ]; then
        expected=$("$seqnn" conformance --list | grep -cE "$kernels")
        set -- --kernel "$kernels"
    else
        expected=$("$seqnn" conformance --list | wc -l)
        set --
    fi
    [ "$expected" -gt 0 ] || fail "seqnn conformance --list has no test${kernels:+ matching $kernels}"
    out="$dir/conformance.txt" report="$dir/conformance.json"
    rm -f "$out" "$report"
    start=$(date +%s)
    SEQNN_BACKEND="opencl:$pocl" "$seqnn" conformance --report "$report" "$@" > "$out"
    rc=$?
    cat "$out"
    echo "($(( $(date +%s) - start )) s)"
    [ $rc = 0 ] || fail "seqnn conformance exited with $rc"
    n=$(grep -c '^plugin ' "$out")
    [ "$n" = 1 ] || fail "$n plugin lines, expected one"
    grep -Eq "^plugin opencl, device \"$pocl: [^\"]+\" \\(score [1-9][0-9]*\\)\$" "$out" ||
        fail "the device that ran is not POCL: $(grep '^plugin ' "$out")"
    n=$(grep -c '^PASS  opencl ' "$out")
    [ "$n" = "$expected" ] || fail "$n tests passed on opencl, expected $expected"
    [ "$(tail -n 1 "$out")" = "$expected passed, 0 failed" ] ||
        fail "closing line '$(tail -n 1 "$out")', expected '$expected passed, 0 failed'"
    # the report says the same of every result: plugin opencl, the POCL device, passed
    n=$(grep -c '^    {"plugin": "opencl", "device": "'"$pocl"': [^"]*", "test": "[^"]*", "result": "passed"' "$report")
    total=$(grep -c '^    {"plugin": ' "$report")
    [ "$n" = "$expected" ] && [ "$total" = "$expected" ] ||
        fail "report $report: $n of $total results passed on POCL, expected $expected"
    echo "OK: $expected tests passed on the POCL device"
    exit 0
fi

# cache: every start from empty caches, so that the first start really builds
rm -rf "$dir"
mkdir -p "$dir" || fail "cannot create $dir"
export XDG_CACHE_HOME="$dir" POCL_CACHE_DIR="$dir/pocl" SEQNN_LOG=debug SEQNN_BACKEND="opencl:$pocl"

# one start: `seqnn info` (opens the device: program, smoke test); prints how the program came
# and in how many seconds: "seqnn opencl: NAME: program built from source in 7.5 s (PATH; options OPTIONS)"
start() {
    log=$("$seqnn" info 2>&1)
    rc=$?
    if ! printf '%s\n' "$log" | grep -Eq "^  opencl +[A-Z]+ +score +[1-9][0-9]* +$pocl: "; then
        printf '%s\n' "$log"
        missing "seqnn info lists no POCL device that can run"
    fi
    [ $rc = 0 ] || { printf '%s\n' "$log"; fail "seqnn info exited with $rc"; }
    printf '%s\n' "$log" | grep -A 2 -E "^  opencl .*$pocl: " | grep -q 'smoke test: PASS' ||
        { printf '%s\n' "$log"; fail "smoke test on POCL did not pass"; }
    how=$(printf '%s\n' "$log" | grep -E "^seqnn opencl: $pocl: .*program (built from source|loaded from cache) in " | head -n 1)
    [ -n "$how" ] || { printf '%s\n' "$log"; fail "no program line at SEQNN_LOG=debug"; }
    echo "$1: $how"
    secs=$(printf '%s\n' "$how" | sed -E 's/.* in ([0-9.]+) s .*/\1/')
}
expect() {
    printf '%s\n' "$how" | grep -q "program $1 in" || fail "expected the program $1"
}

start "first start (empty caches)"
expect "built from source"
first=$secs
cache_file=$(ls "$dir"/seqnn/opencl-*.bin 2>/dev/null | head -n 1)
[ -n "$cache_file" ] || fail "no cache file written under $dir/seqnn"
start "second start"
expect "loaded from cache"
second=$secs
awk -v a="$first" -v b="$second" 'BEGIN { exit !(b < 0.1 * a) }' ||
    fail "second start's program load ($second s) is not under 10% of the first ($first s)"
echo "second/first program load: $second s / $first s"

# a corrupt entry (the bits of one byte in the middle flipped, so that it always
# changes, whatever the byte was) is detected, rebuilt and rewritten
size=$(wc -c < "$cache_file")
byte=$(od -A n -t u1 -j $((size / 2)) -N 1 "$cache_file" | tr -d ' ')
printf "\\$(printf '%03o' $((255 - byte)))" | dd of="$cache_file" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
start "corrupt cache entry"
expect "built from source"
start "after the rebuild"
expect "loaded from cache"
# a truncated entry too
head -c $((size / 3)) "$cache_file" > "$cache_file.cut" && mv "$cache_file.cut" "$cache_file"
start "truncated cache entry"
expect "built from source"
# a cache directory that cannot exist (below a regular file) only costs the build
XDG_CACHE_HOME=/dev/null
start "unusable cache directory"
expect "built from source"
echo "OK: program cache"
