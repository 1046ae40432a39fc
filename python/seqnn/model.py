"""Models: described by calls that mirror include/seqnn/model.h or read from a
model file, built on a Context, trained on numpy batches, saved and loaded as
safetensors checkpoints with PyTorch's state_dict names.

Layouts are seqnn's (and nn.LSTM's with batch_first=False): time-major.
Token inputs are int32 [T, B]; feature inputs float32 [T, B, F]; targets
int32 [T', B] (sequence outputs) or [B] for cross-entropy, float32 shaped
like the output for MSE/BCE. Integer arrays of another width and float64
arrays are converted; an array of the wrong kind raises TypeError.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _lib
from ._lib import dec, enc, enum_value, lib
from .backends import Context, default_context

ACTIVATIONS = ["sigmoid", "tanh", "hardtanh", "relu", "leaky_relu", "swish"]
CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru", "gru_classic"]
INITS = ["default", "xavier", "orthogonal", "identity"]
SCORES = ["dot", "scaled_dot", "bilinear", "additive"]
MERGES = ["concat", "add", "mul"]
LOSSES = ["xent", "mse", "bce"]
OPTIMIZERS = ["sgd", "rmsprop", "adam", "adagrad"]
TREE_CELLS = ["tanh", "lstm"]
IGNORE_INDEX = -100
HOME_KINDS = ["output", "output_grad", "params", "grads", "optim_state"]

Array = np.ndarray


@dataclass
class StepResult:
    """One training or evaluation step: mean loss over the counted targets,
    their number, how many were right (cross-entropy), the gradient norm
    before clipping (training)."""
    loss: float
    count: int
    correct: int
    grad_norm: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else 0.0


def _as(a, kind: str, name: str) -> Array:
    """a as a C-contiguous int32 (kind "i") or float32 ("f") array."""
    a = np.asarray(a)
    if kind == "i":
        if a.dtype.kind not in "iu":
            raise TypeError("seqnn: %s must be an integer array (int32), not %s" % (name, a.dtype))
        if a.dtype != np.int32:
            if a.size and (a.min() < -2**31 or a.max() >= 2**31):
                raise ValueError("seqnn: %s has values outside int32" % name)
            a = a.astype(np.int32)
    else:
        if a.dtype.kind != "f":
            raise TypeError("seqnn: %s must be a float array (float32), not %s" % (name, a.dtype))
        a = a.astype(np.float32, copy=False)
    return np.ascontiguousarray(a)


def _ptr(a: Optional[Array], ctype):
    return None if a is None else a.ctypes.data_as(ctypes.POINTER(ctype))


@dataclass(frozen=True)
class PlanRow:
    """The calls of one kernel that one layer (-1: the model's own: loss,
    clipping, update) makes in one phase, routed to one device (-1: none
    runs it; answers then has each device's answer), per training step
    (inference: per forward), and the copies between devices before them."""
    layer: int
    layer_name: str
    phase: str
    kernel: str
    device: int
    calls: int
    copies: int
    bytes: int
    answers: str


@dataclass(frozen=True)
class PlanTraffic:
    """Copies between devices (their number, bytes, the part copied for a
    host read) and the kernel calls each device runs."""
    copies: int
    bytes: int
    host_bytes: int
    calls: Tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    """A placement plan (Model.plan): shape (batch, seq_len, dec_len,
    lengths), the context's devices (plugin names), rows (PlanRow: training
    step rows, then inference rows), unplaced (rows no device runs), layers
    (names), homes (per layer, where its output, output_grad, params, grads
    and optim_state live after a step: bit d for device d), traffic of the
    first_step, of every later step and of an inference forward, the
    library's one-line summary and, per layer, where it runs in training
    (layer_devices)."""
    shape: Tuple[int, int, int, bool]
    devices: Tuple[str, ...]
    rows: Tuple[PlanRow, ...]
    unplaced: int
    layers: Tuple[str, ...]
    homes: Tuple[Dict[str, int], ...]
    first_step: PlanTraffic
    step: PlanTraffic
    inference: PlanTraffic
    summary: str
    layer_devices: Tuple[str, ...]

    @staticmethod
    def _from_c(pp) -> "Plan":
        p = pp.contents
        buf = ctypes.create_string_buffer(4096)

        def text(fn, *args) -> str:
            fn(pp, *args, buf, len(buf))
            return dec(buf.value)

        def traffic(t) -> PlanTraffic:
            return PlanTraffic(int(t.copies), int(t.bytes), int(t.host_bytes), tuple(t.calls[:p.devices]))

        rows = tuple(PlanRow(r.layer, dec(r.layer_name), dec(lib.seqnn_plan_phase_name(r.phase)),
                             dec(lib.seqnn_kernel_name(r.kernel)), r.device, int(r.calls), int(r.copies),
                             int(r.bytes), dec(r.answers)) for r in p.rows[:p.n_rows])
        homes = tuple({k: int(p.homes[i][j]) for j, k in enumerate(HOME_KINDS)} for i in range(p.n_layers))
        return Plan((int(p.shape.batch), int(p.shape.seq_len), int(p.shape.dec_len), bool(p.shape.lengths)),
                    tuple(dec(p.device_names[d]) for d in range(p.devices)), rows, int(p.unplaced),
                    tuple(dec(p.layer_names[i]) for i in range(p.n_layers)), homes, traffic(p.first_step),
                    traffic(p.step), traffic(p.inference), text(lib.seqnn_plan_summary),
                    tuple(text(lib.seqnn_plan_layer_devices, i) for i in range(p.n_layers)))


class Model(_lib.Handle):
    """A seqnn model. Describe it with the layer methods (each returns the
    model, so calls chain), or read it with Model.from_file; then build()
    it on a context before training or inference.

        m = (seqnn.Model().input_tokens(97).embedding(32).lstm(hidden=64)
             .dense(97).build(seqnn.Context("avx2"), seed=1))
    """

    def __init__(self, _ptr: Optional[ctypes.c_void_p] = None):
        if _ptr is None:
            _ptr = ctypes.c_void_p()
            lib.seqnn_model_create(ctypes.byref(_ptr))
        self._ptr = _ptr
        self.context: Optional[Context] = None
        self.train_config: Optional[_lib.TrainConfig] = None
        self._built = False

    # ------------------------------------------------------------ lifetime ---
    _what = "model (closed, or its context was)"

    def _free(self) -> None:
        lib.seqnn_model_destroy(self._ptr)

    # ------------------------------------------------------------ model files ---
    @classmethod
    def from_file(cls, path: str, variables: Optional[Mapping[str, int]] = None) -> "Model":
        """Reads a model file (docs/model-files.md); $name values from variables
        (e.g. {"vocab": 97}). train_config holds its `train` and `optimizer` lines."""
        return cls._from(lambda vs, n, p, cfg: lib.seqnn_modelfile_load(enc(path), vs, n, p, cfg), variables)

    @classmethod
    def from_text(cls, text: str, variables: Optional[Mapping[str, int]] = None,
                  name: str = "<text>") -> "Model":
        """As from_file, from the text of a model file."""
        raw = text.encode("utf-8")
        return cls._from(lambda vs, n, p, cfg: lib.seqnn_modelfile_parse(raw, len(raw), enc(name), vs, n, p, cfg),
                         variables)

    @classmethod
    def _from(cls, call, variables) -> "Model":
        items = list((variables or {}).items())
        names = [enc(k) for k, _ in items]
        vs = (_lib.ModelfileVar * max(1, len(items)))(*[_lib.ModelfileVar(names[i], int(v))
                                                         for i, (_, v) in enumerate(items)])
        ptr, cfg = ctypes.c_void_p(), _lib.TrainConfig()
        call(vs, len(items), ctypes.byref(ptr), ctypes.byref(cfg))
        m = cls(ptr)
        m.train_config = cfg
        m.set_optimizer_desc(cfg.optim, _before_build=True)
        return m

    # ---------------------------------------------------------------- layers ---
    def input_tokens(self, vocab: int, name: Optional[str] = None) -> "Model":
        """Token ids in [0, vocab), int32 [T, B] (a named one for graphs of several inputs)."""
        if name is None:
            lib.seqnn_model_input_tokens(self.ptr, vocab)
        else:
            lib.seqnn_model_add_input_tokens(self.ptr, enc(name), vocab)
        return self

    def input_features(self, dim: int, name: Optional[str] = None) -> "Model":
        """Feature vectors, float32 [T, B, dim]."""
        if name is None:
            lib.seqnn_model_input_features(self.ptr, dim)
        else:
            lib.seqnn_model_add_input_features(self.ptr, enc(name), dim)
        return self

    def embedding(self, dim: int, padding_idx: int = -1, name: Optional[str] = None) -> "Model":
        """nn.Embedding(vocab, dim, padding_idx): tokens -> [T, B, dim]."""
        lib.seqnn_model_add_embedding(self.ptr, enc(name), dim, padding_idx)
        return self

    def dense(self, out: int, name: Optional[str] = None) -> "Model":
        """nn.Linear(in, out) over the last dimension."""
        lib.seqnn_model_add_dense(self.ptr, enc(name), out)
        return self

    def activation(self, kind: str, alpha: float = 0.0) -> "Model":
        """An element-wise activation: sigmoid, tanh, hardtanh, relu, leaky_relu (alpha), swish."""
        lib.seqnn_model_add_activation(self.ptr, enum_value(kind, ACTIVATIONS, "activation"), alpha)
        return self

    def dropout(self, p: float) -> "Model":
        """nn.Dropout(p), active while training only."""
        lib.seqnn_model_add_dropout(self.ptr, p)
        return self

    def recurrent(self, cell: str, hidden: int, layers: int = 1, bidirectional: bool = False,
                  dropout: float = 0.0, last: bool = False, init: str = "default", name: Optional[str] = None,
                  peephole: bool = False, coupled: bool = False, proj_size: int = 0) -> "Model":
        """A recurrent layer (nn.RNN/nn.LSTM/nn.GRU): cell rnn_tanh, rnn_relu, lstm, gru,
        gru_classic; last=True outputs the top layer's final state [B, dirs*H].
        LSTM variants: peephole, coupled input-forget gates, proj_size (nn.LSTM's)."""
        d = _lib.RecurrentDesc(enum_value(cell, CELLS, "cell"), hidden, layers, int(bidirectional), dropout,
                               int(last), enum_value(init, INITS, "init"))
        if peephole or coupled or proj_size:
            variant = (1 if peephole else 0) | (2 if coupled else 0)
            lib.seqnn_model_add_lstm_variant(self.ptr, enc(name), ctypes.byref(d), variant, proj_size)
        else:
            lib.seqnn_model_add_recurrent(self.ptr, enc(name), ctypes.byref(d))
        return self

    def lstm(self, hidden: int, layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
             last: bool = False, **kw) -> "Model":
        """nn.LSTM(input, hidden, layers, dropout, bidirectional); see recurrent()."""
        return self.recurrent("lstm", hidden, layers, bidirectional, dropout, last, **kw)

    def gru(self, hidden: int, layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
            last: bool = False, **kw) -> "Model":
        """nn.GRU; see recurrent()."""
        return self.recurrent("gru", hidden, layers, bidirectional, dropout, last, **kw)

    def rnn(self, hidden: int, layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
            last: bool = False, nonlinearity: str = "tanh", **kw) -> "Model":
        """nn.RNN with nonlinearity tanh or relu; see recurrent()."""
        return self.recurrent("rnn_" + nonlinearity, hidden, layers, bidirectional, dropout, last, **kw)

    def conv1d_bank(self, filters: int, widths: Sequence[int], act: str = "relu",
                    name: Optional[str] = None) -> "Model":
        """Kim (2014): one Conv1d per width, activation, max over time, concatenated -> [B, len(widths)*filters]."""
        w = (ctypes.c_int64 * len(widths))(*widths)
        lib.seqnn_model_add_conv1d_bank(self.ptr, enc(name), filters, len(widths), w,
                                        enum_value(act, ACTIVATIONS, "activation"))
        return self

    def attention(self, heads: int = 1, score: str = "scaled_dot", causal: bool = False, encoder: bool = False,
                  attn_dim: int = 0, name: Optional[str] = None) -> "Model":
        """Self-attention (nn.MultiheadAttention) or, with encoder=True in a decoder, attention over the encoder."""
        d = _lib.AttentionDesc(enum_value(score, SCORES, "score"), heads, int(causal), int(encoder), attn_dim)
        lib.seqnn_model_add_attention(self.ptr, enc(name), ctypes.byref(d))
        return self

    def tree(self, hidden: int, cell: str = "lstm", nodes: bool = False, name: Optional[str] = None) -> "Model":
        """A recursive network over binary trees (tanh or lstm cell)."""
        d = _lib.TreeDesc(enum_value(cell, TREE_CELLS, "tree cell"), hidden, int(nodes))
        lib.seqnn_model_add_tree(self.ptr, enc(name), ctypes.byref(d))
        return self

    def merge(self, kind: str, inputs: str, name: Optional[str] = None) -> "Model":
        """concat / add / mul of the named nodes ("a,b")."""
        lib.seqnn_model_add_merge(self.ptr, enc(name), enum_value(kind, MERGES, "merge"), enc(inputs))
        return self

    def set_from(self, inputs: str, layer: Optional[str] = None) -> "Model":
        """Makes layer (default: the last one added) read the named nodes."""
        lib.seqnn_model_set_from(self.ptr, enc(layer), enc(inputs))
        return self

    def begin_decoder(self, vocab: int) -> "Model":
        """Layers added after this are an encoder-decoder model's decoder over target tokens."""
        lib.seqnn_model_begin_decoder(self.ptr, vocab)
        return self

    def loss(self, kind: str) -> "Model":
        """xent (default), mse or bce."""
        lib.seqnn_model_set_loss(self.ptr, enum_value(kind, LOSSES, "loss"))
        return self

    @property
    def loss_kind(self) -> str:
        return LOSSES[lib.seqnn_model_loss(self.ptr)]

    def build(self, context: Optional[Context] = None, seed: int = 1) -> "Model":
        """Checks and infers shapes, allocates and initialises the parameters on
        context (default: seqnn.default_context()) from seed."""
        ctx = context if context is not None else default_context()
        lib.seqnn_model_build(self.ptr, ctx.ptr, seed)
        self.context = ctx
        self._built = True
        ctx._depend(self)
        if self.train_config is not None:
            lib.seqnn_model_set_optimizer(self.ptr, ctypes.byref(self.train_config.optim))
        return self

    def summary(self) -> str:
        """One line per layer: name, kind, output shape, parameters."""
        buf = ctypes.create_string_buffer(1 << 16)
        lib.seqnn_model_summary(self.ptr, buf, len(buf))
        return dec(buf.value)

    def output_shape(self) -> Tuple[bool, int]:
        """(sequence, n): [T, B, n] when sequence, else [B, n]."""
        seq, n = ctypes.c_int(), ctypes.c_int64()
        lib.seqnn_model_output_shape(self.ptr, ctypes.byref(seq), ctypes.byref(n))
        return bool(seq.value), int(n.value)

    # ------------------------------------------------------------ parameters ---
    def _param_infos(self) -> List[Tuple[str, Tuple[int, ...]]]:
        out = []
        for i in range(lib.seqnn_model_param_count(self.ptr)):
            p = _lib.ParamInfo()
            lib.seqnn_model_param(self.ptr, i, ctypes.byref(p))
            out.append((dec(p.name), tuple(p.shape[:p.ndim])))
        return out

    def parameters(self) -> Dict[str, Array]:
        """Host copies of every parameter, by state_dict name, in the model's order."""
        out = {}
        for i, (name, shape) in enumerate(self._param_infos()):
            a = np.empty(shape, np.float32)
            lib.seqnn_model_param_read(self.ptr, i, _ptr(a, ctypes.c_float), a.size)
            out[name] = a
        return out

    def set_parameters(self, values: Mapping[str, Array], strict: bool = True) -> None:
        """Writes parameters by name (shapes must match). strict: every
        parameter must be given and every name be a parameter."""
        infos = self._param_infos()
        names = {n for n, _ in infos}
        extra = sorted(set(values) - names)
        missing = sorted(names - set(values))
        if strict and (extra or missing):
            raise KeyError("seqnn: parameters do not match the model: %s%s" % (
                "missing " + ", ".join(missing) if missing else "",
                ("; " if missing and extra else "") + ("not in the model " + ", ".join(extra) if extra else "")))
        for i, (name, shape) in enumerate(infos):
            if name not in values:
                continue
            a = _as(values[name], "f", name)
            if a.shape != shape:
                raise ValueError("seqnn: parameter '%s' is %s, the model's is %s" % (name, a.shape, shape))
            lib.seqnn_model_param_write(self.ptr, i, _ptr(a, ctypes.c_float), a.size)

    def param_total(self) -> int:
        """Number of scalars in every parameter."""
        return int(lib.seqnn_model_param_total(self.ptr))

    # ------------------------------------------------------------ optimizers ---
    def set_optimizer(self, kind: str = "adam", **fields) -> "Model":
        """torch.optim's defaults of kind (sgd, rmsprop, adam, adamw, adagrad), then
        fields (lr, momentum, dampening, nesterov, alpha, centered, beta1,
        beta2, amsgrad, lr_decay, eps, weight_decay, clip_norm). Resets the state."""
        kind = kind.lower()
        d = lib.seqnn_optim_defaults(enum_value("adam" if kind == "adamw" else kind, OPTIMIZERS, "optimizer"))
        if kind == "adamw":
            d.decoupled = 1
        names = {f for f, _ in _lib.OptimDesc._fields_} - {"kind"}
        for k, v in fields.items():
            if k not in names:
                raise TypeError("seqnn: unknown optimizer field '%s' (one of %s)" % (k, ", ".join(sorted(names))))
            setattr(d, k, v)
        return self.set_optimizer_desc(d)

    def set_optimizer_desc(self, d: _lib.OptimDesc, _before_build: bool = False) -> "Model":
        if self.train_config is None:
            self.train_config = _lib.TrainConfig()
        self.train_config.optim = d
        if self._built and not _before_build:
            lib.seqnn_model_set_optimizer(self.ptr, ctypes.byref(d))
        return self

    def set_learning_rate(self, lr: float) -> None:
        """Sets the base learning rate, keeping the optimizer's state and step count."""
        lib.seqnn_model_set_learning_rate(self.ptr, lr)

    @property
    def learning_rate(self) -> float:
        """The rate the next optimizer step uses (schedule included)."""
        return float(lib.seqnn_model_learning_rate(self.ptr))

    def set_lr_schedule(self, spec: Optional[str]) -> None:
        """A schedule in its text form ("cosine warmup=500 cosine_steps=20000"), or None for none."""
        if spec is None:
            lib.seqnn_model_set_lr_schedule(self.ptr, None)
            return
        s = _lib.LrSchedule()
        lib.seqnn_lr_schedule_parse(enc(spec), ctypes.byref(s))
        lib.seqnn_model_set_lr_schedule(self.ptr, ctypes.byref(s))

    def report_validation(self, loss: float) -> bool:
        """Tells a plateau schedule a validation loss; True when the rate was just reduced."""
        r = ctypes.c_int()
        lib.seqnn_model_report_validation(self.ptr, loss, ctypes.byref(r))
        return bool(r.value)

    @property
    def step_count(self) -> int:
        """Optimizer steps taken so far."""
        return int(lib.seqnn_model_step_count(self.ptr))

    # --------------------------------------------------------------- batches ---
    def _batch(self, x, targets=None, lengths=None, dec_tokens=None, trees=None) -> Tuple[_lib.Batch, list]:
        """The C batch of x (an array, or for a model of several inputs a dict
        of them by input name, lengths then a dict too), the trees of a tree
        layer, and its arrays, which must stay referenced while the batch is used."""
        if not self._built:
            self.ptr  # a closed model raises first
            raise _lib.InvalidArgument("seqnn: build() the model before running it")
        if isinstance(x, Mapping):
            b, keep = self._graph_batch(x, lengths)
        else:
            b, keep = self._single_batch(x, lengths)
        B = b.batch
        if dec_tokens is not None:
            dec_tokens = _as(dec_tokens, "i", "dec_tokens")
            if dec_tokens.ndim != 2 or dec_tokens.shape[1] != B:
                raise ValueError("seqnn: dec_tokens must be [T', B], not %s" % (dec_tokens.shape,))
            b.dec_len = dec_tokens.shape[0]
            b.dec_tokens = _ptr(dec_tokens, ctypes.c_int32)
            keep.append(dec_tokens)
        if trees is not None:
            trees = _as(trees, "i", "trees")
            steps = b.seq_len if not b.n_inputs else b.inputs[0].seq_len
            if trees.shape != (B, 2 * max(0, steps - 1)):
                raise ValueError("seqnn: trees must be [B, 2*(T-1)] = [%d, %d], not %s"
                                 % (B, 2 * max(0, steps - 1), list(trees.shape)))
            b.trees = _ptr(trees, ctypes.c_int32)
            keep.append(trees)
        if targets is not None:
            if lib.seqnn_model_loss(self.ptr) == 0:
                t = _as(targets, "i", "targets")
                if t.shape[-1:] != (B,):
                    raise ValueError("seqnn: targets must be [T', B] or [B] with B = %d, not %s" % (B, t.shape))
                b.targets = _ptr(t, ctypes.c_int32)
            else:
                t = _as(targets, "f", "values")
                b.values = _ptr(t, ctypes.c_float)
            keep.append(t)
        return b, keep

    def _graph_batch(self, x: Mapping, lengths) -> Tuple[_lib.Batch, list]:
        """A batch of a model of several named inputs: x and lengths map input names to arrays."""
        n = lib.seqnn_model_input_count(self.ptr)
        inputs = (_lib.BatchInput * max(1, n))()
        keep: list = [inputs]
        b = _lib.Batch()
        names = []
        for k in range(n):
            info = _lib.InputInfo()
            lib.seqnn_model_input_info(self.ptr, k, ctypes.byref(info))
            name = dec(info.name)
            names.append(name)
            if name not in x:
                raise KeyError("seqnn: the batch lacks input '%s' (the model's inputs: %s)" % (name, ", ".join(
                    dec(self._input(j).name) for j in range(n))))
            a = _as(x[name], "i" if info.tokens else "f", name)
            if a.ndim != (2 if info.tokens else 3) or (k and a.shape[1] != b.batch):
                raise ValueError("seqnn: input '%s' must be %s with the batch's B, not %s"
                                 % (name, "[T, B]" if info.tokens else "[T, B, F]", a.shape))
            b.batch = a.shape[1]
            inputs[k].seq_len = a.shape[0]
            if info.tokens:
                inputs[k].tokens = _ptr(a, ctypes.c_int32)
            else:
                inputs[k].features = _ptr(a, ctypes.c_float)
            keep.append(a)
            if lengths is not None and name in lengths:
                ln = _as(lengths[name], "i", "lengths of " + name)
                inputs[k].lengths = _ptr(ln, ctypes.c_int32)
                keep.append(ln)
        extra = sorted(set(x) - set(names))
        if extra:
            raise KeyError("seqnn: the model has no input %s (its inputs: %s)" % (", ".join(extra), ", ".join(names)))
        b.n_inputs, b.inputs = n, inputs
        return b, keep

    def _input(self, k: int) -> _lib.InputInfo:
        info = _lib.InputInfo()
        lib.seqnn_model_input_info(self.ptr, k, ctypes.byref(info))
        return info

    def _single_batch(self, x, lengths) -> Tuple[_lib.Batch, list]:
        x = np.asarray(x)
        keep = []
        b = _lib.Batch()
        info = _lib.InputInfo()
        lib.seqnn_model_input_info(self.ptr, 0, ctypes.byref(info))
        if info.tokens:
            x = _as(x, "i", "tokens")
            if x.ndim != 2:
                raise ValueError("seqnn: tokens must be [T, B], not %s" % (x.shape,))
            b.tokens = _ptr(x, ctypes.c_int32)
        else:
            x = _as(x, "f", "features")
            if x.ndim != 3:
                raise ValueError("seqnn: features must be [T, B, F], not %s" % (x.shape,))
            b.features = _ptr(x, ctypes.c_float)
        b.seq_len, b.batch = x.shape[0], x.shape[1]
        keep.append(x)
        if lengths is not None:
            lengths = _as(lengths, "i", "lengths")
            if lengths.shape != (x.shape[1],):
                raise ValueError("seqnn: lengths must be [B] = (%d,), not %s" % (x.shape[1], lengths.shape))
            b.lengths = _ptr(lengths, ctypes.c_int32)
            keep.append(lengths)
        return b, keep

    def _output_count(self, batch: _lib.Batch) -> Tuple[Tuple[int, ...], int]:
        seq, n = self.output_shape()
        if seq:
            steps = batch.dec_len if batch.dec_len else batch.seq_len
            if batch.n_inputs:
                ts = {batch.inputs[k].seq_len for k in range(batch.n_inputs)}
                if len(ts) > 1:
                    raise ValueError("seqnn: predict of a sequence output over inputs of different lengths %s is "
                                     "not supported here (give inputs of one length)" % sorted(ts))
                steps = ts.pop()
            shape = (steps, batch.batch, n)
        else:
            shape = (batch.batch, n)
        return shape, int(np.prod(shape))

    def train_step(self, x, targets, lengths=None, dec_tokens=None, trees=None) -> StepResult:
        """Forward, loss, backward, clipping and one optimizer step on one batch.
        x: tokens int32 [T, B] or features float32 [T, B, F], or for a model
        of several inputs a dict of them by input name (lengths a dict too);
        targets int32 [T', B] or [B] (cross-entropy), else float32 shaped like
        the output; lengths int32 [B]; dec_tokens int32 [T', B] (the decoder's
        input); trees int32 [B, 2*(T-1)] (tree layers: each row the binary
        tree over its sequence's leaves, a first entry -1 for a balanced one)."""
        b, keep = self._batch(x, targets, lengths, dec_tokens, trees)
        r = _lib.StepResultC()
        lib.seqnn_model_train_step(self.ptr, ctypes.byref(b), ctypes.byref(r))
        return StepResult(r.loss, r.count, r.correct, r.grad_norm)

    def evaluate(self, x, targets, lengths=None, dec_tokens=None, trees=None) -> StepResult:
        """Forward and loss, without dropout or any update (arguments as train_step)."""
        b, keep = self._batch(x, targets, lengths, dec_tokens, trees)
        r = _lib.StepResultC()
        lib.seqnn_model_evaluate(self.ptr, ctypes.byref(b), ctypes.byref(r))
        return StepResult(r.loss, r.count, r.correct, r.grad_norm)

    def evaluate_losses(self, x, targets, lengths=None, dec_tokens=None, trees=None) -> Tuple[StepResult, Array]:
        """evaluate, and each target's loss (reduction='none'; 0 where ignored),
        float32 shaped like targets. Cross-entropy models only."""
        b, keep = self._batch(x, targets, lengths, dec_tokens, trees)
        losses = np.zeros(np.shape(targets), np.float32)
        r = _lib.StepResultC()
        lib.seqnn_model_evaluate_losses(self.ptr, ctypes.byref(b), ctypes.byref(r), _ptr(losses, ctypes.c_float),
                                        losses.size)
        return StepResult(r.loss, r.count, r.correct, r.grad_norm), losses

    def set_xent_options(self, class_weights=None, label_smoothing: float = 0.0) -> None:
        """torch.nn.CrossEntropyLoss(weight=class_weights, label_smoothing=...)
        for a cross-entropy model (needs a backend with the xent_ext kernels)."""
        w = None if class_weights is None else _as(class_weights, "f", "class_weights")
        o = _lib.XentOptions(_ptr(w, ctypes.c_float), 0 if w is None else w.size, label_smoothing)
        lib.seqnn_model_set_xent_options(self.ptr, ctypes.byref(o))

    def predict(self, x, lengths=None, dec_tokens=None, trees=None) -> Array:
        """The last layer's output (logits for xent): float32 [T, B, n] or [B, n] (arguments as train_step)."""
        b, keep = self._batch(x, None, lengths, dec_tokens, trees)
        shape, count = self._output_count(b)
        out = np.empty(shape, np.float32)
        lib.seqnn_model_predict(self.ptr, ctypes.byref(b), _ptr(out, ctypes.c_float), count)
        return out

    def fit(self, x, targets, batch_size: int = 32, epochs: int = 1, lengths=None, shuffle: bool = True,
            seed: int = 1, validation: Optional[tuple] = None, callback=None, trees=None,
            dec_tokens=None) -> List[dict]:
        """Trains over N sequences: x [T, N] tokens or [T, N, F] features (or,
        for a model of several inputs, a dict of them by input name, lengths
        then a dict of [N] arrays), targets [T', N] or [N] (or values [..., N,
        n]), lengths [N], trees [N, 2*(T-1)], dec_tokens [T', N], split along
        N into batches of batch_size (the last may be smaller). After each
        epoch, validation=(x, targets[, lengths]) is evaluated. Returns one
        dict per epoch: epoch, loss (mean over its steps), steps, val_loss /
        val_accuracy when validated; callback(step, StepResult) runs after
        each step."""
        if isinstance(x, Mapping):
            x = {k: np.asarray(v) for k, v in x.items()}
            n = next(iter(x.values())).shape[1] if x else 0
        else:
            x = np.asarray(x)
            n = x.shape[1]
        t = np.asarray(targets)
        t_axis = t.ndim - (2 if self.loss_kind != "xent" else 1)
        rng = np.random.default_rng(seed)

        def take(a, idx, axis):
            if a is None:
                return None
            if isinstance(a, Mapping):
                return {k: np.take(np.asarray(v), idx, axis=axis) for k, v in a.items()}
            return np.take(np.asarray(a), idx, axis=axis)

        history = []
        for epoch in range(epochs):
            order = rng.permutation(n) if shuffle else np.arange(n)
            losses = []
            for s in range(0, n, batch_size):
                idx = order[s:s + batch_size]
                r = self.train_step(take(x, idx, 1), np.take(t, idx, axis=t_axis), take(lengths, idx, 0),
                                    take(dec_tokens, idx, 1), take(trees, idx, 0))
                losses.append(r.loss)
                if callback is not None:
                    callback(self.step_count, r)
            h = {"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else float("nan"),
                 "steps": len(losses)}
            if validation is not None:
                v = self.evaluate(*validation)
                h["val_loss"], h["val_accuracy"] = v.loss, v.accuracy
            history.append(h)
        return history

    def load_vectors(self, path: str, tokens: Sequence[str], layer: Optional[str] = None) -> int:
        """Initialises a built model's embedding (layer, or the first) from
        pretrained vectors in word2vec / GloVe text format: the row of
        tokens[i] (the model's vocabulary, one string per row) gets that
        token's vector, other rows keep theirs. Returns the rows replaced.
        Errors name the file and line; on error the embedding is unchanged."""
        names = [enc(t) for t in tokens]
        arr = (ctypes.c_char_p * max(1, len(names)))(*names)
        found = ctypes.c_int64()
        lib.seqnn_model_load_vectors(self.ptr, enc(layer), enc(path), arr, len(names), ctypes.byref(found))
        return int(found.value)

    def attention_weights(self, layer: Optional[str] = None) -> Array:
        """The weights of the last forward of attention layer `layer` (by name;
        None: the first attention layer): float32 [B, heads, T_q, T_k]."""
        dims = (ctypes.c_int64 * 4)()
        lib.seqnn_model_attention_weights(self.ptr, enc(layer), None, 0, dims)
        out = np.empty(tuple(dims), np.float32)
        lib.seqnn_model_attention_weights(self.ptr, enc(layer), _ptr(out, ctypes.c_float), out.size, dims)
        return out

    def set_plan_shape(self, batch: int, seq_len: int, dec_len: int = 0, lengths: bool = False) -> "Model":
        """The batch shape the placement plan at build() is made for (call before build)."""
        sh = _lib.PlanShape(batch, seq_len, dec_len, int(lengths))
        lib.seqnn_model_set_plan_shape(self.ptr, ctypes.byref(sh))
        return self

    def plan(self, batch: Optional[int] = None, seq_len: Optional[int] = None, dec_len: int = 0,
             lengths: bool = False) -> "Plan":
        """The placement plan of a built model (seqnn_model_plan): where each
        kernel call of a training step and of an inference forward runs on
        the context's devices, and the copies between them, for batches of
        (batch, seq_len) (None: the shape of the plan at build). Runs no
        kernel and changes no parameter or state."""
        sh = None
        if batch is not None or seq_len is not None:
            if batch is None or seq_len is None:
                raise ValueError("seqnn: plan() takes batch and seq_len together")
            sh = _lib.PlanShape(batch, seq_len, dec_len, int(lengths))
        out = ctypes.POINTER(_lib.Plan)()
        lib.seqnn_model_plan(self.ptr, None if sh is None else ctypes.byref(sh), ctypes.byref(out))
        try:
            return Plan._from_c(out)
        finally:
            lib.seqnn_plan_free(out)

    def set_stateful(self, stateful: bool) -> None:
        """Truncated BPTT: recurrent layers carry their state across batches."""
        lib.seqnn_model_set_stateful(self.ptr, int(stateful))

    def reset_state(self) -> None:
        lib.seqnn_model_reset_state(self.ptr)

    def generate(self, prime: Iterable[int], n: int, temperature: float = 0.0, seed: int = 1) -> Array:
        """A language model feeds prime, then draws n tokens from
        softmax(logits / temperature) (0: argmax), each fed back. int32 [n]."""
        p = _as(np.asarray(list(prime)), "i", "prime")
        out = np.empty(n, np.int32)
        lib.seqnn_model_generate(self.ptr, _ptr(p, ctypes.c_int32), p.size, n, temperature, seed,
                                 _ptr(out, ctypes.c_int32))
        return out

    def decode(self, prime: Iterable[int], max_len: int, src: Optional[Iterable[int]] = None,
               temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0, beam: int = 1,
               length_alpha: float = 1.0, seed: int = 1, eos: int = -1) -> Tuple[Array, float]:
        """Incremental decoding (seqnn_model_decode): a language model continues
        prime, an encoder-decoder model decodes src starting from prime (its
        <bos>). Greedy (temperature 0), sampling (temperature, top_k, top_p,
        seed) or beam search (beam > 1, length_alpha); stops at eos or after
        max_len tokens. Returns (int32 tokens, eos excluded; their log-probability)."""
        c = _lib.DecodeConfig()
        lib.seqnn_decode_defaults(ctypes.byref(c))
        c.temperature, c.top_k, c.top_p, c.beam = temperature, top_k, top_p, beam
        c.length_alpha, c.seed, c.eos = length_alpha, seed, eos
        p = _as(np.asarray(list(prime)), "i", "prime")
        s = None if src is None else _as(np.asarray(list(src)), "i", "src")
        out = np.empty(max(1, max_len), np.int32)
        n, logprob = ctypes.c_int64(), ctypes.c_double()
        lib.seqnn_model_decode(self.ptr, _ptr(s, ctypes.c_int32), 0 if s is None else s.size,
                               _ptr(p, ctypes.c_int32), p.size, max_len, ctypes.byref(c), _ptr(out, ctypes.c_int32),
                               ctypes.byref(n), ctypes.byref(logprob))
        return out[:n.value].copy(), float(logprob.value)

    def translate(self, src: Iterable[int], bos: int, eos: int, max_len: int) -> Array:
        """Encoder-decoder: greedy decoding of one source sequence (int32 tokens, eos excluded)."""
        s = _as(np.asarray(list(src)), "i", "src")
        out = np.empty(max(1, max_len), np.int32)
        n = ctypes.c_int64()
        lib.seqnn_model_translate(self.ptr, _ptr(s, ctypes.c_int32), s.size, bos, eos, max_len,
                                  _ptr(out, ctypes.c_int32), ctypes.byref(n))
        return out[:n.value].copy()

    # ------------------------------------------------------------ checkpoints ---
    def save(self, path: str, optimizer: bool = True, metadata: Optional[Mapping[str, str]] = None) -> None:
        """Writes a safetensors checkpoint (parameters by state_dict name; the
        optimizer state with optimizer=True; string metadata), atomically."""
        meta = None
        if metadata:
            flat = [enc(s) for kv in metadata.items() for s in kv] + [None]
            meta = (ctypes.c_char_p * len(flat))(*flat)
        lib.seqnn_model_save(self.ptr, enc(path), int(optimizer), meta)

    def load(self, path: str) -> None:
        """Loads a checkpoint's parameters (all, with their shapes) and optimizer
        state when present. On error the model is unchanged."""
        lib.seqnn_model_load(self.ptr, enc(path))
