"""ONNX import check (CTest onnx_import): exports PyTorch models with
torch.onnx.export, imports each with seqnn (the C API through test_onnx_run,
and `seqnn import` -> checkpoint -> rebuilt model) on the ref, avx2 and opencl
plugins, and compares the outputs with PyTorch's (normwise relative error
<= 1e-5); then checks that graphs seqnn cannot map, and broken files, are
refused with an error naming the node or the problem.

usage: onnx_models.py SEQNN TEST_ONNX_RUN WORK_DIR [BACKEND ...]
The .onnx files are generated here, at test time, into WORK_DIR."""
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

TOL = 1e-5
T, B, V = 7, 3, 30


class LstmLM(nn.Module):
    """Language model: embedding, LSTM, dropout, linear, log-softmax."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.rnn = nn.LSTM(8, 16)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(16, V)

    def forward(self, x):
        y, _ = self.rnn(self.emb(x))
        return torch.log_softmax(self.fc(self.drop(y)), -1)


class GruClassifier(nn.Module):
    """Bidirectional GRU classifier on its final states, cat(h_n[-2], h_n[-1])."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.rnn = nn.GRU(8, 12, bidirectional=True)
        self.fc = nn.Linear(24, 4)

    def forward(self, x):
        _, h = self.rnn(self.emb(x))
        return self.fc(torch.cat((h[-2], h[-1]), 1))


class StackedTagger(nn.Module):
    """Two-layer bidirectional LSTM tagger over features, ReLU, linear."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 10, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(20, 5)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(torch.relu(y))


class Elman(nn.Module):
    """Two-layer Elman RNN (tanh), many-to-one on h_n[-1], leaky ReLU, softmax."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(6, 14, num_layers=2)
        self.fc1 = nn.Linear(14, 9)
        self.fc2 = nn.Linear(9, 3)

    def forward(self, x):
        _, h = self.rnn(x)
        return torch.softmax(self.fc2(nn.functional.leaky_relu(self.fc1(h[-1]), 0.1)), -1)


class BatchFirst(nn.Module):
    """batch_first ReLU RNN over tokens, linear, sigmoid."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5)
        self.rnn = nn.RNN(5, 11, nonlinearity="relu", batch_first=True)
        self.fc = nn.Linear(11, 2)

    def forward(self, x):
        y, _ = self.rnn(self.emb(x))
        return torch.sigmoid(self.fc(y))


class ZeroStates(nn.Module):
    """LSTM given explicit zero initial states built in forward, then tanh."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        h0 = torch.zeros(1, x.size(1), 8)
        y, _ = self.rnn(x, (h0, h0.clone()))
        return torch.tanh(self.fc(y))


class LastStep(nn.Module):
    """batch_first GRU classifier on its last step, y[:, -1]."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(6, 9, batch_first=True)
        self.fc = nn.Linear(9, 3)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


class KimCnn(nn.Module):
    """Kim's CNN: embedding, Conv1d of widths 2, 3, 4, ReLU, max over time,
    concatenated, linear."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.convs = nn.ModuleList([nn.Conv1d(8, 5, k) for k in (2, 3, 4)])
        self.fc = nn.Linear(15, 3)

    def forward(self, x):
        e = self.emb(x).permute(1, 2, 0)
        return self.fc(torch.cat([torch.relu(c(e)).max(dim=2)[0] for c in self.convs], 1))


class GruLengths(nn.Module):
    """Bidirectional GRU classifier over packed sequences of given lengths
    (pack_padded_sequence, unsorted), on cat(h_n[-2], h_n[-1])."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.rnn = nn.GRU(8, 12, bidirectional=True)
        self.fc = nn.Linear(24, 4)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.emb(x), lengths, enforce_sorted=False)
        _, h = self.rnn(packed)
        return self.fc(torch.cat((h[-2], h[-1]), 1))


class LengthsTagger(nn.Module):
    """batch_first LSTM tagger over packed sequences (sorted lengths), padded
    back (pad_packed_sequence), linear."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 7, batch_first=True)
        self.fc = nn.Linear(7, 5)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
        y, _ = nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        return self.fc(y)


class InitialStates(nn.Module):
    """Two-layer LSTM started from non-zero initial states given as inputs."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 8, num_layers=2)
        self.fc = nn.Linear(8, 4)

    def forward(self, x, h0, c0):
        return self.fc(self.rnn(x, (h0, c0))[0])


class LearnedState(nn.Module):
    """A GRU started from a learned initial state expanded over the batch
    (Expand of a constant): seqnn's learned_state=1."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(6, 8)
        self.h0 = nn.Parameter(torch.randn(1, 1, 8))

    def forward(self, x):
        return self.rnn(x, self.h0.expand(1, x.size(1), 8).contiguous())[0]


class LearnedLstm(nn.Module):
    """A two-layer bidirectional LSTM started from learned h0 (expand) and c0
    (repeat: Tile), sliced per layer by the exporter."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 8, num_layers=2, bidirectional=True)
        self.h0 = nn.Parameter(torch.randn(4, 8))
        self.c0 = nn.Parameter(torch.randn(4, 1, 8))
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        b = x.size(1)
        h0 = self.h0.unsqueeze(1).expand(-1, b, -1).contiguous()
        return self.fc(self.rnn(x, (h0, self.c0.repeat(1, b, 1)))[0])


class KimMaxPool(nn.Module):
    """Kim's CNN as often written: tanh, F.max_pool1d over the whole (fixed)
    length, squeeze; exported with a fixed T."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.convs = nn.ModuleList([nn.Conv1d(8, 4, k) for k in (3, 5)])
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        e = self.emb(x).permute(1, 2, 0)
        pooled = [nn.functional.max_pool1d(torch.tanh(c(e)), T - c.kernel_size[0] + 1).squeeze(2)
                  for c in self.convs]
        return self.fc(torch.cat(pooled, 1))


class MhaEncoder(nn.Module):
    """Encoder: embedding, nn.MultiheadAttention self-attention (4 heads),
    ReLU, another (2 heads), linear."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 16)
        self.attn = nn.MultiheadAttention(16, 4)
        self.attn2 = nn.MultiheadAttention(16, 2)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        e = self.emb(x)
        a = torch.relu(self.attn(e, e, e, need_weights=False)[0])
        return self.fc(self.attn2(a, a, a, need_weights=False)[0])


class CausalMha(nn.Module):
    """Self-attention with a causal attn_mask (a constant triu of -inf,
    added to the scores): seqnn's causal attention; then a linear."""
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(6, 2)
        self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), 1))
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(self.attn(x, x, x, attn_mask=self.mask, need_weights=False)[0])


class PaddingMha(nn.Module):
    """Embedding, self-attention with a key_padding_mask made from the
    lengths input (keys at or past the length are masked), linear."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.attn = nn.MultiheadAttention(8, 4)
        self.fc = nn.Linear(8, 3)

    def forward(self, x, lengths):
        e = self.emb(x)
        pad = torch.arange(x.size(0)).unsqueeze(0) >= lengths.unsqueeze(1)
        return self.fc(self.attn(e, e, e, key_padding_mask=pad, need_weights=False)[0])


class BatchFirstMha(nn.Module):
    """Embedding, nn.MultiheadAttention(batch_first=True) over [B, T]
    tokens, linear."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        e = self.emb(x)
        return self.fc(self.attn(e, e, e, need_weights=False)[0])


class LookAheadMha(nn.Module):
    """An attn_mask that is not causal (each query sees the keys after it):
    refused, naming the node that adds it."""
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(6, 2)
        self.register_buffer("mask", torch.tril(torch.full((T, T), float("-inf")), -1))

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=self.mask, need_weights=False)[0]


class LengthsAttention(nn.Module):
    """Attention over a padded packed sequence (PyTorch attends over the
    padding; seqnn would mask it): refused."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(6, 8)
        self.attn = nn.MultiheadAttention(8, 2)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths)
        y = nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0])[0]
        return self.attn(y, y, y, need_weights=False)[0]


class HandCausal(nn.Module):
    """Scaled dot-product attention written by hand over a batch-first
    input: one fused Linear chunked into q, k, v, view / transpose into 2
    heads, q @ kᵀ / sqrt(d), masked_fill of a causal triu buffer, softmax,
    @ v, heads joined, an output Linear; then a linear."""
    def __init__(self, E=8, h=2):
        super().__init__()
        self.h, self.d = h, E // h
        self.qkv, self.out, self.fc = nn.Linear(E, 3 * E), nn.Linear(E, E), nn.Linear(E, 3)
        self.emb = nn.Embedding(V, E)
        self.register_buffer("mask", torch.triu(torch.ones(T, T), 1).bool())

    def forward(self, x):
        b, t = x.shape
        q, k, v = self.qkv(self.emb(x)).chunk(3, -1)
        q, k, v = (z.view(b, t, self.h, self.d).transpose(1, 2) for z in (q, k, v))
        s = (q @ k.transpose(-2, -1) / math.sqrt(self.d)).masked_fill(self.mask, float("-inf"))
        c = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, self.h * self.d)
        return self.fc(self.out(c))


class HandTimeMajor(nn.Module):
    """The same written over a time-major input [T, B, E] with 3 heads
    permuted to [B, h, T, d], the scores multiplied by 1/sqrt(d), no mask."""
    def __init__(self, E=12, h=3):
        super().__init__()
        self.h, self.d = h, E // h
        self.qkv, self.out = nn.Linear(E, 3 * E), nn.Linear(E, E)
        self.inp = nn.Linear(6, E)

    def forward(self, x):
        t, b, _ = x.shape
        q, k, v = self.qkv(self.inp(x)).chunk(3, -1)
        q, v = (z.reshape(t, b, self.h, self.d).permute(1, 2, 0, 3) for z in (q, v))
        k = k.reshape(t, b, self.h, self.d).permute(1, 2, 3, 0)
        w = torch.softmax((q @ k) * (1 / math.sqrt(self.d)), -1)
        return self.out((w @ v).permute(2, 0, 1, 3).reshape(t, b, self.h * self.d))


class HandWrongScale(HandCausal):
    """The scores divided by d, not sqrt(d): refused at the Softmax."""
    def __init__(self):
        super().__init__()
        self.h_d = 4

    def forward(self, x):
        b, t = x.shape
        q, k, v = self.qkv(self.emb(x)).chunk(3, -1)
        q, k, v = (z.view(b, t, self.h, self.h_d).transpose(1, 2) for z in (q, k, v))
        s = q @ k.transpose(-2, -1) / self.h_d
        c = (torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, self.h * self.h_d)
        return self.fc(self.out(c))


class HandQueryMask(HandCausal):
    """Padding masked on the queries' axis (pad[:, None, :, None]), not on
    the keys': refused at the Unsqueeze that puts it there."""
    def forward(self, x, lengths):
        b, t = x.shape
        q, k, v = self.qkv(self.emb(x)).chunk(3, -1)
        q, k, v = (z.view(b, t, self.h, self.d).transpose(1, 2) for z in (q, k, v))
        pad = torch.arange(t).unsqueeze(0) >= lengths.unsqueeze(1)
        s = (q @ k.transpose(-2, -1) / math.sqrt(self.d)).masked_fill(pad[:, None, :, None], float("-inf"))
        return self.fc(self.out((torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, self.h * self.d)))


class HandWrongView(HandCausal):
    """Heads by reshape(b, h, t, d) (not [b, t, h, d] then transposed): refused."""
    def forward(self, x):
        b, t = x.shape
        q, k, v = (z.reshape(b, self.h, t, self.d) for z in self.qkv(self.emb(x)).chunk(3, -1))
        s = q @ k.transpose(-2, -1) / math.sqrt(self.d)
        return self.fc(self.out((torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, self.h * self.d)))


class HandSeparate(nn.Module):
    """Scaled dot-product attention written by hand, one head, over a
    time-major input: three separate Linears for q, k, v, transposes to
    batch-first, q @ kᵀ / sqrt(E), softmax, @ v, back, an output Linear."""
    def __init__(self, out=True):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(6, 6), nn.Linear(6, 6), nn.Linear(6, 6)
        self.o = nn.Linear(6, 6) if out else nn.Identity()

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        w = torch.softmax(q.transpose(0, 1) @ k.permute(1, 2, 0) / 6 ** 0.5, -1)
        return self.o((w @ v.transpose(0, 1)).transpose(0, 1))


class HandSeparateHeads(nn.Module):
    """The same over a batch-first input, separate Linears (k without a
    bias) viewed into 2 heads, q scaled before the product, a causal
    masked_fill, an output Linear."""
    def __init__(self, E=8, h=2):
        super().__init__()
        self.h, self.d = h, E // h
        self.emb = nn.Embedding(V, E)
        self.q, self.k, self.v = nn.Linear(E, E), nn.Linear(E, E, bias=False), nn.Linear(E, E)
        self.o = nn.Linear(E, E)
        self.register_buffer("mask", torch.triu(torch.ones(T, T), 1).bool())

    def forward(self, x):
        b, t = x.shape
        e = self.emb(x)
        q, k, v = (f(e).view(b, t, self.h, self.d).transpose(1, 2) for f in (self.q, self.k, self.v))
        s = ((q * self.d ** -0.5) @ k.transpose(-2, -1)).masked_fill(self.mask, float("-inf"))
        return self.o((torch.softmax(s, -1) @ v).transpose(1, 2).reshape(b, t, self.h * self.d))


class BiLastStep(nn.Module):
    """y[-1] of a bidirectional LSTM is not its final state: refused."""
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(6, 4, bidirectional=True)

    def forward(self, x):
        return self.rnn(x)[0][-1]


class Conv(nn.Module):
    """A convolution without max over time: refused, naming the Conv node."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(6, 4, 3)

    def forward(self, x):
        return self.conv(x.permute(1, 2, 0))


class PaddedConv(nn.Module):
    """A padded convolution (seqnn's bank has none): refused."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(6, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x.permute(1, 2, 0))).max(dim=2)[0]


class TwoInputs(nn.Module):
    """Two inputs, token ids and features, each through its own recurrent
    layer to its final state (h_n[-1]), concatenated, a linear layer."""
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 6)
        self.q = nn.LSTM(6, 5)
        self.s = nn.GRU(6, 4)
        self.fc = nn.Linear(9, 3)

    def forward(self, x, scene):
        return self.fc(torch.cat((self.q(self.emb(x))[1][0][-1], self.s(scene)[1][-1]), 1))


def tokens(shape):
    return torch.randint(0, V, shape)


def features():
    return torch.randn(T, B, 6)


# name, model, inputs (as the model takes them), their names
MODELS = [
    ("lstm_lm", LstmLM, lambda: (tokens((T, B)),), ["x"]),
    ("gru_classifier", GruClassifier, lambda: (tokens((T, B)),), ["x"]),
    ("gru_lengths", GruLengths, lambda: (tokens((T, B)), torch.tensor([4, T, 2])), ["x", "lengths"]),
    ("stacked_bilstm_tagger", StackedTagger, lambda: (features(),), ["x"]),
    ("lengths_tagger", LengthsTagger, lambda: (torch.randn(B, T, 6), torch.tensor([T, 5, 3])),
     ["x", "lengths"]),
    ("elman_rnn", Elman, lambda: (features(),), ["x"]),
    ("kim_cnn", KimCnn, lambda: (tokens((T, B)),), ["x"]),
    ("kim_maxpool", KimMaxPool, lambda: (tokens((T, B)),), ["x:T"]),
    ("mha_encoder", MhaEncoder, lambda: (tokens((T, B)),), ["x"]),
    ("causal_mha", CausalMha, lambda: (features(),), ["x"]),
    ("padding_mha", PaddingMha, lambda: (tokens((T, B)), torch.tensor([T, 4, 2])), ["x", "lengths"]),
    ("batch_first_mha", BatchFirstMha, lambda: (tokens((B, T)),), ["x"]),
    ("hand_causal", HandCausal, lambda: (tokens((B, T)),), ["x"]),
    ("hand_time_major", HandTimeMajor, lambda: (features(),), ["x"]),
    ("hand_separate", HandSeparate, lambda: (features(),), ["x"]),
    ("hand_separate_heads", HandSeparateHeads, lambda: (tokens((B, T)),), ["x"]),
    ("batch_first", BatchFirst, lambda: (tokens((B, T)),), ["x"]),
    ("initial_states", InitialStates, lambda: (features(), torch.randn(2, B, 8), torch.randn(2, B, 8)),
     ["x", "h0", "c0"]),
    ("zero_states", ZeroStates, lambda: (features(),), ["x"]),
    ("learned_state", LearnedState, lambda: (features(),), ["x"]),
    ("learned_lstm", LearnedLstm, lambda: (features(),), ["x"]),
    ("last_step", LastStep, lambda: (torch.randn(B, T, 6),), ["x"]),
    ("two_inputs", TwoInputs, lambda: (tokens((T, B)), torch.randn(T - 2, B, 6)), ["x", "input_scene"]),
]


def export(model, args, path, names):
    """names: the inputs' names; "x:T" keeps x's first axis fixed."""
    model.eval()
    dyn = {n: {0: "d0", 1: "d1"} if n != "lengths" else {0: "d1"} for n in names}
    for n in [n for n in names if n.endswith(":T")]:
        del dyn[n]
        dyn[n[:-2]] = {1: "d1"}
    names = [n[:-2] if n.endswith(":T") else n for n in names]
    torch.onnx.export(model, args, path, input_names=names, output_names=["y"], dynamic_axes=dyn,
                      opset_version=13)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def seqnn_output(tool, source, backend, xs, names, work, name, checkpoint=False):
    """seqnn's output for inputs xs (as PyTorch takes them), in PyTorch's
    layout; None when the backend is missing."""
    files = []
    for k, x in enumerate(xs):
        files.append(os.path.join(work, "%s.in%d" % (name, k)))
        arr = x.numpy()
        arr.astype(np.int32 if arr.dtype.kind == "i" else np.float32).tofile(files[-1])
    out = os.path.join(work, "%s.%s.out" % (name, backend))
    shape = xs[0].shape
    cmd = [tool] + (["--checkpoint"] if checkpoint else []) + [source, backend, files[0], str(shape[0]),
                                                               str(shape[1]), out]
    for k in range(1, len(xs)):   # input_*: the model's next input, time-major
        cmd += ["--input", "%s:%d" % (files[k], xs[k].shape[0])] if names[k].startswith("input_") else \
               ["--" + names[k], files[k]]
    r = run(cmd)
    if r.returncode == 77:
        return None, r.stderr
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    keys = dict(line.split("=", 1) for line in r.stdout.split())
    y = np.fromfile(out, dtype=np.float32).astype(np.float64)
    if keys["shape"].startswith("T,B,"):
        y = y.reshape(int(keys["T"]), int(keys["B"]), -1)
        if keys["output_batch_first"] == "1":
            y = y.swapaxes(0, 1)
    else:
        y = y.reshape(int(keys["B"]), -1)
    if keys["output"] in ("softmax", "log_softmax"):   # "?": a checkpoint of seqnn train (raw logits)
        z = y - y.max(-1, keepdims=True)
        lse = np.log(np.exp(z).sum(-1, keepdims=True))
        y = z - lse if keys["output"] == "log_softmax" else np.exp(z - lse)
    return y, keys


def normwise(y, ref):
    return float(np.linalg.norm(y - ref) / max(np.linalg.norm(ref), 1e-30))


def check_models(seqnn, tool, work, backends):
    failures = 0
    for name, cls, make, names in MODELS:
        torch.manual_seed(len(name))
        model = cls()
        xs = make()
        path = os.path.join(work, name + ".onnx")
        export(model, xs, path, names)
        with torch.no_grad():
            ref = model(*xs).double().numpy()
        for backend in backends:
            y, info = seqnn_output(tool, path, backend, xs, names, work, name)
            if y is None:
                print("%-22s %-7s skipped: %s" % (name, backend, info.strip()))
                continue
            err = normwise(y, ref) if y.shape == ref.shape else float("inf")
            ok = err <= TOL
            failures += not ok
            print("%-22s %-7s normwise error %.2e %s" % (name, backend, err, "ok" if ok else
                                                          "FAIL (shape %s vs %s)" % (y.shape, ref.shape)))
        ckpt = os.path.join(work, name + ".safetensors")
        r = run([seqnn, "import", path, "-o", ckpt, "--backend", "ref"])
        if r.returncode:
            print("%-22s seqnn import failed: %s" % (name, r.stderr.strip()))
            failures += 1
            continue
        y, _ = seqnn_output(tool, ckpt, "ref", xs, names, work, name + "_ckpt", checkpoint=True)
        err = normwise(y, ref)
        ok = err <= TOL
        failures += not ok
        print("%-22s %-7s normwise error %.2e %s (seqnn import -> checkpoint)" % (name, "ref", err,
                                                                              "ok" if ok else "FAIL"))
    return failures


def check_finetune(seqnn, tool, work):
    """`seqnn train --resume` on an imported classifier (its model file from
    `seqnn import --print`, classify data of ids) starts from the imported
    weights (a step at a learning rate of 1e-12 keeps PyTorch's outputs) and
    trains them (at the default rate the outputs move)."""
    name = "gru_classifier"
    torch.manual_seed(len(name))
    model = GruClassifier()
    xs = (tokens((T, B)),)
    with torch.no_grad():
        ref = model(*xs).double().numpy()
    ckpt, mf = os.path.join(work, "finetune.safetensors"), os.path.join(work, "finetune.model")
    r = run([seqnn, "import", os.path.join(work, name + ".onnx"), "-o", ckpt, "--print"])
    if r.returncode:
        print("finetune: seqnn import failed: %s FAIL" % r.stderr.strip())
        return 1
    open(mf, "w").write(r.stdout)
    data = os.path.join(work, "finetune.tsv")
    rng = np.random.default_rng(1)
    with open(data, "w") as f:
        for _ in range(64):
            ids = rng.integers(2, V, rng.integers(3, 10))
            f.write("%d\t%s\n" % (ids.sum() % 4, " ".join(map(str, ids))))
    failures = 0
    for lr, lo, hi in (["--lr", "1e-12"], 0, TOL), ([], 1e-3, float("inf")):
        out = os.path.join(work, "finetuned.safetensors")
        if os.path.exists(out):
            os.remove(out)
        r = run([seqnn, "train", mf, "--data", data, "--format", "classify", "--words", "--resume", ckpt,
                 "--out", out, "--backend", "ref", "--steps", "2"] + lr)
        if r.returncode:
            print("finetune: seqnn train --resume failed: %s FAIL" % r.stderr.strip())
            return failures + 1
        y, _ = seqnn_output(tool, out, "ref", xs, ["x"], work, "finetuned", checkpoint=True)
        err = normwise(y, ref)
        ok = lo <= err <= hi
        failures += not ok
        print("%-22s ref     normwise error %.2e after 2 steps of seqnn train --resume %s%s" %
              (name, err, " ".join(lr) or "(default lr)", " ok" if ok else " FAIL (wanted in [%g, %g])" % (lo, hi)))
    return failures


def expect_refusal(seqnn, work, name, path, needles):
    out = os.path.join(work, name + ".safetensors")
    if os.path.exists(out):
        os.remove(out)
    r = run([seqnn, "import", path, "-o", out, "--backend", "ref"])
    msg = r.stderr.strip()
    ok = r.returncode == 1 and all(n in msg for n in needles) and not os.path.exists(out)
    print("%-22s refused: %s %s" % (name, msg, "ok" if ok else "FAIL (wanted %s, exit 1, no file)" % needles))
    return not ok


def check_hostile(seqnn, work):
    """Graphs built by hand with onnx.helper: a cycle, a shape of 2^42
    elements over a few bytes, data in an external file outside the model's
    directory, an unknown domain."""
    from onnx import TensorProto, helper
    failures = 0
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", "B", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)

    def save(name, nodes, inits):
        graph = helper.make_graph(nodes, name, [x], [y], inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        path = os.path.join(work, name + ".onnx")
        open(path, "wb").write(model.SerializeToString())
        return path

    path = save("cycle", [helper.make_node("Relu", ["z"], ["y"], name="a"),
                          helper.make_node("Relu", ["y"], ["z"], name="b")], [])
    failures += expect_refusal(seqnn, work, "cycle", path, ["node 0 'a' (Relu)", "not produced before"])
    huge = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [0.0] * 4)
    del huge.dims[:]
    huge.dims.extend([4, 1 << 40])
    path = save("huge", [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], [huge])
    failures += expect_refusal(seqnn, work, "huge", path, ["node 0 'fc' (MatMul)", "too large"])
    ext = helper.make_tensor("w", TensorProto.FLOAT, [4, 2], [0.0] * 8)
    ext.ClearField("float_data")
    ext.data_location = TensorProto.EXTERNAL
    entry = ext.external_data.add()
    entry.key, entry.value = "location", "../../../etc/passwd"
    path = save("external", [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], [ext])
    failures += expect_refusal(seqnn, work, "external", path, ["node 0 'fc' (MatMul)", "external file"])
    path = save("domain", [helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.example")], [])
    failures += expect_refusal(seqnn, work, "domain", path, ["node 0 'r' (Relu)", "com.example"])
    neg = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [0.0] * 4)
    neg.dims[0] = -4
    path = save("negative", [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], [neg])
    failures += expect_refusal(seqnn, work, "negative", path, ["node 0 'fc' (MatMul)", "'w' has a negative"])
    H = 3
    w = helper.make_tensor("W", TensorProto.FLOAT, [1, 4 * H, 4], [0.1] * (16 * H))
    r = helper.make_tensor("R", TensorProto.FLOAT, [1, 4 * H, H], [0.1] * (4 * H * H))
    path = save("sideways", [helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="lstm", hidden_size=H,
                                              direction="sideways")], [w, r])
    failures += expect_refusal(seqnn, work, "sideways", path, ["node 0 'lstm' (LSTM)", "direction 'sideways'"])
    h0 = helper.make_tensor_value_info("h0", TensorProto.FLOAT, [3, "B", H])
    graph = helper.make_graph([helper.make_node("LSTM", ["x", "W", "R", "", "", "h0"], ["y"], name="lstm",
                                                hidden_size=H)], "rows", [x, h0], [y], [w, r])
    path = os.path.join(work, "state_rows.onnx")
    open(path, "wb").write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
                           .SerializeToString())
    failures += expect_refusal(seqnn, work, "state_rows", path, ["node 0 'lstm' (LSTM)", "'h0': the op of layer 0 "
                                                                      "must read rows [0, 1)", "rows [0, 3)"])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["T2", "B", 4])
    graph = helper.make_graph([helper.make_node("Add", ["x", "z"], ["y"], name="sum")], "merge", [x, z], [y])
    path = os.path.join(work, "merge_streams.onnx")
    open(path, "wb").write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
                           .SerializeToString())
    failures += expect_refusal(seqnn, work, "merge_streams", path, ["node 0 'sum' (Add)", "sequences of one input"])
    p = helper.make_tensor("P", TensorProto.FLOAT, [1, 2 * H], [0.1] * (2 * H))
    path = save("peephole_rows", [helper.make_node("LSTM", ["x", "W", "R", "", "", "", "", "P"], ["y"], name="lstm",
                                                   hidden_size=H)], [w, r, p])
    failures += expect_refusal(seqnn, work, "peephole_rows", path, ["node 0 'lstm' (LSTM)", "P must be [1, 9]"])
    path = save("loss", [helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="lstm", hidden_size=H)], [w, r])
    import onnx
    model = onnx.load(path)
    helper.set_model_props(model, {"seqnn.loss": "hinge"})
    open(path, "wb").write(model.SerializeToString())
    failures += expect_refusal(seqnn, work, "loss", path, ["seqnn.loss is 'hinge'"])
    return failures


def check_refusals(seqnn, work):
    failures = 0
    torch.manual_seed(1)
    x = features()
    path = os.path.join(work, "conv.onnx")
    export(Conv(), (x,), path, ["x"])
    failures += expect_refusal(seqnn, work, "conv", path, ["node 1 '/conv/Conv' (Conv)", "max-pooled",
                                                           "supported:"])
    path = os.path.join(work, "padded_conv.onnx")
    export(PaddedConv(), (x,), path, ["x"])
    failures += expect_refusal(seqnn, work, "padded_conv", path, ["'/conv/Conv' (Conv)", "without padding"])
    path = os.path.join(work, "dynamic_maxpool.onnx")
    export(KimMaxPool(), (tokens((T, B)),), path, ["x"])
    failures += expect_refusal(seqnn, work, "dynamic_maxpool", path, ["(MaxPool)", "fixed length"])
    path = os.path.join(work, "look_ahead_mha.onnx")
    export(LookAheadMha(), (x,), path, ["x"])
    failures += expect_refusal(seqnn, work, "look_ahead_mha", path, ["'/attn/Add_2' (Add)", "when it is causal"])
    path = os.path.join(work, "lengths_attention.onnx")
    export(LengthsAttention(), (x, torch.tensor([T, 5, 2])), path, ["x", "lengths"])
    failures += expect_refusal(seqnn, work, "lengths_attention", path, ["(MatMul)", "sequence lengths", "attention 'attn'",
                                                                        "reads the padding too"])
    path = os.path.join(work, "hand_wrong_scale.onnx")
    export(HandWrongScale(), (tokens((B, T)),), path, ["x"])
    failures += expect_refusal(seqnn, work, "hand_wrong_scale", path, ["'/Softmax' (Softmax)", "not by 1/sqrt(d)"])
    path = os.path.join(work, "hand_query_mask.onnx")
    export(HandQueryMask(), (tokens((B, T)), torch.tensor([T, 4, 2])), path, ["x", "lengths"])
    failures += expect_refusal(seqnn, work, "hand_query_mask", path, ["(Unsqueeze)", "keys' axis"])
    path = os.path.join(work, "hand_wrong_view.onnx")
    export(HandWrongView(), (tokens((B, T)),), path, ["x"])
    failures += expect_refusal(seqnn, work, "hand_wrong_view", path, ["'/Transpose' (Transpose)", "viewed other than [S0, S1, h, d]"])
    path = os.path.join(work, "hand_attention.onnx")
    export(HandSeparate(out=False), (x,), path, ["x"])
    failures += expect_refusal(seqnn, work, "hand_attention", path, ["attention 'attn' does not reach its output"])
    path = os.path.join(work, "bi_last_step.onnx")
    export(BiLastStep(), (x,), path, ["x"])
    failures += expect_refusal(seqnn, work, "bi_last_step", path, ["(Gather)", "h_n[-2]"])
    failures += check_hostile(seqnn, work)
    good = open(os.path.join(work, "lstm_lm.onnx"), "rb").read()
    path = os.path.join(work, "truncated.onnx")
    open(path, "wb").write(good[: len(good) // 2])
    failures += expect_refusal(seqnn, work, "truncated", path, ["truncated.onnx"])
    path = os.path.join(work, "garbage.onnx")
    open(path, "wb").write(bytes(range(256)) * 4)
    failures += expect_refusal(seqnn, work, "garbage", path, ["not an ONNX model"])
    failures += expect_refusal(seqnn, work, "missing", os.path.join(work, "missing.onnx"), ["cannot open"])
    return failures


def check_reverse(tool, work, backends):
    """An LSTM op of direction "reverse" (PyTorch exports none: built with
    onnx.helper) mapped to `lstm reverse=1`, against torch.nn.LSTM run over
    the time-flipped input (its output flipped back)."""
    from onnx import TensorProto, helper, numpy_helper
    torch.manual_seed(5)
    H, F = 5, 6
    lstm = nn.LSTM(F, H)
    onnx_order = [0, 3, 1, 2]   # ONNX block k (i, o, f, c) <- PyTorch block (i, f, g, o)
    blocks = lambda m: np.concatenate([m[k * H:(k + 1) * H] for k in onnx_order])[None]
    sd = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    inits = [numpy_helper.from_array(blocks(sd["weight_ih_l0"]), "W"),
             numpy_helper.from_array(blocks(sd["weight_hh_l0"]), "R"),
             numpy_helper.from_array(np.concatenate([blocks(sd["bias_ih_l0"]), blocks(sd["bias_hh_l0"])], 1), "B"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    nodes = [helper.make_node("LSTM", ["x", "W", "R", "B"], ["y4"], name="/rev/LSTM", hidden_size=H,
                              direction="reverse"),
             helper.make_node("Squeeze", ["y4", "axis1"], ["y"], name="/rev/Squeeze")]
    graph = helper.make_graph(nodes, "reverse", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", "B", F])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    path = os.path.join(work, "reverse_lstm.onnx")
    open(path, "wb").write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    x = torch.randn(T, B, F)
    with torch.no_grad():
        ref = lstm(x.flip(0))[0].flip(0).double().numpy()
    failures = 0
    for backend in backends:
        y, info = seqnn_output(tool, path, backend, (x,), ["x"], work, "reverse_lstm")
        if y is None:
            print("%-22s %-7s skipped: %s" % ("reverse_lstm", backend, info.strip()))
            continue
        err = normwise(y, ref) if y.shape == ref.shape else float("inf")
        failures += err > TOL
        print("%-22s %-7s normwise error %.2e %s" % ("reverse_lstm", backend, err, "ok" if err <= TOL else "FAIL"))
    return failures


def main():
    seqnn, tool, work = sys.argv[1:4]
    backends = sys.argv[4:] or ["ref", "avx2", "opencl"]
    os.makedirs(work, exist_ok=True)
    failures = check_models(seqnn, tool, work, backends) + check_refusals(seqnn, work)
    failures += check_reverse(tool, work, backends)
    failures += check_finetune(seqnn, tool, work)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
