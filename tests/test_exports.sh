#!/bin/sh
# The library boundary: libseqnn.so exports exactly the functions that the
# public headers (include/seqnn/*.h) declare with SEQNN_API, including the
# seqnn_<kernel>() functions generated from kernels.def. Fails naming every
# exported symbol no public header declares, every declared function the
# library does not export, and every public function declared without SEQNN_API.
# Each PLUGIN.so given must import nothing from libseqnn (plugins are built
# against the headers alone).
# usage: test_exports.sh LIBSEQNN_SO INCLUDE_DIR C_COMPILER SCRATCH_DIR [PLUGIN.so ...]
set -u
lib=$1
inc=$2
cc=$3
scratch=$4
shift 4
mkdir -p "$scratch" || exit 1
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm not found"; exit 77; }

# The headers as a compiler sees them: kernels.def expanded, comments gone.
: >"$scratch/all.c"
for h in "$inc"/seqnn/*.h; do
    printf '#include "seqnn/%s"\n' "$(basename "$h")" >>"$scratch/all.c"
done
"$cc" -E -I"$inc" "$scratch/all.c" >"$scratch/all.i" || { echo "FAIL: cannot preprocess the headers"; exit 1; }

# One line per file-scope declaration of a function or an extern object:
# "api NAME" when it carries SEQNN_API (default visibility), "bare NAME"
# otherwise. Only text from include/seqnn counts (the line markers say whose it
# is: system headers declare their own functions). Typedefs, static inline
# functions, struct and enum bodies are skipped.
awk -v ours="\"$inc/seqnn/" '
/^# [0-9]+ "/ { mine = index($3, ours) == 1; next }
mine { text = text " " $0 }
function declared(s,    api, name) {
    if (s ~ /^[ \t]*typedef[ \t]/ || s ~ /(^|[ \t])static[ \t]/)
        return
    api = (s ~ /visibility[ \t]*\([ \t]*"default"[ \t]*\)/)
    gsub(/__attribute__[ \t]*\(\(([^()]|\([^()]*\))*\)\)/, " ", s)
    if (match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/))
        name = substr(s, RSTART, RLENGTH)
    else if (s ~ /(^|[ \t])extern[ \t]/ && match(s, /[A-Za-z_][A-Za-z0-9_]*([ \t]*\[[^]]*\])*[ \t]*$/))
        name = substr(s, RSTART, RLENGTH)
    else
        return
    sub(/[ \t]*(\(|\[.*)$/, "", name)
    sub(/[ \t]+$/, "", name)
    print (api ? "api " : "bare ") name
}
END {
    n = length(text); depth = 0; stmt = ""
    for (i = 1; i <= n; i++) {
        c = substr(text, i, 1)
        if (c == "{") { if (depth == 0) head = stmt; depth++; continue }
        if (c == "}") { if (--depth == 0 && head ~ /\)[ \t]*$/) stmt = ""; continue }
        if (depth > 0) continue
        if (c == ";") { declared(stmt); stmt = ""; continue }
        stmt = stmt c
    }
}' "$scratch/all.i" | sort -u >"$scratch/declared.txt"
awk '$1 == "api" { print $2 }' "$scratch/declared.txt" >"$scratch/api.txt"
awk '$1 == "bare" { print $2 }' "$scratch/declared.txt" >"$scratch/bare.txt"
nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u >"$scratch/exported.txt"

fails=0
report() {   # report WHAT FILE
    if [ -s "$2" ]; then
        echo "FAIL: $1 ($(wc -l <"$2")):"
        sed 's/^/    /' "$2"
        fails=$((fails + 1))
    fi
}
comm -23 "$scratch/exported.txt" "$scratch/api.txt" >"$scratch/undeclared.txt"
comm -13 "$scratch/exported.txt" "$scratch/api.txt" >"$scratch/missing.txt"
report "exported by $(basename "$lib") but declared in no public header with SEQNN_API" "$scratch/undeclared.txt"
report "declared with SEQNN_API but not exported" "$scratch/missing.txt"
report "declared in a public header without SEQNN_API" "$scratch/bare.txt"
for plugin in "$@"; do
    nm -D --undefined-only "$plugin" | awk '{ print $NF }' | sed 's/@.*//' | sort -u |
        comm -12 - "$scratch/exported.txt" >"$scratch/imports.txt"
    report "$(basename "$plugin") imports from libseqnn" "$scratch/imports.txt"
done
if [ "$(wc -l <"$scratch/api.txt")" -lt 50 ]; then
    echo "FAIL: only $(wc -l <"$scratch/api.txt") declarations found in $inc/seqnn: the header scan is broken"
    fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || exit 1
echo "ok: $(wc -l <"$scratch/exported.txt") symbols exported, each declared with SEQNN_API in $inc/seqnn;" \
     "$# plugins import none of them"
