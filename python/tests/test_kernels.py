"""seqnn.kernels against PyTorch (float64, autograd for every backward) on
every device that runs here: the kernels test_api.py does not compare
(cells, the backward of conv1d, max-pooling and recurrent layers, pooling
with lengths, attention of every score, RMSprop, Adagrad, cross-entropy
with weights and smoothing, LSTM variants), each wrapper's Python checks of
dtypes and shapes, device-resident Tensors (the same results as numpy
arrays, nothing copied, in-place optimizer updates, closed and mixed
contexts), out= (the caller's array or Tensor filled, the same bits as a
new result, its old contents ignored, in place where an input is the
output, dtype/shape/kind/context/aliasing refused before anything is
written), and that every kernel of include/seqnn/kernels.def has a
wrapper. Usage: test_kernels.py KERNELS_DEF."""
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

import seqnn
from seqnn import kernels as K

failures = 0
torch.set_default_dtype(torch.float64)


def check(ok, what):
    global failures
    print("%s %s" % ("ok" if ok else "FAIL", what))
    failures += not ok


def near(a, b, tol, what):
    a = np.asarray(a.numpy() if isinstance(a, seqnn.Tensor) else a, np.float64)
    b = np.asarray(b.detach().numpy() if isinstance(b, torch.Tensor) else b, np.float64)
    err = np.abs(a - b).max() / max(1.0, np.abs(b).max()) if a.shape == b.shape and a.size else float("inf")
    if a.shape == b.shape and not a.size:
        err = 0.0
    check(err <= tol, "%s: normwise error %.2e (<= %.0e)" % (what, err, tol))


def raises(exc, fn, what):
    try:
        fn()
    except exc as e:
        check(True, "%s raises %s: %s" % (what, type(e).__name__, e))
        return
    except Exception as e:           # noqa: BLE001 (the wrong kind is a failure, reported)
        check(False, "%s raises %s (%s), not %s" % (what, type(e).__name__, e, exc.__name__))
        return
    check(False, "%s raises nothing" % what)


def T(a, grad=False):
    return torch.tensor(np.asarray(a, np.float64), requires_grad=grad)


# --------------------------------------------------------- the walker ---
def test_catalogue(kernels_def):
    """Every SEQNN_KERNEL line of kernels.def has an argument structure and a wrapper."""
    names = re.findall(r"^SEQNN_KERNEL\(\s*(\w+)\s*,", open(kernels_def).read(), re.M)
    check(len(names) >= 41, "kernels.def lists %d kernels" % len(names))
    for n in names:
        if n not in K.WRAPPERS or n not in K.ARGS:
            check(False, "kernel %s of %s has no %s in python/seqnn/kernels.py: add its argument structure to ARGS "
                         "(and python/tests/test_layout.py), a wrapper, and its entry in WRAPPERS"
                  % (n, kernels_def, "wrapper" if n not in K.WRAPPERS else "argument structure"))
    unknown = sorted(set(K.WRAPPERS) - set(names))
    check(not unknown, "every wrapped kernel is in kernels.def%s" % (": not " + ", ".join(unknown) if unknown else ""))
    check(K.catalogue() == names, "the library's catalogue is kernels.def's (%d kernels)" % len(K.catalogue()))
    check(not K.missing(), "no kernel of the library lacks a wrapper%s" % (
        ": " + ", ".join(K.missing()) if K.missing() else ""))


# ------------------------------------------------------------ references ---
def torch_cell(cell, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of PyTorch's cell of kind cell; (h', c' or None)."""
    if cell == "lstm":
        return torch._VF.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
    if cell == "gru":
        return torch._VF.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh), None
    return torch._VF.rnn_tanh_cell(x, h, w_ih, w_hh, b_ih, b_hh), None


def torch_variant(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_peep, w_hr, coupled):
    """An LSTM with peepholes / coupled gates / projection as kernels.h states it: (y, h_n, c_n)."""
    hdim = c0.shape[1]
    h, c, ys = h0, c0, []
    for t in range(x.shape[0]):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        if coupled:
            ai, ag, ao = a[:, :hdim], a[:, hdim:2 * hdim], a[:, 2 * hdim:]
            pi, po = (w_peep[0], w_peep[1]) if w_peep is not None else (0, 0)
            i = torch.sigmoid(ai + pi * c)
            f = 1 - i
        else:
            ai, af, ag, ao = (a[:, k * hdim:(k + 1) * hdim] for k in range(4))
            pi, pf, po = (w_peep[0], w_peep[1], w_peep[2]) if w_peep is not None else (0, 0, 0)
            i = torch.sigmoid(ai + pi * c)
            f = torch.sigmoid(af + pf * c)
        c = f * c + i * torch.tanh(ag)
        o = torch.sigmoid(ao + po * c)
        h = o * torch.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        ys.append(h)
    return torch.stack(ys), h, c


def torch_attention(q, k, v, score, w, w_q, w_k, w_v, key_lengths, causal):
    """Masked attention of kernels.h: (out, weights)."""
    if score == "dot":
        s = q @ k.transpose(-1, -2)
    elif score == "scaled_dot":
        s = q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1])
    elif score == "bilinear":
        s = q @ w @ k.transpose(-1, -2)
    else:
        s = torch.tanh((q @ w_q.T).unsqueeze(-2) + (k @ w_k.T).unsqueeze(-3)) @ w_v
    b, _, tq, tk = s.shape
    i, j = np.arange(tq)[:, None], np.arange(tk)[None, :]
    mask = np.zeros((b, 1, tq, tk), bool)
    if key_lengths is not None:
        mask |= j >= np.asarray(key_lengths)[:, None, None, None]
    if causal:
        mask |= j > i + tk - tq
    mask = torch.tensor(mask)
    s = s.masked_fill(mask, -np.inf)
    wts = torch.nan_to_num(torch.softmax(s, -1), nan=0.0)
    return wts @ v, wts


# ---------------------------------------------------------------- kernels ---
def test_cells(ctx, f):
    for cell, g in (("lstm", 4), ("gru", 3), ("rnn_tanh", 1)):
        b, i, h = 3, 5, 4
        x, w_ih, w_hh, b_ih, b_hh, h0, c0 = f(b, i), f(g * h, i), f(g * h, h), f(g * h), f(g * h), f(b, h), f(b, h)
        lstm = cell == "lstm"
        hn, cn, res = K.cell_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0 if lstm else None, cell=cell, reserve=True,
                                     ctx=ctx)
        tv = [T(a, True) for a in (x, w_ih, w_hh, b_ih, b_hh, h0, c0)]
        rh, rc = torch_cell(cell, tv[0], tv[5], tv[6], *tv[1:5])
        near(hn, rh, 1e-5, "cell_forward %s h'" % cell)
        if lstm:
            near(cn, rc, 1e-5, "cell_forward lstm c'")
        dh, dc = f(b, h), f(b, h)
        grads = K.cell_backward(x, w_ih, w_hh, res, dh, dc if lstm else None, b_ih, b_hh, h0, c0 if lstm else None,
                                cell=cell, ctx=ctx)
        loss = (rh * T(dh)).sum() + ((rc * T(dc)).sum() if lstm else 0)
        loss.backward()
        for name, t in (("dx", tv[0]), ("dw_ih", tv[1]), ("dw_hh", tv[2]), ("db_ih", tv[3]), ("db_hh", tv[4]),
                        ("dh0", tv[5])) + ((("dc0", tv[6]),) if lstm else ()):
            near(grads[name], t.grad, 1e-5, "cell_backward %s %s" % (cell, name))


def test_rnn_backward(ctx, f):
    """rnn_backward (test_api compares the forward only) against nn.LSTM's autograd, with lengths."""
    t_, b, i, h = 5, 3, 4, 3
    x, w_ih, w_hh, b_ih, b_hh = f(t_, b, i), f(4 * h, i), f(4 * h, h), f(4 * h), f(4 * h)
    lengths = np.array([5, 2, 4], np.int32)
    y, hn, cn, res = K.rnn_forward(x, w_ih, w_hh, b_ih, b_hh, lengths=lengths, reserve=True, ctx=ctx)
    dy = f(t_, b, h)
    g = K.rnn_backward(x, w_ih, w_hh, res, dy, b_ih=b_ih, b_hh=b_hh, lengths=lengths, ctx=ctx)
    tv = [T(a, True) for a in (x, w_ih, w_hh, b_ih, b_hh)]
    lstm = torch.nn.LSTM(i, h)
    with torch.no_grad():
        for p, a in zip((lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0), tv[1:]):
            p.copy_(a)
    packed = torch.nn.utils.rnn.pack_padded_sequence(tv[0], torch.tensor(lengths), enforce_sorted=False)
    out, _ = lstm(packed)
    ry, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=t_)
    near(y, ry, 1e-5, "rnn_forward lstm with lengths")
    (ry * T(dy)).sum().backward()
    near(g["dx"], tv[0].grad, 1e-5, "rnn_backward dx")
    near(g["dw_ih"], lstm.weight_ih_l0.grad, 1e-5, "rnn_backward dw_ih")
    near(g["dw_hh"], lstm.weight_hh_l0.grad, 1e-5, "rnn_backward dw_hh")
    near(g["db_hh"], lstm.bias_hh_l0.grad, 1e-5, "rnn_backward db_hh")


def test_variants(ctx, f):
    t_, b, i, h, p = 4, 2, 3, 5, 2
    for peephole, coupled, proj in ((True, False, 0), (False, True, 0), (True, True, 0), (False, False, p),
                                    (True, True, p)):
        g, r = (3 if coupled else 4), (proj or h)
        x, w_ih, w_hh, b_ih, b_hh = f(t_, b, i), f(g * h, i), f(g * h, r), f(g * h), f(g * h)
        h0, c0 = f(b, r), f(b, h)
        w_peep = f(2 if coupled else 3, h) if peephole else None
        w_hr = f(proj, h) if proj else None
        what = "lstm_variant peephole=%d coupled=%d proj=%d" % (peephole, coupled, proj)
        y, hn, cn, res = K.lstm_variant_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_peep, w_hr, peephole=peephole,
                                                coupled=coupled, proj_size=proj, reserve=True, ctx=ctx)
        arrs = [x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_peep, w_hr]
        tv = [None if a is None else T(a, True) for a in arrs]
        ry, rh, rc = torch_variant(*tv, coupled=coupled)
        near(y, ry, 1e-5, what + " y")
        near(hn, rh, 1e-5, what + " h_n")
        near(cn, rc, 1e-5, what + " c_n")
        if proj and not peephole:
            ref = torch.nn.LSTM(i, h, proj_size=proj)
            with torch.no_grad():
                for prm, a in zip((ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0,
                                   ref.weight_hr_l0), (w_ih, w_hh, b_ih, b_hh, w_hr)):
                    prm.copy_(T(a))
                ty, _ = ref(T(x), (T(h0)[None], T(c0)[None]))
            near(y, ty, 1e-5, what + ": y as nn.LSTM(proj_size) has it")
        dy, dhn, dcn = f(t_, b, r), f(b, r), f(b, h)
        gr = K.lstm_variant_backward(x, w_ih, w_hh, res, dy, dhn, dcn, b_ih, b_hh, h0, c0, w_peep, w_hr,
                                     peephole=peephole, coupled=coupled, proj_size=proj, ctx=ctx)
        ((ry * T(dy)).sum() + (rh * T(dhn)).sum() + (rc * T(dcn)).sum()).backward()
        for name, k in (("dx", 0), ("dw_ih", 1), ("dw_hh", 2), ("db_ih", 3), ("db_hh", 4), ("dh0", 5), ("dc0", 6),
                        ("dw_peep", 7), ("dw_hr", 8)):
            if tv[k] is not None:
                near(gr[name], tv[k].grad, 1e-5, what + " " + name)


def test_conv_pool(ctx, f):
    x, w, bias = f(2, 3, 10), f(4, 3, 3), f(4)
    tx, tw, tb = T(x, True), T(w, True), T(bias, True)
    ry = F.conv1d(tx, tw, tb, stride=2, padding=2, dilation=2)
    dy = f(*ry.shape)
    g = K.conv1d_backward(x, w, dy, stride=2, padding=2, dilation=2, ctx=ctx)
    (ry * T(dy)).sum().backward()
    near(g["dx"], tx.grad, 1e-6, "conv1d_backward dx (stride 2, padding 2, dilation 2)")
    near(g["dweight"], tw.grad, 1e-6, "conv1d_backward dweight")
    near(g["dbias"], tb.grad, 1e-6, "conv1d_backward dbias")
    y, am = K.maxpool(x, ctx=ctx)
    dyp = f(2, 3)
    want = np.zeros(x.shape)
    for b in range(2):
        for c in range(3):
            want[b, c, am[b, c]] = dyp[b, c]
    near(K.maxpool_backward(dyp, am, 10, ctx=ctx), want, 0, "maxpool_backward: dy at the argmax, zeros elsewhere")
    lengths = np.array([3, 10], np.int32)
    yl, aml = K.maxpool_lengths(x, lengths, ctx=ctx)
    check(np.array_equal(yl[0], x[0, :, :3].max(1)) and np.array_equal(aml[0], x[0, :, :3].argmax(1))
          and np.array_equal(yl[1], y[1]) and np.array_equal(aml[1], am[1]),
          "maxpool_lengths: max and argmax over each row's first lengths[b] positions")
    yn, amn = K.maxpool_lengths(x, ctx=ctx)
    check(np.array_equal(yn, y) and np.array_equal(amn, am), "maxpool_lengths without lengths = maxpool")


def test_conv_max(ctx, f):
    x, w, bias = f(2, 3, 10), f(4, 3, 3), f(4)
    lengths = np.array([4, 8], np.int32)
    tx, tw, tb = T(x, True), T(w, True), T(bias, True)
    conv = F.conv1d(tx, tw, tb)
    z = torch.relu(conv)
    y, am, pre = K.conv1d_max(x, w, bias, "relu", lengths=lengths, ctx=ctx)
    want = torch.stack([z[b, :, :lengths[b]].max(1).values for b in range(2)])
    near(y, want.detach(), 1e-6, "conv1d_max: relu(conv) maxima over each row's first lengths[b] positions")
    check(all(0 <= am[b, o] < lengths[b] and abs(float(z[b, o, am[b, o]]) - float(want[b, o])) < 1e-6
              for b in range(2) for o in range(4)), "conv1d_max: argmax within lengths, at a maximum")
    near(pre, np.array([[float(conv[b, o, am[b, o]]) for o in range(4)] for b in range(2)]), 1e-6,
         "conv1d_max: pre is the conv at the argmax")
    dy = f(2, 4)
    g = K.conv1d_max_backward(x, w, am, dy, ctx=ctx)
    scattered = torch.zeros_like(conv)
    for b in range(2):
        for o in range(4):
            scattered[b, o, am[b, o]] = float(dy[b, o])
    (conv * scattered).sum().backward()
    near(g["dx"], tx.grad, 1e-6, "conv1d_max_backward dx = conv1d's for dy at the argmax")
    near(g["dweight"], tw.grad, 1e-6, "conv1d_max_backward dweight")
    near(g["dbias"], tb.grad, 1e-6, "conv1d_max_backward dbias")
    raises(ValueError, lambda: K.conv1d_max_backward(x, w, am + 8, dy, ctx=ctx), "conv1d_max_backward: argmax past L_out")


def test_copy2d(ctx, f):
    x, y = f(5, 7), f(5, 11)
    x[1, 2], x[3, 0] = np.nan, -np.inf
    got = K.copy2d(x, y, 6, ctx=ctx)
    want = y.copy()
    want[:, :6] = x[:, :6]
    check(got.tobytes() == want.tobytes(), "copy2d: the first 6 columns bit for bit (NaN, -inf), the rest kept")
    raises(ValueError, lambda: K.copy2d(x, f(5, 4), ctx=ctx), "copy2d: cols wider than y")
    raises(TypeError, lambda: K.copy2d(x.astype(np.float64), y, ctx=ctx), "copy2d: float64 x")


def test_attention(ctx, f):
    b, hd, tq, tk, d = 2, 2, 3, 4, 5
    for score in ("dot", "scaled_dot", "bilinear", "additive"):
        heads = 1 if score in ("bilinear", "additive") else hd
        q, k, v = f(b, heads, tq, d), f(b, heads, tk, d), f(b, heads, tk, 3)
        w = f(d, d) if score == "bilinear" else None
        wq, wk, wv = (f(6, d), f(6, d), f(6)) if score == "additive" else (None, None, None)
        for key_lengths, causal in ((None, False), (np.array([4, 2], np.int32), True)):
            what = "attention %s%s" % (score, " (key lengths, causal)" if causal else "")
            out, wts = K.attention(q, k, v, score, w=w, w_q=wq, w_k=wk, w_v=wv, key_lengths=key_lengths,
                                   causal=causal, ctx=ctx)
            tv = [None if a is None else T(a, True) for a in (q, k, v, w, wq, wk, wv)]
            ro, rw = torch_attention(*tv[:3], score, *tv[3:], key_lengths, causal)
            near(out, ro, 1e-5, what + " out")
            near(wts, rw, 1e-5, what + " weights")
            dout = f(*out.shape)
            g = K.attention_backward(q, k, v, wts, dout, score, w=w, w_q=wq, w_k=wk, w_v=wv, key_lengths=key_lengths,
                                     causal=causal, ctx=ctx)
            (ro * T(dout)).sum().backward()
            for name, t in zip(("dq", "dk", "dv", "dw", "dw_q", "dw_k", "dw_v"), tv):
                if t is not None:
                    near(g[name], t.grad, 1e-5, what + " " + name)


def test_optimizers(ctx, f):
    p0, grads = f(12), [f(12) for _ in range(3)]
    for centered, momentum, wd in ((False, 0.0, 0.0), (True, 0.9, 0.01)):
        tp = T(p0, True)
        opt = torch.optim.RMSprop([tp], lr=0.01, alpha=0.9, eps=1e-8, weight_decay=wd, momentum=momentum,
                                  centered=centered)
        p, sq, mb, ga = p0, np.zeros(12, np.float32), np.zeros(12, np.float32), np.zeros(12, np.float32)
        for gr in grads:
            tp.grad = T(gr)
            opt.step()
            p, sq, mb2, ga2 = K.rmsprop_step(p, gr, sq, lr=0.01, alpha=0.9, eps=1e-8, weight_decay=wd,
                                             momentum=momentum, centered=centered,
                                             momentum_buf=mb if momentum else None, grad_avg=ga if centered else None,
                                             ctx=ctx)
            mb, ga = (mb2 if mb2 is not None else mb), (ga2 if ga2 is not None else ga)
        near(p, tp, 1e-6, "rmsprop_step x3 centered=%d momentum=%g = torch.optim.RMSprop" % (centered, momentum))
    tp = T(p0, True)
    opt = torch.optim.Adagrad([tp], lr=0.1, lr_decay=0.01, weight_decay=0.02, eps=1e-10)
    p, s = p0, np.zeros(12, np.float32)
    for step, gr in enumerate(grads, 1):
        tp.grad = T(gr)
        opt.step()
        p, s = K.adagrad_step(p, gr, s, step, lr=0.1, lr_decay=0.01, weight_decay=0.02, ctx=ctx)
    near(p, tp, 1e-6, "adagrad_step x3 = torch.optim.Adagrad (lr decay, weight decay)")
    tp = T(p0, True)
    opt = torch.optim.Adam([tp], lr=0.01, amsgrad=True)
    p, m, v, vm = p0, *(np.zeros(12, np.float32) for _ in range(3))
    for step, gr in enumerate(grads, 1):
        tp.grad = T(gr)
        opt.step()
        p, m, v, vm = K.adam_step(p, gr, m, v, step, lr=0.01, amsgrad=True, max_exp_avg_sq=vm, ctx=ctx)
    near(p, tp, 1e-6, "adam_step x3 amsgrad = torch.optim.Adam(amsgrad=True)")


def test_xent_ext(ctx, f):
    logits, weight = f(6, 5), np.abs(f(5)) + 0.1
    target = np.array([0, 3, -100, 4, 1, 3], np.int32)
    for w, eps, red in ((None, 0.0, "mean"), (weight, 0.1, "mean"), (weight, 0.2, "sum"), (weight, 0.1, "none")):
        what = "cross_entropy_ext weight=%s smoothing=%g %s" % (w is not None, eps, red)
        tl = T(logits, True)
        ref = F.cross_entropy(tl, torch.tensor(target, dtype=torch.long), None if w is None else T(w),
                              ignore_index=-100, reduction=red, label_smoothing=eps)
        got = K.cross_entropy_ext(logits, target, w, eps, reduction=red, ctx=ctx)
        near(got, ref, 1e-6, what)
        up = f(6) if red == "none" else None
        (ref * 0.5 * (T(up) if up is not None else 1)).sum().backward()
        d = K.cross_entropy_ext_backward(logits, target, w, eps, reduction=red, dloss=0.5, dlosses=up, ctx=ctx)
        near(d, tl.grad, 1e-6, what + " backward")


def test_checks(ctx, f):
    """Each new wrapper checks dtypes and shapes before the call."""
    x3, w = f(2, 3, 4), f(4, 3, 3)
    cases = [
        ("cell_forward", lambda a: K.cell_forward(a, f(16, 5), f(16, 4), ctx=ctx), f(3, 5)),
        ("conv1d_backward", lambda a: K.conv1d_backward(a, w, f(2, 4, 2), ctx=ctx), x3),
        ("maxpool_backward", lambda a: K.maxpool_backward(a, np.zeros((2, 3), np.int32), 4, ctx=ctx), f(2, 3)),
        ("maxpool_lengths", lambda a: K.maxpool_lengths(a, np.array([1, 4], np.int32), ctx=ctx), x3),
        ("attention", lambda a: K.attention(a, f(1, 1, 2, 4), f(1, 1, 2, 4), ctx=ctx), f(1, 1, 2, 4)),
        ("rmsprop_step", lambda a: K.rmsprop_step(a, f(4), f(4), ctx=ctx), f(4)),
        ("adagrad_step", lambda a: K.adagrad_step(a, f(4), f(4), 1, ctx=ctx), f(4)),
        ("cross_entropy_ext", lambda a: K.cross_entropy_ext(a, np.zeros(2, np.int32), ctx=ctx), f(2, 3)),
        ("lstm_variant_forward", lambda a: K.lstm_variant_forward(a, f(12, 4), f(12, 4), coupled=True, ctx=ctx),
         f(2, 1, 4)),
    ]
    for name, fn, good in cases:
        raises(TypeError, lambda: fn(good.astype(np.float64)), "%s of a float64 array" % name)
        raises(ValueError, lambda: fn(good[None]), "%s of an array of one more dimension" % name)
    raises(TypeError, lambda: K.maxpool_lengths(x3, np.array([1, 4], np.int64), ctx=ctx), "int64 lengths")
    raises(ValueError, lambda: K.maxpool_backward(f(2, 3), np.full((2, 3), 4, np.int32), 4, ctx=ctx),
           "maxpool_backward with an argmax past the length")
    raises(seqnn.InvalidArgument, lambda: K.maxpool_lengths(x3, np.array([0, 4], np.int32), ctx=ctx),
           "a length 0 (the library's check)")
    raises(ValueError, lambda: K.lstm_variant_forward(f(2, 1, 4), f(16, 4), f(16, 4), peephole=True, ctx=ctx),
           "peephole without w_peep")
    raises(ValueError, lambda: K.cross_entropy_ext_backward(f(2, 3), np.zeros(2, np.int32), reduction="none",
                                                            ctx=ctx), "reduction none without dlosses")


# ---------------------------------------------------------------- tensors ---
def test_tensors(ctx, f):
    a, b = f(5, 7), f(7, 3)
    ta, tb = ctx.tensor(a), ctx.tensor(b)
    check(isinstance(ta, seqnn.Tensor) and ta.shape == (5, 7) and ta.dtype == np.float32
          and np.array_equal(ta.numpy(), a), "ctx.tensor(a): shape, dtype, contents")
    tc = K.gemm(ta, tb)
    check(isinstance(tc, seqnn.Tensor) and np.array_equal(tc.numpy(), K.gemm(a, b, ctx=ctx)),
          "gemm on Tensors returns a Tensor equal to the numpy path's result")
    ts = K.softmax(K.gemm(tc, ctx.tensor(f(3, 4))))
    check(isinstance(ts, seqnn.Tensor) and np.allclose(ts.numpy().sum(1), 1, atol=1e-6),
          "a chain of kernels on Tensors stays on the device")
    mixed = K.add(ta, a)
    check(isinstance(mixed, seqnn.Tensor) and np.array_equal(mixed.numpy(), 2 * a), "a Tensor and an array mixed")
    x, w_ih, w_hh = f(4, 2, 3), f(8, 3), f(8, 2)
    tx, ti, th = ctx.tensor(x), ctx.tensor(w_ih), ctx.tensor(w_hh)
    y, hn, cn, res = K.rnn_forward(tx, ti, th, reserve=True)
    ny, _, _, nres = K.rnn_forward(x, w_ih, w_hh, reserve=True, ctx=ctx)
    check(isinstance(res, seqnn.Tensor) and np.array_equal(y.numpy(), ny), "rnn_forward on Tensors, reserve a Tensor")
    g = K.rnn_backward(tx, ti, th, res, ctx.tensor(np.ones((4, 2, 2), np.float32)))
    gn = K.rnn_backward(x, w_ih, w_hh, nres, np.ones((4, 2, 2), np.float32), ctx=ctx)
    check(all(np.array_equal(g[k].numpy(), gn[k]) for k in gn), "rnn_backward on Tensors = on arrays")
    p, gr = f(6), f(6)
    tp, tm, tv = ctx.tensor(p), ctx.empty((6,)), ctx.empty((6,))
    r = K.adam_step(tp, ctx.tensor(gr), tm, tv, 1, lr=0.1)
    want = K.adam_step(p, gr, np.zeros(6, np.float32), np.zeros(6, np.float32), 1, lr=0.1, ctx=ctx)
    check(r[0] is tp and r[1] is tm and np.array_equal(tp.numpy(), want[0]) and np.array_equal(tm.numpy(), want[1]),
          "adam_step updates Tensor parameters and state in place")
    tx2 = ctx.tensor(x)
    check(np.array_equal(K.clip_scale(tx2, 100.0, 1.0).numpy(), K.clip_scale(x, 100.0, 1.0, ctx=ctx))
          and np.array_equal(tx2.numpy(), K.clip_scale(x, 100.0, 1.0, ctx=ctx)), "clip_scale scales a Tensor in place")
    v = ta.reshape(35)
    check(v.shape == (35,) and np.array_equal(v.numpy(), a.ravel()) and ta.reshape(-1, 5).shape == (7, 5),
          "reshape: a view of the same buffer")
    raises(ValueError, lambda: ta.reshape(6, 6), "reshape to another size")
    raises(TypeError, lambda: K.gemm(ctx.tensor(a.astype(np.int32)), tb), "gemm of an int32 Tensor")
    raises(ValueError, lambda: K.gemm(ta, ta), "gemm of Tensors [5, 7] x [5, 7]")
    raises(TypeError, lambda: ta.write(a.astype(np.int32)), "writing int32 into a float32 Tensor")
    with seqnn.Context("ref") as other:
        raises(ValueError, lambda: K.gemm(ta, other.tensor(b)), "Tensors of two contexts in one call")
        t_other = other.tensor(a)
    raises(seqnn.ClosedError, lambda: t_other.numpy(), "a Tensor whose context was closed")
    raises(seqnn.ClosedError, lambda: K.gemm(t_other, tb), "a kernel on a Tensor whose context was closed")
    ta.close()
    raises(seqnn.ClosedError, lambda: v.numpy(), "a view of a closed Tensor")


def test_out(ctx, f):
    """out= on every wrapper that takes it, on numpy arrays and on Tensors."""
    a, b, c, x, y = f(5, 7), f(7, 3), f(5, 3), f(4, 6), f(4, 6)
    bias, idx, p = f(6), np.array([[1, 0], [3, 2]], np.int32), f(2, 3, 5)
    calls = [   # (name, the call with out, the result's shape)
        ("gemm", lambda o, m: K.gemm(m(a), m(b), ctx=ctx, out=o), (5, 3)),
        ("gemm beta=1", lambda o, m: K.gemm(m(a), m(b), m(c), beta=1.0, alpha=0.5, ctx=ctx, out=o), (5, 3)),
        ("bias_add", lambda o, m: K.bias_add(m(x), m(bias), ctx=ctx, out=o), (4, 6)),
        ("activation leaky_relu", lambda o, m: K.activation(m(x), "leaky_relu", 0.1, ctx=ctx, out=o), (4, 6)),
        ("sigmoid", lambda o, m: K.sigmoid(m(x), ctx=ctx, out=o), (4, 6)),
        ("tanh", lambda o, m: K.tanh(m(x), ctx=ctx, out=o), (4, 6)),
        ("relu", lambda o, m: K.relu(m(x), ctx=ctx, out=o), (4, 6)),
        ("add", lambda o, m: K.add(m(x), m(y), 2.0, -1.0, ctx=ctx, out=o), (4, 6)),
        ("mul", lambda o, m: K.mul(m(x), m(y), ctx=ctx, out=o), (4, 6)),
        ("scale", lambda o, m: K.scale(m(x), 3.0, ctx=ctx, out=o), (4, 6)),
        ("softmax", lambda o, m: K.softmax(m(x), ctx=ctx, out=o), (4, 6)),
        ("log_softmax", lambda o, m: K.softmax(m(x), log=True, ctx=ctx, out=o), (4, 6)),
        ("embedding", lambda o, m: K.embedding(m(idx), m(x), ctx=ctx, out=o), (2, 2, 6)),
    ]
    host = lambda v: v                  # noqa: E731
    dev = lambda v: ctx.tensor(v)       # noqa: E731
    for name, call, shape in calls:
        want = call(None, host)
        o = np.full(shape, np.nan, np.float32)
        r = call(o, host)
        check(r is o and np.array_equal(o, want), "%s(out=array): that array, the bits of a new result" % name)
        t = ctx.tensor(np.full(shape, np.nan, np.float32))
        r = call(t, dev)
        check(r is t and np.array_equal(t.numpy(), want), "%s(out=Tensor): that Tensor, the same bits" % name)
    yo, ao = np.zeros((2, 3), np.float32), np.full((2, 3), -7, np.int32)
    y1, a1 = K.maxpool(p, ctx=ctx)
    r = K.maxpool(p, ctx=ctx, out=(yo, ao))
    check(r[0] is yo and r[1] is ao and np.array_equal(yo, y1) and np.array_equal(ao, a1), "maxpool(out=(y, argmax))")
    # in place: an input as the output
    xi = x.copy()
    K.softmax(xi, ctx=ctx, out=xi)
    check(np.array_equal(xi, K.softmax(x, ctx=ctx)), "softmax(x, out=x) on an array: in place")
    ci = c.copy()
    K.gemm(a, b, ci, beta=1.0, ctx=ctx, out=ci)
    check(np.array_equal(ci, K.gemm(a, b, c, beta=1.0, ctx=ctx)), "gemm(a, b, c, beta=1, out=c): C += AB in place")
    ai = f(3, 3)
    a0 = ai.copy()
    K.gemm(ai, a0, a0, beta=1.0, ctx=ctx, out=ai)
    check(np.array_equal(ai, K.gemm(a0, a0, a0, beta=1.0, ctx=ctx)), "gemm(a, b, c, out=a) on arrays: a read first")
    tc = ctx.tensor(c)
    r = K.gemm(ctx.tensor(a), ctx.tensor(b), tc, beta=1.0, out=tc)
    check(r is tc and np.array_equal(tc.numpy(), K.gemm(a, b, c, beta=1.0, ctx=ctx)), "gemm on Tensors, out=c: in place")
    tx = ctx.tensor(x)
    K.add(tx, ctx.tensor(y), out=tx)
    check(np.array_equal(tx.numpy(), K.add(x, y, ctx=ctx)), "add(x, y, out=x) on Tensors: in place")
    # refused, before anything is written
    raises(TypeError, lambda: K.gemm(a, b, ctx=ctx, out=np.zeros((5, 3), np.float64)), "out= of float64")
    raises(ValueError, lambda: K.gemm(a, b, ctx=ctx, out=np.zeros((3, 5), np.float32)), "out= of another shape")
    raises(ValueError, lambda: K.gemm(a, b, ctx=ctx, out=np.zeros((5, 6), np.float32)[:, :3]), "out= not contiguous")
    ro = np.zeros((5, 3), np.float32)
    ro.flags.writeable = False
    raises(ValueError, lambda: K.gemm(a, b, ctx=ctx, out=ro), "out= read-only")
    raises(TypeError, lambda: K.gemm(a, b, ctx=ctx, out=[0.0] * 15), "out= a list")
    raises(TypeError, lambda: K.gemm(ctx.tensor(a), ctx.tensor(b), out=np.zeros((5, 3), np.float32)),
           "out= an array when the inputs are Tensors")
    raises(TypeError, lambda: K.maxpool(p, ctx=ctx, out=yo), "maxpool out= not a pair")
    raises(TypeError, lambda: K.maxpool(p, ctx=ctx, out=(yo, np.zeros((2, 3), np.float32))), "maxpool argmax out= float32")
    with seqnn.Context("ref") as other:
        raises(ValueError, lambda: K.gemm(ctx.tensor(a), ctx.tensor(b), out=other.empty((5, 3))),
               "out= a Tensor of another context")
    s = f(3, 3)
    t1, t2, t3 = ctx.tensor(s), ctx.tensor(s), ctx.tensor(s)
    raises(ValueError, lambda: K.gemm(t1, t2, t3, beta=1.0, out=t1), "gemm on Tensors, out= the input a (c copied first)")
    check(np.array_equal(t1.numpy(), s), "the refused out= left the input untouched")
    raises(ValueError, lambda: K.softmax(t1.reshape(9).reshape(3, 3), out=t1), "softmax on Tensors, out= a view of x")


def main():
    kernels_def = sys.argv[1]
    print("library:", seqnn.LIBRARY_PATH)
    test_catalogue(kernels_def)
    for d in seqnn.devices():
        if d.score <= 0:
            continue
        print("kernels on %s:" % d.spec)
        rng = np.random.default_rng(3)
        f = lambda *s: rng.standard_normal(s).astype(np.float32)   # noqa: E731
        with seqnn.Context(d.plugin) as ctx:
            for t in (test_cells, test_rnn_backward, test_variants, test_conv_pool, test_conv_max, test_copy2d, test_attention, test_optimizers,
                      test_xent_ext, test_checks, test_tensors, test_out):
                t(ctx, f)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
