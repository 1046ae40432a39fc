#!/usr/bin/python3
"""PyTorch interoperability of seqnn models, both directions.

Each model of MODELS is the seqnn model file models/NAME.seqnn next to this
script (docs/model-files.md), which both sides read: this script builds the
equivalent torch.nn.Module from it (attributes named as seqnn's layers, so
state_dict keys are seqnn's parameter names), and tests/test_interop.c reads
it with seqnn_modelfile_load.

  export [DIR [SEED]]
                 PyTorch -> seqnn. For each model writes DIR/NAME.pt.safetensors
                 (the state_dict: what torch.save would hold, in safetensors) and
                 DIR/NAME.io.safetensors (inputs, PyTorch's float32 outputs and
                 loss, the same in float64 from the same float32 parameters, the
                 gradients of one backward, and the parameters after STEPS steps
                 of a torch.optim optimizer on the same batch). DIR defaults to
                 tests/interop/data next to this script.
  check FILE...  seqnn -> PyTorch. Each FILE is an io file written by
                 test_interop (NAME.PLUGIN.io.safetensors); its "seqnn.checkpoint"
                 metadata names the checkpoint seqnn_model_save wrote, its
                 "model" the model file. Loads the checkpoint
                 into the module (strict: every key, every shape; optimizer state
                 "optim.*" is checked against the parameters and left aside),
                 runs the stored inputs and compares with seqnn's outputs and
                 loss. Exit 1 on any mismatch, 77 when torch cannot be imported
                 (1 instead when the environment has CI=true).

Regenerating the committed data (needs Debian's python3-torch and python3-numpy
through /usr/bin/python3, not another python3 first on PATH):

    /usr/bin/python3 tests/interop/torch_models.py export

The output is deterministic (fixed seeds, sorted JSON keys): on the same
PyTorch a rerun leaves `git status` clean. Stale files of models no longer in
MODELS are removed. Rebuild nothing: test_interop reads the files at run time.

The model files use the statements (and keys) the twins cover: input, embedding,
dense, activation, dropout, lstm (with proj, not peephole or coupled), gru (not
classic), rnn, conv1d_bank,
attention (self-attention with the scaled dot product), loss. The optimizer of
the training check is in MODELS, as torch.optim names it.
"""
import json
import os
import struct
import sys
import zlib

SKIP = 77

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
except ImportError as e:                       # pragma: no cover - depends on the machine
    print("torch_models.py: cannot import PyTorch/NumPy with %s: %s" % (sys.executable, e))
    if os.environ.get("CI", "").lower() == "true":
        print("CI=true: PyTorch is required here (apt-get install python3-torch); failing")
        sys.exit(1)
    print("skipped (install Debian's python3-torch to run the seqnn -> PyTorch check)")
    sys.exit(SKIP)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
MODEL_FILES = os.path.join(HERE, "models")

# --------------------------------------------------------------- the models
# name (the model file models/NAME.seqnn) -> batch shape, whether the batch
# has lengths, the optimizer of
# the training check (torch.optim names and arguments; None: no training check,
# e.g. a model with dropout, whose masks cannot match PyTorch's RNG).
# Adam, AdamW, RMSprop and Adagrad divide each element's step by the root of
# its squared gradients, so an element whose gradient is tiny next to its
# tensor's largest (1e-5 of it happens) would step by lr whatever the float32
# rounding of that gradient, in whichever direction the rounding says: the
# comparison would measure rounding noise, not the optimizer. Their eps is
# therefore 1e-3 instead of the default 1e-8..1e-10: far above the gradients'
# rounding (~1e-9 absolute here), so a step's sensitivity to a gradient error
# dg is at most lr * dg / eps, while the formula (eps outside the root, bias
# correction, decoupled decay, amsgrad's maximum, centering, lr decay) is
# exercised as before, eps's placement more visibly.
MODELS = {
    # Tagger: stacked bidirectional LSTM over embeddings (padding row),
    # variable lengths, one label per position.
    "lstm_tagger": dict(
        T=7, B=4, lengths=True,
        optim=dict(kind="sgd", lr=0.1, momentum=0.9, nesterov=1, weight_decay=1e-3, clip_norm=0.5)),
    # Language model: LSTM, dropout layers and inter-layer dropout (eval mode).
    "lstm_lm_dropout": dict(
        T=9, B=3, lengths=False, optim=None),
    # Classifier: bidirectional GRU, many-to-one, variable lengths.
    "gru_classifier": dict(
        T=8, B=5, lengths=True,
        optim=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-3, weight_decay=1e-2, amsgrad=1)),
    # Classifier with dropout everywhere (eval only).
    "gru_classifier_dropout": dict(
        T=6, B=4, lengths=True, optim=None),
    # Regressor: features, dense + activation, relu RNN many-to-one, MSE.
    "rnn_relu_regressor": dict(
        T=10, B=4, lengths=True,
        optim=dict(kind="rmsprop", lr=0.01, alpha=0.9, eps=1e-3, weight_decay=1e-3, momentum=0.5, centered=1)),
    # Multi-label tagger: bidirectional tanh RNN, leaky relu, BCE with logits.
    "rnn_tanh_bce": dict(
        T=5, B=3, lengths=False,
        optim=dict(kind="adagrad", lr=0.05, lr_decay=0.01, weight_decay=1e-3, eps=1e-3)),
    # Many-to-one LSTM with AdamW and clipping, swish head.
    "lstm_last_adamw": dict(
        T=6, B=3, lengths=True,
        optim=dict(kind="adamw", lr=0.02, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.05, clip_norm=0.3)),
    # Kim (2014) CNN: conv bank of widths 2, 3, 4 over embeddings, max over
    # the valid windows, a classifier; sequences shorter than a width included.
    "kim_cnn": dict(
        T=7, B=5, lengths=True,
        optim=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-3, weight_decay=0.0)),
    # Causal self-attention language model (nn.MultiheadAttention, 2 heads).
    "attention_causal_lm": dict(
        T=6, B=3, lengths=False,
        optim=dict(kind="sgd", lr=0.5, momentum=0.0, weight_decay=0.0)),
    # Bidirectional LSTM then self-attention over its states (key padding
    # mask from the lengths), a tagger. The attention models train with SGD:
    # the gradient of the key projection's bias is zero in exact arithmetic
    # (softmax ignores a shift common to a query's scores), so both sides hold
    # rounding noise there, which Adam, RMSprop and Adagrad would normalise
    # into full-size, unrelated steps.
    "lstm_attention_tagger": dict(
        T=7, B=4, lengths=True,
        optim=dict(kind="sgd", lr=0.2, momentum=0.9, dampening=0.1, weight_decay=1e-3, clip_norm=1.0)),
    # Two bidirectional LSTM layers with a projection (nn.LSTM's proj_size,
    # seqnn's lstm proj=P: weight_hr_l<k>), a tagger.
    "lstm_proj_tagger": dict(
        T=6, B=3, lengths=True,
        optim=dict(kind="adam", lr=0.01, beta1=0.9, beta2=0.999, eps=1e-3, weight_decay=0.0)),
}
STEPS = 3          # optimizer steps of the training check (same batch each step)
SEED = 20240611

RECURRENT = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def read_model_file(path):
    """The model a seqnn model file describes (docs/model-files.md: one
    statement a line, a positional word, key=value pairs, '#' comments):
    (input kind, its size, the layers as dicts with the file's keys and
    their defaults, loss)."""
    stmts = []
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            pos = words[1] if len(words) > 1 and "=" not in words[1] else None
            keys = dict(w.split("=", 1) for w in words[2 if pos else 1:])
            stmts.append((words[0], pos, keys))
    assert stmts[0] == ("seqnn", "1", {}) and stmts[1][0] == "input" and stmts[-1][0] == "loss", path
    kind, keys = stmts[1][1], stmts[1][2]
    defaults = {
        "embedding": {"padding": "-1"}, "dense": {}, "activation": {"alpha": "0.01"}, "dropout": {},
        "lstm": RECURRENT_DEFAULTS, "gru": dict(RECURRENT_DEFAULTS, classic="0"),
        "rnn": dict(RECURRENT_DEFAULTS, act="tanh"), "conv1d_bank": {"act": "relu"},
        "attention": {"heads": "1", "causal": "0", "score": "scaled_dot", "encoder": "0"}}
    layers = []
    for st, pos, k in stmts[2:-1]:
        if st not in defaults:
            raise ValueError("%s: the PyTorch twins have no '%s'" % (path, st))
        layer = dict(defaults[st], kind=st, act=pos, **k) if st == "activation" else dict(defaults[st], kind=st, **k)
        assert layer.get("classic", "0") == "0" and layer.get("score", "scaled_dot") == "scaled_dot", path
        assert layer.get("encoder", "0") == "0", path
        layers.append(layer)
    return kind, int(keys["vocab" if kind == "tokens" else "dim"]), layers, stmts[-1][1]


RECURRENT_DEFAULTS = {"layers": "1", "bidirectional": "0", "dropout": "0", "last": "0"}


def model_file(name):
    return os.path.join(MODEL_FILES, name + ".seqnn")


def activation(x, act, alpha):
    if act == "sigmoid":
        return torch.sigmoid(x)
    if act == "tanh":
        return torch.tanh(x)
    if act == "hardtanh":
        return F.hardtanh(x)
    if act == "relu":
        return F.relu(x)
    if act == "leaky_relu":
        return F.leaky_relu(x, alpha)
    if act == "swish":
        return F.silu(x)
    raise ValueError("unknown activation " + act)


class SeqnnModule(nn.Module):
    """The PyTorch model equivalent to the seqnn model of a model file.

    Time-major like seqnn ([T, B] tokens or [T, B, F] features). A recurrent
    layer is what a PyTorch user writes: pack_padded_sequence(x, lengths,
    enforce_sorted=False) when the batch has lengths, pad_packed_sequence back
    (zeros past each length), and for many-to-one torch.cat((h_n[-2], h_n[-1]),
    1) (bidirectional) or h_n[-1]."""

    def __init__(self, path):
        super().__init__()
        self.input_kind, n, self.layers, self.loss = read_model_file(path)
        self.n_in = n
        for i, it in enumerate(self.layers):
            kind = it["kind"]
            if kind == "embedding":
                pad = int(it["padding"])
                setattr(self, it["name"], nn.Embedding(n, int(it["dim"]), padding_idx=None if pad < 0 else pad))
                n = int(it["dim"])
            elif kind == "dense":
                setattr(self, it["name"], nn.Linear(n, int(it["out"])))
                n = int(it["out"])
            elif kind == "dropout":
                setattr(self, "dropout%d" % i, nn.Dropout(float(it["p"])))
            elif kind in RECURRENT:
                H, L, bi = int(it["hidden"]), int(it["layers"]), int(it["bidirectional"]) != 0
                kw = {"nonlinearity": it["act"]} if kind == "rnn" else {}
                if kind == "lstm" and "proj" in it:          # seqnn's lstm proj=P
                    kw["proj_size"] = int(it["proj"])
                setattr(self, it["name"], RECURRENT[kind](n, H, num_layers=L, bidirectional=bi,
                                                          dropout=float(it["dropout"]), **kw))
                n = kw.get("proj_size", H) * (2 if bi else 1)
            elif kind == "conv1d_bank":
                widths = [int(w) for w in it["widths"].split(",")]
                setattr(self, it["name"], nn.ModuleList([nn.Conv1d(n, int(it["filters"]), w) for w in widths]))
                n = int(it["filters"]) * len(widths)
            elif kind == "attention":
                setattr(self, it["name"], nn.MultiheadAttention(n, int(it["heads"])))
        self.out_n = n

    def forward(self, x, lengths=None):
        T = x.shape[0]
        seq = True
        for i, it in enumerate(self.layers):
            kind = it["kind"]
            if kind in ("embedding", "dense"):
                x = getattr(self, it["name"])(x)
            elif kind == "activation":
                x = activation(x, it["act"], float(it["alpha"]))
            elif kind == "dropout":
                x = getattr(self, "dropout%d" % i)(x)
            elif kind in RECURRENT:
                rnn, last, bi = getattr(self, it["name"]), int(it["last"]) != 0, int(it["bidirectional"]) != 0
                if lengths is not None:
                    out, state = rnn(pack_padded_sequence(x, lengths, enforce_sorted=False))
                    out = pad_packed_sequence(out, total_length=T)[0]
                else:
                    out, state = rnn(x)
                h_n = state[0] if isinstance(rnn, nn.LSTM) else state
                if last:
                    x = torch.cat((h_n[-2], h_n[-1]), 1) if bi else h_n[-1]
                    seq = False
                else:
                    x = out
            elif kind == "conv1d_bank":
                # [T, B, E] -> [B, E, T]; each width: conv, activation, max over
                # the valid windows: with lengths, windows 0 .. len - w of each
                # sequence, and window 0 of a sequence shorter than the width
                # (docs/models.md: "as if the sentence were padded to the width")
                xt = x.permute(1, 2, 0)
                pooled = []
                for conv, w in zip(getattr(self, it["name"]), [int(w) for w in it["widths"].split(",")]):
                    y = activation(conv(xt), it["act"], 0.01)            # [B, F, T - w + 1]
                    if lengths is not None:
                        win = torch.arange(y.shape[2])[None, :]
                        valid = (win <= (lengths[:, None] - w)) | (win == 0)
                        y = y.masked_fill(~valid[:, None, :], float("-inf"))
                    pooled.append(y.max(dim=2).values)
                x = torch.cat(pooled, 1)
                seq = False
            elif kind == "attention":
                mha, causal = getattr(self, it["name"]), int(it["causal"]) != 0
                mask = None
                if causal:
                    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
                kpm = None
                if lengths is not None:
                    kpm = torch.arange(T)[None, :] >= lengths[:, None]
                x = mha(x, x, x, key_padding_mask=kpm, attn_mask=mask, need_weights=False)[0]
        self.seq_out = seq
        return x


def loss_of(module, out, io, lengths):
    """seqnn's losses: mean cross-entropy over the counted targets (-100 and,
    for sequence outputs, positions past a sequence's length are not counted),
    mean squared error, mean BCE with logits (over every element)."""
    if module.loss == "xent":
        tgt = torch.as_tensor(io["targets"]).long().clone()
        if out.dim() == 3 and lengths is not None:
            past = torch.arange(tgt.shape[0])[:, None] >= lengths[None, :]
            tgt[past] = -100
        return F.cross_entropy(out.reshape(-1, out.shape[-1]), tgt.reshape(-1), ignore_index=-100)
    values = torch.as_tensor(io["values"]).to(out.dtype)
    if module.loss == "mse":
        return F.mse_loss(out, values)
    return F.binary_cross_entropy_with_logits(out, values)


def run(module, io, dtype, with_loss=True):
    """Output and loss (None without with_loss) of module (eval mode) on the
    inputs of io, in dtype."""
    module.eval()
    lengths = torch.as_tensor(io["lengths"]).long() if "lengths" in io else None
    if module.input_kind == "tokens":
        x = torch.as_tensor(io["tokens"]).long()
    else:
        x = torch.as_tensor(io["features"]).to(dtype)
    out = module(x, lengths)
    return out, loss_of(module, out, io, lengths) if with_loss else None


# -------------------------------------------------------------- safetensors
_DT = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int32): "I32",
       np.dtype(np.int64): "I64"}
_NP = {v: k for k, v in _DT.items()}


def save_safetensors(path, tensors, metadata):
    """include/seqnn/safetensors.h's format: 8-byte little-endian header length,
    the JSON header (padded with spaces to a multiple of 8), then each tensor's
    little-endian row-major bytes, largest element size first (aligned)."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].dtype.itemsize, kv[0]))
    header = {"__metadata__": {k: str(v) for k, v in sorted(metadata.items())}}
    blobs, at = [], 0
    for name, arr in items:
        arr = np.asarray(arr, order="C")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DT[arr.dtype], "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    js = json.dumps(header, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """Reads a safetensors file (F32, F64, I32, I64) strictly: the header must
    fit the file and the tensors must tile the data section."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: %d bytes, too short for a safetensors header" % (path, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError("%s: header of %d bytes runs past the end of the file" % (path, n))
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base, out, spans = 8 + n, {}, []
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = _NP.get(info["dtype"])
        if dt is None:
            raise ValueError("%s: tensor '%s' has dtype %s" % (path, name, info["dtype"]))
        count = int(np.prod(info["shape"], dtype=np.int64))
        if e - b != count * dt.itemsize or base + e > len(data):
            raise ValueError("%s: tensor '%s' has bad data offsets" % (path, name))
        out[name] = np.frombuffer(data[base + b:base + e], dtype=dt.newbyteorder("<")).reshape(info["shape"]).copy()
        spans.append((b, e))
    at = 0
    for b, e in sorted(spans):
        if b != at:
            raise ValueError("%s: tensors do not tile the data section (a hole or an overlap at byte %d)"
                             % (path, b))
        at = e
    if at != len(data) - base:
        raise ValueError("%s: %d bytes after the last tensor" % (path, len(data) - base - at))
    return out, meta


# -------------------------------------------------------------------- export
def make_inputs(cfg, module, gen):
    """Deterministic inputs of one model: tokens (anything in [0, V), padding
    ids included, arbitrary past each length: packing must ignore them) or
    features, lengths (unsorted, 1 and T among them), targets or values."""
    T, B = cfg["T"], cfg["B"]
    kind, n_in = module.input_kind, module.n_in
    io = {}
    if kind == "tokens":
        io["tokens"] = torch.randint(0, n_in, (T, B), generator=gen).to(torch.int32).numpy()
    else:
        io["features"] = (torch.rand((T, B, n_in), generator=gen) * 2 - 1).numpy().astype(np.float32)
    if cfg["lengths"]:
        lens = torch.randint(1, T + 1, (B,), generator=gen)
        lens[1] = T
        lens[-1] = 1
        io["lengths"] = lens.to(torch.int32).numpy()
    with torch.no_grad():
        shape = tuple(run(module, io, torch.float32, with_loss=False)[0].shape)
    if module.loss == "xent":
        tgt = torch.randint(0, module.out_n, shape[:-1], generator=gen).to(torch.int32)
        if len(shape) == 3:
            tgt[0, 0] = -100                   # an ignored target inside a sequence
        io["targets"] = tgt.numpy()
    elif module.loss == "mse":
        io["values"] = (torch.rand(shape, generator=gen) * 2 - 1).numpy().astype(np.float32)
    else:
        io["values"] = (torch.rand(shape, generator=gen) < 0.5).to(torch.float32).numpy()
    return io


def torch_optimizer(params, o):
    k = o["kind"]
    if k == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                               nesterov=bool(o.get("nesterov", 0)), weight_decay=o.get("weight_decay", 0))
    if k == "rmsprop":
        return torch.optim.RMSprop(params, lr=o["lr"], alpha=o["alpha"], eps=o["eps"],
                                   weight_decay=o.get("weight_decay", 0), momentum=o.get("momentum", 0),
                                   centered=bool(o.get("centered", 0)))
    if k in ("adam", "adamw"):
        cls = torch.optim.AdamW if k == "adamw" else torch.optim.Adam
        return cls(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                   weight_decay=o.get("weight_decay", 0), amsgrad=bool(o.get("amsgrad", 0)))
    if k == "adagrad":
        return torch.optim.Adagrad(params, lr=o["lr"], lr_decay=o.get("lr_decay", 0),
                                   weight_decay=o.get("weight_decay", 0), eps=o["eps"])
    raise ValueError(k)


def optim_metadata(opt, o):
    """Every hyperparameter of the torch.optim optimizer, under seqnn's
    seqnn_optim_desc field names ("optim.<field>"), defaults included, so the
    C side sets exactly what PyTorch used."""
    meta = {"optim.kind": o["kind"], "optim.clip_norm": o.get("clip_norm", 0.0)}
    benign = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False, "fused": None,
              "initial_accumulator_value": 0}
    for k, v in opt.defaults.items():
        if k == "betas":
            meta["optim.beta1"], meta["optim.beta2"] = v
        elif k in benign:
            assert v == benign[k] or (v is False and benign[k] is None), (k, v)
        else:
            meta["optim." + k] = int(v) if isinstance(v, bool) else v
    return meta


def export_one(name, cfg, out_dir, seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    module = SeqnnModule(model_file(name))
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    io = make_inputs(cfg, module, gen)
    meta = {"generator": "tests/interop/torch_models.py", "torch": torch.__version__, "model": name}
    tensors = dict(io)
    # float32 (what PyTorch users get) and float64 from the same float32 parameters
    with torch.no_grad():
        out32, loss32 = run(module, io, torch.float32)
        m64 = SeqnnModule(model_file(name)).double()
        m64.load_state_dict({k: v.double() for k, v in state.items()})
        out64, loss64 = run(m64, io, torch.float64)
    tensors["output"] = out32.numpy().astype(np.float32)
    tensors["output64"] = out64.numpy().astype(np.float64)
    tensors["loss"] = np.array(loss32.item(), np.float32)
    tensors["loss64"] = np.array(loss64.item(), np.float64)
    o = cfg["optim"]
    if o is not None:
        # gradients of one backward (float32, no dropout in these models)
        module.train()
        module.zero_grad()
        lengths = torch.as_tensor(io["lengths"]).long() if "lengths" in io else None
        x = torch.as_tensor(io["tokens"]).long() if "tokens" in io else torch.as_tensor(io["features"])
        loss_of(module, module(x, lengths), io, lengths).backward()
        for k, p in module.named_parameters():
            tensors["grad." + k] = p.grad.numpy().astype(np.float32).copy()
        # STEPS optimizer steps on the same batch with torch.optim
        opt = torch_optimizer(module.parameters(), o)
        losses = []
        for _ in range(STEPS):
            opt.zero_grad()
            loss = loss_of(module, module(x, lengths), io, lengths)
            losses.append(loss.item())
            loss.backward()
            if o.get("clip_norm", 0) > 0:
                torch.nn.utils.clip_grad_norm_(module.parameters(), o["clip_norm"])
            opt.step()
        tensors["step_loss"] = np.array(losses, np.float32)
        for k, p in module.named_parameters():
            tensors["after." + k] = p.detach().numpy().astype(np.float32).copy()
        meta["train.steps"] = STEPS
        meta.update(optim_metadata(opt, o))
    io_path = os.path.join(out_dir, name + ".io.safetensors")
    pt_path = os.path.join(out_dir, name + ".pt.safetensors")
    save_safetensors(pt_path, {k: v.numpy().astype(np.float32) for k, v in state.items()}, {"format": "pt"})
    save_safetensors(io_path, tensors, meta)
    # self-check of the writer
    back, m2 = load_safetensors(io_path)
    assert m2 == {k: str(v) for k, v in meta.items()} and set(back) == set(tensors)
    for k in back:
        assert np.array_equal(back[k], tensors[k]), (name, k)
    return pt_path, io_path


def export(out_dir, base_seed=SEED):
    """Each model's seed depends on its name only, so adding a model leaves
    the others' files unchanged; another base_seed gives other parameters and
    inputs (to see how the figures vary: export DIR SEED, then
    test_interop WORK DIR)."""
    os.makedirs(out_dir, exist_ok=True)
    made = set()
    for name, cfg in sorted(MODELS.items()):
        for p in export_one(name, cfg, out_dir, base_seed + zlib.crc32(name.encode()) % 1000003):
            made.add(os.path.basename(p))
            print("wrote", os.path.relpath(p), os.path.getsize(p), "bytes")
    for f in sorted(os.listdir(out_dir)):
        if f.endswith(".safetensors") and f not in made:
            os.remove(os.path.join(out_dir, f))
            print("removed stale", f)
    return 0


# --------------------------------------------------------------------- check
# Budget of the seqnn -> PyTorch comparison, the same as test_interop.c's
# PyTorch -> seqnn one (whose header says why): both sides compute in float32
# with different reduction orders, so they differ by float32 rounding.
# Normwise relative error max|a - b| / max|b| <= BUDGET for the outputs and
# |a - b| <= BUDGET * |b| for the loss. Measured: ~1e-7, as far as either
# side is from the float64 result (printed); the conformance suite allows a
# plugin's kernels up to ~7e-6 here; a wrong weight layout, gate order or
# mask gives 1e-2 to 1.
BUDGET = 1e-5


def normwise(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.max(np.abs(b)), np.finfo(np.float32).tiny)
    return float(np.max(np.abs(a - b)) / scale)


def check_one(io_path):
    io, meta = load_safetensors(io_path)
    name, ck = meta.get("model"), meta.get("seqnn.checkpoint")
    if name is None or ck is None:
        print("FAIL %s: metadata 'model' or 'seqnn.checkpoint' is missing" % io_path)
        return False
    ck_path = os.path.join(os.path.dirname(io_path), ck)
    params, ck_meta = load_safetensors(ck_path)
    module = SeqnnModule(model_file(name))
    names = dict(module.state_dict())
    optim = {k: v for k, v in params.items() if k.startswith("optim.")}
    state = {k: torch.as_tensor(v) for k, v in params.items() if not k.startswith("optim.")}
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        print("FAIL %s: %s" % (ck_path, e))
        return False
    ok = True
    for k, v in optim.items():                    # optim.<param>.<slot>: shaped like <param>
        pname = k[len("optim."):].rsplit(".", 1)[0]
        if pname not in names or tuple(v.shape) != tuple(names[pname].shape):
            print("FAIL %s: optimizer state '%s' matches no parameter of that shape" % (ck_path, k))
            ok = False
    with torch.no_grad():
        out32, loss32 = run(module, io, torch.float32)
        m64 = SeqnnModule(model_file(name)).double()
        m64.load_state_dict({k: v.double() for k, v in state.items()})
        out64, loss64 = run(m64, io, torch.float64)
    seq = io["output"]
    if tuple(seq.shape) != tuple(out32.shape):
        print("FAIL %s: seqnn's output is %s, PyTorch's %s" % (io_path, seq.shape, tuple(out32.shape)))
        return False
    e_out = normwise(seq, out32.numpy())
    e_loss = abs(float(io["loss"]) - loss32.item()) / max(abs(loss32.item()), 1e-30)
    good = e_out <= BUDGET and e_loss <= BUDGET
    print("%s %s (%s, %s): output error %.2e (seqnn vs float64 %.2e, torch float32 vs float64 %.2e), "
          "loss %.6f vs %.6f (rel %.2e), %d parameters%s, budget %.0e"
          % ("ok" if good else "FAIL", meta.get("model", "?"), meta.get("seqnn.plugin", "?"), os.path.basename(ck),
             e_out, normwise(seq, out64.numpy()), normwise(out32.numpy(), out64.numpy()),
             float(io["loss"]), loss32.item(), e_loss, len(state),
             " + %d optimizer tensors" % len(optim) if optim else "", BUDGET))
    return ok and good


def check(paths):
    if not paths:
        print("check: no io files given")
        return 1
    failed = 0
    for p in paths:
        try:
            failed += not check_one(p)
        except (OSError, ValueError, KeyError) as e:
            print("FAIL %s: %s" % (p, e))
            failed += 1
    print("%d checked, %d failed" % (len(paths), failed))
    return 1 if failed else 0


def main(argv):
    torch.set_num_threads(1)
    if len(argv) >= 2 and argv[1] == "export":
        return export(argv[2] if len(argv) > 2 else DATA, int(argv[3]) if len(argv) > 3 else SEED)
    if len(argv) >= 2 and argv[1] == "check":
        files = []
        for a in argv[2:]:
            if os.path.isdir(a):
                files += sorted(os.path.join(a, f) for f in os.listdir(a) if f.endswith(".io.safetensors"))
            else:
                files.append(a)
        return check(files)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
