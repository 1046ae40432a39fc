"""Checks the ONNX files seqnn exported (CTest onnx_export, after
tests/test_onnx_export.c and tests/onnx/export_cli.sh wrote WORK).

For each model of WORK/manifest.txt:
- onnx.checker.check_model(full_check=True), and strict shape inference of
  the model with its declared output shape removed must determine it again
  (rank and feature size; every node output gets a shape);
- the graph is run by the NumPy evaluation of the ONNX operators below
  (float64, written from the operator specifications, independent of seqnn)
  on the input (and lengths, for NAME.len: sequence_lens of the recurrent
  ops, masks of the convolution and attention) seqnn ran, and must give seqnn's output within 1e-5
  (normwise relative); every LSTM / GRU (linear_before_reset=1) / RNN op
  without peepholes or coupled gates is also run by the torch.nn module
  loaded with the op's weights, which must agree with the evaluation.
Exit 1 on any failure. Run with Debian's /usr/bin/python3 (onnx, numpy, torch).
usage: export_check.py WORK
"""
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.shape_inference
import torch

TOL = 1e-5


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


# ----------------------------------------------------------- recurrent ops ---
def steps(T, d, a):
    """The steps direction d of an op runs: backwards for the second of two
    directions, or for direction "reverse"."""
    back = d == 1 or a.get("direction", b"forward") in (b"reverse", "reverse")
    return range(T - 1, -1, -1) if back else range(T)


def state(s, d, B, H):
    """Initial state of direction d: rows d of initial_h / initial_c [D, B, H], or zeros."""
    return s[d].copy() if s is not None else np.zeros((B, H))


def lstm(x, w, r, b, p, a, h0=None, c0=None):
    """ONNX LSTM (gates i, o, f, c; P rows i, o, f; input_forget: f = 1 - i)."""
    T, B, _ = x.shape
    D, G4, H = r.shape
    y, yh = np.zeros((T, D, B, H)), np.zeros((D, B, H))
    for d in range(D):
        wb, rb = b[d, :G4], b[d, G4:]
        pi, po, pf = (p[d, :H], p[d, H:2 * H], p[d, 2 * H:]) if p is not None else (0, 0, 0)
        h, c = state(h0, d, B, H), state(c0, d, B, H)
        for t in steps(T, d, a):
            g = x[t] @ w[d].T + h @ r[d].T + wb + rb
            i = sigmoid(g[:, :H] + pi * c)
            f = 1 - i if a.get("input_forget", 0) else sigmoid(g[:, 2 * H:3 * H] + pf * c)
            c = f * c + i * np.tanh(g[:, 3 * H:])
            o = sigmoid(g[:, H:2 * H] + po * c)
            h = o * np.tanh(c)
            y[t, d] = h
        yh[d] = h
    return y, yh


def gru(x, w, r, b, a, h0=None):
    """ONNX GRU (gates z, r, h), both linear_before_reset forms."""
    T, B, _ = x.shape
    D, G3, H = r.shape
    lbr = a.get("linear_before_reset", 0)
    y, yh = np.zeros((T, D, B, H)), np.zeros((D, B, H))
    for d in range(D):
        wb, rb = b[d, :G3], b[d, G3:]
        h = state(h0, d, B, H)
        for t in steps(T, d, a):
            gx = x[t] @ w[d].T + wb
            gh = h @ r[d, :2 * H].T + rb[:2 * H]
            z = sigmoid(gx[:, :H] + gh[:, :H])
            rr = sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
            if lbr:
                n = np.tanh(gx[:, 2 * H:] + rr * (h @ r[d, 2 * H:].T + rb[2 * H:]))
            else:
                n = np.tanh(gx[:, 2 * H:] + (rr * h) @ r[d, 2 * H:].T + rb[2 * H:])
            h = (1 - z) * n + z * h
            y[t, d] = h
        yh[d] = h
    return y, yh


def rnn(x, w, r, b, a, h0=None):
    T, B, _ = x.shape
    D, H, _ = r.shape
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", ["Tanh"] * D)]
    y, yh = np.zeros((T, D, B, H)), np.zeros((D, B, H))
    for d in range(D):
        f = (lambda v: np.maximum(v, 0)) if acts[d] == "Relu" else np.tanh
        h = state(h0, d, B, H)
        for t in steps(T, d, a):
            h = f(x[t] @ w[d].T + h @ r[d].T + b[d, :H] + b[d, H:])
            y[t, d] = h
        yh[d] = h
    return y, yh


def torch_recurrent(op, x, w, r, b, a, h0=None, c0=None):
    """The op by torch.nn.LSTM / GRU / RNN with its weights in PyTorch's gate
    order: (Y [T, D, B, H], Y_h)."""
    D, GH, I = w.shape
    H = r.shape[2]
    order = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}[op]   # PyTorch block k <- ONNX block order[k]
    blocks = lambda m: np.concatenate([m[k * H:(k + 1) * H] for k in order])
    kw = dict(input_size=I, hidden_size=H, bidirectional=D == 2, dtype=torch.float64)
    if op == "RNN":
        acts = a.get("activations", [b"Tanh"])
        kw["nonlinearity"] = "relu" if acts[0] in (b"Relu", "Relu") else "tanh"
    mod = getattr(torch.nn, op)(**kw)
    with torch.no_grad():
        for d in range(D):
            sfx = "_l0" + ("_reverse" if d else "")
            getattr(mod, "weight_ih" + sfx).copy_(torch.from_numpy(blocks(w[d])))
            getattr(mod, "weight_hh" + sfx).copy_(torch.from_numpy(blocks(r[d])))
            getattr(mod, "bias_ih" + sfx).copy_(torch.from_numpy(blocks(b[d, :GH])))
            getattr(mod, "bias_hh" + sfx).copy_(torch.from_numpy(blocks(b[d, GH:])))
        hx = None if h0 is None else torch.from_numpy(h0)
        if op == "LSTM" and (h0 is not None or c0 is not None):
            hx = tuple(torch.from_numpy(s if s is not None else np.zeros(r.shape[:1] + x.shape[1:2] + r.shape[2:]))
                       for s in (h0, c0))
        out, hn = mod(torch.from_numpy(x), hx)
    hn = hn[0] if op == "LSTM" else hn
    T, B = x.shape[:2]
    return out.numpy().reshape(T, B, D, H).transpose(0, 2, 1, 3), hn.numpy()


def packed(cell, x, lens):
    """sequence_lens: each sequence b runs its first lens[b] steps alone (the
    reverse direction from its last valid step); Y is 0 past its length."""
    T, B = x.shape[:2]
    ys, yhs = [], []
    for bi in range(B):
        n = int(lens[bi])
        y, yh = cell(x[:n, bi:bi + 1], slice(bi, bi + 1))
        ys.append(np.concatenate([y, np.zeros((T - n,) + y.shape[1:])], axis=0))
        yhs.append(yh)
    return np.concatenate(ys, axis=2), np.concatenate(yhs, axis=1)


# --------------------------------------------------------------- the graph ---
def run_node(n, v, checks):
    a = attrs(n)
    i = [v[name] if name else None for name in n.input]
    op = n.op_type
    if op in ("LSTM", "GRU", "RNN"):
        x, w, r = i[0], i[1], i[2]
        lens = i[4] if len(i) > 4 and i[4] is not None else np.full(x.shape[1], x.shape[0])
        b = i[3] if len(i) > 3 and i[3] is not None else np.zeros((w.shape[0], 2 * w.shape[1]))
        p = i[7] if len(i) > 7 else None
        h0, c0 = (i[k] if len(i) > k else None for k in (5, 6))
        rows = lambda s, bs: None if s is None else s[:, bs]   # the states of the batch slice bs
        cell = {"LSTM": lambda xb, bs: lstm(xb, w, r, b, p, a, rows(h0, bs), rows(c0, bs)),
                "GRU": lambda xb, bs: gru(xb, w, r, b, a, rows(h0, bs)),
                "RNN": lambda xb, bs: rnn(xb, w, r, b, a, rows(h0, bs))}[op]
        y, yh = packed(cell, x, lens)
        torch_form = (lens == x.shape[0]).all() and a.get("direction", b"forward") not in (b"reverse", "reverse") \
            and p is None and not a.get("input_forget", 0) and (op != "GRU" or a.get("linear_before_reset", 0))
        if torch_form:
            ty, th = torch_recurrent(op, x, w, r, b, a, h0, c0)
            err = max(np.abs(ty - y).max(), np.abs(th - yh).max())
            checks.append((n.name, err))
        return [y, yh, None]
    if op == "Gather":
        return [np.take(i[0], i[1].astype(np.int64), axis=a.get("axis", 0))]
    if op == "MatMul":
        return [np.matmul(i[0], i[1])]
    if op == "Gemm":
        return [i[0] @ (i[1].T if a.get("transB", 0) else i[1]) + (i[2] if len(i) > 2 else 0)]
    binary = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Max": np.maximum, "Greater": np.greater,
              "GreaterOrEqual": np.greater_equal}
    if op in binary:
        return [binary[op](i[0], i[1])]
    unary = {"Sigmoid": sigmoid, "Tanh": np.tanh, "Relu": lambda x: np.maximum(x, 0), "Identity": lambda x: x}
    if op in unary:
        return [unary[op](i[0])]
    if op == "LeakyRelu":
        return [np.where(i[0] >= 0, i[0], a.get("alpha", 0.01) * i[0])]
    if op == "Clip":
        return [np.clip(i[0], i[1], i[2])]
    if op == "Transpose":
        return [np.transpose(i[0], a["perm"])]
    if op == "Squeeze":
        return [np.squeeze(i[0], axis=tuple(int(k) for k in i[1]))]
    if op == "Unsqueeze":
        return [np.expand_dims(i[0], axis=tuple(int(k) for k in i[1]))]
    if op == "Reshape":
        shape = [int(d) if d != 0 else i[0].shape[k] for k, d in enumerate(i[1])]
        return [i[0].reshape(shape)]
    if op == "Concat":
        return [np.concatenate(i, axis=a["axis"])]
    if op == "Split":
        return np.split(i[0], np.cumsum(i[1])[:-1], axis=a.get("axis", 0))
    if op in ("Softmax", "LogSoftmax"):
        z = i[0] - i[0].max(axis=a.get("axis", -1), keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=a.get("axis", -1), keepdims=True)
        return [e / s if op == "Softmax" else z - np.log(s)]
    if op == "Conv":
        x, w = i[0], i[1]
        k = w.shape[2]
        L = x.shape[2] - k + 1
        y = np.stack([np.einsum("bcj,mcj->bm", x[:, :, t:t + k], w) for t in range(L)], axis=2)
        return [y + i[2][None, :, None]]
    if op == "ReduceMax":
        return [i[0].max(axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))]
    if op == "Cast":
        return [i[0].astype({onnx.TensorProto.INT64: np.int64, onnx.TensorProto.FLOAT: np.float64}[a["to"]])]
    if op == "Expand":
        return [i[0] * np.ones(tuple(int(d) for d in i[1]), dtype=i[0].dtype)]
    if op == "Shape":
        return [np.array(i[0].shape, dtype=np.int64)]
    if op == "Range":
        return [np.arange(i[0], i[1], i[2], dtype=np.int64)]
    if op == "Where":
        return [np.where(i[0], i[1], i[2])]
    raise ValueError("node %s: op %s is not evaluated here" % (n.name, op))


def evaluate(model, feeds, checks):
    v = {"": None}
    for t in model.graph.initializer:
        arr = onnx.numpy_helper.to_array(t)
        v[t.name] = arr.astype(np.float64) if arr.dtype == np.float32 else arr
    v.update(feeds)
    for n in model.graph.node:
        for name, val in zip(n.output, run_node(n, v, checks)):
            if name:
                v[name] = val
    return v[model.graph.output[0].name]


def check_shapes(model, name, seq, n):
    """Strict inference, the declared output shape removed, must find it."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    m.graph.output[0].type.tensor_type.ClearField("shape")
    inf = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    t = inf.graph.output[0].type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim]
    if not t.HasField("shape") or len(dims) != (3 if seq else 2) or dims[-1] != n:
        raise ValueError("%s: inferred output shape %s, not rank %d with %d features" % (name, dims, 3 if seq else 2, n))
    known = {vi.name for vi in inf.graph.value_info if vi.type.tensor_type.HasField("shape")}
    known |= {o.name for o in inf.graph.output}
    missing = [o for nd in model.graph.node for o in nd.output if o and o not in known]
    if missing:
        raise ValueError("%s: no inferred shape for %s" % (name, missing[:4]))
    return dims


def main(work):
    lines = [l.split() for l in open(os.path.join(work, "manifest.txt")) if l.strip()]
    entries = {l[0]: l for l in lines}
    failed = 0
    for l in lines:
        name, status = l[0], l[1]
        if status == "refused":
            print("%-34s refused by the export (the reason is above)" % name)
            continue
        final = "raw"
        src = l
        onnx_path = os.path.join(work, name + ".ref.onnx")
        if status == "cli":   # NAME cli SOURCE FINAL: `seqnn export` of SOURCE's checkpoint
            src, final = entries[l[2]], l[3]
            onnx_path = os.path.join(work, name + ".onnx")
        try:
            n_in = int(src[2])
            feeds = {}
            model = onnx.load(onnx_path)
            onnx.checker.check_model(model, full_check=True)
            props = {p.key: p.value for p in model.metadata_props}
            if props.get("seqnn.loss") not in ("xent", "mse", "bce"):
                raise ValueError("metadata seqnn.loss is %r" % props.get("seqnn.loss"))
            for k in range(n_in):
                kind, T, B, dim = src[3 + 4 * k], int(src[4 + 4 * k]), int(src[5 + 4 * k]), int(src[6 + 4 * k])
                raw = os.path.join(work, "%s.in%d.bin" % (src[0], k))
                if kind == "tokens":
                    x = np.fromfile(raw, dtype=np.int32).reshape(T, B).astype(np.int64)
                else:
                    x = np.fromfile(raw, dtype=np.float32).reshape(T, B, dim).astype(np.float64)
                feeds[model.graph.input[k].name] = x
            for k in range(len(model.graph.input) - n_in):   # lengths inputs, one per data input
                raw = os.path.join(work, "%s.lengths%d.bin" % (src[0], k))
                feeds[model.graph.input[n_in + k].name] = np.fromfile(raw, dtype=np.int32)
            seq, n = int(src[3 + 4 * n_in]), int(src[4 + 4 * n_in])
            dims = check_shapes(model, name, seq, n)
            want = np.fromfile(os.path.join(work, src[0] + ".out.bin"), dtype=np.float32).astype(np.float64)
            if final != "raw":
                w2 = want.reshape(-1, n)
                z = w2 - w2.max(axis=1, keepdims=True)
                s = np.exp(z).sum(axis=1, keepdims=True)
                want = (np.exp(z) / s if final == "softmax" else z - np.log(s)).reshape(-1)
            checks = []
            got = evaluate(model, feeds, checks).reshape(-1)
            err = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
            torch_err = max([e for _, e in checks], default=0.0)
            ok = got.shape == want.shape and err <= TOL and torch_err <= 1e-9
            print("%-34s %s checker ok, inferred output %s, %3d nodes, NumPy evaluation vs seqnn %.1e%s%s" % (
                name, "ok  " if ok else "FAIL", dims, len(model.graph.node), err,
                ", torch.nn on %d recurrent ops %.1e" % (len(checks), torch_err) if checks else "",
                "" if final == "raw" else " (final %s)" % final))
            failed += not ok
        except Exception as e:   # noqa: BLE001 - every failure is reported with its model
            print("%-34s FAIL %s: %s" % (name, type(e).__name__, e))
            failed += 1
    print("export_check: %d of %d models failed" % (failed, sum(1 for l in lines if l[1] != "refused")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
