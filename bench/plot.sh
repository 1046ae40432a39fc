#!/bin/sh
# Plots the speed ratios ours/peer that `seqnn bench --csv FILE` wrote (its
# "ratio" rows), one panel per CSV file, with gnuplot (gnuplot-nox).
# usage: bench/plot.sh OUT.png PLUGIN "PANEL TITLE" FILE.csv ["PANEL TITLE" FILE.csv]
# e.g.   bench/plot.sh docs/performance.png avx2 "1 thread, CPU time" t1.csv "2 threads, wall" t2.csv
set -eu
out=$1
plugin=$2
shift 2
csv_awk=$(cat "$(dirname "$0")/csv.awk")   # csv(line): fields into f[1..]
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
panels=0
while [ $# -ge 2 ]; do
    panels=$((panels + 1))
    printf '%s\n' "$1" >"$tmp/title$panels"
    # one line per case: label, then the ratio against openblas, onednn-avx2, torch, triad (NaN: none)
    awk -v plugin="$plugin" "$csv_awk"'
    function label(c,   s) {
        s = c
        if (s ~ /^gemm/) { gsub(/ [MNK]=/, "x", s); sub(/^gemmx/, "gemm ", s); return s }
        if (s ~ /^conv bank/) return "conv " (s ~ /training/ ? "train" : "infer")
        if (s ~ /^attention/) return "attn " (s ~ /training/ ? "train" : "infer")
        if (s ~ /^(adam|sgd|clip)/) { sub(/ N=.*/, "", s); return s }
        split(s, w, " "); h = w[2]; sub(/H=/, "", h)
        return (s ~ /bidir/ ? "bi" : "") w[1] (s ~ /2-layer/ ? "x2" : "") " " h (s ~ /training/ ? " train" : " infer")
    }
    NR > 1 {
        csv($0)
        if (f[12] == "" || f[3] != plugin) next
        c = f[1]
        if (!(c in seen)) { seen[c] = 1; order[++n] = c }
        r[c, f[12]] = f[13]
    }
    END {
        split("openblas onednn-avx2 torch triad", peers, " ")
        for (i = 1; i <= n; i++) {
            line = "\"" label(order[i]) "\""
            for (p = 1; p <= 4; p++) line = line " " ((order[i], peers[p]) in r ? r[order[i], peers[p]] : "NaN")
            print line
        }
    }' "$2" >"$tmp/data$panels"
    shift 2
done
{
    echo "set terminal pngcairo size 1400,$((420 * panels)) font 'sans,10'"
    echo "set output '$out'"
    echo "set multiplot layout $panels,1"
    echo "set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1"
    echo "set boxwidth 0.9; set grid ytics; set logscale y 2; set yrange [0.125:64]"
    echo "set ytics ('1/8' 0.125, '1/4' 0.25, '1/2' 0.5, '1' 1, '2' 2, '4' 4, '8' 8, '16' 16, '32' 32, '64' 64)"
    echo "set xtics rotate by -40 left; set key outside top center horizontal"
    echo "set ylabel 'speed ratio $plugin / peer (> 1: $plugin faster)'"
    i=1
    while [ "$i" -le "$panels" ]; do
        echo "set title '$(cat "$tmp/title$i")'"
        # only the peers with at least one ratio in this panel (gnuplot refuses an empty column)
        cmd=""
        for col in 2 3 4 5; do
            if awk -v c="$col" '{ n = split($0, w, " "); if (w[n - 5 + c] != "NaN") ok = 1 } END { exit !ok }' "$tmp/data$i"; then
                case $col in
                2) t="vs OpenBLAS" ;; 3) t="vs oneDNN (AVX2 cap)" ;; 4) t="vs PyTorch" ;; 5) t="vs triad bandwidth" ;;
                esac
                cmd="$cmd '$tmp/data$i' using $col:xtic(1) title '$t',"
            fi
        done
        echo "plot $cmd 1 with lines lw 2 lc 'black' notitle"
        i=$((i + 1))
    done
    echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "wrote $out"
