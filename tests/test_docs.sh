#!/bin/sh
# The docs checklist generated from the catalogue: every kernel of
# include/seqnn/kernels.def must appear in docs/kernels.md and in a family
# page docs/kernels/*.md.
set -u
root=$1
fails=0
for k in $(sed -n 's/^SEQNN_KERNEL(\([a-z0-9_]*\),.*/\1/p' "$root/include/seqnn/kernels.def"); do
    grep -q "\`$k\`" "$root/docs/kernels.md" || { echo "docs/kernels.md lacks $k"; fails=$((fails + 1)); }
    cat "$root"/docs/kernels/*.md 2>/dev/null | grep -q "$k" || { echo "no docs/kernels/*.md page describes $k"; fails=$((fails + 1)); }
done
echo "$fails missing"
[ "$fails" -eq 0 ]
