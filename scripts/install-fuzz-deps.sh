#!/bin/sh
# Installs what the reliability runs need besides scripts/install-deps.sh
# (Debian 12 packages; root, or sudo): clang and its compiler-rt (libFuzzer,
# ASan, UBSan, TSan runtimes) for scripts/test-fuzz.sh and
# scripts/test-tsan.sh, valgrind for scripts/test-valgrind.sh. Safe to run again.
set -eu
packages="clang libclang-rt-14-dev valgrind"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing" >&2
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
