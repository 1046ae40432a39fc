#!/bin/sh
# Installs the peers of `seqnn bench` (not needed to build or test seqnn, so not
# in install-deps.sh): OpenBLAS (sgemm), oneDNN 2.6 (LSTM/GRU/RNN), PyTorch CPU
# and NumPy for Debian's /usr/bin/python3, gnuplot and perf for the plot and
# the counter measurements of docs/performance.md. Debian 12 packages; run as
# root or with sudo. Safe to run again. Reconfigure afterwards
# (sh scripts/build.sh) so that bench/ builds the OpenBLAS and oneDNN harnesses.
set -eu
packages="libopenblas-dev libdnnl-dev python3-torch python3-numpy gnuplot-nox linux-perf"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
