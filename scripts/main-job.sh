#!/bin/sh
# The main job: installs dependencies, builds seqnn, shows the plugins and
# devices found (`seqnn info`) and certifies the chosen backend with the
# conformance suite.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
BUILD_DIR=build sh scripts/build.sh
./build/bin/seqnn info
./build/bin/seqnn conformance
