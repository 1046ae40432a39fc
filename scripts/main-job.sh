#!/bin/sh
# The main job: installs dependencies (Debian's `fortunes` among them), builds
# seqnn, and trains a character-level LSTM language model on the English text
# of the fortunes for a few minutes on the best backend found here (`seqnn
# info` says which and why), then reports validation bits per character and
# samples text from the best checkpoint.
# Environment: SEQNN_BACKEND picks a backend (ref, avx2, opencl, ...);
# TRAIN_SECONDS sets the training time (default 180); OUT the work folder.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
BUILD_DIR=build sh scripts/build.sh >&2
out=${OUT:-build/charlm}
mkdir -p "$out"
[ -s "$out/fortunes.txt" ] || sh examples/charlm/prepare.sh "$out/fortunes.txt"
./build/bin/seqnn train examples/charlm/model.seqnn --data "$out/fortunes.txt" \
    --time "${TRAIN_SECONDS:-180}" --out "$out/charlm.safetensors" --log "$out/loss.csv"
./build/bin/seqnn plot "$out/loss.csv" -o "$out/loss.png" || echo "(no plot: gnuplot missing)" >&2
