#!/bin/sh
# Writes the English text of Debian's `fortunes` package as one plain text file
# for the character-level language model: every fortune of every category that
# has an index (.dat), "%" separators turned into blank lines, categories in
# name order (so the output is the same on every machine with the package).
# usage: sh examples/charlm/prepare.sh OUT.txt
set -eu
out=${1:?usage: prepare.sh OUT.txt}
dir=/usr/share/games/fortunes
[ -d "$dir" ] || { echo "prepare.sh: $dir missing: apt-get install fortunes" >&2; exit 1; }
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
: > "$tmp"
for dat in $(ls "$dir"/*.dat | LC_ALL=C sort); do
    f=${dat%.dat}
    [ -f "$f" ] || continue
    # "%" lines separate fortunes; keep ASCII only (a few files carry Latin-1).
    LC_ALL=C sed -e 's/^%$//' "$f" | LC_ALL=C tr -cd '\11\12\40-\176' >> "$tmp"
    printf '\n' >> "$tmp"
done
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out ($(wc -c < "$out") bytes)" >&2
