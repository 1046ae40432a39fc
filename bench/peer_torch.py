"""PyTorch CPU peer of `seqnn bench` (run with Debian's /usr/bin/python3 and
python3-torch). Protocol: bench/peer_common.h -- argv: OP key=value ...;
prints "isa ...", "note ...", one "sample SECONDS" per timed repetition, or
"unavailable REASON".

OP: gemm (torch.mm), rnn (nn.LSTM / nn.GRU / nn.RNN tanh, time-major, zero
initial state, inference under no_grad or training = forward + backward with
dx), conv (Kim-CNN bank: Conv1d per width over [B, E, T], max over time),
attention (scaled dot-product, [B, heads, T, d]), optim (Adam / SGD with
momentum 0.9 / clip_grad_norm_ over one tensor of `params` floats, foreach
off as the seqnn kernel contract). Threads: torch.set_num_threads(threads)."""
import os
import re
import sys
import time


def main():
    if len(sys.argv) < 2:
        print("unavailable usage: peer_torch.py OP key=value ...")
        return
    op = sys.argv[1]
    kv = dict(a.split("=", 1) for a in sys.argv[2:] if "=" in a)

    def arg(key, default):
        return int(kv[key]) if key in kv else default

    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure makes the peer unavailable
        print(f"unavailable cannot import torch ({type(e).__name__}: {e})")
        return
    threads = arg("threads", 1)
    torch.set_num_threads(threads)
    reps, warmup = arg("reps", 5), arg("warmup", 1)
    clock = time.process_time if kv.get("clock") == "cpu" else time.perf_counter
    train = arg("train", 0)
    torch.manual_seed(0)

    if op == "gemm":
        m, n, k = arg("m", 1024), arg("n", 1024), arg("k", 1024)
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)

        def run():
            torch.mm(a, b, out=c)
    elif op == "rnn":
        cell = kv.get("cell", "lstm")
        H = arg("hidden", 512)
        B, T, I = arg("batch", 64), arg("seq", 50), arg("input", H)
        layers, bidir = arg("layers", 1), bool(arg("bidir", 0))
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        mod = cls(I, H, num_layers=layers, bidirectional=bidir)
        x = torch.randn(T, B, I) * 0.1
        if train:
            xg = x.clone().requires_grad_(True)
            dy = torch.randn(T, B, H * (2 if bidir else 1)) * 0.1

            def run():
                y, _ = mod(xg)
                y.backward(dy)
        else:
            def run():
                with torch.no_grad():
                    mod(x)
    elif op == "conv":
        B, T, E, Fn = arg("batch", 64), arg("seq", 64), arg("embed", 300), arg("filters", 100)
        widths = [int(w) for w in kv.get("widths", "3,4,5").split(",")]
        convs = [torch.nn.Conv1d(E, Fn, w) for w in widths]
        x = torch.randn(B, E, T) * 0.1
        if train:
            xg = x.clone().requires_grad_(True)
            dy = torch.randn(B, Fn * len(widths))

            def run():
                y = torch.cat([c(xg).amax(dim=2) for c in convs], dim=1)
                y.backward(dy)
        else:
            def run():
                with torch.no_grad():
                    torch.cat([c(x).amax(dim=2) for c in convs], dim=1)
    elif op == "attention":
        B, h, T, d = arg("batch", 64), arg("heads", 8), arg("seq", 128), arg("dim", 64)
        sdpa = getattr(F, "scaled_dot_product_attention", None)
        if sdpa is not None:
            def attn(q, k, v):
                return sdpa(q, k, v)
            name = "F.scaled_dot_product_attention"
        elif hasattr(F, "_scaled_dot_product_attention"):  # torch 1.13: private, returns (out, weights)
            def attn(q, k, v):
                return F._scaled_dot_product_attention(q, k, v, None, 0.0, False, False)[0]
            name = "F._scaled_dot_product_attention (torch 1.13's name)"
        else:
            print("unavailable this torch has no scaled dot-product attention")
            return
        print(f"note {name}")
        q, k, v = (torch.randn(B, h, T, d) for _ in range(3))
        if train:
            qg, kg, vg = (t.clone().requires_grad_(True) for t in (q, k, v))
            dout = torch.randn(B, h, T, d)

            def run():
                attn(qg, kg, vg).backward(dout)
        else:
            def run():
                with torch.no_grad():
                    attn(q, k, v)
    elif op == "optim":
        which, n = kv.get("which", "adam"), arg("params", 10_000_000)
        p = torch.nn.Parameter(torch.randn(n) * 0.1)
        p.grad = torch.randn(n) * 0.01
        if which == "adam":
            opt = torch.optim.Adam([p], lr=1e-3, foreach=False)

            def run():
                opt.step()
        elif which == "sgd":
            opt = torch.optim.SGD([p], lr=1e-3, momentum=0.9, foreach=False)

            def run():
                opt.step()
        elif which == "clip":
            def run():
                torch.nn.utils.clip_grad_norm_([p], 1.0)
        else:
            print(f"unavailable no torch optimizer peer for {which}")
            return
    else:
        print(f"unavailable PyTorch peer has no op {op}")
        return

    print("isa " + describe(torch, threads, run))
    sys.stdout.flush()
    for _ in range(warmup):
        run()
    for _ in range(reps):
        t0 = clock()
        run()
        print(f"sample {clock() - t0:.9f}")
        sys.stdout.flush()


def describe(torch, threads, run):
    """What this torch runs on, measured: its CPU capability, the BLAS library
    mapped into the process, and the three ATen ops with the most self time
    in one profiled run of the case (which names the kernels: mkldnn_*, addmm...)."""
    cap = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    try:
        with torch.autograd.profiler.profile() as prof:
            run()
        ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
        top = ", ".join(e.key for e in ops[:3])
    except Exception as e:  # noqa: BLE001 - the description is informative only
        top = f"(profiler failed: {e})"
    blas = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if re.search(r"lib(open)?blas|libblis|libmkl", path):
                    blas.add(os.path.realpath(path))
    except OSError:
        pass
    core = os.environ.get("OPENBLAS_CORETYPE") or "unset"
    for path in sorted(blas):
        if "libopenblas" in os.path.basename(path):
            try:
                import ctypes
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                core += ", OpenBLAS kernel " + lib.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    return (f"PyTorch {torch.__version__}, CPU capability {cap.group(1) if cap else '?'}, "
            f"{threads} thread(s), mkldnn {'on' if torch.backends.mkldnn.enabled else 'off'}, "
            f"BLAS {', '.join(sorted(blas)) or 'none mapped'} (OPENBLAS_CORETYPE={core}); top ops: {top}")


if __name__ == "__main__":
    main()
