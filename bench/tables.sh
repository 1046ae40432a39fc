#!/bin/sh
# Markdown table of a `seqnn bench --csv` file: one row per case and thread
# count, our plugin's median [min-max] ms, its rate and share of the measured
# FMA peak, then each peer's median ms and the speed ratio ours/peer.
# usage: bench/tables.sh FILE.csv [PLUGIN (default avx2)] [CASE-REGEX]
# (only the cases matching the regex, and only the peers that ran in them)
set -eu
csv_awk=$(cat "$(dirname "$0")/csv.awk")
awk -v plugin="${2:-avx2}" -v pick="${3:-.}" "$csv_awk"'
NR > 1 {
    csv($0)
    key = f[1] SUBSEP f[2]
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    if (f[12] != "") { if (f[3] == plugin) ratio[key, f[12]] = f[13]; next }
    med[key, f[3]] = f[5]; lo[key, f[3]] = f[6]; hi[key, f[3]] = f[7]
    rate[key, f[3]] = f[9]; unit[key, f[3]] = f[10]; pk[key, f[3]] = f[11]
}
END {
    all = split("openblas openblas-haswell onednn onednn-avx2 torch torch-avx2 torch-passive triad", cand, " ")
    np = 0
    for (p = 1; p <= all; p++) {
        used = 0
        for (i = 1; i <= n; i++) { split(order[i], kk, SUBSEP); if (kk[1] ~ pick && (order[i], cand[p]) in med) used = 1 }
        if (used) peers[++np] = cand[p]
    }
    printf "| case | thr | %s ms [min-max] | rate | peak |", plugin
    for (p = 1; p <= np; p++) printf " %s ms (ratio) |", peers[p]
    printf "\n|---|---|---|---|---|"
    for (p = 1; p <= np; p++) printf "---|"
    printf "\n"
    for (i = 1; i <= n; i++) {
        key = order[i]; split(key, kk, SUBSEP)
        if (!((key, plugin) in med) || kk[1] !~ pick) continue
        printf "| %s | %s | %.2f [%.2f-%.2f] | %.1f %s | %s |", kk[1], kk[2], med[key, plugin], lo[key, plugin],
               hi[key, plugin], rate[key, plugin], unit[key, plugin], pk[key, plugin] == "" ? "-" : pk[key, plugin] "%"
        for (p = 1; p <= np; p++) {
            q = peers[p]
            if ((key, q) in med) printf " %.2f (**%.3f**) |", med[key, q], ratio[key, q]
            else printf " - |"
        }
        printf "\n"
    }
}' "$1"
