"""Kernels of the catalogue on numpy arrays or device-resident seqnn.Tensors,
for people who bring their own framework: seqnn.kernels.gemm(a, b),
lstm_forward(x, w_ih, w_hh, ...), attention(q, k, v), ...

Every function checks dtypes (float32 tensors, int32 indices: exactly, no
silent conversion; TypeError otherwise) and shapes (ValueError) in Python,
then runs the kernel through seqnn_kernel_run; the library checks the
arguments again and a failure raises with its message. numpy arrays are
copied into buffers of the context (default: seqnn.default_context()) for
the call and the results come back as new arrays; Tensors (ctx.tensor(a))
are used where they are and the results are new Tensors on their context,
so a chain of calls on Tensors copies nothing. The wrappers PyTorch gives
an out= (gemm, bias_add, the activations, add, mul, scale, softmax,
embedding, maxpool) take one too: the caller's array or Tensor receives
the result (dtype, shape and kind checked; see _Call._into). Layouts and equations are
those of include/seqnn/kernels.h (time-major sequences, PyTorch's weight
layouts and gate orders).

Table-driven: ARGS maps a kernel's name to its argument structure, WRAPPERS
to its function; a wrapper states shapes, fills the structure's scalars and
names the tensor fields it writes in and reads back (_Call, which does the
buffers and the call). covered() lists the kernels with a wrapper, missing()
those of the library's catalogue still without one.
"""
from __future__ import annotations

import ctypes
from ctypes import POINTER, Structure, c_double, c_int, c_int32, c_int64, c_uint32, c_uint64
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lib
from ._lib import Tref, enc, enum_value, lib
from .backends import Context, default_context
from .tensor import Tensor, _data
from .model import ACTIVATIONS, CELLS, SCORES

Array = Union[np.ndarray, Tensor]   # every tensor argument: a numpy array or a seqnn.Tensor
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


class XentExtArgs(Structure):
    _fields_ = [("rows", c_int64), ("cols", c_int64), ("logits", Tref), ("target", Tref), ("ignore_index", c_int32),
                ("reduction", c_int), ("weight", Tref), ("smoothing", c_double), ("loss", Tref), ("losses", Tref),
                ("dloss", c_double), ("dlosses", Tref), ("dlogits", Tref), ("flags", c_uint32)]


class LstmVariantArgs(Structure):
    _fields_ = [("rnn", RnnArgs), ("variant", c_uint32), ("proj_size", c_int64), ("w_peep", Tref), ("w_hr", Tref),
                ("dw_peep", Tref), ("dw_hr", Tref), ("flags", c_uint32)]


class MaxpoolLengthsArgs(Structure):
    _fields_ = [("pool", MaxpoolArgs), ("lengths", POINTER(c_int32)), ("flags", c_uint32)]


class AttentionArgs(Structure):
    _fields_ = [("score", c_int), ("batch", c_int64), ("heads", c_int64), ("q_len", c_int64), ("k_len", c_int64),
                ("q_dim", c_int64), ("k_dim", c_int64), ("v_dim", c_int64), ("attn_dim", c_int64),
                ("scale", c_double), ("q", Tref), ("q_sb", c_int64), ("q_sh", c_int64), ("q_st", c_int64),
                ("k", Tref), ("k_sb", c_int64), ("k_sh", c_int64), ("k_st", c_int64), ("v", Tref),
                ("v_sb", c_int64), ("v_sh", c_int64), ("v_st", c_int64), ("w", Tref), ("w_q", Tref), ("w_k", Tref),
                ("w_v", Tref), ("key_lengths", POINTER(c_int32)), ("causal", c_int), ("out", Tref),
                ("o_sb", c_int64), ("o_sh", c_int64), ("o_st", c_int64), ("weights", Tref), ("dout", Tref),
                ("dq", Tref), ("dk", Tref), ("dv", Tref), ("dw", Tref), ("dw_q", Tref), ("dw_k", Tref),
                ("dw_v", Tref), ("flags", c_uint32)]


class RmspropArgs(Structure):
    _fields_ = [("n", c_int64), ("param", Tref), ("grad", Tref), ("square_avg", Tref), ("momentum_buf", Tref),
                ("grad_avg", Tref), ("lr", c_double), ("alpha", c_double), ("eps", c_double),
                ("weight_decay", c_double), ("momentum", c_double), ("centered", c_int), ("flags", c_uint32)]


class AdagradArgs(Structure):
    _fields_ = [("n", c_int64), ("param", Tref), ("grad", Tref), ("sum", Tref), ("lr", c_double),
                ("lr_decay", c_double), ("weight_decay", c_double), ("eps", c_double), ("step", c_int64),
                ("flags", c_uint32)]


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


class Conv1dMaxArgs(Structure):
    _fields_ = [("conv", Conv1dArgs), ("act", c_int32), ("alpha", c_double), ("y", Tref), ("y_sb", c_int64),
                ("y_sc", c_int64), ("pre", Tref), ("argmax", Tref), ("lengths", POINTER(c_int32)), ("dy", Tref),
                ("flags", c_uint32)]


class Copy2dArgs(Structure):
    _fields_ = [("rows", c_int64), ("cols", c_int64), ("x", Tref), ("ldx", c_int64), ("y", Tref), ("ldy", c_int64),
                ("flags", c_uint32)]


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
    "maxpool_backward": MaxpoolArgs, "attention_forward": AttentionArgs, "attention_backward": AttentionArgs,
    "sgd_step": SgdArgs, "rmsprop_step": RmspropArgs, "adam_step": AdamArgs, "adagrad_step": AdagradArgs,
    "sumsq": SumsqArgs, "clip_scale": ClipArgs,
    "maxpool_lengths_forward": MaxpoolLengthsArgs,                                   # ABI 1.1
    "xent_ext_forward": XentExtArgs, "xent_ext_backward": XentExtArgs,             # ABI 1.2
    "lstm_variant_forward": LstmVariantArgs, "lstm_variant_backward": LstmVariantArgs,
    # ABI 1.3 (argument structures of kernels appended under it go here)
    "conv1d_max_forward": Conv1dMaxArgs, "conv1d_max_backward": Conv1dMaxArgs, "copy2d": Copy2dArgs,
}
REDUCTIONS = ["mean", "sum", "none"]
LSTM_PEEPHOLE, LSTM_COUPLED = 1, 2
GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3, "gru_classic": 3}


# ------------------------------------------------------------------ engine ---
ArrayLike = Array


def _shape(a) -> tuple:
    """a's shape when it is an array or a Tensor (check() then says what a is)."""
    return a.shape if isinstance(a, (np.ndarray, Tensor)) else ()


def check(a, name: str, dtype, shape: Sequence[Optional[int]]):
    """a as a C-contiguous array of exactly dtype (np.float32 / np.int32) and
    shape (None: any extent), or a Tensor of that dtype and shape as it is.
    TypeError / ValueError naming the argument."""
    if not isinstance(a, (np.ndarray, Tensor)):
        raise TypeError("seqnn.kernels: %s must be a numpy array or seqnn.Tensor of %s, not %s"
                        % (name, np.dtype(dtype).name, type(a).__name__))
    if a.dtype != dtype:
        raise TypeError("seqnn.kernels: %s must be %s, not %s" % (name, np.dtype(dtype).name, a.dtype))
    got = a.shape
    if len(got) != len(shape) or not all(w is None or w == s for w, s in zip(shape, got)):
        want = "[" + ", ".join("*" if w is None else str(w) for w in shape) + "]"
        raise ValueError("seqnn.kernels: %s must be %s, not %s" % (name, want, list(a.shape)))
    return a if isinstance(a, Tensor) else np.ascontiguousarray(a)


def _opt(a, name: str, dtype, shape: Sequence[Optional[int]]):
    """check() of an optional argument (None stays None)."""
    return None if a is None else check(a, name, dtype, shape)


def _host_i32(a, name: str, n: int) -> np.ndarray:
    """A host int32 [n] array (lengths: the kernels read them on the host), from an array or a Tensor."""
    if isinstance(a, Tensor):
        a = a.numpy()
    return check(a, name, np.int32, (n,))


def _set(args: Structure, field: str, value) -> None:
    """args.field = value; a dotted field ("rnn.x", "pool.y") names a member of a nested structure."""
    if "." not in field:
        setattr(args, field, value)
        return
    while "." in field:
        head, field = field.split(".", 1)
        args = getattr(args, head)
    setattr(args, field, value)


class _Call:
    """One kernel call. The tensor arguments are numpy arrays (copied into
    buffers of the context for the call; outputs are new arrays read back)
    or Tensors of one context (used in place; outputs are new Tensors, or
    with inplace=True the Tensor given). Tensors name the context when ctx
    is None; numpy arrays alone use seqnn.default_context()."""

    def __init__(self, name: str, args: Structure, ctx: Optional[Context], *arrays):
        self.name, self.args = name, args
        self.keep: list = []             # host arrays the structure points to (lengths)
        # (field, what run() writes in: an array, ZERO or None (nothing), the array it reads back into or None)
        self.arrays: List[Tuple[str, object, Optional[np.ndarray]]] = []
        dev = [a for a in arrays if a.__class__ is Tensor]
        self.device = bool(dev)
        self.tensors = dev
        if dev:
            ctx = dev[0].context if ctx is None else ctx
            for t in dev:
                t.buf                    # a closed tensor (or one of a closed context) raises ClosedError
                if t.context is not ctx:
                    raise ValueError("seqnn.kernels: %s: tensors of different contexts (%r, %r)" % (name, t, ctx))
        self.ctx = ctx if ctx is not None else default_context()

    def put(self, field: str, a: Optional[ArrayLike]) -> "_Call":
        """Tensor field from a (None: absent): a Tensor's buffer now, an array's copy in run()."""
        if a.__class__ is Tensor:
            _set(self.args, field, Tref(a.buf, 0))
        elif a is not None:
            self.arrays.append((field, a, None))
        return self

    def host(self, field: str, a: Optional[np.ndarray]) -> "_Call":
        """A host-array field (const int32_t *), kept alive for the call."""
        if a is not None:
            _set(self.args, field, a.ctypes.data_as(POINTER(c_int32)))
            self.keep.append(a)
        return self

    def out(self, field: str, shape: Sequence[int], dtype=np.float32, init: Optional[ArrayLike] = None,
            inplace: bool = False, zero: bool = True, dest: Optional[ArrayLike] = None) -> ArrayLike:
        """An output field: a new array (or Tensor) of shape with init's contents
        (else zeros), filled by run(). inplace: a Tensor init is the output
        itself. zero=False: the kernel writes every element, a new Tensor is
        left unfilled. dest: the caller's out= instead of a new one."""
        if dest is not None:
            return self._into(field, shape, dtype, init, zero, dest)
        if self.device:
            if isinstance(init, Tensor):
                if inplace:
                    a = init
                else:
                    a = Tensor(self.ctx, shape, dtype, _fill=False)
                    if a.size:
                        lib.seqnn_buffer_copy(self.ctx.ptr, a.buf, 0, init.buf, 0, a.size)
            else:
                a = Tensor(self.ctx, shape, dtype, _fill=init is None and zero)
                if init is not None:
                    a.write(init)
            _set(self.args, field, Tref(a.buf, 0))
            return a
        if init is None:
            a = np.zeros(shape, dtype)
        else:
            a = np.array(init.numpy() if isinstance(init, Tensor) else init, dtype=dtype, copy=True, order="C")
        self.arrays.append((field, a, a))
        return a

    def _into(self, field: str, shape: Sequence[int], dtype, init: Optional[ArrayLike], zero: bool,
              dest: ArrayLike) -> ArrayLike:
        """out=dest: a numpy array when the call is on arrays, a Tensor of the
        call's context when it is on Tensors (a Tensor dest makes it one), of
        exactly dtype and shape (TypeError / ValueError); then init's contents,
        else zeros where the kernel does not write every element."""
        what = "seqnn.kernels: %s: out=" % self.name
        if self.device and dest.__class__ is not Tensor:
            raise TypeError("%s must be a seqnn.Tensor when the inputs are Tensors, not %s"
                            % (what, type(dest).__name__))
        if not self.device and not isinstance(dest, np.ndarray):
            raise TypeError("%s must be a numpy array or seqnn.Tensor, not %s" % (what, type(dest).__name__))
        if dest.dtype != dtype:
            raise TypeError("%s must be %s, not %s" % (what, np.dtype(dtype).name, dest.dtype))
        if tuple(dest.shape) != tuple(shape):
            raise ValueError("%s must be %s, not %s" % (what, list(shape), list(dest.shape)))
        if self.device:
            prefill = (init is not None and init is not dest) or (init is None and zero)
            if prefill and sum(_addr(t) == _addr(dest) for t in self.tensors if t is not init) > 1:   # out= itself once
                raise ValueError("%s shares its buffer with an input it would overwrite before the call" % what)
            if init is not None and init is not dest:
                if isinstance(init, Tensor):
                    if dest.size:
                        lib.seqnn_buffer_copy(self.ctx.ptr, dest.buf, 0, init.buf, 0, dest.size)
                else:
                    dest.write(init)
            elif init is None and zero and dest.size:
                lib.seqnn_buffer_fill(self.ctx.ptr, dest.buf, 0, dest.size, 0.0)
            _set(self.args, field, Tref(dest.buf, 0))
            return dest
        if not dest.flags.c_contiguous or not dest.flags.writeable:
            raise ValueError("%s must be a C-contiguous, writeable array" % what)
        # dest is written only after the call: it may be one of the inputs
        if init is not None:
            src = np.ascontiguousarray(init.numpy() if isinstance(init, Tensor) else init, dtype)
        else:
            src = _ZERO if zero else None
        self.arrays.append((field, src, dest))
        return dest

    def run(self) -> None:
        kid = _KERNEL_IDS.get(self.name)
        if kid is None:
            kid = _KERNEL_IDS[self.name] = lib.seqnn_kernel_find(enc(self.name))
        ctx = self.ctx.ptr
        temps = []
        try:
            for field, src, dst in self.arrays:
                a = dst if dst is not None else src
                buf = _BufferP()
                lib.seqnn_buffer_alloc(ctx, _I32 if a.dtype == np.int32 else _F32, max(1, a.size), ctypes.byref(buf))
                temps.append((buf, dst))
                if a.size and src is _ZERO:
                    lib.seqnn_buffer_fill(ctx, buf, 0, a.size, 0.0)
                elif a.size and src is not None:
                    lib.seqnn_buffer_write(ctx, buf, 0, _data(src), a.size)
                _set(self.args, field, Tref(buf, 0))
            lib.seqnn_kernel_run(ctx, kid, ctypes.byref(self.args))
            for buf, dst in temps:
                if dst is not None and dst.size:
                    lib.seqnn_buffer_read(ctx, buf, 0, _data(dst), dst.size)
        finally:
            for buf, _ in temps:
                lib.seqnn_buffer_free(ctx, buf)


def _scalar(a: ArrayLike) -> float:
    """Element 0 of a [1] output (array or Tensor) as a float."""
    return float((a.numpy() if isinstance(a, Tensor) else a)[0])


_KERNEL_IDS: Dict[str, int] = {}
_BufferP = POINTER(_lib.Buffer)
_ZERO = object()                         # _Call.arrays: a zero-filled buffer, nothing written from the host


def _addr(t: Tensor) -> int:
    """The address of a Tensor's buffer (views share their base's)."""
    return ctypes.cast(t.buf, ctypes.c_void_p).value


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
# Each wrapper: check() every argument (dtype, shape), fill the structure's
# scalars, name the tensor fields it writes in (put) and reads back (out).
# Arguments may be numpy arrays or Tensors (see _Call); results follow them.
def gemm(a: Array, b: Array, c: Optional[Array] = None, alpha: float = 1.0, beta: float = 0.0,
         trans_a: bool = False, trans_b: bool = False, ctx: Optional[Context] = None,
         out: Optional[Array] = None) -> Array:
    """alpha * op(a) @ op(b) + beta * c over float32 [m, k] x [k, n] (or a batch
    [batch, ...] of each). trans_a: a is stored [k, m]; trans_b: b is [n, k].
    out: where the result goes (torch.addmm's out=; c itself accumulates in
    place)."""
    batched = len(_shape(a)) == 3
    nd = 3 if batched else 2
    a = check(a, "a", np.float32, (None,) * nd)
    bs = a.shape[0] if batched else 1
    m, k = (a.shape[-1], a.shape[-2]) if trans_a else (a.shape[-2], a.shape[-1])
    b = check(b, "b", np.float32, ((bs,) if batched else ()) + ((None, k) if trans_b else (k, None)))
    n = b.shape[-2] if trans_b else b.shape[-1]
    cshape = ((bs,) if batched else ()) + (m, n)
    c = _opt(c, "c", np.float32, cshape)
    args = GemmArgs(trans_a=int(trans_a), trans_b=int(trans_b), m=m, n=n, k=k, alpha=alpha, beta=beta,
                    lda=a.shape[-1], ldb=b.shape[-1], ldc=n, batch=bs, stride_a=a.shape[-1] * a.shape[-2],
                    stride_b=b.shape[-1] * b.shape[-2], stride_c=m * n)
    call = _Call("gemm", args, ctx, a, b, c, out).put("a", a).put("b", b)
    out = call.out("c", cshape, init=c if c is not None and beta != 0 else None, zero=beta != 0, dest=out)
    call.run()
    return out


def bias_add(y: Array, bias: Array, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """y[r, c] + bias[c] over float32 [rows, cols] (a new array, or out; out=y adds in place)."""
    y = check(y, "y", np.float32, (None, None))
    bias = check(bias, "bias", np.float32, (y.shape[1],))
    call = _Call("bias_add", BiasArgs(rows=y.shape[0], cols=y.shape[1], ldy=y.shape[1]), ctx, y, bias,
                 out).put("b", bias)
    out = call.out("y", y.shape, init=y, dest=out)
    call.run()
    return out


def bias_backward(dy: Array, ctx: Optional[Context] = None) -> Array:
    """db[c] = sum_r dy[r, c]."""
    dy = check(dy, "dy", np.float32, (None, None))
    call = _Call("bias_backward", BiasArgs(rows=dy.shape[0], cols=dy.shape[1], ldy=dy.shape[1], flags=OVERWRITE),
                 ctx, dy).put("dy", dy)
    out = call.out("db", (dy.shape[1],))
    call.run()
    return out


def activation(x: Array, kind: str, alpha: float = 0.0, ctx: Optional[Context] = None,
               out: Optional[Array] = None) -> Array:
    """f(x) element-wise: sigmoid, tanh, hardtanh, relu, leaky_relu (slope alpha), swish;
    into out when given (torch.sigmoid's out=)."""
    x = check(x, "x", np.float32, _shape(x))
    call = _Call("act_forward", ActArgs(kind=enum_value(kind, ACTIVATIONS, "activation"), alpha=alpha, n=x.size),
                 ctx, x, out).put("x", x)
    y = call.out("y", x.shape, zero=False, dest=out)
    call.run()
    return y


def activation_backward(x: Array, y: Array, dy: Array, kind: str, alpha: float = 0.0,
                        ctx: Optional[Context] = None) -> Array:
    """dx = dy * f'(x) (x and y the forward's input and output)."""
    x = check(x, "x", np.float32, _shape(x))
    y = check(y, "y", np.float32, x.shape)
    dy = check(dy, "dy", np.float32, x.shape)
    call = _Call("act_backward", ActArgs(kind=enum_value(kind, ACTIVATIONS, "activation"), alpha=alpha, n=x.size,
                                         flags=OVERWRITE), ctx, x, y, dy).put("x", x).put("y", y).put("dy", dy)
    dx = call.out("dx", x.shape)
    call.run()
    return dx


def sigmoid(x: Array, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """activation(x, "sigmoid")."""
    return activation(x, "sigmoid", ctx=ctx, out=out)


def tanh(x: Array, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """activation(x, "tanh")."""
    return activation(x, "tanh", ctx=ctx, out=out)


def relu(x: Array, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """activation(x, "relu")."""
    return activation(x, "relu", ctx=ctx, out=out)


def _ew(name: str, x: Array, y: Optional[Array], alpha: float, beta: float, ctx, out) -> Array:
    x = check(x, "x", np.float32, _shape(x))
    y = _opt(y, "y", np.float32, x.shape)
    call = _Call(name, EwArgs(n=x.size, alpha=alpha, beta=beta), ctx, x, y, out).put("x", x).put("y", y)
    z = call.out("z", x.shape, zero=False, dest=out)
    call.run()
    return z


def add(x: Array, y: Array, alpha: float = 1.0, beta: float = 1.0, ctx: Optional[Context] = None,
        out: Optional[Array] = None) -> Array:
    """alpha*x + beta*y (into out when given: torch.add's out=)."""
    return _ew("add", x, y, alpha, beta, ctx, out)


def mul(x: Array, y: Array, alpha: float = 1.0, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """alpha*x*y (into out when given)."""
    return _ew("mul", x, y, alpha, 0.0, ctx, out)


def scale(x: Array, alpha: float, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """alpha*x (into out when given)."""
    return _ew("scale", x, None, alpha, 0.0, ctx, out)


def softmax(x: Array, log: bool = False, ctx: Optional[Context] = None, out: Optional[Array] = None) -> Array:
    """Row-wise softmax (or log-softmax) over the last dimension of float32 [rows, cols]
    (into out when given: torch.log_softmax's out=)."""
    x = check(x, "x", np.float32, (None, None))
    call = _Call("softmax_forward", SoftmaxArgs(log=int(log), rows=x.shape[0], cols=x.shape[1]), ctx,
                 x, out).put("x", x)
    y = call.out("y", x.shape, dest=out)
    call.run()
    return y


def softmax_backward(y: Array, dy: Array, log: bool = False, ctx: Optional[Context] = None) -> Array:
    """dx from the forward's output y and dy."""
    y = check(y, "y", np.float32, (None, None))
    dy = check(dy, "dy", np.float32, y.shape)
    call = _Call("softmax_backward", SoftmaxArgs(log=int(log), rows=y.shape[0], cols=y.shape[1], flags=OVERWRITE),
                 ctx, y, dy).put("y", y).put("dy", dy)
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
    call = _Call("xent_forward", args, ctx, logits, target).put("logits", logits).put("target", target)
    loss = call.out("loss", (1,))
    call.run()
    return _scalar(loss)


def cross_entropy_backward(logits: Array, target: Array, dloss: float = 1.0, ignore_index: int = -100,
                           reduction: str = "mean", ctx: Optional[Context] = None) -> Array:
    """dlogits = dloss * (softmax - onehot) / count."""
    logits = check(logits, "logits", np.float32, (None, None))
    target = check(target, "target", np.int32, (logits.shape[0],))
    args = XentArgs(rows=logits.shape[0], cols=logits.shape[1], ignore_index=ignore_index, dloss=dloss,
                    reduction=enum_value(reduction, REDUCTIONS[:2], "reduction"), flags=OVERWRITE)
    call = _Call("xent_backward", args, ctx, logits, target).put("logits", logits).put("target", target)
    d = call.out("dlogits", logits.shape)
    call.run()
    return d


def _xent_ext_call(name: str, logits, target, weight, label_smoothing, ignore_index, reduction, ctx, *more):
    """The checked call of an xent_ext kernel: (_Call, rows, reduction index)."""
    logits = check(logits, "logits", np.float32, (None, None))
    rows, cols = logits.shape
    target = check(target, "target", np.int32, (rows,))
    weight = _opt(weight, "weight", np.float32, (cols,))
    red = enum_value(reduction, REDUCTIONS, "reduction")
    args = XentExtArgs(rows=rows, cols=cols, ignore_index=ignore_index, reduction=red, smoothing=label_smoothing)
    call = _Call(name, args, ctx, logits, target, weight, *more)
    call.put("logits", logits).put("target", target).put("weight", weight)
    return call, rows, red


def cross_entropy_ext(logits: Array, target: Array, weight: Optional[Array] = None, label_smoothing: float = 0.0,
                      ignore_index: int = -100, reduction: str = "mean", ctx: Optional[Context] = None):
    """torch.nn.functional.cross_entropy(logits, target, weight, ignore_index=,
    reduction=, label_smoothing=) (xent_ext_forward): float32 logits [rows,
    cols], int32 target [rows], class weights [cols]. mean / sum: a float;
    none: the per-row losses [rows] (0 for ignored rows)."""
    call, rows, red = _xent_ext_call("xent_ext_forward", logits, target, weight, label_smoothing, ignore_index,
                                     reduction, ctx)
    if red == 2:
        losses = call.out("losses", (rows,))
        call.run()
        return losses
    loss = call.out("loss", (1,))
    call.run()
    return _scalar(loss)


def cross_entropy_ext_backward(logits: Array, target: Array, weight: Optional[Array] = None,
                               label_smoothing: float = 0.0, ignore_index: int = -100, reduction: str = "mean",
                               dloss: float = 1.0, dlosses: Optional[Array] = None,
                               ctx: Optional[Context] = None) -> Array:
    """dlogits [rows, cols] of cross_entropy_ext's loss times dloss (mean, sum)
    or of its per-row losses times dlosses [rows] (none)."""
    call, rows, red = _xent_ext_call("xent_ext_backward", logits, target, weight, label_smoothing, ignore_index,
                                     reduction, ctx, dlosses)
    call.args.dloss, call.args.flags = dloss, OVERWRITE
    if red == 2:
        if dlosses is None:
            raise ValueError("seqnn.kernels: reduction 'none' needs dlosses [%d]" % rows)
        call.put("dlosses", check(dlosses, "dlosses", np.float32, (rows,)))
    elif dlosses is not None:
        raise ValueError("seqnn.kernels: dlosses is for reduction 'none' (use dloss)")
    d = call.out("dlogits", (rows, call.args.cols))
    call.run()
    return d


def _loss(name: str, x: Array, target: Array, reduction: str, ctx) -> float:
    x = check(x, "x", np.float32, _shape(x))
    target = check(target, "target", np.float32, x.shape)
    call = _Call(name, LossArgs(n=x.size, reduction=enum_value(reduction, REDUCTIONS[:2], "reduction")),
                 ctx, x, target).put("x", x).put("target", target)
    loss = call.out("loss", (1,))
    call.run()
    return _scalar(loss)


def mse(x: Array, target: Array, reduction: str = "mean", ctx: Optional[Context] = None) -> float:
    """Mean (or sum) squared error."""
    return _loss("mse_forward", x, target, reduction, ctx)


def bce_with_logits(x: Array, target: Array, reduction: str = "mean", ctx: Optional[Context] = None) -> float:
    """Binary cross-entropy with logits."""
    return _loss("bce_forward", x, target, reduction, ctx)


def _loss_backward(name: str, x: Array, target: Array, dloss: float, reduction: str, ctx) -> Array:
    x = check(x, "x", np.float32, _shape(x))
    target = check(target, "target", np.float32, x.shape)
    args = LossArgs(n=x.size, reduction=enum_value(reduction, REDUCTIONS[:2], "reduction"), dloss=dloss,
                    flags=OVERWRITE)
    call = _Call(name, args, ctx, x, target).put("x", x).put("target", target)
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


def embedding(idx: Array, weight: Array, padding_idx: int = -1, ctx: Optional[Context] = None,
              out: Optional[Array] = None) -> Array:
    """weight[idx]: int32 idx of any shape, float32 weight [vocab, dim] -> idx.shape + (dim,)
    (into out when given: torch.index_select's out=)."""
    idx = check(idx, "idx", np.int32, _shape(idx))
    weight = check(weight, "weight", np.float32, (None, None))
    v, d = weight.shape
    args = EmbeddingArgs(n=idx.size, vocab=v, dim=d, padding_idx=padding_idx, ldy=d)
    call = _Call("embedding_forward", args, ctx, idx, weight, out).put("idx", idx).put("weight", weight)
    y = call.out("y", idx.shape + (d,), dest=out)
    call.run()
    return y


def embedding_backward(idx: Array, dy: Array, vocab: int, padding_idx: int = -1,
                       ctx: Optional[Context] = None) -> Array:
    """dweight [vocab, dim]: the rows of dy [..., dim] summed into their idx's rows (padding skipped)."""
    idx = check(idx, "idx", np.int32, _shape(idx))
    dy = check(dy, "dy", np.float32, idx.shape + (None,))
    d = dy.shape[-1]
    args = EmbeddingArgs(n=idx.size, vocab=vocab, dim=d, padding_idx=padding_idx, ldy=d)
    call = _Call("embedding_backward", args, ctx, idx, dy).put("idx", idx).put("dy", dy)
    dw = call.out("dweight", (vocab, d))
    call.run()
    return dw


def dropout(x: Array, p: float, seed: int, offset: int = 0, ctx: Optional[Context] = None) -> Array:
    """x * keep / (1 - p) with the Philox mask of (seed, offset): the same on every backend."""
    x = check(x, "x", np.float32, _shape(x))
    call = _Call("dropout_forward", DropoutArgs(n=x.size, p=p, seed=seed, offset=offset), ctx, x).put("x", x)
    y = call.out("y", x.shape)
    call.run()
    return y


def dropout_backward(dy: Array, p: float, seed: int, offset: int = 0, ctx: Optional[Context] = None) -> Array:
    """dx = dy * keep / (1 - p), the forward's mask recomputed from (seed, offset)."""
    dy = check(dy, "dy", np.float32, _shape(dy))
    call = _Call("dropout_backward", DropoutArgs(n=dy.size, p=p, seed=seed, offset=offset, flags=OVERWRITE),
                 ctx, dy).put("dy", dy)
    dx = call.out("dx", dy.shape)
    call.run()
    return dx


# ------------------------------------------------------- recurrent kernels ---
def _rnn_call(name: str, x, w_ih, w_hh, b_ih, b_hh, h0, c0, cell, lengths, reverse, ctx, step=False,
              gates=None, width=None, prefix="", more=()):
    """The checked arguments and inputs of a recurrent kernel call: (_Call, T, B, I, H, G, lstm).
    step: a cell kernel (x [B, I], seq_len 1, no lengths); gates / width: an
    LSTM variant's G and R (the width of h); prefix: "rnn." for a variant;
    more: the call's other arrays (they choose the context too)."""
    cid = enum_value(cell, CELLS, "cell")
    g = GATES[CELLS[cid]] if gates is None else gates
    x = check(x, "x", np.float32, (None, None) if step else (None, None, None))
    t, b, i = (1,) + x.shape if step else x.shape
    w_hh = check(w_hh, "w_hh", np.float32, (None, None))
    h = w_hh.shape[0] // g
    r = h if width is None else width
    if w_hh.shape[0] != g * h or (width is None and w_hh.shape[1] != h) or (width is not None and
                                                                            w_hh.shape[1] != width):
        raise ValueError("seqnn.kernels: w_hh must be [%d*H, %s] for %s, not %s"
                         % (g, "H" if width is None else width, cell, list(w_hh.shape)))
    w_ih = check(w_ih, "w_ih", np.float32, (g * h, i))
    b_ih, b_hh = _opt(b_ih, "b_ih", np.float32, (g * h,)), _opt(b_hh, "b_hh", np.float32, (g * h,))
    h0 = _opt(h0, "h0", np.float32, (b, r))
    lstm = CELLS[cid] == "lstm"
    if c0 is not None and not lstm:
        raise ValueError("seqnn.kernels: c0 is for an LSTM only")
    c0 = _opt(c0, "c0", np.float32, (b, h))
    rnn = RnnArgs(cell=cid, seq_len=t, batch=b, input_size=i, hidden_size=h, reverse=int(reverse), ldx=i, ldy=r)
    args = rnn if not prefix else LstmVariantArgs(rnn=rnn)
    call = _Call(name, args, ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, *more)
    if lengths is not None:
        if step:
            raise ValueError("seqnn.kernels: a cell step takes no lengths")
        call.host(prefix + "lengths", _host_i32(lengths, "lengths", b))
    for f, a in (("x", x), ("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih), ("b_hh", b_hh), ("h0", h0), ("c0", c0)):
        call.put(prefix + f, a)
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


def _rnn_grads(call: "_Call", t, b, i, h, g, lstm, reserve, dy, dh_n, dc_n, width=None, prefix="", step=False,
               reserve_rows=None) -> Dict[str, Array]:
    """The upstream gradients and gradient outputs of a recurrent backward."""
    r = h if width is None else width
    rows = g + 2 if reserve_rows is None else reserve_rows
    call.put(prefix + "reserve", check(reserve, "reserve", np.float32, (t * b * h * rows,)))
    call.put(prefix + "dy", _opt(dy, "dy", np.float32, (t, b, r)))
    call.put(prefix + "dh_n", _opt(dh_n, "dh_n", np.float32, (b, r)))
    if dc_n is not None and not lstm:
        raise ValueError("seqnn.kernels: dc_n is for an LSTM only")
    call.put(prefix + "dc_n", _opt(dc_n, "dc_n", np.float32, (b, h)))
    out = {"dx": call.out(prefix + "dx", (b, i) if step else (t, b, i)),
           "dw_ih": call.out(prefix + "dw_ih", (g * h, i)), "dw_hh": call.out(prefix + "dw_hh", (g * h, r)),
           "db_ih": call.out(prefix + "db_ih", (g * h,)), "db_hh": call.out(prefix + "db_hh", (g * h,)),
           "dh0": call.out(prefix + "dh0", (b, r))}
    if lstm:
        out["dc0"] = call.out(prefix + "dc0", (b, h))
    return out


def rnn_backward(x: Array, w_ih: Array, w_hh: Array, reserve: Array, dy: Optional[Array] = None,
                 dh_n: Optional[Array] = None, dc_n: Optional[Array] = None, b_ih: Optional[Array] = None,
                 b_hh: Optional[Array] = None, h0: Optional[Array] = None, c0: Optional[Array] = None,
                 cell: str = "lstm", lengths: Optional[Array] = None, reverse: bool = False,
                 ctx: Optional[Context] = None) -> Dict[str, Array]:
    """BPTT through the layer rnn_forward(..., reserve=True) ran with the same
    arguments: gradients dx, dw_ih, dw_hh, db_ih, db_hh, dh0 (and dc0 for an
    LSTM) of the upstream dy [T, B, H], dh_n, dc_n [B, H] (absent: zeros)."""
    call, t, b, i, h, g, lstm = _rnn_call("rnn_backward", x, w_ih, w_hh, b_ih, b_hh, h0, c0, cell, lengths,
                                          reverse, ctx, more=(reserve, dy, dh_n, dc_n))
    call.args.flags = OVERWRITE
    out = _rnn_grads(call, t, b, i, h, g, lstm, reserve, dy, dh_n, dc_n)
    call.run()
    return out


def cell_forward(x: Array, w_ih: Array, w_hh: Array, b_ih: Optional[Array] = None, b_hh: Optional[Array] = None,
                 h: Optional[Array] = None, c: Optional[Array] = None, cell: str = "lstm", reserve: bool = False,
                 ctx: Optional[Context] = None) -> tuple:
    """One step of a recurrent cell (nn.LSTMCell / nn.GRUCell / nn.RNNCell):
    x float32 [B, I], weights as rnn_forward, state h, c [B, H] (absent:
    zeros). Returns (h' [B, H], c' [B, H] for an LSTM, else None), and with
    reserve=True the reserve cell_backward needs."""
    call, t, b, _, hh, g, lstm = _rnn_call("cell_forward", x, w_ih, w_hh, b_ih, b_hh, h, c, cell, None, False,
                                           ctx, step=True)
    h_n = call.out("h_n", (b, hh))
    c_n = call.out("c_n", (b, hh)) if lstm else None
    res = call.out("reserve", (b * hh * (g + 2),)) if reserve else None
    call.run()
    return (h_n, c_n, res) if reserve else (h_n, c_n)


def cell_backward(x: Array, w_ih: Array, w_hh: Array, reserve: Array, dh: Optional[Array] = None,
                  dc: Optional[Array] = None, b_ih: Optional[Array] = None, b_hh: Optional[Array] = None,
                  h: Optional[Array] = None, c: Optional[Array] = None, cell: str = "lstm",
                  ctx: Optional[Context] = None) -> Dict[str, Array]:
    """The backward of cell_forward(..., reserve=True) with the same arguments:
    dx [B, I], dw_ih, dw_hh, db_ih, db_hh, dh0 [B, H] (the old state's
    gradient; dc0 for an LSTM) of the upstream dh, dc [B, H] (absent: zeros)."""
    call, t, b, i, hh, g, lstm = _rnn_call("cell_backward", x, w_ih, w_hh, b_ih, b_hh, h, c, cell, None, False,
                                           ctx, step=True, more=(reserve, dh, dc))
    call.args.flags = OVERWRITE
    out = _rnn_grads(call, t, b, i, hh, g, lstm, reserve, None, dh, dc, step=True)
    call.run()
    return out


def _variant(peephole: bool, coupled: bool, proj_size: int) -> Tuple[int, int, int]:
    """(variant bits, gates G, peephole rows NP) of an LSTM variant."""
    v = (LSTM_PEEPHOLE if peephole else 0) | (LSTM_COUPLED if coupled else 0)
    if proj_size < 0:
        raise ValueError("seqnn.kernels: proj_size must be >= 0, not %d" % proj_size)
    return v, 3 if coupled else 4, 2 if coupled else 3


def _variant_call(name, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_peep, w_hr, peephole, coupled, proj_size, lengths,
                  reverse, ctx, more=()):
    """The checked call of an lstm_variant kernel: (_Call, T, B, I, H, G, R)."""
    v, g, npeep = _variant(peephole, coupled, proj_size)
    w_hh_shape = _shape(w_hh)
    r = proj_size if proj_size else (w_hh_shape[1] if len(w_hh_shape) == 2 else None)
    call, t, b, i, h, g, _ = _rnn_call(name, x, w_ih, w_hh, b_ih, b_hh, h0, c0, "lstm", lengths, reverse, ctx,
                                       gates=g, width=r, prefix="rnn.", more=(w_peep, w_hr) + more)
    call.args.variant, call.args.proj_size = v, proj_size
    if peephole:
        if w_peep is None:
            raise ValueError("seqnn.kernels: peephole=True needs w_peep [%d, %d]" % (npeep, h))
        call.put("w_peep", check(w_peep, "w_peep", np.float32, (npeep, h)))
    elif w_peep is not None:
        raise ValueError("seqnn.kernels: w_peep is for peephole=True")
    if proj_size:
        if w_hr is None:
            raise ValueError("seqnn.kernels: proj_size=%d needs w_hr [%d, %d]" % (proj_size, proj_size, h))
        call.put("w_hr", check(w_hr, "w_hr", np.float32, (proj_size, h)))
    elif w_hr is not None:
        raise ValueError("seqnn.kernels: w_hr is for proj_size > 0")
    return call, t, b, i, h, g, r


def lstm_variant_forward(x: Array, w_ih: Array, w_hh: Array, b_ih: Optional[Array] = None,
                         b_hh: Optional[Array] = None, h0: Optional[Array] = None, c0: Optional[Array] = None,
                         w_peep: Optional[Array] = None, w_hr: Optional[Array] = None, peephole: bool = False,
                         coupled: bool = False, proj_size: int = 0, lengths: Optional[Array] = None,
                         reverse: bool = False, reserve: bool = False, ctx: Optional[Context] = None) -> tuple:
    """An LSTM layer with peepholes (ONNX's P: w_peep [3, H] rows i, f, o; [2,
    H] rows i, o when coupled), coupled input-forget gates (f = 1 - i; gate
    blocks i, g, o: w_ih [3H, I]) and/or a projection (nn.LSTM's proj_size P:
    w_hr [P, H], w_hh [G*H, P], h0 and y of width P). Returns (y [T, B, R],
    h_n [B, R], c_n [B, H]) with R = P or H, and with reserve=True the
    reserve lstm_variant_backward needs."""
    call, t, b, _, h, g, r = _variant_call("lstm_variant_forward", x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_peep, w_hr,
                                           peephole, coupled, proj_size, lengths, reverse, ctx)
    y = call.out("rnn.y", (t, b, r))
    h_n = call.out("rnn.h_n", (b, r))
    c_n = call.out("rnn.c_n", (b, h))
    res = call.out("rnn.reserve", (t * b * h * (g + 3),)) if reserve else None
    call.run()
    return (y, h_n, c_n, res) if reserve else (y, h_n, c_n)


def lstm_variant_backward(x: Array, w_ih: Array, w_hh: Array, reserve: Array, dy: Optional[Array] = None,
                          dh_n: Optional[Array] = None, dc_n: Optional[Array] = None, b_ih: Optional[Array] = None,
                          b_hh: Optional[Array] = None, h0: Optional[Array] = None, c0: Optional[Array] = None,
                          w_peep: Optional[Array] = None, w_hr: Optional[Array] = None, peephole: bool = False,
                          coupled: bool = False, proj_size: int = 0, lengths: Optional[Array] = None,
                          reverse: bool = False, ctx: Optional[Context] = None) -> Dict[str, Array]:
    """BPTT through lstm_variant_forward(..., reserve=True) with the same
    arguments: rnn_backward's gradients, plus dw_peep (peephole) and dw_hr
    (projection)."""
    call, t, b, i, h, g, r = _variant_call("lstm_variant_backward", x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_peep, w_hr,
                                           peephole, coupled, proj_size, lengths, reverse, ctx,
                                           more=(reserve, dy, dh_n, dc_n))
    call.args.rnn.flags = OVERWRITE
    out = _rnn_grads(call, t, b, i, h, g, True, reserve, dy, dh_n, dc_n, width=r, prefix="rnn.",
                     reserve_rows=g + 3)
    if peephole:
        out["dw_peep"] = call.out("dw_peep", (2 if coupled else 3, h))
    if proj_size:
        out["dw_hr"] = call.out("dw_hr", (proj_size, h))
    call.run()
    return out


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


# --------------------------------------------------- convolution, pooling ---
def _conv_args(x, weight, stride, padding, dilation):
    """Checked x [B, C_in, L], weight [C_out, C_in, K] and their Conv1dArgs: (x, weight, args, B, O, L_out)."""
    x = check(x, "x", np.float32, (None, None, None))
    b, c, n = x.shape
    weight = check(weight, "weight", np.float32, (None, c, None))
    o, _, k = weight.shape
    lo = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1 if stride >= 1 else 0
    if lo < 1:
        raise ValueError("seqnn.kernels: conv1d input of length %d is too short for the filter" % n)
    args = Conv1dArgs(batch=b, in_channels=c, out_channels=o, in_len=n, kernel_size=k, stride=stride,
                      padding=padding, dilation=dilation, x_sb=c * n, x_sc=n, x_sl=1, y_sb=o * lo, y_sc=lo, y_sl=1)
    return x, weight, args, b, o, lo


def _conv_call(name: str, x, weight, stride, padding, dilation, ctx, *more):
    """The checked call of a conv1d kernel over x [B, C_in, L], weight [C_out, C_in, K]: (_Call, B, O, L_out)."""
    x, weight, args, b, o, lo = _conv_args(x, weight, stride, padding, dilation)
    call = _Call(name, args, ctx, x, weight, *more).put("x", x).put("weight", weight)
    return call, b, o, lo


def conv1d(x: Array, weight: Array, bias: Optional[Array] = None, stride: int = 1, padding: int = 0,
           dilation: int = 1, ctx: Optional[Context] = None) -> Array:
    """torch.nn.functional.conv1d: x float32 [B, C_in, L], weight [C_out, C_in, K],
    bias [C_out] -> [B, C_out, L_out]."""
    o = _shape(weight)[0] if len(_shape(weight)) == 3 else None
    bias = _opt(bias, "bias", np.float32, (o,))
    call, b, o, lo = _conv_call("conv1d_forward", x, weight, stride, padding, dilation, ctx, bias)
    call.put("bias", bias)
    y = call.out("y", (b, o, lo))
    call.run()
    return y


def conv1d_backward(x: Array, weight: Array, dy: Array, stride: int = 1, padding: int = 0, dilation: int = 1,
                    bias: bool = True, ctx: Optional[Context] = None) -> Dict[str, Array]:
    """Gradients of conv1d(x, weight, bias, stride, padding, dilation) for the
    upstream dy [B, C_out, L_out]: dx [B, C_in, L], dweight [C_out, C_in, K]
    and, with bias=True, dbias [C_out]."""
    call, b, o, lo = _conv_call("conv1d_backward", x, weight, stride, padding, dilation, ctx, dy)
    call.args.flags = OVERWRITE
    call.put("dy", check(dy, "dy", np.float32, (b, o, lo)))
    out = {"dx": call.out("dx", _shape(x)), "dweight": call.out("dweight", _shape(weight))}
    if bias:
        out["dbias"] = call.out("dbias", (o,))
    call.run()
    return out


def _pool_args(x) -> Tuple[ArrayLike, "MaxpoolArgs"]:
    x = check(x, "x", np.float32, (None, None, None))
    b, c, n = x.shape
    return x, MaxpoolArgs(batch=b, channels=c, len=n, x_sb=c * n, x_sc=n, x_sl=1, y_sb=c, y_sc=1)


def _pair(out, name: str) -> tuple:
    """A two-output wrapper's out= (None, or a pair of outputs) as a pair."""
    if out is None:
        return None, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError("seqnn.kernels: %s: out= must be a pair (y, argmax), not %s" % (name, type(out).__name__))
    return tuple(out)


def maxpool(x: Array, ctx: Optional[Context] = None, out: Optional[Tuple[Array, Array]] = None) -> Tuple[Array, Array]:
    """Max over time of x float32 [B, C, L]: (y [B, C], argmax int32 [B, C]), into
    out = (y, argmax) when given (torch.max(x, -1, out=(values, indices)))."""
    x, args = _pool_args(x)
    y_out, am_out = _pair(out, "maxpool_forward")
    call = _Call("maxpool_forward", args, ctx, x, y_out, am_out).put("x", x)
    y = call.out("y", x.shape[:2], dest=y_out)
    am = call.out("argmax", x.shape[:2], np.int32, dest=am_out)
    call.run()
    return y, am


def maxpool_lengths(x: Array, lengths: Optional[Array] = None, ctx: Optional[Context] = None) -> Tuple[Array, Array]:
    """maxpool over the first lengths[b] (int32 [B], each in [1, L]) positions of
    each row b of x [B, C, L] (maxpool_lengths_forward): (y [B, C], argmax int32 [B, C])."""
    x, pool = _pool_args(x)
    call = _Call("maxpool_lengths_forward", MaxpoolLengthsArgs(pool=pool), ctx, x).put("pool.x", x)
    if lengths is not None:
        call.host("lengths", _host_i32(lengths, "lengths", x.shape[0]))
    y = call.out("pool.y", x.shape[:2])
    am = call.out("pool.argmax", x.shape[:2], np.int32)
    call.run()
    return y, am


def maxpool_backward(dy: Array, argmax: Array, length: int, ctx: Optional[Context] = None) -> Array:
    """dx [B, C, length]: dy [B, C] put at each row's argmax (int32 [B, C], as
    maxpool returned it), zeros elsewhere."""
    dy = check(dy, "dy", np.float32, (None, None))
    b, c = dy.shape
    argmax = check(argmax, "argmax", np.int32, (b, c))
    if isinstance(argmax, np.ndarray) and argmax.size and (argmax.min() < 0 or argmax.max() >= length):
        raise ValueError("seqnn.kernels: argmax has positions outside [0, %d) (length)" % length)
    args = MaxpoolArgs(batch=b, channels=c, len=length, x_sb=c * length, x_sc=length, x_sl=1, y_sb=c, y_sc=1,
                       flags=OVERWRITE)
    call = _Call("maxpool_backward", args, ctx, dy, argmax).put("dy", dy).put("argmax", argmax)
    dx = call.out("dx", (b, c, length))
    call.run()
    return dx


def conv1d_max(x: Array, weight: Array, bias: Optional[Array] = None, activation: Optional[str] = None,
               alpha: float = 0.0, lengths: Optional[Array] = None, stride: int = 1, padding: int = 0,
               dilation: int = 1, ctx: Optional[Context] = None) -> Tuple[Array, Array, Array]:
    """conv1d(x, weight, bias, ...), then the activation (None: none; leaky_relu's
    slope alpha), then the max over time, in one call (conv1d_max_forward),
    never forming the [B, C_out, L_out] activations: (y [B, C_out], argmax
    int32 [B, C_out], pre [B, C_out], the conv's value at the argmax before
    the activation). lengths (int32 [B], each in [1, L_out]): the max over
    each row's first lengths[b] positions."""
    o = _shape(weight)[0] if len(_shape(weight)) == 3 else None
    bias = _opt(bias, "bias", np.float32, (o,))
    x, weight, conv, b, o, lo = _conv_args(x, weight, stride, padding, dilation)
    act = -1 if activation is None else enum_value(activation, ACTIVATIONS, "activation")
    call = _Call("conv1d_max_forward", Conv1dMaxArgs(conv=conv, act=act, alpha=alpha, y_sb=o, y_sc=1), ctx, x, weight,
                 bias).put("conv.x", x).put("conv.weight", weight).put("conv.bias", bias)
    if lengths is not None:
        call.host("lengths", _host_i32(lengths, "lengths", b))
    y, am, pre = call.out("y", (b, o)), call.out("argmax", (b, o), np.int32), call.out("pre", (b, o))
    call.run()
    return y, am, pre


def conv1d_max_backward(x: Array, weight: Array, argmax: Array, dy: Array, bias: bool = True, stride: int = 1,
                        padding: int = 0, dilation: int = 1, ctx: Optional[Context] = None) -> Dict[str, Array]:
    """Gradients of the conv under conv1d_max from dy [B, C_out], the gradient of
    the conv's output at the maxima (argmax int32 [B, C_out] as conv1d_max
    returned it; with an activation, activation_backward at pre first): dx
    [B, C_in, L], dweight [C_out, C_in, K] and, with bias=True, dbias [C_out]."""
    x, weight, conv, b, o, lo = _conv_args(x, weight, stride, padding, dilation)
    dy = check(dy, "dy", np.float32, (b, o))
    argmax = check(argmax, "argmax", np.int32, (b, o))
    if isinstance(argmax, np.ndarray) and argmax.size and (argmax.min() < 0 or argmax.max() >= lo):
        raise ValueError("seqnn.kernels: argmax has positions outside [0, %d) (the conv's output length)" % lo)
    call = _Call("conv1d_max_backward", Conv1dMaxArgs(conv=conv, act=-1, y_sb=o, y_sc=1, flags=OVERWRITE), ctx, x,
                 weight, argmax, dy).put("conv.x", x).put("conv.weight", weight).put("argmax", argmax).put("dy", dy)
    out = {"dx": call.out("conv.dx", x.shape), "dweight": call.out("conv.dweight", weight.shape)}
    if bias:
        out["dbias"] = call.out("conv.dbias", (o,))
    call.run()
    return out


# --------------------------------------------------------------- attention ---
def _attention_call(name, q, k, v, score, scale, w, w_q, w_k, w_v, key_lengths, causal, ctx, *more):
    """The checked call of an attention kernel over q [B, heads, T_q, D_q],
    k [B, heads, T_k, D_k], v [B, heads, T_k, D_v]: (_Call, dims)."""
    sid = enum_value(score, SCORES, "score")
    q = check(q, "q", np.float32, (None, None, None, None))
    b, hd, tq, dq = q.shape
    k = check(k, "k", np.float32, (b, hd, None, None))
    tk, dk = k.shape[2:]
    v = check(v, "v", np.float32, (b, hd, tk, None))
    dv = v.shape[3]
    a = int(_shape(w_v)[0]) if sid == 3 and len(_shape(w_v)) == 1 else 0
    w = _opt(w, "w", np.float32, (dq, dk))
    w_q, w_k = _opt(w_q, "w_q", np.float32, (a, dq)), _opt(w_k, "w_k", np.float32, (a, dk))
    w_v = _opt(w_v, "w_v", np.float32, (a,))
    args = AttentionArgs(score=sid, batch=b, heads=hd, q_len=tq, k_len=tk, q_dim=dq, k_dim=dk, v_dim=dv,
                         attn_dim=a, scale=scale, q_sb=hd * tq * dq, q_sh=tq * dq, q_st=dq, k_sb=hd * tk * dk,
                         k_sh=tk * dk, k_st=dk, v_sb=hd * tk * dv, v_sh=tk * dv, v_st=dv, causal=int(causal),
                         o_sb=hd * tq * dv, o_sh=tq * dv, o_st=dv)
    call = _Call(name, args, ctx, q, k, v, w, w_q, w_k, w_v, *more)
    for f, t in (("q", q), ("k", k), ("v", v), ("w", w), ("w_q", w_q), ("w_k", w_k), ("w_v", w_v)):
        call.put(f, t)
    if key_lengths is not None:
        call.host("key_lengths", _host_i32(key_lengths, "key_lengths", b))
    return call, (b, hd, tq, tk, dq, dk, dv, a)


def attention(q: Array, k: Array, v: Array, score: str = "scaled_dot", scale: float = 0.0,
              w: Optional[Array] = None, w_q: Optional[Array] = None, w_k: Optional[Array] = None,
              w_v: Optional[Array] = None, key_lengths: Optional[Array] = None, causal: bool = False,
              ctx: Optional[Context] = None) -> Tuple[Array, Array]:
    """Attention of queries q [B, heads, T_q, D_q] over keys k [B, heads, T_k,
    D_k] and values v [B, heads, T_k, D_v] (attention_forward): score dot,
    scaled_dot (scale, 0: 1/sqrt(D_q)), bilinear (w [D_q, D_k]) or additive
    (w_q [A, D_q], w_k [A, D_k], w_v [A]); keys j >= key_lengths[b] and, with
    causal, j > i + T_k - T_q are masked. Returns (out [B, heads, T_q, D_v],
    weights [B, heads, T_q, T_k])."""
    call, (b, hd, tq, tk, _, _, dv, _) = _attention_call("attention_forward", q, k, v, score, scale, w, w_q, w_k,
                                                         w_v, key_lengths, causal, ctx)
    out = call.out("out", (b, hd, tq, dv))
    weights = call.out("weights", (b, hd, tq, tk))
    call.run()
    return out, weights


def attention_backward(q: Array, k: Array, v: Array, weights: Array, dout: Array, score: str = "scaled_dot",
                       scale: float = 0.0, w: Optional[Array] = None, w_q: Optional[Array] = None,
                       w_k: Optional[Array] = None, w_v: Optional[Array] = None, key_lengths: Optional[Array] = None,
                       causal: bool = False, ctx: Optional[Context] = None) -> Dict[str, Array]:
    """Gradients of attention(...) (same arguments; weights as it returned
    them) for the upstream dout [B, heads, T_q, D_v]: dq, dk, dv, and dw
    (bilinear) or dw_q, dw_k, dw_v (additive)."""
    call, (b, hd, tq, tk, dq, dk, dv, a) = _attention_call("attention_backward", q, k, v, score, scale, w, w_q, w_k,
                                                           w_v, key_lengths, causal, ctx, weights, dout)
    call.args.flags = OVERWRITE
    call.put("weights", check(weights, "weights", np.float32, (b, hd, tq, tk)))
    call.put("dout", check(dout, "dout", np.float32, (b, hd, tq, dv)))
    out = {"dq": call.out("dq", (b, hd, tq, dq)), "dk": call.out("dk", (b, hd, tk, dk)),
           "dv": call.out("dv", (b, hd, tk, dv))}
    if call.args.score == 2:
        out["dw"] = call.out("dw", (dq, dk))
    if call.args.score == 3:
        out["dw_q"], out["dw_k"], out["dw_v"] = (call.out("dw_q", (a, dq)), call.out("dw_k", (a, dk)),
                                                 call.out("dw_v", (a,)))
    call.run()
    return out


# -------------------------------------------------------------- optimizers ---
def _optim_call(name: str, args: Structure, param, grad, ctx, states) -> Tuple["_Call", list]:
    """An optimizer call: grad read, param and each (field, array or None)
    state updated. Arrays give new arrays; Tensors are updated in place.
    Returns (_Call, [param, states...] outputs, None for absent states)."""
    param = check(param, "param", np.float32, _shape(param))
    grad = check(grad, "grad", np.float32, param.shape)
    states = [(f, _opt(a, f, np.float32, param.shape), need) for f, a, need in states]
    call = _Call(name, args, ctx, param, grad, *[a for _, a, _ in states]).put("grad", grad)
    outs = [call.out("param", param.shape, init=param, inplace=True)]
    for f, a, need in states:
        outs.append(call.out(f, param.shape, init=a, inplace=True) if need else None)
    args.n = param.size
    return call, outs


def sgd_step(param: Array, grad: Array, lr: float, momentum: float = 0.0, dampening: float = 0.0,
             weight_decay: float = 0.0, nesterov: bool = False, momentum_buf: Optional[Array] = None, step: int = 1,
             ctx: Optional[Context] = None) -> Tuple[Array, Optional[Array]]:
    """torch.optim.SGD's update of one tensor: (new param, new momentum buffer or None)."""
    args = SgdArgs(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                   nesterov=int(nesterov), step=step)
    call, (p, buf) = _optim_call("sgd_step", args, param, grad, ctx, [("momentum_buf", momentum_buf, momentum != 0)])
    call.run()
    return p, buf


def rmsprop_step(param: Array, grad: Array, square_avg: Array, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 momentum_buf: Optional[Array] = None, grad_avg: Optional[Array] = None,
                 ctx: Optional[Context] = None) -> Tuple[Array, Array, Optional[Array], Optional[Array]]:
    """torch.optim.RMSprop's update of one tensor: (param, square_avg,
    momentum_buf (momentum != 0) or None, grad_avg (centered) or None)."""
    args = RmspropArgs(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                       centered=int(centered))
    call, outs = _optim_call("rmsprop_step", args, param, grad, ctx,
                             [("square_avg", check(square_avg, "square_avg", np.float32, _shape(param)), True),
                              ("momentum_buf", momentum_buf, momentum != 0), ("grad_avg", grad_avg, centered)])
    call.run()
    return tuple(outs)


def adam_step(param: Array, grad: Array, exp_avg: Array, exp_avg_sq: Array, step: int, lr: float = 1e-3,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
              decoupled: bool = False, amsgrad: bool = False, max_exp_avg_sq: Optional[Array] = None,
              ctx: Optional[Context] = None) -> tuple:
    """torch.optim.Adam's (decoupled: AdamW's) update of one tensor at step
    (from 1): (new param, exp_avg, exp_avg_sq), and max_exp_avg_sq too with amsgrad."""
    args = AdamArgs(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, decoupled=int(decoupled),
                    amsgrad=int(amsgrad), step=step)
    call, outs = _optim_call("adam_step", args, param, grad, ctx,
                             [("exp_avg", check(exp_avg, "exp_avg", np.float32, _shape(param)), True),
                              ("exp_avg_sq", check(exp_avg_sq, "exp_avg_sq", np.float32, _shape(param)), True),
                              ("max_exp_avg_sq", max_exp_avg_sq, amsgrad)])
    call.run()
    return tuple(outs) if amsgrad else tuple(outs[:3])


def adagrad_step(param: Array, grad: Array, state_sum: Array, step: int, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, eps: float = 1e-10, ctx: Optional[Context] = None) -> Tuple[Array, Array]:
    """torch.optim.Adagrad's update of one tensor at step (from 1): (param, sum)."""
    args = AdagradArgs(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps, step=step)
    call, outs = _optim_call("adagrad_step", args, param, grad, ctx,
                             [("sum", check(state_sum, "state_sum", np.float32, _shape(param)), True)])
    call.run()
    return outs[0], outs[1]


def sumsq(x: Array, ctx: Optional[Context] = None) -> float:
    """sum of x^2 (the squared norm clipping uses)."""
    x = check(x, "x", np.float32, _shape(x))
    call = _Call("sumsq", SumsqArgs(n=x.size, flags=OVERWRITE), ctx, x).put("x", x)
    r = call.out("result", (1,))
    call.run()
    return _scalar(r)


def clip_scale(x: Array, total_sumsq: float, max_norm: float, ctx: Optional[Context] = None) -> Array:
    """x * min(1, max_norm / (sqrt(total_sumsq) + 1e-6)); a Tensor x is scaled in place."""
    x = check(x, "x", np.float32, _shape(x))
    call = _Call("clip_scale", ClipArgs(n=x.size, max_norm=max_norm), ctx, x)
    call.put("sumsq", np.array([total_sumsq], np.float32))
    y = call.out("x", x.shape, init=x, inplace=True)
    call.run()
    return y


def copy2d(x: Array, y: Array, cols: Optional[int] = None, ctx: Optional[Context] = None) -> Array:
    """y (float32 [rows, ldy]) with its first cols columns copied bit for bit
    from x (float32 [rows, ldx]); cols defaults to x's width and must fit both.
    Arrays give a new array; a Tensor y is updated in place."""
    x = check(x, "x", np.float32, (None, None))
    y = check(y, "y", np.float32, (x.shape[0], None))
    cols = x.shape[1] if cols is None else int(cols)
    if cols < 0 or cols > x.shape[1] or cols > y.shape[1]:
        raise ValueError("seqnn.kernels: copy2d: cols %d does not fit x %s and y %s" % (cols, list(x.shape),
                                                                                         list(y.shape)))
    call = _Call("copy2d", Copy2dArgs(rows=x.shape[0], cols=cols, ldx=x.shape[1], ldy=y.shape[1]), ctx, x,
                 y).put("x", x)
    out = call.out("y", y.shape, init=y, inplace=True)
    call.run()
    return out


# Kernel name (kernels.def) -> wrapper. A kernel appended to kernels.def needs
# its argument structure in ARGS, a wrapper above and an entry here
# (test_kernels.py names the kernels without one).
WRAPPERS = {"gemm": gemm, "bias_add": bias_add, "bias_backward": bias_backward, "act_forward": activation,
            "act_backward": activation_backward, "add": add, "mul": mul, "scale": scale,
            "softmax_forward": softmax, "softmax_backward": softmax_backward, "xent_forward": cross_entropy,
            "xent_backward": cross_entropy_backward, "mse_forward": mse, "mse_backward": mse_backward,
            "bce_forward": bce_with_logits, "bce_backward": bce_with_logits_backward,
            "embedding_forward": embedding, "embedding_backward": embedding_backward,
            "dropout_forward": dropout, "dropout_backward": dropout_backward,
            "rnn_forward": rnn_forward, "rnn_backward": rnn_backward,
            "cell_forward": cell_forward, "cell_backward": cell_backward,
            "conv1d_forward": conv1d, "conv1d_backward": conv1d_backward,
            "maxpool_forward": maxpool, "maxpool_backward": maxpool_backward,
            "attention_forward": attention, "attention_backward": attention_backward,
            "sgd_step": sgd_step, "rmsprop_step": rmsprop_step, "adam_step": adam_step, "adagrad_step": adagrad_step,
            "sumsq": sumsq, "clip_scale": clip_scale,
            # ABI 1.1
            "maxpool_lengths_forward": maxpool_lengths,
            # ABI 1.2
            "xent_ext_forward": cross_entropy_ext, "xent_ext_backward": cross_entropy_ext_backward,
            "lstm_variant_forward": lstm_variant_forward, "lstm_variant_backward": lstm_variant_backward,
            # ABI 1.3 (kernels appended under it go here)
            "conv1d_max_forward": conv1d_max, "conv1d_max_backward": conv1d_max_backward, "copy2d": copy2d,
            }
