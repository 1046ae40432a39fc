"""PyTorch CPU peer of avx2_rnn_bench: nn.LSTM/GRU/RNN, one layer, one
direction, time-major, B=64 T=50 input=H; inference (no_grad forward) and
training (forward + backward) medians. Run with Debian's python3:
/usr/bin/python3 plugins/avx2/tools/rnn_torch_bench.py lstm 512 5 [threads]"""
import statistics
import sys
import time

import os

import torch

kind = sys.argv[1] if len(sys.argv) > 1 else "lstm"
H = int(sys.argv[2]) if len(sys.argv) > 2 else 512
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
torch.set_num_threads(threads)
T, B, I = 50, 64, H
mod = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](I, H)
x = torch.randn(T, B, I)


# SEQNN_BENCH_CPU set: process CPU time, as avx2_rnn_bench (fair on a shared machine)
clock = time.process_time if os.environ.get("SEQNN_BENCH_CPU") else time.perf_counter


def timed(fn):
    fn()
    out = []
    for _ in range(reps):
        t0 = clock()
        fn()
        out.append(clock() - t0)
    return statistics.median(out)


def infer():
    with torch.no_grad():
        mod(x)


xg = x.clone().requires_grad_(True)


def train():
    y, _ = mod(xg)
    y.sum().backward()


print(f"torch {torch.__version__} {kind} H={H} B={B} T={T} I={I} threads={threads}: "
      f"inference {timed(infer) * 1e3:.2f} ms, training {timed(train) * 1e3:.2f} ms")
