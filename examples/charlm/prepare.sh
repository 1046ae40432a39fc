#!/bin/sh
# Writes the English text of Debian's `fortunes` package as one plain text file
# for the character-level language model: every fortune of every category that
# has an index (.dat), ASCII only, one blank line between fortunes. The
# fortunes are interleaved by a fixed permutation (record i goes to position
# i*7919 mod N), so the last part of the file, the validation split, samples
# every category instead of holding the last one; the output is the same on
# every machine with the package.
# usage: sh examples/charlm/prepare.sh OUT.txt
set -eu
out=${1:?usage: prepare.sh OUT.txt}
dir=/usr/share/games/fortunes
[ -d "$dir" ] || { echo "prepare.sh: $dir missing: apt-get install fortunes" >&2; exit 1; }
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
for dat in $(ls "$dir"/*.dat | LC_ALL=C sort); do
    f=${dat%.dat}
    [ -f "$f" ] || continue
    # A few files carry Latin-1: keep printable ASCII, tabs and newlines.
    LC_ALL=C tr -cd '\11\12\40-\176' < "$f"
    printf '\n%%\n'
done | LC_ALL=C awk '
    function gcd(a, b,  t) { while (b) { t = a % b; a = b; b = t }; return a }
    /^%$/ { if (rec != "") { n++; r[n] = rec }; rec = ""; next }
    { rec = rec $0 "\n" }
    END {
        if (rec != "") { n++; r[n] = rec }
        for (p = 7919; gcd(p, n) != 1; p++) ;        # a step coprime with n
        for (i = 0; i < n; i++) printf "%s\n", r[(i * p) % n + 1]
    }' > "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -c < "$out") bytes)" >&2
