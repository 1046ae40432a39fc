"""PyTorch CPU peer of `seqnn bench` (run with Debian's /usr/bin/python3 and
python3-torch). Protocol: bench/peer_common.h -- argv: OP key=value ...;
prints "isa ...", "note ...", one "sample SECONDS" per timed repetition, or
"unavailable REASON".

OP: gemm (torch.mm), rnn (nn.LSTM / nn.GRU / nn.RNN tanh, time-major, zero
initial state, inference under no_grad or training = forward + backward with
dx), conv (Kim-CNN bank: Conv1d per width over [B, E, T], max over time),
attention (scaled dot-product, [B, heads, T, d]), optim (Adam / SGD with
momentum 0.9 / clip_grad_norm_ / dropout p=0.1 forward and backward over
one tensor of `params` floats, foreach off as the seqnn kernel contract), model (whole training steps of a model
file: build_model below). Threads: torch.set_num_threads(threads).
device=cuda (peer torch-cuda): every tensor and module on the GPU (torch >=
2.0's default device), TF32 off (float32 products, as seqnn's), each timed
repetition ends with torch.cuda.synchronize(), so a sample is the time to
the GPU's finish. The ISA
cap is the caller's (cli/bench_peers.c: ATEN_CPU_CAPABILITY, DNNL_MAX_CPU_ISA,
OPENBLAS_CORETYPE for torch-avx2); describe() reports what took effect."""
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
    device = kv.get("device", "cpu")
    if device != "cpu":
        if not hasattr(torch, "set_default_device"):
            print(f"unavailable PyTorch {torch.__version__} has no default device (needs 2.0)")
            return
        if device == "cuda" and not torch.cuda.is_available():
            print(f"unavailable PyTorch {torch.__version__} sees no CUDA device")
            return
        torch.set_default_device(device)
        # float32 as seqnn computes it: no TF32 in matrix products or cuDNN
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
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
        elif which == "dropout":          # forward and backward, p = 0.1
            x, dy = p.detach().clone().requires_grad_(), p.grad.clone()

            def run():
                x.grad = None
                torch.nn.functional.dropout(x, 0.1, True).backward(dy)
        else:
            print(f"unavailable no torch optimizer peer for {which}")
            return
    elif op == "model":
        try:
            run = model_step(torch, kv.get("path", ""), arg("vocab", 97), arg("batch", 32), arg("seq", 100))
        except (OSError, ValueError) as e:
            print(f"unavailable {e}")
            return
    else:
        print(f"unavailable PyTorch peer has no op {op}")
        return

    if device == "cuda":
        step = run

        def run():
            step()
            torch.cuda.synchronize()
        print("isa " + describe_cuda(torch, run))
    else:
        print("isa " + describe(torch, threads, run))
    sys.stdout.flush()
    for _ in range(warmup):
        run()
    for _ in range(reps):
        t0 = clock()
        run()
        print(f"sample {clock() - t0:.9f}")
        sys.stdout.flush()


def parse_model(path, vocab):
    """The statements of a seqnn model file as (word, kind, {key: value})
    ($vocab-like values set to vocab); the subset build_model knows."""
    stmts = []
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            keys = {}
            kind = None
            for w in words[1:]:
                if "=" in w:
                    k, v = w.split("=", 1)
                    keys[k] = str(vocab) if v.startswith("$") else v
                elif kind is None:
                    kind = w
            stmts.append((words[0], kind, keys))
    return stmts


def build_model(torch, stmts):
    """The model of a seqnn model file in PyTorch: input, embedding, lstm /
    gru / rnn (layers, bidirectional, dropout, last), dense, activation,
    dropout, loss, optimizer (clip), train (batch, seq_len). Returns the
    module, the loss function, the optimizer, the clip norm, whether the input
    is tokens and its size, and whether the output is a sequence."""
    nn = torch.nn
    layers, size, tokens, sequence = [], 0, True, True
    loss, opt, clip = nn.CrossEntropyLoss(), ("adam", {}), 0.0

    class Recurrent(nn.Module):
        def __init__(self, cls, size, keys, extra):
            super().__init__()
            self.bidir = keys.get("bidirectional", "0") == "1"
            self.last = keys.get("last", "0") == "1"
            self.rnn = cls(size, int(keys["hidden"]), num_layers=int(keys.get("layers", 1)),
                           dropout=float(keys.get("dropout", 0)), bidirectional=self.bidir, **extra)
            self.state = None

        def forward(self, x):
            y, state = self.rnn(x, self.state)
            # stateful (a language model): the next batch starts where this one ended
            self.state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            if not self.last:
                return y
            h = state[0] if isinstance(state, tuple) else state
            return torch.cat([h[-2], h[-1]], dim=1) if self.bidir else h[-1]

    for word, kind, keys in stmts:
        if word == "input":
            tokens, size = kind == "tokens", int(keys.get("vocab", keys.get("dim", 0)))
        elif word == "embedding":
            layers.append(nn.Embedding(size, int(keys["dim"])))
            size = int(keys["dim"])
        elif word in ("lstm", "gru", "rnn"):
            cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[word]
            extra = {"nonlinearity": keys.get("act", "tanh")} if word == "rnn" else {}
            layers.append(Recurrent(cls, size, keys, extra))
            size = int(keys["hidden"]) * (2 if keys.get("bidirectional", "0") == "1" else 1)
            sequence = sequence and keys.get("last", "0") != "1"
        elif word == "dense":
            layers.append(nn.Linear(size, int(keys["out"])))
            size = int(keys["out"])
        elif word == "dropout":
            layers.append(nn.Dropout(float(keys["p"])))
        elif word == "activation":
            layers.append({"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "hardtanh": nn.Hardtanh(), "relu": nn.ReLU(),
                           "leaky_relu": nn.LeakyReLU(float(keys.get("alpha", 0.01))), "swish": nn.SiLU()}[kind])
        elif word == "loss":
            loss = {"xent": nn.CrossEntropyLoss(), "mse": nn.MSELoss(), "bce": nn.BCEWithLogitsLoss()}[kind]
        elif word == "optimizer":
            clip = float(keys.pop("clip", 0))
            opt = (kind, keys)
        elif word not in ("seqnn", "train"):
            raise ValueError(f"the PyTorch peer builds no '{word}' statement")
    return nn.Sequential(*layers), loss, opt, clip, tokens, size, sequence


def model_step(torch, path, vocab, B, T):
    """One training step of the model file's model on a fixed random batch:
    forward, loss, backward, clip_grad_norm_, optimizer step (torch.optim's
    defaults: what a PyTorch user runs)."""
    stmts = parse_model(path, vocab)
    model, loss_fn, (kind, keys), clip, tokens, n_in, sequence = build_model(torch, stmts)
    model.train()
    n_out = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1].out_features
    kinds = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
             "adamw": torch.optim.AdamW, "adagrad": torch.optim.Adagrad}
    floats = {k: float(v) for k, v in keys.items() if k not in ("beta1", "beta2", "nesterov", "centered", "amsgrad")}
    if "beta1" in keys or "beta2" in keys:
        floats["betas"] = (float(keys.get("beta1", 0.9)), float(keys.get("beta2", 0.999)))
    for flag in ("nesterov", "centered", "amsgrad"):
        if flag in keys:
            floats[flag] = keys[flag] == "1"
    opt = kinds[kind](model.parameters(), **floats)
    x = torch.randint(0, n_in, (T, B)) if tokens else torch.randn(T, B, n_in)
    shape = (T, B) if sequence else (B,)
    xent = isinstance(loss_fn, torch.nn.CrossEntropyLoss)
    y = torch.randint(0, n_out, shape) if xent else torch.rand(*shape, n_out)

    def run():
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out.reshape(-1, n_out), y.reshape(-1)) if xent else loss_fn(out, y)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
    return run


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
    dnnl = onednn_isa()
    for path in sorted(blas):
        if "libopenblas" in os.path.basename(path):
            try:
                import ctypes
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                core += ", OpenBLAS kernel " + lib.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    aten = os.environ.get("ATEN_CPU_CAPABILITY") or "unset"
    return (f"PyTorch {torch.__version__}, CPU capability {cap.group(1) if cap else '?'} "
            f"(ATEN_CPU_CAPABILITY={aten}), {threads} thread(s), "
            f"mkldnn {'on' if torch.backends.mkldnn.enabled else 'off'} ({dnnl}), "
            f"BLAS {', '.join(sorted(blas)) or 'none mapped'} (OPENBLAS_CORETYPE={core}); top ops: {top}")


def describe_cuda(torch, run):
    """The GPU this torch runs the case on, its CUDA and cuDNN versions, and
    the three CUDA kernels with the most device time in one profiled run."""
    try:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
            run()
        ops = sorted(prof.key_averages(), key=lambda e: -getattr(e, "self_device_time_total", 0))
        top = ", ".join(e.key[:60] for e in ops[:3])
    except Exception as e:  # noqa: BLE001 - the description is informative only
        top = f"(profiler failed: {e})"
    return (f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()} (CUDA {torch.version.cuda}, "
            f"cuDNN {torch.backends.cudnn.version()}, TF32 "
            f"{'on' if torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32 else 'off'}); top kernels: {top}")


def onednn_isa():
    """The ISA oneDNN (PyTorch's mkldnn ops) runs on in this process, from
    dnnl_get_effective_cpu_isa() of the libdnnl mapped in, and the cap asked
    for in DNNL_MAX_CPU_ISA."""
    names = {0x1: "SSE4.1", 0x3: "AVX", 0x7: "AVX2", 0x27: "AVX-512", 0x67: "AVX-512 VNNI",
             0xe7: "AVX-512 BF16", 0x3e7: "AVX-512 AMX", 0x407: "AVX2 VNNI"}
    cap = os.environ.get("DNNL_MAX_CPU_ISA") or "unset"
    try:
        import ctypes
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if re.search(r"lib(dnnl|mkldnn)\.so", line)})
        if not libs:
            return f"oneDNN built in, ISA not queried; DNNL_MAX_CPU_ISA={cap}"
        isa = ctypes.CDLL(libs[0]).dnnl_get_effective_cpu_isa()
        return f"oneDNN ISA {names.get(isa, hex(isa))}; DNNL_MAX_CPU_ISA={cap}"
    except (OSError, AttributeError) as e:
        return f"oneDNN ISA not queried ({e}); DNNL_MAX_CPU_ISA={cap}"


if __name__ == "__main__":
    main()
