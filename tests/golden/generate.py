#!/usr/bin/python3
"""Generates the golden PyTorch data of the conformance suite (tests/golden/*.safetensors).

Each case is one safetensors file: its __metadata__ says which kernel(s) it pins
("kind") and the scalar arguments; inputs are stored as F32 (exactly the values
the plugin receives; int32 for indices and lengths), expected results as F64,
computed by PyTorch in float64 from those same float32 values. Gradients are
those of L = sum of <upstream gradient, output> over the case's outputs, the
upstream gradients being stored inputs too. Tensor names follow PyTorch
(state_dict names for module parameters, "grad.<name>" for their gradients).
tests/conformance/golden.c runs the plugin under test on each file.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/generate.py
The output is deterministic (fixed seeds, sorted JSON), so rerunning it leaves
the committed files unchanged unless this script or PyTorch changed.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)

_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
           np.dtype(np.int32): "I32", np.dtype(np.int64): "I64"}


def save_safetensors(path, tensors, metadata):
    """Writes a safetensors file (8-byte LE header length, JSON header padded
    with spaces to a multiple of 8, little-endian row-major data), atomically.
    Data is ordered by element size (largest first) so every tensor is aligned."""
    items = list(tensors.items())
    items.sort(key=lambda kv: -np.asarray(kv[1]).dtype.itemsize)   # stable
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, at = [], 0
    for name, arr in items:
        arr = np.ascontiguousarray(arr)
        dt = _DTYPES[arr.dtype]
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """Reads a file written above (used to self-check the writer)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    inv = {v: k for k, v in _DTYPES.items()}
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[base + b:base + e], dtype=inv[info["dtype"]].newbyteorder("<")
                                  ).reshape(info["shape"])
    return out, meta


class Case:
    """One golden file under construction."""

    def __init__(self, name, kind, seed, **meta):
        self.name = name
        self.meta = {"kind": kind, "generator": "tests/golden/generate.py",
                     "torch": torch.__version__}
        self.meta.update({k: str(v) for k, v in meta.items()})
        self.tensors = {}
        self.gen = torch.Generator().manual_seed(seed)

    def rand(self, name, shape, lo=-1.0, hi=1.0):
        """A float32 input in [lo, hi), returned as a float64 tensor of the same values."""
        x = (torch.rand(shape, generator=self.gen, dtype=torch.float32) * (hi - lo) + lo)
        return self.put_in(name, x)

    def put_in(self, name, x):
        x32 = torch.as_tensor(x).to(torch.float32)
        self.tensors[name] = x32.numpy().copy()
        return x32.to(torch.float64)

    def put_int(self, name, x):
        self.tensors[name] = np.asarray(x, dtype=np.int32).copy()

    def put_out(self, name, x):
        self.tensors[name] = torch.as_tensor(x).detach().to(torch.float64).numpy().copy()

    def save(self):
        path = os.path.join(OUT_DIR, self.name + ".safetensors")
        for k, v in self.tensors.items():
            if v.dtype == np.float64:
                assert np.all(np.isfinite(v)), (self.name, k)
        save_safetensors(path, self.tensors, self.meta)
        back, meta = load_safetensors(path)
        assert meta == self.meta and set(back) == set(self.tensors)
        for k in back:
            assert np.array_equal(back[k], self.tensors[k]), (self.name, k)
        return path


def dot_loss(pairs):
    """L = sum <g, y> over (output, upstream gradient) pairs."""
    return sum((y * g).sum() for y, g in pairs)


# ----------------------------------------------------------------- recurrent
MODULES = {"rnn_tanh": (torch.nn.RNN, {"nonlinearity": "tanh"}),
           "rnn_relu": (torch.nn.RNN, {"nonlinearity": "relu"}),
           "lstm": (torch.nn.LSTM, {}),
           "gru": (torch.nn.GRU, {})}
CELLS = {"rnn_tanh": (torch.nn.RNNCell, {"nonlinearity": "tanh"}),
         "rnn_relu": (torch.nn.RNNCell, {"nonlinearity": "relu"}),
         "lstm": (torch.nn.LSTMCell, {}),
         "gru": (torch.nn.GRUCell, {})}


def set_params(case, module, scale):
    """Replaces every parameter with a stored float32 value in [-scale, scale)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(case.rand(name, tuple(p.shape), -scale, scale))


def rnn_case(name, cell, seed, T, B, I, H, layers=1, bidirectional=False, lengths=None, bias=True,
             proj=0):
    """A (stacked, bidirectional, packed) recurrent layer: outputs y [T, B, D*R],
    h_n [L*D, B, R] (c_n [L*D, B, H]) and the gradients of x, h0 (c0) and every
    parameter; R = H, or proj (an LSTM with proj_size, metadata "proj")."""
    D = 2 if bidirectional else 1
    R = proj if proj else H
    extra = {"proj": proj} if proj else {}
    case = Case(name, "rnn", seed, cell=cell, T=T, B=B, I=I, H=H, layers=layers,
                bidirectional=int(bidirectional), bias=int(bias), packed=int(lengths is not None),
                **extra)
    cls, kw = MODULES[cell]
    if proj:
        kw = dict(kw, proj_size=proj)
    mod = cls(I, H, num_layers=layers, bidirectional=bidirectional, bias=bias, **kw)
    # PyTorch's own init range, 1/sqrt(H); relu gets a smaller one to stay tame
    set_params(case, mod, (0.5 if cell == "rnn_relu" else 1.0) / math.sqrt(H))
    x = case.rand("x", (T, B, I)).requires_grad_()
    h0 = case.rand("h0", (layers * D, B, R), -0.5, 0.5).requires_grad_()
    c0 = case.rand("c0", (layers * D, B, H), -0.5, 0.5).requires_grad_() if cell == "lstm" else None
    dy = case.rand("dy", (T, B, D * R))
    dh_n = case.rand("dh_n", (layers * D, B, R))
    dc_n = case.rand("dc_n", (layers * D, B, H)) if cell == "lstm" else None
    state = (h0, c0) if cell == "lstm" else h0
    if lengths is not None:
        case.put_int("lengths", lengths)
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out, st = mod(packed, state)
        y, _ = pad_packed_sequence(out, total_length=T)
    else:
        y, st = mod(x, state)
    h_n, c_n = st if cell == "lstm" else (st, None)
    pairs = [(y, dy), (h_n, dh_n)] + ([(c_n, dc_n)] if cell == "lstm" else [])
    dot_loss(pairs).backward()
    case.put_out("y", y)
    case.put_out("h_n", h_n)
    case.put_out("grad.x", x.grad)
    case.put_out("grad.h0", h0.grad)
    if cell == "lstm":
        case.put_out("c_n", c_n)
        case.put_out("grad.c0", c0.grad)
    for pname, p in mod.named_parameters():
        case.put_out("grad." + pname, p.grad)
    return case.save()


def cell_case(name, cell, seed, B, I, H):
    """One step of torch.nn.*Cell: h' (c') and the gradients of x, h, c and the parameters."""
    case = Case(name, "cell", seed, cell=cell, B=B, I=I, H=H)
    cls, kw = CELLS[cell]
    mod = cls(I, H, **kw)
    set_params(case, mod, 1.0 / math.sqrt(H))
    x = case.rand("x", (B, I)).requires_grad_()
    h0 = case.rand("h0", (B, H)).requires_grad_()
    dh_n = case.rand("dh_n", (B, H))
    if cell == "lstm":
        c0 = case.rand("c0", (B, H)).requires_grad_()
        dc_n = case.rand("dc_n", (B, H))
        h_n, c_n = mod(x, (h0, c0))
        dot_loss([(h_n, dh_n), (c_n, dc_n)]).backward()
        case.put_out("c_n", c_n)
        case.put_out("grad.c0", c0.grad)
    else:
        h_n = mod(x, h0)
        dot_loss([(h_n, dh_n)]).backward()
    case.put_out("h_n", h_n)
    case.put_out("grad.x", x.grad)
    case.put_out("grad.h0", h0.grad)
    for pname, p in mod.named_parameters():
        case.put_out("grad." + pname, p.grad)
    return case.save()


# ---------------------------------------------------------------- conv, pool
def conv1d_case(name, seed, B, Cin, Cout, L, K, stride, padding, dilation, bias, layout):
    """F.conv1d; layout "bcl" stores x/y/dy as [B, C, L], "blc" as [B, L, C]."""
    case = Case(name, "conv1d", seed, B=B, C_in=Cin, C_out=Cout, L=L, K=K, stride=stride,
                padding=padding, dilation=dilation, bias=int(bias), layout=layout)
    w = case.rand("weight", (Cout, Cin, K)).requires_grad_()
    b = case.rand("bias", (Cout,)).requires_grad_() if bias else None
    if layout == "bcl":
        x = case.rand("x", (B, Cin, L)).requires_grad_()
        xin = x
    else:
        x = case.rand("x", (B, L, Cin)).requires_grad_()
        xin = x.transpose(1, 2)
    y = F.conv1d(xin, w, b, stride=stride, padding=padding, dilation=dilation)
    if layout == "blc":
        y = y.transpose(1, 2)
    dy = case.rand("dy", tuple(y.shape))
    dot_loss([(y, dy)]).backward()
    case.put_out("y", y)
    case.put_out("grad.x", x.grad)
    case.put_out("grad.weight", w.grad)
    if bias:
        case.put_out("grad.bias", b.grad)
    return case.save()


def maxpool_case(name, seed, B, C, L):
    """Max over time (F.max_pool1d over the whole length): values, argmax, dx."""
    case = Case(name, "maxpool", seed, B=B, C=C, L=L)
    x = case.rand("x", (B, C, L)).requires_grad_()
    y, idx = F.max_pool1d(x, L, return_indices=True)
    y, idx = y[:, :, 0], idx[:, :, 0]
    dy = case.rand("dy", (B, C))
    dot_loss([(y, dy)]).backward()
    case.put_out("y", y)
    case.put_int("argmax", idx.numpy())
    case.put_out("grad.x", x.grad)
    return case.save()


# ----------------------------------------------------------------- attention
def attention_case(name, seed, score, B, heads, Lq, Lk, d, dv, key_lengths=None, causal=False,
                   layout="bhtd", scale_arg=0.0):
    """softmax(scale * q k^T + mask) v, the definition of
    F.scaled_dot_product_attention (written out: this PyTorch may predate it),
    with a key-padding mask (key j >= key_lengths[b]) and a causal mask aligned
    bottom-right (key j > i + Lk - Lq; torch.nn.attention.bias.causal_lower_right).
    layout "bhtd" stores q/k/v/out as [B, heads, T, d], "bthd" as [B, T, heads, d]."""
    if score == "dot":
        scale = 1.0
    else:
        scale = scale_arg if scale_arg != 0.0 else 1.0 / math.sqrt(d)
    case = Case(name, "attention", seed, score=score, B=B, heads=heads, q_len=Lq, k_len=Lk, d=d,
                v_dim=dv, causal=int(causal), layout=layout, scale=repr(scale_arg),
                masked=int(key_lengths is not None))

    def inp(nm, T, dim, lo=-1.0, hi=1.0):
        if layout == "bhtd":
            t = case.rand(nm, (B, heads, T, dim), lo, hi).requires_grad_()
            return t, t
        t = case.rand(nm, (B, T, heads, dim), lo, hi).requires_grad_()
        return t, t.transpose(1, 2)

    q, qv = inp("q", Lq, d, -2, 2)
    k, kv = inp("k", Lk, d, -2, 2)
    v, vv = inp("v", Lk, dv)
    mask = torch.zeros(B, 1, Lq, Lk, dtype=torch.bool)
    if key_lengths is not None:
        case.put_int("key_lengths", key_lengths)
        for b, n in enumerate(key_lengths):
            mask[b, :, :, n:] = True
    if causal:
        i = torch.arange(Lq).view(Lq, 1)
        j = torch.arange(Lk).view(1, Lk)
        mask |= (j > i + (Lk - Lq)).view(1, 1, Lq, Lk)
    assert not mask.all(dim=-1).any(), "a fully masked row has no PyTorch counterpart"
    s = torch.matmul(qv, kv.transpose(-1, -2)) * scale
    s = s.masked_fill(mask, float("-inf"))
    w = torch.softmax(s, dim=-1)
    out = torch.matmul(w, vv)                              # [B, h, Lq, dv]
    if layout == "bthd":
        out = out.transpose(1, 2)
    dout = case.rand("dout", tuple(out.shape))
    dot_loss([(out, dout)]).backward()
    case.put_out("out", out)
    case.put_out("weights", w)
    case.put_out("grad.q", q.grad)
    case.put_out("grad.k", k.grad)
    case.put_out("grad.v", v.grad)
    return case.save()


# ------------------------------------------------------------------ embedding
def embedding_case(name, seed, vocab, dim, idx, padding_idx):
    """F.embedding forward and the weight gradient, accumulated onto a stored
    initial gradient (as .grad accumulates)."""
    case = Case(name, "embedding", seed, vocab=vocab, dim=dim, n=len(idx), padding_idx=padding_idx)
    w = case.rand("weight", (vocab, dim)).requires_grad_()
    case.put_int("idx", idx)
    g0 = case.rand("grad_init.weight", (vocab, dim))
    y = F.embedding(torch.tensor(idx), w, padding_idx=None if padding_idx < 0 else padding_idx)
    dy = case.rand("dy", (len(idx), dim))
    dot_loss([(y, dy)]).backward()
    case.put_out("y", y)
    case.put_out("grad.weight", g0 + w.grad)
    return case.save()


# --------------------------------------------------------------------- losses
def xent_case(name, seed, rows, cols, target, ignore_index, reduction, dloss):
    case = Case(name, "xent", seed, rows=rows, cols=cols, ignore_index=ignore_index,
                reduction=reduction, dloss=repr(dloss))
    logits = case.rand("logits", (rows, cols), -3, 3)
    logits[0, 1] = 40.0                                    # pins the max-subtraction
    logits = case.put_in("logits", logits).requires_grad_()
    case.put_int("target", target)
    loss = F.cross_entropy(logits, torch.tensor(target, dtype=torch.int64),
                           ignore_index=ignore_index, reduction=reduction)
    (loss * dloss).backward()
    case.put_out("loss", loss.reshape(1))
    case.put_out("grad.logits", logits.grad)
    return case.save()


def xent_ext_case(name, seed, rows, cols, target, ignore_index, reduction, smoothing, weighted, dloss):
    """F.cross_entropy with class weights and label_smoothing (reduction mean,
    sum or none); for none the upstream gradient is a stored dlosses [rows]."""
    case = Case(name, "xent_ext", seed, rows=rows, cols=cols, ignore_index=ignore_index,
                reduction=reduction, smoothing=repr(smoothing), weighted=int(weighted), dloss=repr(dloss))
    logits = case.rand("logits", (rows, cols), -3, 3)
    logits[0, 1] = 40.0                                    # pins the max-subtraction
    logits = case.put_in("logits", logits).requires_grad_()
    case.put_int("target", target)
    weight = None
    if weighted:
        weight = case.rand("weight", (cols,), 0, 2)
        weight[cols // 2] = 0.0                            # a class that weighs nothing
        weight = case.put_in("weight", weight)
    loss = F.cross_entropy(logits, torch.tensor(target, dtype=torch.int64), weight=weight,
                           ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    if reduction == "none":
        dlosses = case.rand("dlosses", (rows,))
        dot_loss([(loss, dlosses)]).backward()
        case.put_out("losses", loss)
    else:
        (loss * dloss).backward()
        case.put_out("loss", loss.reshape(1))
    case.put_out("grad.logits", logits.grad)
    return case.save()


def pointwise_loss_case(name, kind, seed, n, reduction, dloss):
    """kind "mse" (F.mse_loss) or "bce" (F.binary_cross_entropy_with_logits)."""
    case = Case(name, kind, seed, n=n, reduction=reduction, dloss=repr(dloss))
    if kind == "mse":
        x = case.rand("x", (n,), -2, 2).requires_grad_()
        t = case.rand("target", (n,), -2, 2)
        loss = F.mse_loss(x, t, reduction=reduction)
    else:
        x = case.rand("x", (n,), -4, 4)
        x[0], x[1] = 40.0, -40.0                           # pins the stable form
        x = case.put_in("x", x).requires_grad_()
        t = case.rand("target", (n,), 0, 1)
        t[2], t[3] = 0.0, 1.0
        t = case.put_in("target", t)
        loss = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
    (loss * dloss).backward()
    case.put_out("loss", loss.reshape(1))
    case.put_out("grad.x", x.grad)
    return case.save()


def softmax_case(name, seed, rows, cols, log):
    case = Case(name, "softmax", seed, rows=rows, cols=cols, log=int(log))
    x = case.rand("x", (rows, cols), -3, 3)
    x[1] += 1000.0                                         # overflows exp() without max-subtraction
    x = case.put_in("x", x).requires_grad_()
    y = F.log_softmax(x, dim=1) if log else F.softmax(x, dim=1)
    dy = case.rand("dy", (rows, cols))
    dot_loss([(y, dy)]).backward()
    case.put_out("y", y)
    case.put_out("grad.x", x.grad)
    return case.save()


ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "hardtanh": F.hardtanh, "relu": F.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.1), "swish": F.silu}


def act_case(name, seed, act):
    """Activation forward and backward, with the edge points 0 and +-1 included."""
    case = Case(name, "act", seed, act=act, alpha=repr(0.1 if act == "leaky_relu" else 0.0))
    x = case.rand("x", (23,), -3, 3)
    x[:7] = torch.tensor([0.0, 1.0, -1.0, 1e-30, -1e-30, 12.0, -12.0])
    x = case.put_in("x", x).requires_grad_()
    y = ACTS[act](x)
    dy = case.rand("dy", (23,))
    dot_loss([(y, dy)]).backward()
    case.put_out("y", y)
    case.put_out("grad.x", x.grad)
    return case.save()


# ------------------------------------------------------------ gemm and linear
def linear_case(name, seed, N, I, O):
    """torch.nn.Linear: y = x W^T + b (gemm with trans_b, bias_add) and its
    gradients (gemm, gemm with trans_a, bias_backward)."""
    case = Case(name, "linear", seed, N=N, I=I, O=O)
    lin = torch.nn.Linear(I, O)
    set_params(case, lin, 1.0)
    x = case.rand("x", (N, I)).requires_grad_()
    y = lin(x)
    dy = case.rand("dy", (N, O))
    dot_loss([(y, dy)]).backward()
    case.put_out("y", y)
    case.put_out("grad.x", x.grad)
    case.put_out("grad.weight", lin.weight.grad)
    case.put_out("grad.bias", lin.bias.grad)
    return case.save()


def gemm_case(name, seed, batch, m, n, k, trans_a, trans_b, alpha, beta):
    """torch.baddbmm(C, op(A), op(B), beta=beta, alpha=alpha)."""
    case = Case(name, "gemm", seed, batch=batch, m=m, n=n, k=k, trans_a=int(trans_a),
                trans_b=int(trans_b), alpha=repr(alpha), beta=repr(beta))
    a = case.rand("a", (batch, k, m) if trans_a else (batch, m, k))
    b = case.rand("b", (batch, n, k) if trans_b else (batch, k, n))
    c = case.rand("c", (batch, m, n))
    opa = a.transpose(1, 2) if trans_a else a
    opb = b.transpose(1, 2) if trans_b else b
    case.put_out("out", torch.baddbmm(c, opa, opb, beta=beta, alpha=alpha))
    return case.save()


# ----------------------------------------------------------------- optimizers
STEPS = 10
# per-step gradient scales: rises and falls so that AMSGrad's max matters
GRAD_SCALES = [1.0, 0.3, 2.0, 0.1, 0.5, 1.5, 0.05, 1.0, 0.2, 0.8]


def optim_case(name, seed, opt, n=13, **hp):
    """STEPS steps of a torch.optim optimizer (foreach off) on a fixed gradient
    sequence: the parameter after every step and the final optimizer state.
    eps values are large enough that their placement changes the result."""
    case = Case(name, "optim", seed, opt=opt, n=n, steps=STEPS)
    p = torch.nn.Parameter(case.rand("param0", (n,)))
    g = case.rand("grads", (STEPS, n), -0.1, 0.1) * torch.tensor(GRAD_SCALES).view(STEPS, 1)
    g = case.put_in("grads", g)
    if opt == "sgd":
        o = torch.optim.SGD([p], foreach=False, **hp)
    elif opt == "rmsprop":
        o = torch.optim.RMSprop([p], foreach=False, **hp)
    elif opt == "adam":
        o = torch.optim.Adam([p], foreach=False, **hp)
    elif opt == "adamw":
        o = torch.optim.AdamW([p], foreach=False, **hp)
    elif opt == "adagrad":
        o = torch.optim.Adagrad([p], foreach=False, **hp)
    else:
        raise ValueError(opt)
    # every hyperparameter, defaults included, so the reader needs no defaults
    for key, val in o.defaults.items():
        if key == "betas":
            case.meta["beta1"], case.meta["beta2"] = repr(val[0]), repr(val[1])
        elif isinstance(val, bool):
            case.meta[key] = str(int(val))
        elif isinstance(val, (int, float)):
            case.meta[key] = repr(float(val))
    traj = []
    for t in range(STEPS):
        p.grad = g[t].clone()
        o.step()
        traj.append(p.detach().clone())
    case.put_out("param", torch.stack(traj))
    for key, val in o.state[p].items():
        if torch.is_tensor(val) and val.numel() == n:
            case.put_out("state." + key, val)
    return case.save()


def clip_case(name, seed, sizes, max_norm):
    """torch.nn.utils.clip_grad_norm_ over several gradients (sumsq + clip_scale)."""
    case = Case(name, "clip", seed, count=len(sizes), max_norm=repr(max_norm))
    params = []
    for i, n in enumerate(sizes):
        p = torch.nn.Parameter(torch.zeros(n))
        p.grad = case.rand("grad%d" % i, (n,), -1, 1)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    case.put_out("total_norm", total.reshape(1))
    for i, p in enumerate(params):
        case.put_out("clipped%d" % i, p.grad)
    return case.save()


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    written = []
    w = written.append
    seed = iter(range(1000, 2000))
    # recurrent layers: one layer with h0 (c0); two bidirectional layers over a
    # packed batch (lengths unsorted, max below T so padding is exercised)
    for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        w(rnn_case(cell + "_1layer", cell, next(seed), T=5, B=3, I=4, H=5))
        w(rnn_case(cell + "_bidir2_packed", cell, next(seed), T=5, B=3, I=3, H=4, layers=2,
                   bidirectional=True, lengths=[3, 4, 1]))
    w(rnn_case("lstm_reverse_packed", "lstm", next(seed), T=6, B=3, I=2, H=3,
               bidirectional=True, lengths=[6, 2, 4]))
    w(rnn_case("gru_nobias_long", "gru", next(seed), T=24, B=2, I=3, H=4, bias=False))
    for cell in ("rnn_tanh", "rnn_relu", "lstm", "gru"):
        w(cell_case(cell + "_cell", cell, next(seed), B=3, I=4, H=5))
    # conv and pooling
    w(conv1d_case("conv1d_strided", next(seed), B=2, Cin=3, Cout=4, L=11, K=3, stride=2,
                  padding=2, dilation=2, bias=True, layout="bcl"))
    w(conv1d_case("conv1d_blc_nobias", next(seed), B=2, Cin=5, Cout=3, L=9, K=4, stride=1,
                  padding=0, dilation=1, bias=False, layout="blc"))
    w(maxpool_case("maxpool", next(seed), B=2, C=5, L=7))
    # attention
    w(attention_case("attention_keypad", next(seed), "scaled_dot", B=2, heads=2, Lq=3, Lk=5, d=4,
                     dv=3, key_lengths=[5, 2], layout="bthd"))
    w(attention_case("attention_causal", next(seed), "scaled_dot", B=2, heads=1, Lq=4, Lk=4, d=3,
                     dv=2, causal=True))
    w(attention_case("attention_causal_bottomright", next(seed), "scaled_dot", B=2, heads=2,
                     Lq=3, Lk=5, d=4, dv=3, key_lengths=[5, 4], causal=True, scale_arg=0.3))
    w(attention_case("attention_dot", next(seed), "dot", B=1, heads=1, Lq=2, Lk=3, d=3, dv=2))
    # embedding
    w(embedding_case("embedding_padding", next(seed), 7, 4,
                     [1, 3, 0, 3, 6, 1, 2, 3, 5, 1, 0, 4], padding_idx=1))
    w(embedding_case("embedding_nopad", next(seed), 5, 3, [4, 0, 4, 2, 2, 2], padding_idx=-1))
    # losses, softmax, activations
    w(xent_case("xent_mean", next(seed), 6, 5, [1, -100, 4, 0, -100, 2], -100, "mean", 0.75))
    w(xent_case("xent_sum", next(seed), 5, 4, [3, 1, 0, 3, 2], 3, "sum", 1.5))
    for red in ("mean", "sum"):
        w(pointwise_loss_case("mse_" + red, "mse", next(seed), 7, red, 1.3))
        w(pointwise_loss_case("bce_" + red, "bce", next(seed), 9, red, 0.6))
    w(softmax_case("softmax", next(seed), 4, 7, False))
    w(softmax_case("log_softmax", next(seed), 4, 7, True))
    for act in ACTS:
        w(act_case("act_" + act, next(seed), act))
    w(linear_case("linear", next(seed), 5, 4, 3))
    w(gemm_case("gemm_tt", next(seed), 2, 3, 4, 5, True, True, 0.5, 2.0))
    # optimizers: 10 steps each
    w(optim_case("sgd_nesterov", next(seed), "sgd", lr=0.1, momentum=0.9, nesterov=True,
                 weight_decay=0.1))
    w(optim_case("sgd_dampening", next(seed), "sgd", lr=0.2, momentum=0.8, dampening=0.3,
                 weight_decay=0.05))
    w(optim_case("rmsprop_centered_momentum", next(seed), "rmsprop", lr=0.01, alpha=0.9,
                 eps=0.01, weight_decay=0.1, momentum=0.5, centered=True))
    w(optim_case("rmsprop", next(seed), "rmsprop", lr=0.01, alpha=0.99, eps=0.001))
    w(optim_case("adam", next(seed), "adam", lr=0.05, betas=(0.9, 0.99), eps=0.01,
                 weight_decay=0.1))
    w(optim_case("adamw", next(seed), "adamw", lr=0.05, betas=(0.8, 0.95), eps=0.01,
                 weight_decay=0.2))
    w(optim_case("adam_amsgrad", next(seed), "adam", lr=0.05, betas=(0.9, 0.999), eps=0.001,
                 amsgrad=True))
    w(optim_case("adagrad", next(seed), "adagrad", lr=0.1, lr_decay=0.1, weight_decay=0.05,
                 eps=0.01))
    # gradient clipping: clipped, and below the limit (coefficient clamped to 1)
    w(clip_case("clip_grad_norm", next(seed), [5, 7, 3], 1.0))
    w(clip_case("clip_grad_norm_noop", next(seed), [4, 6], 100.0))
    # cross-entropy with class weights, label smoothing, reduction none
    w(xent_ext_case("xent_weighted_smoothed_mean", next(seed), 6, 5, [1, -100, 4, 0, 2, 3], -100, "mean",
                    0.1, True, 0.75))
    w(xent_ext_case("xent_weighted_sum", next(seed), 5, 4, [3, 1, 0, 3, 2], 3, "sum", 0.0, True, 1.5))
    w(xent_ext_case("xent_smoothed_mean", next(seed), 6, 7, [1, -100, 6, 0, -100, 2], -100, "mean",
                    0.25, False, 1.0))
    w(xent_ext_case("xent_weighted_smoothed_none", next(seed), 6, 5, [1, -100, 4, 0, 2, 3], -100, "none",
                    0.2, True, 1.0))
    # LSTM with a projection (proj_size): the lstm_variant kernels (appended
    # last, so that the seeds of the cases above stay as they were)
    w(rnn_case("lstm_proj_1layer", "lstm", next(seed), T=5, B=3, I=4, H=5, proj=3))
    w(rnn_case("lstm_proj_bidir2_packed", "lstm", next(seed), T=5, B=3, I=3, H=4, layers=2,
               bidirectional=True, lengths=[3, 4, 1], proj=2))

    keep = {os.path.basename(p) for p in written}
    for f in os.listdir(OUT_DIR):
        if f.endswith(".safetensors") and f not in keep:
            os.remove(os.path.join(OUT_DIR, f))
            print("removed stale", f)
    total = sum(os.path.getsize(p) for p in written)
    print("%d golden files, %d bytes, in %s" % (len(written), total, OUT_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
