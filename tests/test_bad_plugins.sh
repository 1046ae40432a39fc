#!/bin/sh
# Tests the tester: the conformance suite and the loader must reject each
# deliberately wrong plugin (tests/plugins/bad_plugin.c), naming the defect.
# usage: test_bad_plugins.sh SEQNN_BINARY TEST_PLUGIN_DIR
set -u
seqnn=$1
dir=$2
fails=0
check() {   # check NAME EXPECTED_RC PATTERN -- command...
    name=$1 want_rc=$2 pattern=$3
    shift 4
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want_rc" ] || ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
        echo "FAIL $name: exit $rc (wanted $want_rc), output lacks /$pattern/:"
        printf '%s\n' "$out" | tail -n 8 | sed 's/^/    /'
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
check "off-by-1e-4 gemm is caught" 1 "FAIL +bad +gemm .*normwise error" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-off.so" --kernel '^gemm$'
check "the same plugin's correct kernels pass" 0 "PASS +bad +add " -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-off.so" --kernel '^(add|mul)$'
check "a NaN output is caught" 1 "FAIL +bad +act_forward .*NaN" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-nan.so" --kernel '^act_forward$'
check "a write past the output is caught" 1 "FAIL +bad +scale .*out of bounds" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-oob.so" --kernel '^scale$'
check "an untouched output is caught" 1 "FAIL +bad +softmax_forward .*never written" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-noop.so" --kernel '^softmax_forward$'
check "a wrong ABI major version is refused" 1 "ABI version 2\.[0-9]+, this seqnn needs major version 1" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-abi.so"
check "SEQNN_BACKEND naming a wrong-ABI plugin fails with the reason" 1 "ABI version 2\.[0-9]+" -- \
    env SEQNN_BACKEND="$dir/libseqnn-bad-abi.so" "$seqnn" info
check "a score-0 plugin requested explicitly fails with its reason" 1 "cannot run here: simulated" -- \
    env SEQNN_BACKEND="$dir/libseqnn-bad-score0.so" "$seqnn" info
check "the suite skips a plugin that cannot run here, with its reason" 77 "SKIP .*simulated: cannot run here" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-score0.so"
check "a failing init is reported" 1 "init failed: simulated init failure" -- \
    env SEQNN_BACKEND="$dir/libseqnn-bad-init.so" "$seqnn" info
check "a plugin without any kernel is refused, saying so" 1 "implements no kernel of the catalogue" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-nokernel.so"
check "a missing required vtable member is named" 1 "lacks the required member 'buffer_copy'" -- \
    env SEQNN_BACKEND="$dir/libseqnn-bad-nocopy.so" "$seqnn" info
# the catalogue's backward kernels, each certified alone
nbwd=$(grep -c '^SEQNN_KERNEL([a-z0-9_]*_backward,' "$(dirname "$0")/../include/seqnn/kernels.def")
check "each backward kernel is certified without its forward" 0 \
    "^RESULT +bad +partial: [0-9]+ of [0-9]+ kernels, all passed \($nbwd passed, 0 failed, 0 absent\)" -- \
    "$seqnn" conformance --plugin "$dir/libseqnn-bad-bwdonly.so" --kernel 'backward$'
check "a shared object without the entry symbol is rejected" 1 "no symbol seqnn_plugin_entry" -- \
    env SEQNN_BACKEND="$dir/libseqnn-notaplugin.so" "$seqnn" info
check "seqnn info lists every rejected file with its reason" 0 "rejected .*libseqnn-bad-abi.so: plugin ABI version 2\.[0-9]+" -- \
    env SEQNN_PLUGIN_PATH="$dir" SEQNN_BACKEND=ref "$seqnn" info
check "a file that is not a shared object is rejected" 0 "rejected .*libseqnn-garbage.so: dlopen failed" -- \
    env SEQNN_PLUGIN_PATH="$dir" SEQNN_BACKEND=ref "$seqnn" info
check "an unknown backend name fails and says so" 1 "no plugin named 'nosuch'" -- \
    env SEQNN_BACKEND=nosuch "$seqnn" info
check "an unknown device substring fails and says so" 1 "has no device whose name contains 'nosuchdevice'" -- \
    env SEQNN_BACKEND=ref:nosuchdevice "$seqnn" info
echo "$fails failed"
[ "$fails" -eq 0 ]
