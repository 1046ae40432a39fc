"""Kernels of the catalogue on numpy arrays, for people who bring their own
framework: seqnn.kernels.gemm(a, b), lstm_forward(x, w_ih, w_hh, ...), ...

Every function checks dtypes (float32 tensors, int32 indices: exactly, no
silent conversion; TypeError otherwise) and shapes (ValueError) in Python,
then copies the arrays into buffers of the context (default:
seqnn.default_context()), runs the kernel through seqnn_kernel_run and
returns new arrays; the library checks the arguments again and a failure
raises with its message. Layouts and equations are those of
include/seqnn/kernels.h (time-major sequences, PyTorch's weight layouts and
gate orders).

Table-driven: ARGS maps a kernel's name to its argument structure, WRAPPERS
to its function; a wrapper states shapes, fills the structure's scalars and
names the tensor fields it writes in and reads back (_Call, which does the
buffers and the call). covered() lists the kernels with a wrapper, missing()
those of the library's catalogue still without one.
"""
from __future__ import annotations

import ctypes
from ctypes import POINTER, Structure, c_double, c_int, c_int32, c_int64, c_uint32, c_uint64
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _lib
from ._lib import Tref, enc, enum_value, lib
from .backends import Context, default_context
from .model import ACTIVATIONS, CELLS

Array = np.ndarray
OVERWRITE = 1
_F32, _I32 = 0, 1


# ------------------------------------------------------- argument structs ---
class GemmArgs(Structure):
    _fields_ = [("trans_a", c_int), ("trans_b", c_int), ("m", c_int64), ("n", c_int64), ("k", c_int64),
                ("alpha", c_double), ("beta", c_double), ("a", Tref), ("lda", c_int64), ("b", Tref),
                ("ldb", c_int64), ("c", Tref), ("ldc", c_int64), ("batch", c_int64), ("stride_a", c_int64),
                ("stride_b", c_int64), ("stride_c", c_int64), ("flags", c_uint32)]


class BiasArgs(Structure):
    _fields_ = [("rows", c_int64), ("cols", c_int64), ("y", Tref), ("ldy", c_int64), ("b", Tref),
                ("dy", Tref), ("db", Tref), ("flags", c_uint32)]


class ActArgs(Structure):
    _fields_ = [("kind", c_int), ("alpha", c_double), ("n", c_int64), ("x", Tref), ("y", Tref), ("dy", Tref),
                ("dx", Tref), ("flags", c_uint32)]


class EwArgs(Structure):
    _fields_ = [("n", c_int64), ("alpha", c_double), ("beta", c_double), ("x", Tref), ("y", Tref), ("z", Tref),
                ("flags", c_uint32)]


class SoftmaxArgs(Structure):
    _fields_ = [("log", c_int), ("rows", c_int64), ("cols", c_int64), ("x", Tref), ("y", Tref), ("dy", Tref),
                ("dx", Tref), ("flags", c_uint32)]


class XentArgs(Structure):
    _fields_ = [("rows", c_int64), ("cols", c_int64), ("logits", Tref), ("target", Tref),
                ("ignore_index", c_int32), ("reduction", c_int), ("loss", Tref), ("dloss", c_double),
                ("dlogits", Tref), ("flags", c_uint32)]


class LossArgs(Structure):
    _fields_ = [("n", c_int64), ("x", Tref), ("target", Tref), ("reduction", c_int), ("loss", Tref),
                ("dloss", c_double), ("dx", Tref), ("flags", c_uint32)]


class EmbeddingArgs(Structure):
    _fields_ = [("n", c_int64), ("vocab", c_int64), ("dim", c_int64), ("idx", Tref), ("padding_idx", c_int32),
                ("weight", Tref), ("y", Tref), ("ldy", c_int64), ("dy", Tref), ("dweight", Tref),
                ("flags", c_uint32)]


class DropoutArgs(Structure):
    _fields_ = [("n", c_int64), ("p", c_double), ("seed", c_uint64), ("offset", c_uint64), ("x", Tref),
                ("y", Tref), ("dy", Tref), ("dx", Tref), ("flags", c_uint32)]


class RnnArgs(Structure):
    _fields_ = [("cell", c_int), ("seq_len", c_int64), ("batch", c_int64), ("input_size", c_int64),
                ("hidden_size", c_int64), ("reverse", c_int), ("lengths", POINTER(c_int32)), ("x", Tref),
                ("ldx", c_int64), ("w_ih", Tref), ("w_hh", Tref), ("b_ih", Tref), ("b_hh", Tref), ("h0", Tref),
                ("c0", Tref), ("y", Tref), ("ldy", c_int64), ("h_n", Tref), ("c_n", Tref), ("reserve", Tref),
                ("dy", Tref), ("dh_n", Tref), ("dc_n", Tref), ("dx", Tref), ("dw_ih", Tref), ("dw_hh", Tref),
                ("db_ih", Tref), ("db_hh", Tref), ("dh0", Tref), ("dc0", Tref), ("flags", c_uint32)]


class Conv1dArgs(Structure):
    _fields_ = [("batch", c_int64), ("in_channels", c_int64), ("out_channels", c_int64), ("in_len", c_int64),
                ("kernel_size", c_int64), ("stride", c_int64), ("padding", c_int64), ("dilation", c_int64),
                ("x", Tref), ("x_sb", c_int64), ("x_sc", c_int64), ("x_sl", c_int64), ("weight", Tref),
                ("bias", Tref), ("y", Tref), ("y_sb", c_int64), ("y_sc", c_int64), ("y_sl", c_int64), ("dy", Tref),
                ("dx", Tref), ("dweight", Tref), ("dbias", Tref), ("flags", c_uint32)]


class MaxpoolArgs(Structure):
    _fields_ = [("batch", c_int64), ("channels", c_int64), ("len", c_int64), ("x", Tref), ("x_sb", c_int64),
                ("x_sc", c_int64), ("x_sl", c_int64), ("y", Tref), ("y_sb", c_int64), ("y_sc", c_int64),
                ("argmax", Tref), ("dy", Tref), ("dx", Tref), ("flags", c_uint32)]


class SgdArgs(Structure):
    _fields_ = [("n", c_int64), ("param", Tref), ("grad", Tref), ("momentum_buf", Tref), ("lr", c_double),
                ("momentum", c_double), ("dampening", c_double), ("weight_decay", c_double), ("nesterov", c_int),
                ("step", c_int64), ("flags", c_uint32)]


class AdamArgs(Structure):
    _fields_ = [("n", c_int64), ("param", Tref), ("grad", Tref), ("exp_avg", Tref), ("exp_avg_sq", Tref),
                ("max_exp_avg_sq", Tref), ("lr", c_double), ("beta1", c_double), ("beta2", c_double),
                ("eps", c_double), ("weight_decay", c_double), ("decoupled", c_int), ("amsgrad", c_int),
                ("step", c_int64), ("flags", c_uint32)]


class SumsqArgs(Structure):
    _fields_ = [("n", c_int64), ("x", Tref), ("result", Tref), ("flags", c_uint32)]


class ClipArgs(Structure):
    _fields_ = [("n", c_int64), ("x", Tref), ("sumsq", Tref), ("max_norm", c_double), ("flags", c_uint32)]


ARGS: Dict[str, type] = {
    "gemm": GemmArgs, "bias_add": BiasArgs, "bias_backward": BiasArgs,
    "act_forward": ActArgs, "act_backward": ActArgs, "add": EwArgs, "mul": EwArgs, "scale": EwArgs,
    "softmax_forward": SoftmaxArgs, "softmax_backward": SoftmaxArgs,
    "xent_forward": XentArgs, "xent_backward": XentArgs,
    "mse_forward": LossArgs, "mse_backward": LossArgs, "bce_forward": LossArgs, "bce_backward": LossArgs,
    "embedding_forward": EmbeddingArgs, "embedding_backward": EmbeddingArgs,
    "dropout_forward": DropoutArgs, "dropout_backward": DropoutArgs,
    "rnn_forward": RnnArgs, "rnn_backward": RnnArgs, "cell_forward": RnnArgs, "cell_backward": RnnArgs,
    "conv1d_forward": Conv1dArgs, "conv1d_backward": Conv1dArgs, "maxpool_forward": MaxpoolArgs,
    "maxpool_backward": MaxpoolArgs, "sgd_step": SgdArgs, "adam_step": AdamArgs, "sumsq": SumsqArgs,
    "clip_scale": ClipArgs,
}
REDUCTIONS = ["mean", "sum", "none"]
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "gru_classic": 3}


# ------------------------------------------------------------------ engine ---
def check(a, name: str, dtype, shape: Sequence[Optional[int]]) -> Array:
    """a as a C-contiguous array of exactly dtype (np.float32 / np.int32) and
    shape (None: any extent). TypeError / ValueError naming the argument."""
    if not isinstance(a, np.ndarray):
        raise TypeError("seqnn.kernels: %s must be a numpy array of %s, not %s"
                        % (name, np.dtype(dtype).name, type(a).__name__))
    if a.dtype != dtype:
        raise TypeError("seqnn.kernels: %s must be %s, not %s" % (name, np.dtype(dtype).name, a.dtype))
    if a.ndim != len(shape) or any(w is not None and w != s for w, s in zip(shape, a.shape)):
        want = "[" + ", ".join("*" if w is None else str(w) for w in shape) + "]"
        raise ValueError("seqnn.kernels: %s must be %s, not %s" % (name, want, list(a.shape)))
    return np.ascontiguousarray(a)


class _Call:
    """One kernel call: the arrays to copy into buffers (tensor fields of the
    argument structure), those to read back after the call, then run()."""

    def __init__(self, name: str, args: Structure, ctx: Optional[Context]):
        self.name, self.args = name, args
        self.keep = None                 # a host array the structure points to (lengths)
        self.ctx = ctx if ctx is not None else default_context()
        self.tensors: List[Tuple[str, Array, bool]] = []

    def put(self, field: str, a: Optional[Array]) -> "_Call":
        """Tensor field from array a (None: absent)."""
        if a is not None:
            self.tensors.append((field, a, False))
        return self

    def out(self, field: str, shape: Sequence[int], dtype=np.float32, init: Optional[Array] = None) -> Array:
        """An output field: a new array of shape (init's contents, else zeros), filled by run()."""
        a = np.zeros(shape, dtype) if init is None else np.array(init, dtype=dtype, copy=True, order="C")
        self.tensors.append((field, a, True))
        return a

    def run(self) -> None:
        kid = _KERNEL_IDS.get(self.name)
        if kid is None:
            kid = _KERNEL_IDS[self.name] = lib.seqnn_kernel_find(enc(self.name))
        ctx = self.ctx.ptr
        bufs = []
        try:
            for field, a, _ in self.tensors:
                buf = _BufferP()
                lib.seqnn_buffer_alloc(ctx, _I32 if a.dtype == np.int32 else _F32, max(1, a.size), ctypes.byref(buf))
                bufs.append(buf)
                if a.size:
                    lib.seqnn_buffer_write(ctx, buf, 0, _data(a), a.size)
                setattr(self.args, field, Tref(buf, 0))
            lib.seqnn_kernel_run(ctx, kid, ctypes.byref(self.args))
            for (field, a, is_out), buf in zip(self.tensors, bufs):
                if is_out and a.size:
                    lib.seqnn_buffer_read(ctx, buf, 0, _data(a), a.size)
        finally:
            for buf in bufs:
                lib.seqnn_buffer_free(ctx, buf)


_KERNEL_IDS: Dict[str, int] = {}
_BufferP = POINTER(_lib.Buffer)


def _data(a: Array) -> int:
    """The address of a's first element (cheaper than a.ctypes.data)."""
    return a.__array_interface__["data"][0]


def covered() -> List[str]:
    """The kernels this module wraps (WRAPPERS: kernel name -> function)."""
    return sorted(WRAPPERS)


def catalogue() -> List[str]:
    """Every kernel of the library's catalogue, in id order."""
    out, i = [], 0
    while True:
        name = lib.seqnn_kernel_name(i)
        if not name:
            return out
        out.append(name.decode())
        i += 1


def missing() -> List[str]:
    """Kernels of the catalogue without a wrapper here yet."""
    return [k for k in catalogue() if k not in WRAPPERS]


# ---------------------------------------------------------------- wrappers ---
def gemm(a: Array, b: Array, c: Optional[Array] = None, alpha: float = 1.0, beta: float = 0.0,
         trans_a: bool = False, trans_b: bool = False, ctx: Optional[Context] = None) -> Array:
    """alpha * op(a) @ op(b) + beta * c over float32 [m, k] x [k, n] (or a batch
    [batch, ...] of each). trans_a: a is stored [k, m]; trans_b: b is [n, k]."""
    batched = isinstance(a, np.ndarray) and a.ndim == 3
    nd = 3 if batched else 2
    a = check(a, "a", np.float32, (None,) * nd)
    bs = a.shape[0] if batched else 1
    m, k = (a.shape[-1], a.shape[-2]) if trans_a else (a.shape[-2], a.shape[-1])
    b = check(b, "b", np.float32, ((bs,) if batched else ()) + ((None, k) if trans_b else (k, None)))
    n = b.shape[-2] if trans_b else b.shape[-1]
    cshape = ((bs,) if batched else ()) + (m, n)
    if c is not None:
        c = check(c, "c", np.float32, cshape)
    args = GemmArgs(trans_a=int(trans_a), trans_b=int(trans_b), m=m, n=n, k=k, alpha=alpha, beta=beta,
                    lda=a.shape[-1], ldb=b.shape[-1], ldc=n, batch=bs, stride_a=a.shape[-1] * a.shape[-2],
                    stride_b=b.shape[-1] * b.shape[-2], stride_c=m * n)
    call = _Call("gemm", args, ctx).put("a", a).put("b", b)
    out = call.out("c", cshape, init=c if c is not None and beta != 0 else None)
    call.run()
    return out


def bias_add(y: Array, bias: Array, ctx: Optional[Context] = None) -> Array:
    """y[r, c] + bias[c] over float32 [rows, cols] (a new array)."""
    y = check(y, "y", np.float32, (None, None))
    bias = check(bias, "bias", np.float32, (y.shape[1],))
    call = _Call("bias_add", BiasArgs(rows=y.shape[0], cols=y.shape[1], ldy=y.shape[1]), ctx).put("b", bias)
    out = call.out("y", y.shape, init=y)
    call.run()
    return out


def bias_backward(dy: Array, ctx: Optional[Context] = None) -> Array:
    """db[c] = sum_r dy[r, c]."""
    dy = check(dy, "dy", np.float32, (None, None))
    call = _Call("bias_backward", BiasArgs(rows=dy.shape[0], cols=dy.shape[1], ldy=dy.shape[1], flags=OVERWRITE),
                 ctx).put("dy", dy)
    out = call.out("db", (dy.shape[1],))
    call.run()
    return out


def activation(x: Array, kind: str, alpha: float = 0.0, ctx: Optional[Context] = None) -> Array:
    """f(x) element-wise: sigmoid, tanh, hardtanh, relu, leaky_relu (slope alpha), swish."""
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    call = _Call("act_forward", ActArgs(kind=enum_value(kind, ACTIVATIONS, "activation"), alpha=alpha, n=x.size),
                 ctx).put("x", x)
    y = call.out("y", x.shape)
    call.run()
    return y


def activation_backward(x: Array, y: Array, dy: Array, kind: str, alpha: float = 0.0,
                        ctx: Optional[Context] = None) -> Array:
    """dx = dy * f'(x) (x and y the forward's input and output)."""
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    y = check(y, "y", np.float32, x.shape)
    dy = check(dy, "dy", np.float32, x.shape)
    call = _Call("act_backward", ActArgs(kind=enum_value(kind, ACTIVATIONS, "activation"), alpha=alpha, n=x.size,
                                         flags=OVERWRITE), ctx).put("x", x).put("y", y).put("dy", dy)
    dx = call.out("dx", x.shape)
    call.run()
    return dx


def sigmoid(x: Array, ctx: Optional[Context] = None) -> Array:
    return activation(x, "sigmoid", ctx=ctx)


def tanh(x: Array, ctx: Optional[Context] = None) -> Array:
    return activation(x, "tanh", ctx=ctx)


def relu(x: Array, ctx: Optional[Context] = None) -> Array:
    return activation(x, "relu", ctx=ctx)


def _ew(name: str, x: Array, y: Optional[Array], alpha: float, beta: float, ctx) -> Array:
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    if y is not None:
        y = check(y, "y", np.float32, x.shape)
    call = _Call(name, EwArgs(n=x.size, alpha=alpha, beta=beta), ctx).put("x", x).put("y", y)
    z = call.out("z", x.shape)
    call.run()
    return z


def add(x: Array, y: Array, alpha: float = 1.0, beta: float = 1.0, ctx: Optional[Context] = None) -> Array:
    """alpha*x + beta*y."""
    return _ew("add", x, y, alpha, beta, ctx)


def mul(x: Array, y: Array, alpha: float = 1.0, ctx: Optional[Context] = None) -> Array:
    """alpha*x*y."""
    return _ew("mul", x, y, alpha, 0.0, ctx)


def scale(x: Array, alpha: float, ctx: Optional[Context] = None) -> Array:
    """alpha*x."""
    return _ew("scale", x, None, alpha, 0.0, ctx)


def softmax(x: Array, log: bool = False, ctx: Optional[Context] = None) -> Array:
    """Row-wise softmax (or log-softmax) over the last dimension of float32 [rows, cols]."""
    x = check(x, "x", np.float32, (None, None))
    call = _Call("softmax_forward", SoftmaxArgs(log=int(log), rows=x.shape[0], cols=x.shape[1]), ctx).put("x", x)
    y = call.out("y", x.shape)
    call.run()
    return y


def softmax_backward(y: Array, dy: Array, log: bool = False, ctx: Optional[Context] = None) -> Array:
    """dx from the forward's output y and dy."""
    y = check(y, "y", np.float32, (None, None))
    dy = check(dy, "dy", np.float32, y.shape)
    call = _Call("softmax_backward", SoftmaxArgs(log=int(log), rows=y.shape[0], cols=y.shape[1], flags=OVERWRITE),
                 ctx).put("y", y).put("dy", dy)
    dx = call.out("dx", y.shape)
    call.run()
    return dx


def cross_entropy(logits: Array, target: Array, ignore_index: int = -100, reduction: str = "mean",
                  ctx: Optional[Context] = None) -> float:
    """Softmax cross-entropy of float32 logits [rows, cols] and int32 target [rows] (mean or sum)."""
    logits = check(logits, "logits", np.float32, (None, None))
    target = check(target, "target", np.int32, (logits.shape[0],))
    args = XentArgs(rows=logits.shape[0], cols=logits.shape[1], ignore_index=ignore_index,
                    reduction=enum_value(reduction, REDUCTIONS[:2], "reduction"))
    call = _Call("xent_forward", args, ctx).put("logits", logits).put("target", target)
    loss = call.out("loss", (1,))
    call.run()
    return float(loss[0])


def cross_entropy_backward(logits: Array, target: Array, dloss: float = 1.0, ignore_index: int = -100,
                           reduction: str = "mean", ctx: Optional[Context] = None) -> Array:
    """dlogits = dloss * (softmax - onehot) / count."""
    logits = check(logits, "logits", np.float32, (None, None))
    target = check(target, "target", np.int32, (logits.shape[0],))
    args = XentArgs(rows=logits.shape[0], cols=logits.shape[1], ignore_index=ignore_index, dloss=dloss,
                    reduction=enum_value(reduction, REDUCTIONS[:2], "reduction"), flags=OVERWRITE)
    call = _Call("xent_backward", args, ctx).put("logits", logits).put("target", target)
    d = call.out("dlogits", logits.shape)
    call.run()
    return d


def _loss(name: str, x: Array, target: Array, reduction: str, ctx) -> float:
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    target = check(target, "target", np.float32, x.shape)
    call = _Call(name, LossArgs(n=x.size, reduction=enum_value(reduction, REDUCTIONS[:2], "reduction")),
                 ctx).put("x", x).put("target", target)
    loss = call.out("loss", (1,))
    call.run()
    return float(loss[0])


def mse(x: Array, target: Array, reduction: str = "mean", ctx: Optional[Context] = None) -> float:
    """Mean (or sum) squared error."""
    return _loss("mse_forward", x, target, reduction, ctx)


def bce_with_logits(x: Array, target: Array, reduction: str = "mean", ctx: Optional[Context] = None) -> float:
    """Binary cross-entropy with logits."""
    return _loss("bce_forward", x, target, reduction, ctx)


def embedding(idx: Array, weight: Array, padding_idx: int = -1, ctx: Optional[Context] = None) -> Array:
    """weight[idx]: int32 idx of any shape, float32 weight [vocab, dim] -> idx.shape + (dim,)."""
    if not isinstance(idx, np.ndarray):
        raise TypeError("seqnn.kernels: idx must be a numpy array of int32")
    idx = check(idx, "idx", np.int32, idx.shape)
    weight = check(weight, "weight", np.float32, (None, None))
    v, d = weight.shape
    args = EmbeddingArgs(n=idx.size, vocab=v, dim=d, padding_idx=padding_idx, ldy=d)
    call = _Call("embedding_forward", args, ctx).put("idx", idx).put("weight", weight)
    y = call.out("y", idx.shape + (d,))
    call.run()
    return y


def dropout(x: Array, p: float, seed: int, offset: int = 0, ctx: Optional[Context] = None) -> Array:
    """x * keep / (1 - p) with the Philox mask of (seed, offset): the same on every backend."""
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    call = _Call("dropout_forward", DropoutArgs(n=x.size, p=p, seed=seed, offset=offset), ctx).put("x", x)
    y = call.out("y", x.shape)
    call.run()
    return y


def _rnn_call(name: str, x, w_ih, w_hh, b_ih, b_hh, h0, c0, cell, lengths, reverse, ctx):
    """The checked arguments and inputs of a recurrent kernel call: (_Call, T, B, I, H, G, lstm)."""
    cid = enum_value(cell, CELLS, "cell")
    g = GATES[CELLS[cid]]
    x = check(x, "x", np.float32, (None, None, None))
    t, b, i = x.shape
    w_hh = check(w_hh, "w_hh", np.float32, (None, None))
    h = w_hh.shape[1]
    if w_hh.shape[0] != g * h:
        raise ValueError("seqnn.kernels: w_hh must be [%d*H, H] for %s, not %s" % (g, cell, list(w_hh.shape)))
    w_ih = check(w_ih, "w_ih", np.float32, (g * h, i))
    b_ih = None if b_ih is None else check(b_ih, "b_ih", np.float32, (g * h,))
    b_hh = None if b_hh is None else check(b_hh, "b_hh", np.float32, (g * h,))
    h0 = None if h0 is None else check(h0, "h0", np.float32, (b, h))
    lstm = CELLS[cid] == "lstm"
    if c0 is not None and not lstm:
        raise ValueError("seqnn.kernels: c0 is for an LSTM only")
    c0 = None if c0 is None else check(c0, "c0", np.float32, (b, h))
    args = RnnArgs(cell=cid, seq_len=t, batch=b, input_size=i, hidden_size=h, reverse=int(reverse), ldx=i, ldy=h)
    call = _Call(name, args, ctx)
    if lengths is not None:
        lengths = check(lengths, "lengths", np.int32, (b,))
        args.lengths = lengths.ctypes.data_as(POINTER(c_int32))
        call.keep = lengths
    for f, a in (("x", x), ("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih), ("b_hh", b_hh), ("h0", h0), ("c0", c0)):
        call.put(f, a)
    return call, t, b, i, h, g, lstm


def rnn_forward(x: Array, w_ih: Array, w_hh: Array, b_ih: Optional[Array] = None, b_hh: Optional[Array] = None,
                h0: Optional[Array] = None, c0: Optional[Array] = None, cell: str = "lstm",
                lengths: Optional[Array] = None, reverse: bool = False, reserve: bool = False,
                ctx: Optional[Context] = None) -> tuple:
    """One recurrent layer, one direction, over a time-major sequence (nn.LSTM /
    nn.GRU / nn.RNN's equations and weight layouts, gates i,f,g,o / r,z,n).
    x float32 [T, B, I], w_ih [G*H, I], w_hh [G*H, H], biases [G*H], h0/c0
    [B, H], lengths int32 [B]. Returns (y [T, B, H], h_n [B, H], c_n [B, H]
    for an LSTM, else None), and with reserve=True the reserve rnn_backward
    needs (a float32 array whose layout is the backend's own: give it back
    to rnn_backward on the same backend)."""
    call, t, b, _, h, g, lstm = _rnn_call("rnn_forward", x, w_ih, w_hh, b_ih, b_hh, h0, c0, cell, lengths,
                                          reverse, ctx)
    y = call.out("y", (t, b, h))
    h_n = call.out("h_n", (b, h))
    c_n = call.out("c_n", (b, h)) if lstm else None
    res = call.out("reserve", (t * b * h * (g + 2),)) if reserve else None
    call.run()
    return (y, h_n, c_n, res) if reserve else (y, h_n, c_n)


def rnn_backward(x: Array, w_ih: Array, w_hh: Array, reserve: Array, dy: Optional[Array] = None,
                 dh_n: Optional[Array] = None, dc_n: Optional[Array] = None, b_ih: Optional[Array] = None,
                 b_hh: Optional[Array] = None, h0: Optional[Array] = None, c0: Optional[Array] = None,
                 cell: str = "lstm", lengths: Optional[Array] = None, reverse: bool = False,
                 ctx: Optional[Context] = None) -> Dict[str, Array]:
    """BPTT through the layer rnn_forward(..., reserve=True) ran with the same
    arguments: gradients dx, dw_ih, dw_hh, db_ih, db_hh, dh0 (and dc0 for an
    LSTM) of the upstream dy [T, B, H], dh_n, dc_n [B, H] (absent: zeros)."""
    call, t, b, i, h, g, lstm = _rnn_call("rnn_backward", x, w_ih, w_hh, b_ih, b_hh, h0, c0, cell, lengths,
                                          reverse, ctx)
    call.args.flags = OVERWRITE
    call.put("reserve", check(reserve, "reserve", np.float32, (t * b * h * (g + 2),)))
    call.put("dy", None if dy is None else check(dy, "dy", np.float32, (t, b, h)))
    call.put("dh_n", None if dh_n is None else check(dh_n, "dh_n", np.float32, (b, h)))
    if dc_n is not None and not lstm:
        raise ValueError("seqnn.kernels: dc_n is for an LSTM only")
    call.put("dc_n", None if dc_n is None else check(dc_n, "dc_n", np.float32, (b, h)))
    out = {"dx": call.out("dx", (t, b, i)), "dw_ih": call.out("dw_ih", (g * h, i)),
           "dw_hh": call.out("dw_hh", (g * h, h)), "db_ih": call.out("db_ih", (g * h,)),
           "db_hh": call.out("db_hh", (g * h,)), "dh0": call.out("dh0", (b, h))}
    if lstm:
        out["dc0"] = call.out("dc0", (b, h))
    call.run()
    return out


def _loss_backward(name: str, x: Array, target: Array, dloss: float, reduction: str, ctx) -> Array:
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    target = check(target, "target", np.float32, x.shape)
    args = LossArgs(n=x.size, reduction=enum_value(reduction, REDUCTIONS[:2], "reduction"), dloss=dloss,
                    flags=OVERWRITE)
    call = _Call(name, args, ctx).put("x", x).put("target", target)
    dx = call.out("dx", x.shape)
    call.run()
    return dx


def mse_backward(x: Array, target: Array, dloss: float = 1.0, reduction: str = "mean",
                 ctx: Optional[Context] = None) -> Array:
    """dx = dloss * 2 (x - t) / N."""
    return _loss_backward("mse_backward", x, target, dloss, reduction, ctx)


def bce_with_logits_backward(x: Array, target: Array, dloss: float = 1.0, reduction: str = "mean",
                             ctx: Optional[Context] = None) -> Array:
    """dx = dloss * (sigmoid(x) - t) / N."""
    return _loss_backward("bce_backward", x, target, dloss, reduction, ctx)


def embedding_backward(idx: Array, dy: Array, vocab: int, padding_idx: int = -1,
                       ctx: Optional[Context] = None) -> Array:
    """dweight [vocab, dim]: the rows of dy [..., dim] summed into their idx's rows (padding skipped)."""
    if not isinstance(idx, np.ndarray):
        raise TypeError("seqnn.kernels: idx must be a numpy array of int32")
    idx = check(idx, "idx", np.int32, idx.shape)
    dy = check(dy, "dy", np.float32, idx.shape + (None,))
    d = dy.shape[-1]
    args = EmbeddingArgs(n=idx.size, vocab=vocab, dim=d, padding_idx=padding_idx, ldy=d)
    call = _Call("embedding_backward", args, ctx).put("idx", idx).put("dy", dy)
    dw = call.out("dweight", (vocab, d))
    call.run()
    return dw


def dropout_backward(dy: Array, p: float, seed: int, offset: int = 0, ctx: Optional[Context] = None) -> Array:
    """dx = dy * keep / (1 - p), the forward's mask recomputed from (seed, offset)."""
    dy = check(dy, "dy", np.float32, dy.shape if isinstance(dy, np.ndarray) else ())
    call = _Call("dropout_backward", DropoutArgs(n=dy.size, p=p, seed=seed, offset=offset, flags=OVERWRITE),
                 ctx).put("dy", dy)
    dx = call.out("dx", dy.shape)
    call.run()
    return dx


def conv1d(x: Array, weight: Array, bias: Optional[Array] = None, stride: int = 1, padding: int = 0,
           dilation: int = 1, ctx: Optional[Context] = None) -> Array:
    """torch.nn.functional.conv1d: x float32 [B, C_in, L], weight [C_out, C_in, K],
    bias [C_out] -> [B, C_out, L_out]."""
    x = check(x, "x", np.float32, (None, None, None))
    b, c, n = x.shape
    weight = check(weight, "weight", np.float32, (None, c, None))
    o, _, k = weight.shape
    bias = None if bias is None else check(bias, "bias", np.float32, (o,))
    lo = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    if lo < 1:
        raise ValueError("seqnn.kernels: conv1d input of length %d is too short for the filter" % n)
    args = Conv1dArgs(batch=b, in_channels=c, out_channels=o, in_len=n, kernel_size=k, stride=stride,
                      padding=padding, dilation=dilation, x_sb=c * n, x_sc=n, x_sl=1, y_sb=o * lo, y_sc=lo, y_sl=1)
    call = _Call("conv1d_forward", args, ctx).put("x", x).put("weight", weight).put("bias", bias)
    y = call.out("y", (b, o, lo))
    call.run()
    return y


def maxpool(x: Array, ctx: Optional[Context] = None) -> Tuple[Array, Array]:
    """Max over time of x float32 [B, C, L]: (y [B, C], argmax int32 [B, C])."""
    x = check(x, "x", np.float32, (None, None, None))
    b, c, n = x.shape
    args = MaxpoolArgs(batch=b, channels=c, len=n, x_sb=c * n, x_sc=n, x_sl=1, y_sb=c, y_sc=1)
    call = _Call("maxpool_forward", args, ctx).put("x", x)
    y = call.out("y", (b, c))
    am = call.out("argmax", (b, c), np.int32)
    call.run()
    return y, am


def sgd_step(param: Array, grad: Array, lr: float, momentum: float = 0.0, dampening: float = 0.0,
             weight_decay: float = 0.0, nesterov: bool = False, momentum_buf: Optional[Array] = None, step: int = 1,
             ctx: Optional[Context] = None) -> Tuple[Array, Optional[Array]]:
    """torch.optim.SGD's update of one tensor: (new param, new momentum buffer or None)."""
    param = check(param, "param", np.float32, param.shape if isinstance(param, np.ndarray) else ())
    grad = check(grad, "grad", np.float32, param.shape)
    args = SgdArgs(n=param.size, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                   nesterov=int(nesterov), step=step)
    call = _Call("sgd_step", args, ctx).put("grad", grad)
    p = call.out("param", param.shape, init=param)
    buf = call.out("momentum_buf", param.shape, init=momentum_buf) if momentum else None
    call.run()
    return p, buf


def adam_step(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array, step: int, lr: float = 1e-3,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
              decoupled: bool = False, ctx: Optional[Context] = None) -> Tuple[Array, Array, Array]:
    """torch.optim.Adam's (decoupled: AdamW's) update of one tensor at step
    (from 1): (new param, exp_avg, exp_avg_sq)."""
    param = check(param, "param", np.float32, param.shape if isinstance(param, np.ndarray) else ())
    grad = check(grad, "grad", np.float32, param.shape)
    args = AdamArgs(n=param.size, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                    decoupled=int(decoupled), step=step)
    call = _Call("adam_step", args, ctx).put("grad", grad)
    p = call.out("param", param.shape, init=param)
    m = call.out("exp_avg", param.shape, init=check(exp_avg, "exp_avg", np.float32, param.shape))
    v = call.out("exp_avg_sq", param.shape, init=check(exp_avg_sq, "exp_avg_sq", np.float32, param.shape))
    call.run()
    return p, m, v


def sumsq(x: Array, ctx: Optional[Context] = None) -> float:
    """sum of x^2 (the squared norm clipping uses)."""
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    call = _Call("sumsq", SumsqArgs(n=x.size, flags=OVERWRITE), ctx).put("x", x)
    r = call.out("result", (1,))
    call.run()
    return float(r[0])


def clip_scale(x: Array, total_sumsq: float, max_norm: float, ctx: Optional[Context] = None) -> Array:
    """x * min(1, max_norm / (sqrt(total_sumsq) + 1e-6))."""
    x = check(x, "x", np.float32, x.shape if isinstance(x, np.ndarray) else ())
    call = _Call("clip_scale", ClipArgs(n=x.size, max_norm=max_norm), ctx).put("sumsq", np.array([total_sumsq],
                                                                                                np.float32))
    y = call.out("x", x.shape, init=x)
    call.run()
    return y


def lstm_forward(x: Array, w_ih: Array, w_hh: Array, b_ih: Optional[Array] = None, b_hh: Optional[Array] = None,
                 h0: Optional[Array] = None, c0: Optional[Array] = None, lengths: Optional[Array] = None,
                 reverse: bool = False, ctx: Optional[Context] = None) -> Tuple[Array, Array, Array]:
    """rnn_forward of an LSTM: (y, h_n, c_n)."""
    return rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, "lstm", lengths, reverse, ctx=ctx)


def gru_forward(x: Array, w_ih: Array, w_hh: Array, b_ih: Optional[Array] = None, b_hh: Optional[Array] = None,
                h0: Optional[Array] = None, lengths: Optional[Array] = None, reverse: bool = False,
                ctx: Optional[Context] = None) -> Tuple[Array, Array]:
    """rnn_forward of a GRU (PyTorch's, linear before reset): (y, h_n)."""
    y, h_n, _ = rnn_forward(x, w_ih, w_hh, b_ih, b_hh, h0, None, "gru", lengths, reverse, ctx=ctx)
    return y, h_n


WRAPPERS = {"gemm": gemm, "bias_add": bias_add, "bias_backward": bias_backward, "act_forward": activation,
            "act_backward": activation_backward, "add": add, "mul": mul, "scale": scale,
            "softmax_forward": softmax, "softmax_backward": softmax_backward, "xent_forward": cross_entropy,
            "xent_backward": cross_entropy_backward, "mse_forward": mse, "bce_forward": bce_with_logits,
            "embedding_forward": embedding, "dropout_forward": dropout, "rnn_forward": rnn_forward,
            "rnn_backward": rnn_backward, "mse_backward": mse_backward, "bce_backward": bce_with_logits_backward,
            "embedding_backward": embedding_backward, "dropout_backward": dropout_backward,
            "conv1d_forward": conv1d, "maxpool_forward": maxpool, "sgd_step": sgd_step, "adam_step": adam_step,
            "sumsq": sumsq, "clip_scale": clip_scale}
