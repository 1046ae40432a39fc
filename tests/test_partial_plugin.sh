#!/bin/sh
# Certification of a partial plugin (plugins/partial: gemm, rnn_forward and
# rnn_backward only): its kernels pass, every other kernel and every golden
# check that needs one is listed as absent and counted apart, the headline
# and closing line say so, the reports record the plugin's version, file and
# SHA-256 (the one sha256sum prints), `seqnn info` shows it as partial, and a
# deliberately wrong present kernel still fails; --plugin PATH certifies
# that file even when discovery finds another plugin of the same name.
# usage: test_partial_plugin.sh SEQNN_BINARY PARTIAL_PLUGIN WRONG_PARTIAL_PLUGIN
set -u
seqnn=$1 plugin=$2 wrong=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
unset SEQNN_BACKEND SEQNN_PLUGIN_PATH SEQNN_LOG
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect NAME FILE PATTERN: FILE has a line matching PATTERN (extended regex)
expect() {
    if grep -Eq -- "$3" "$2"; then echo "ok   $1"; else fail "$1: no line matches /$3/"; tail -n 5 "$2" | sed 's/^/    /'; fi
}

"$seqnn" conformance --plugin "$plugin" --report "$tmp/report.json" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && echo "ok   a partial plugin whose kernels pass exits 0" || fail "exit status $rc (wanted 0)"
for k in gemm rnn_forward rnn_backward; do
    expect "its kernel $k passes" "$tmp/out" "^PASS +partial +$k "
done
expect "an absent kernel is listed as absent" "$tmp/out" "^ABSENT +partial +embedding_forward +the plugin does not implement it$"
expect "a golden check that needs an absent kernel is absent" "$tmp/out" \
    "^ABSENT +partial +golden/lstm_cell +needs cell_forward, which the plugin does not implement$"
expect "a golden check of its kernels runs" "$tmp/out" "^PASS +partial +golden/lstm_1layer "
nabsent=$(grep -c '^ABSENT' "$tmp/out")
npass=$(grep -c '^PASS' "$tmp/out")
expect "the headline: partial, 3 kernels, all passed" "$tmp/out" \
    "^RESULT +partial +partial: 3 of [0-9]+ kernels, all passed \\($npass passed, 0 failed, $nabsent absent\\)$"
last=$(tail -n 1 "$tmp/out")
[ "$last" = "$npass passed, 0 failed, $nabsent absent" ] && [ "$nabsent" -ge 34 ] &&
    echo "ok   closing line: $last" || fail "closing line '$last' ($npass PASS lines, $nabsent ABSENT lines)"

# the report: the headline, the counts, and what ties it to this build
sum=$(sha256sum "$plugin" | cut -d' ' -f1)
expect "report.json: the plugin's version and SHA-256 (as sha256sum)" "$tmp/report.json" \
    "\"name\": \"partial\", \"version\": \"0\\.1\\.0\", .*\"sha256\": \"$sum\", \"headline\": \"partial: 3 of [0-9]+ kernels, all passed\""
expect "report.json: absent counted apart" "$tmp/report.json" "^  \"absent\": $nabsent,$"
expect "report.json: an absent result" "$tmp/report.json" "\"test\": \"embedding_forward\", \"result\": \"absent\""
"$seqnn" conformance --plugin "$plugin" --kernel '^(gemm|softmax_forward)$' --report "$tmp/report.md" > /dev/null 2>&1
expect "report.md: the headline" "$tmp/report.md" "^\\*\\*partial 0\\.1\\.0: partial: 3 of [0-9]+ kernels, all passed\\*\\*$"
expect "report.md: file and SHA-256" "$tmp/report.md" "^\\| partial \\| 0\\.1\\.0 \\| 3 of [0-9]+ \\| [^|]*libseqnn-partial\\.so \\| $sum \\|"

# a wrong present kernel still fails, the absent ones stay absent
"$seqnn" conformance --plugin "$wrong" > "$tmp/wrong" 2>&1
rc=$?
[ "$rc" -eq 1 ] && echo "ok   a wrong present kernel makes the run fail" || fail "wrong plugin: exit status $rc (wanted 1)"
expect "the wrong rnn_backward is FAIL" "$tmp/wrong" "^FAIL +partial +rnn_backward +[0-9]+ of [0-9]+ checks failed: .*dw_hh"
expect "its headline says how many failed" "$tmp/wrong" "^RESULT +partial +partial: 3 of [0-9]+ kernels, [0-9]+ failed "
expect "its closing line counts failed and absent" "$tmp/wrong" "^[0-9]+ passed, [1-9][0-9]* failed, $nabsent absent$"

# a fresh build by its path while a copy of the same name is found by
# discovery: the path's file is certified (the wrong one fails), not shadowed
wrong_abs=$(cd "$(dirname "$wrong")" && pwd)/$(basename "$wrong")
SEQNN_PLUGIN_PATH=$(cd "$(dirname "$plugin")" && pwd) "$seqnn" conformance --plugin "$wrong_abs" \
    --kernel '^rnn_backward$' > "$tmp/fresh" 2>&1
expect "--plugin PATH certifies that file although another 'partial' is installed" "$tmp/fresh" \
    "^FAIL +partial +rnn_backward "

# SEQNN_BACKEND naming a chain: each plugin of it is certified on its own
SEQNN_BACKEND="$wrong_abs,ref" "$seqnn" conformance --kernel '^gemm$' > "$tmp/chain" 2>&1
expect "a chain in SEQNN_BACKEND: its first plugin certified" "$tmp/chain" "^PASS +partial +gemm "
expect "a chain in SEQNN_BACKEND: its second plugin certified" "$tmp/chain" "^PASS +ref +gemm "

# seqnn info: version, description, how many kernels, partial
SEQNN_PLUGIN_PATH=$(cd "$(dirname "$plugin")" && pwd) SEQNN_BACKEND=ref "$seqnn" info > "$tmp/info" 2>&1
expect "seqnn info: 3/N kernels, partial" "$tmp/info" \
    "^  loaded +partial +[^ ]*libseqnn-partial\\.so \\(version 0\\.1\\.0, ABI 1\\.[0-9]+, 3/[0-9]+ kernels, partial\\)$"
expect "seqnn info: its description" "$tmp/info" "^ +example partial plugin: gemm and the recurrent layer only$"
expect "seqnn info: a complete plugin says complete" "$tmp/info" "^  loaded +ref +.*, [0-9]+/[0-9]+ kernels, complete\\)$"

echo "$fails failed"
[ "$fails" -eq 0 ]
