#!/bin/sh
# Installs what the reliability runs need besides the base packages: clang and
# its compiler-rt (libFuzzer, ASan, UBSan, TSan runtimes) for
# scripts/test-fuzz.sh and scripts/test-tsan.sh, valgrind for
# scripts/test-valgrind.sh.
set -eu
exec sh "$(dirname "$0")/install-deps.sh" fuzz
