"""The seqnn Python package against the library it wraps: errors carry the
library's messages, closed objects raise instead of crashing, backends as
`seqnn info` has them, models described from Python equal the same model
file's, training / evaluation / prediction / checkpoints / learning rate /
generation (on avx2, else ref), and the kernels against numpy on every
device that runs here. Usage: test_api.py [INTEROP_DIR]."""
import os
import sys
import tempfile

import numpy as np

import seqnn
from seqnn import kernels as K

failures = 0


def check(ok, what):
    global failures
    print("%s %s" % ("ok" if ok else "FAIL", what))
    failures += not ok


def raises(exc, fn, what, contains=None):
    """fn() raises exc, whose message (when the library's) is seqnn_last_error and contains `contains`."""
    try:
        fn()
    except exc as e:
        msg = str(e)
        lib_msg = not isinstance(e, seqnn.SeqnnError) or e.status is None or msg == seqnn.last_error()
        check(lib_msg and (contains is None or contains in msg), "%s raises %s: %s" % (what, type(e).__name__, msg))
        return
    except Exception as e:           # noqa: BLE001 (the wrong kind is a failure, reported)
        check(False, "%s raises %s (%s), not %s" % (what, type(e).__name__, e, exc.__name__))
        return
    check(False, "%s raises nothing" % what)


def near(a, b, tol, what):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    err = np.abs(a - b).max() / max(1.0, np.abs(b).max()) if a.shape == b.shape else float("inf")
    check(err <= tol, "%s: normwise error %.2e (<= %.0e)" % (what, err, tol))


TAGGER = """seqnn 1
input tokens vocab=13
embedding name=embed dim=8 padding=0
lstm name=lstm hidden=6 layers=2 bidirectional=1
dense name=fc out=5
loss xent
"""


def tagger_from_calls():
    return (seqnn.Model().input_tokens(13).embedding(8, padding_idx=0, name="embed")
            .lstm(hidden=6, layers=2, bidirectional=True, name="lstm").dense(5, name="fc"))


def test_backends():
    devs = seqnn.devices()
    check(any(d.plugin == "ref" for d in devs), "devices() lists the ref plugin: %s" % [d.spec for d in devs])
    check(all(p.loaded or p.reason for p in seqnn.plugins()), "plugins(): every rejected file has its reason")
    with seqnn.Context("ref") as ctx:
        check(ctx.device.plugin == "ref" and len(ctx.devices) == 1, "Context('ref') opens the ref device")
        check(ctx.kernel_available("gemm"), "ref has gemm")
    if any(d.plugin == "avx2" and d.score > 0 for d in devs):
        with seqnn.Context("avx2,ref") as chain:
            check([d.plugin for d in chain.devices] == ["avx2", "ref"], "a chain 'avx2,ref' has both devices")
    old = os.environ.get("SEQNN_BACKEND")
    os.environ["SEQNN_BACKEND"] = "ref"
    try:
        with seqnn.Context() as ctx:
            check(ctx.device.plugin == "ref", "Context() follows SEQNN_BACKEND=ref")
    finally:
        if old is None:
            del os.environ["SEQNN_BACKEND"]
        else:
            os.environ["SEQNN_BACKEND"] = old
    raises(seqnn.NotFound, lambda: seqnn.Context("nope"), "Context('nope')", "no plugin named 'nope'")
    raises(seqnn.SeqnnError, lambda: seqnn.Context("ref,ref"), "a chain naming a device twice")


def test_errors(ctx, tmp):
    raises(seqnn.SeqnnError, lambda: seqnn.Model.from_text(TAGGER.replace("hidden=6", "hidden=-6"), name="t.seqnn"),
           "a model file with hidden=-6", "t.seqnn:4")
    raises(seqnn.SeqnnError, lambda: seqnn.Model.from_file(os.path.join(tmp, "missing.seqnn")),
           "a missing model file", "missing.seqnn")
    m = seqnn.Model.from_text(TAGGER).build(ctx, seed=3)
    before = m.parameters()
    bad = os.path.join(tmp, "bad.safetensors")
    with open(bad, "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    raises(seqnn.SeqnnError, lambda: m.load(bad), "loading a malformed checkpoint", "bad.safetensors")
    other = os.path.join(tmp, "other.safetensors")
    seqnn.Model.from_text(TAGGER.replace("dim=8", "dim=7")).build(ctx).save(other)
    raises(seqnn.SeqnnError, lambda: m.load(other), "loading a checkpoint of another shape", "embed.weight")
    check(all(np.array_equal(before[k], v) for k, v in m.parameters().items()),
          "a failed load leaves the parameters as they were")
    x = np.full((4, 2), 3, np.int32)
    x[1, 1] = 13
    raises(seqnn.InvalidArgument, lambda: m.train_step(x, np.zeros((4, 2), np.int32)), "a token past the vocabulary",
           "13")
    raises(TypeError, lambda: m.train_step(x.astype(np.float32), np.zeros((4, 2), np.int32)),
           "float features for a token model")
    raises(ValueError, lambda: m.train_step(np.zeros((4, 2), np.int32), np.zeros((4, 3), np.int32)),
           "targets of another batch size")
    raises(seqnn.InvalidArgument, lambda: seqnn.Model().input_tokens(0), "input_tokens(0)")
    raises(seqnn.InvalidArgument, lambda: seqnn.Model().input_tokens(5).dense(0), "dense(0)")
    raises(ValueError, lambda: seqnn.Model().input_tokens(5).activation("nope"), "an unknown activation")
    raises(seqnn.InvalidArgument, lambda: seqnn.Model().input_tokens(5).predict(np.zeros((2, 2), np.int32)),
           "predict before build")
    # kernels: dtypes and shapes in Python, the rest by the library
    a = np.ones((3, 4), np.float32)
    raises(TypeError, lambda: K.gemm(a.astype(np.float64), a.T.copy(), ctx=ctx), "gemm of float64")
    raises(ValueError, lambda: K.gemm(a, a, ctx=ctx), "gemm of [3, 4] x [3, 4]", "b must be [4, *]")
    raises(TypeError, lambda: K.cross_entropy(a, np.zeros(3, np.int64), ctx=ctx), "xent with int64 targets")
    raises(seqnn.InvalidArgument, lambda: K.cross_entropy(a, np.array([0, 9, 1], np.int32), ctx=ctx),
           "xent with a target past the classes (the library's check)", "9")
    raises(seqnn.InvalidArgument, lambda: K.dropout(a, 1.5, seed=1, ctx=ctx), "dropout p=1.5")
    # freed objects raise, never crash
    c2 = seqnn.Context("ref")
    m2 = seqnn.Model.from_text(TAGGER).build(c2)
    c2.close()
    c2.close()
    raises(seqnn.ClosedError, lambda: c2.devices, "a closed context's devices")
    raises(seqnn.ClosedError, lambda: K.gemm(a, a.T.copy(), ctx=c2), "a kernel on a closed context")
    raises(seqnn.ClosedError, lambda: m2.predict(x), "a model whose context was closed")
    m.close()
    raises(seqnn.ClosedError, lambda: m.parameters(), "a closed model")


def test_models(ctx, tmp, interop):
    a = seqnn.Model.from_text(TAGGER).build(ctx, seed=5)
    b = tagger_from_calls().build(ctx, seed=5)
    pa, pb = a.parameters(), b.parameters()
    check(list(pa) == list(pb) and all(np.array_equal(pa[k], pb[k]) for k in pa),
          "Model() calls build the model file's model: %d tensors, equal initial values" % len(pa))
    if interop:
        c = seqnn.Model.from_file(os.path.join(interop, "models", "lstm_tagger.seqnn")).build(ctx, seed=5)
        check(all(np.array_equal(pa[k], v) for k, v in c.parameters().items()), "the same from its file")
    rng = np.random.default_rng(0)
    x = rng.integers(1, 13, (7, 40)).astype(np.int32)
    y = (x % 5).astype(np.int32)             # tag = token mod 5: learnable position by position
    b.set_optimizer("adam", lr=0.02)
    hist = b.fit(x, y, batch_size=8, epochs=15, validation=(x, y))
    check(hist[-1]["loss"] < 0.5 * hist[0]["loss"] and hist[-1]["val_accuracy"] > 0.9,
          "fit: loss %.3f -> %.3f, accuracy %.2f" % (hist[0]["loss"], hist[-1]["loss"], hist[-1]["val_accuracy"]))
    check(b.step_count == 75, "75 optimizer steps (%d)" % b.step_count)
    out = b.predict(x[:, :3])
    check(out.shape == (7, 3, 5) and out.dtype == np.float32, "predict: [T, B, classes] float32")
    r = b.evaluate(x, y)
    check(r.count == 280 and 0 < r.loss < hist[0]["loss"], "evaluate: %d targets, loss %.3f" % (r.count, r.loss))
    r, losses = b.evaluate_losses(x, y)
    check(losses.shape == y.shape and abs(losses.mean() - r.loss) < 1e-6 * max(1.0, r.loss),
          "evaluate_losses: one loss per target, their mean the loss")
    b.set_xent_options(class_weights=np.array([1, 0, 0, 0, 0], np.float32))
    r0 = b.evaluate(x, y)
    check(abs(r0.loss - losses[y == 0].mean()) < 1e-5, "class weights (1, 0, 0, 0, 0): the loss of class 0 only")
    b.set_xent_options()
    b.set_learning_rate(0.001)
    check(abs(b.learning_rate - 0.001) < 1e-12 and b.step_count == 75, "set_learning_rate keeps the step count")
    path = os.path.join(tmp, "tagger.safetensors")
    b.save(path, metadata={"note": "python"})
    tensors, meta = seqnn.safetensors.read(path)
    check(meta.get("note") == "python" and any(k.startswith("optim.") for k in tensors),
          "save writes metadata and the optimizer state")
    a.load(path)
    check(np.array_equal(a.predict(x), b.predict(x)) and a.step_count == 75, "load: the same predictions and steps")
    r1, r2 = a.train_step(x[:, :8], y[:, :8]), b.train_step(x[:, :8], y[:, :8])
    check(r1.loss == r2.loss and all(np.array_equal(v, b.parameters()[k]) for k, v in a.parameters().items()),
          "a loaded model trains on exactly as the saved one")
    # a language model learns a cycle; greedy generation continues it
    lm = seqnn.Model().input_tokens(7).embedding(8).lstm(hidden=24).dense(7).build(ctx, seed=2)
    lm.set_optimizer("adam", lr=0.03)
    seq = np.arange(64 * 9) % 7
    xs = np.stack([seq[s:s + 8] for s in range(0, 64 * 8, 8)], 1).astype(np.int32)
    ys = np.stack([seq[s + 1:s + 9] for s in range(0, 64 * 8, 8)], 1).astype(np.int32)
    lm.fit(xs, ys, batch_size=16, epochs=20)
    g = lm.generate([0, 1, 2], 9)
    check(list(g) == [3, 4, 5, 6, 0, 1, 2, 3, 4], "generate continues the cycle: %s" % list(g))
    check(np.array_equal(lm.generate([0], 20, temperature=1.0, seed=9), lm.generate([0], 20, temperature=1.0, seed=9)),
          "sampling with a seed repeats")
    toks, lp = lm.decode([0, 1, 2], 9)
    check(np.array_equal(toks, g) and lp < 0, "decode (greedy) = generate, log-probability %.3f" % lp)
    toks, lp_eos = lm.decode([0, 1, 2], 9, eos=6)
    check(list(toks) == [3, 4, 5], "decode stops at eos: %s" % list(toks))
    beam, lp_beam = lm.decode([0, 1, 2], 9, beam=4)
    check(len(beam) == 9 and lp_beam >= lp - 1e-6, "beam search: %s, log-probability %.3f" % (list(beam), lp_beam))
    # a graph of two named inputs, each through its own layers, merged
    gm = (seqnn.Model().input_tokens(10, name="a").input_features(3, name="b")
          .embedding(4, name="emb").set_from("a").lstm(hidden=5, last=True, name="la")
          .gru(hidden=5, last=True, name="lb").set_from("b").merge("concat", "la,lb", name="m").dense(2, name="fc")
          .build(ctx))
    batch = {"a": rng.integers(0, 10, (6, 4)), "b": rng.standard_normal((9, 4, 3)).astype(np.float32)}
    r = gm.train_step(batch, np.array([0, 1, 1, 0]), lengths={"b": np.array([9, 2, 5, 1])})
    check(r.count == 4 and gm.predict(batch).shape == (4, 2), "a graph of two inputs trains and predicts: [B, 2]")
    raises(KeyError, lambda: gm.predict({"a": batch["a"]}), "a graph batch without one of its inputs", "'b'")
    # a features model with MSE and a many-to-one RNN
    reg = (seqnn.Model().input_features(3).dense(8, name="proj").activation("tanh").rnn(9, nonlinearity="relu",
           last=True).dense(2).loss("mse").build(ctx))
    xf = rng.standard_normal((5, 4, 3)).astype(np.float32)
    check(reg.predict(xf).shape == (4, 2) and reg.loss_kind == "mse", "features, rnn last=True, mse: [B, 2]")
    r = reg.train_step(xf, np.zeros((4, 2), np.float32), lengths=np.array([5, 3, 1, 4]))
    check(r.count > 0 and r.grad_norm > 0, "train_step with lengths and values")


def tree_numpy(x, lengths, trees, p, name):
    """Root vectors [B, H] of a tanh tree layer (model.h's equations) in float64."""
    wl, bl = p[name + ".leaf.weight"].astype(np.float64), p[name + ".leaf.bias"].astype(np.float64)
    wn, bn = p[name + ".node.weight"].astype(np.float64), p[name + ".node.bias"].astype(np.float64)
    out = []
    for b, n in enumerate(lengths):
        h = [np.tanh(wl @ x[t, b] + bl) for t in range(n)]
        for k in range(n - 1):
            h.append(np.tanh(wn @ np.concatenate([h[trees[b, 2 * k]], h[trees[b, 2 * k + 1]]]) + bn))
        out.append(h[-1])
    return np.stack(out)


def test_model_extras(ctx, tmp):
    """Pretrained vectors, attention weights, placement plans, tree batches,
    fit over a graph of several inputs."""
    m = seqnn.Model().input_tokens(5).embedding(3, padding_idx=0, name="embed").dense(2, name="fc").build(ctx)
    tokens = ["<pad>", "<unk>", "cat", "dog", "fish"]
    path = os.path.join(tmp, "vectors.txt")
    before = m.parameters()["embed.weight"]
    with open(path, "w") as f:
        f.write("4 3\ncat 1 2 3\nbird 7 7 7\n<pad> 9 9 9\nfish -1 0.5 2e-1\n")
    found = m.load_vectors(path, tokens)
    after = m.parameters()["embed.weight"]
    check(found == 2 and np.array_equal(after[2], [1, 2, 3]) and np.array_equal(after[4], np.float32([-1, .5, .2]))
          and np.array_equal(after[[0, 1, 3]], before[[0, 1, 3]]),
          "load_vectors: 2 rows replaced (cat, fish), padding and the rest kept")
    with open(path, "w") as f:
        f.write("dog 1 1 1\ncat 1 2\n")
    raises(seqnn.FormatError, lambda: m.load_vectors(path, tokens, layer="embed"), "a short vector",
           "vectors.txt:2:")
    check(np.array_equal(m.parameters()["embed.weight"], after), "a failed load_vectors leaves the embedding")
    raises(seqnn.NotFound, lambda: m.load_vectors(path, tokens, layer="fc"), "load_vectors into a dense layer")
    raises(seqnn.InvalidArgument, lambda: m.load_vectors(path, tokens[:4]), "load_vectors of a 4-token vocabulary")
    # attention weights of the last forward
    am = (seqnn.Model().input_tokens(7).embedding(8).attention(heads=2, causal=True, name="attn").dense(7, name="fc")
          .build(ctx))
    raises(seqnn.InvalidArgument, lambda: am.attention_weights(), "attention_weights before a forward",
           "not run a forward")
    rng = np.random.default_rng(4)
    am.predict(rng.integers(0, 7, (5, 3)), lengths=np.array([5, 2, 4]))
    w = am.attention_weights("attn")
    masked = np.triu(np.ones((5, 5), bool), 1)[None, None] | (np.arange(5) >= np.array([5, 2, 4])[:, None, None, None])
    masked = np.broadcast_to(masked, (3, 2, 5, 5))
    check(w.shape == (3, 2, 5, 5) and np.allclose(w.sum(-1), 1, atol=1e-5) and np.all(w[masked] == 0),
          "attention_weights: [B, heads, T, T], rows sum to 1, causal and length masks hold")
    raises(seqnn.InvalidArgument, lambda: am.attention_weights("fc"), "attention_weights of a dense layer",
           "not an attention layer")
    # placement plans
    plan = am.plan(batch=3, seq_len=5)
    phases = {r.phase for r in plan.rows}
    check(plan.shape == (3, 5, 0, False) and plan.devices == (ctx.device.plugin,) and plan.unplaced == 0
          and {"forward", "backward", "loss", "update", "inference"} <= phases
          and all(r.device == 0 and r.kernel in K.catalogue() for r in plan.rows),
          "plan on one device: %d rows of phases %s, every call on device 0" % (len(plan.rows), sorted(phases)))
    check(plan.layers == ("embedding", "attn", "fc") and plan.summary.startswith("plan (batch 3")
          and "gemm" in plan.layer_devices[2] and plan.step.copies == 0 and plan.homes[2]["params"] == 1,
          "plan: layers, summary '%s', layer devices, no copies, fc's parameters on device 0" % plan.summary)
    if any(d.plugin == "avx2" and d.score > 0 for d in seqnn.devices()) and ctx.device.plugin != "ref":
        with seqnn.Context("ref,%s" % ctx.device.plugin) as chain:
            cm = (seqnn.Model().input_tokens(7).embedding(8).lstm(hidden=6).dense(7).set_plan_shape(2, 4)
                  .build(chain))
            cp = cm.plan()
            check(cp.devices == ("ref", ctx.device.plugin) and cp.shape[:2] == (2, 4) and cp.unplaced == 0,
                  "plan of a chain ref,%s at the build's shape: %s" % (ctx.device.plugin, cp.summary))
            cm.close()
    # tree batches: a left-branching tree against the tanh cell in numpy, and balanced = no trees
    tm = seqnn.Model().input_features(3).tree(4, cell="tanh", name="tree").build(ctx, seed=2)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    lengths = np.array([5, 3], np.int32)
    trees = np.full((2, 8), -1, np.int32)
    for b, n in enumerate(lengths):
        for j in range(n - 1):            # ((((0 1) 2) 3) 4): node n+j joins node n+j-1 (or leaf 0) and leaf j+1
            trees[b, 2 * j], trees[b, 2 * j + 1] = (n + j - 1 if j else 0), j + 1
    got = tm.predict(x, lengths=lengths, trees=trees)
    near(got, tree_numpy(x.astype(np.float64), lengths, trees, tm.parameters(), "tree"), 1e-5,
         "tree layer on left-branching trees = the tanh cell in numpy")
    check(np.array_equal(tm.predict(x, lengths=lengths), tm.predict(x, lengths=lengths, trees=np.full((2, 8), -1)))
          and not np.allclose(tm.predict(x, lengths=lengths), got), "trees of -1 rows = no trees (balanced) != left")
    raises(ValueError, lambda: tm.predict(x, lengths=lengths, trees=trees[:, :6]), "trees of the wrong shape",
           "[2, 8]")
    bad = trees.copy()
    bad[0, 0] = 9
    raises(seqnn.InvalidArgument, lambda: tm.predict(x, lengths=lengths, trees=bad), "a tree with node 9 of 5 leaves")
    tm2 = seqnn.Model().input_features(3).tree(4, cell="lstm").dense(2).build(ctx, seed=2)
    tm2.set_optimizer("adam", lr=0.05)
    xs = rng.standard_normal((5, 32, 3)).astype(np.float32)
    ys = (xs[:, :, 0].sum(0) > 0).astype(np.int32)
    tr = np.tile(trees[:1], (32, 1))
    hist = tm2.fit(xs, ys, batch_size=8, epochs=12, lengths=np.full(32, 5, np.int32), trees=tr)
    check(hist[-1]["loss"] < 0.7 * hist[0]["loss"], "fit with trees: loss %.3f -> %.3f" % (hist[0]["loss"],
                                                                                          hist[-1]["loss"]))
    # fit over a graph of two named inputs (dicts of arrays, lengths a dict)
    gm = (seqnn.Model().input_tokens(10, name="a").input_features(3, name="b").embedding(4, name="emb")
          .set_from("a").lstm(hidden=8, last=True, name="la").gru(hidden=8, last=True, name="lb").set_from("b")
          .merge("concat", "la,lb", name="m").dense(2, name="fc").build(ctx, seed=3))
    gm.set_optimizer("adam", lr=0.03)
    n = 48
    ga, gb = rng.integers(0, 10, (6, n)).astype(np.int32), rng.standard_normal((4, n, 3)).astype(np.float32)
    gy = ((ga[0] >= 5) ^ (gb[:, :, 0].sum(0) > 0)).astype(np.int32)       # needs both inputs
    hist = gm.fit({"a": ga, "b": gb}, gy, batch_size=8, epochs=25, lengths={"b": np.full(n, 4, np.int32)},
                  validation=({"a": ga, "b": gb}, gy))
    check(hist[0]["steps"] == 6 and hist[-1]["loss"] < 0.5 * hist[0]["loss"] and hist[-1]["val_accuracy"] > 0.8,
          "fit over two named inputs: loss %.3f -> %.3f, accuracy %.2f" % (hist[0]["loss"], hist[-1]["loss"],
                                                                          hist[-1]["val_accuracy"]))


def lstm_numpy(x, w_ih, w_hh, b_ih, b_hh):
    t_, b_, _ = x.shape
    h_ = w_hh.shape[1]
    h = np.zeros((b_, h_))
    c = np.zeros((b_, h_))
    ys = []
    sig = lambda v: 1 / (1 + np.exp(-v))     # noqa: E731
    for t in range(t_):
        g = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, gg, o = sig(g[:, :h_]), sig(g[:, h_:2 * h_]), np.tanh(g[:, 2 * h_:3 * h_]), sig(g[:, 3 * h_:])
        c = f * c + i * gg
        h = o * np.tanh(c)
        ys.append(h)
    return np.stack(ys), h, c


def test_kernels(ctx):
    rng = np.random.default_rng(1)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)   # noqa: E731
    d = lambda a: a.astype(np.float64)                          # noqa: E731
    a, b, c = f(5, 7), f(7, 3), f(5, 3)
    near(K.gemm(a, b, ctx=ctx), d(a) @ d(b), 1e-6, "gemm")
    near(K.gemm(a.T.copy(), b.T.copy(), trans_a=True, trans_b=True, ctx=ctx), d(a) @ d(b), 1e-6, "gemm, transposed")
    near(K.gemm(a, b, c, alpha=0.5, beta=2.0, ctx=ctx), 0.5 * d(a) @ d(b) + 2 * d(c), 1e-6, "gemm alpha, beta")
    ab, bb = f(4, 5, 7), f(4, 7, 3)
    near(K.gemm(ab, bb, ctx=ctx), d(ab) @ d(bb), 1e-6, "gemm, batched")
    x = f(6, 9)
    near(K.bias_add(x, x[0], ctx=ctx), d(x) + d(x[0]), 1e-7, "bias_add")
    near(K.bias_backward(x, ctx=ctx), d(x).sum(0), 1e-6, "bias_backward")
    sig = 1 / (1 + np.exp(-d(x)))
    for kind, ref in (("sigmoid", sig), ("tanh", np.tanh(d(x))), ("relu", np.maximum(d(x), 0)),
                      ("leaky_relu", np.where(x > 0, d(x), 0.1 * d(x))), ("swish", d(x) * sig),
                      ("hardtanh", np.clip(d(x), -1, 1))):
        near(K.activation(x, kind, alpha=0.1, ctx=ctx), ref, 1e-6, "activation %s" % kind)
    dy = f(6, 9)
    near(K.activation_backward(x, K.sigmoid(x, ctx=ctx), dy, "sigmoid", ctx=ctx), d(dy) * sig * (1 - sig), 1e-6,
         "activation_backward sigmoid")
    y = f(6, 9)
    near(K.add(x, y, 2.0, -1.0, ctx=ctx), 2 * d(x) - d(y), 1e-7, "add")
    near(K.mul(x, y, 3.0, ctx=ctx), 3 * d(x) * d(y), 1e-7, "mul")
    near(K.scale(x, 0.25, ctx=ctx), 0.25 * d(x), 1e-7, "scale")
    e = np.exp(d(x) - d(x).max(1, keepdims=True))
    sm = e / e.sum(1, keepdims=True)
    near(K.softmax(x, ctx=ctx), sm, 1e-6, "softmax")
    near(K.softmax(x, log=True, ctx=ctx), np.log(sm), 1e-6, "log-softmax")
    near(K.softmax_backward(sm.astype(np.float32), dy, ctx=ctx), sm * (d(dy) - (d(dy) * sm).sum(1, keepdims=True)),
         1e-6, "softmax_backward")
    t = np.array([0, 3, 8, -100, 2, 5], np.int32)
    rows = t != -100
    lse = np.log(np.exp(d(x)).sum(1))
    want = (lse - d(x)[np.arange(6), np.maximum(t, 0)])[rows].mean()
    near(K.cross_entropy(x, t, ctx=ctx), want, 1e-6, "cross_entropy (ignore_index)")
    g = sm.copy()
    g[np.arange(6), np.maximum(t, 0)] -= 1
    g[~rows] = 0
    near(K.cross_entropy_backward(x, t, ctx=ctx), g / rows.sum(), 1e-6, "cross_entropy_backward")
    near(K.mse(x, y, ctx=ctx), ((d(x) - d(y)) ** 2).mean(), 1e-6, "mse")
    tb = (y > 0).astype(np.float32)
    near(K.bce_with_logits(x, tb, reduction="sum", ctx=ctx),
         (np.maximum(d(x), 0) - d(x) * tb + np.log1p(np.exp(-np.abs(d(x))))).sum(), 1e-6, "bce_with_logits sum")
    w = f(11, 4)
    idx = rng.integers(0, 11, (3, 5)).astype(np.int32)
    check(np.array_equal(K.embedding(idx, w, ctx=ctx), w[idx]), "embedding")
    dr = K.dropout(x, 0.5, seed=42, ctx=ctx)
    kept = dr != 0
    check(np.allclose(dr[kept], 2 * x[kept]) and 0.2 < kept.mean() < 0.8, "dropout scales what it keeps")
    with seqnn.Context("ref") as ref:
        check(np.array_equal(K.dropout(x, 0.5, seed=42, ctx=ref), dr), "dropout: the same mask on ref")
    xs, hh = f(7, 3, 5), 4
    wi, wh, bi, bh = f(4 * hh, 5), f(4 * hh, hh), f(4 * hh), f(4 * hh)
    ys, hn, cn = K.lstm_forward(xs, wi, wh, bi, bh, ctx=ctx)
    ry, rh, rc = lstm_numpy(d(xs), d(wi), d(wh), d(bi), d(bh))
    near(ys, ry, 1e-5, "lstm_forward y")
    near(hn, rh, 1e-5, "lstm_forward h_n")
    near(cn, rc, 1e-5, "lstm_forward c_n")
    yl, hl, _ = K.lstm_forward(xs, wi, wh, bi, bh, lengths=np.array([7, 3, 0], np.int32), ctx=ctx)
    check(np.all(yl[3:, 1] == 0) and np.all(yl[:, 2] == 0) and np.allclose(hl[1], yl[2, 1]),
          "lstm_forward with lengths: zeros past each sequence, h_n its last step")
    yg, hg = K.gru_forward(xs, f(3 * hh, 5), f(3 * hh, hh), ctx=ctx)
    check(yg.shape == (7, 3, hh) and np.array_equal(hg, yg[-1]), "gru_forward: y [T, B, H], h_n = y[T-1]")
    near(K.mse_backward(x, y, ctx=ctx), 2 * (d(x) - d(y)) / x.size, 1e-6, "mse_backward")
    near(K.bce_with_logits_backward(x, tb, 2.0, reduction="sum", ctx=ctx), 2 * (sig - tb), 1e-6,
         "bce_with_logits_backward sum")
    dyy = f(3, 5, 4)
    want = np.zeros((11, 4))
    np.add.at(want, idx.ravel(), d(dyy).reshape(-1, 4))
    want[2] = 0
    near(K.embedding_backward(idx, dyy, 11, padding_idx=2, ctx=ctx), want, 1e-6, "embedding_backward (padding 2)")
    check(np.array_equal(K.dropout_backward(x, 0.5, seed=42, ctx=ctx) != 0, kept), "dropout_backward: the same mask")
    xc, wc, bc = f(2, 3, 11), f(4, 3, 3), f(4)
    want = np.zeros((2, 4, 6))
    xp = np.pad(d(xc), ((0, 0), (0, 0), (1, 1)))
    for t in range(6):
        want[:, :, t] = np.einsum("bck,ock->bo", xp[:, :, 2 * t:2 * t + 3], d(wc)) + bc
    near(K.conv1d(xc, wc, bc, stride=2, padding=1, ctx=ctx), want, 1e-6, "conv1d stride 2 padding 1")
    ym, am = K.maxpool(xc, ctx=ctx)
    check(np.array_equal(ym, xc.max(2)) and np.array_equal(am, xc.argmax(2)), "maxpool: max and argmax over time")
    pp, gg = f(10), f(10)
    p1, buf = K.sgd_step(pp, gg, lr=0.1, momentum=0.9, ctx=ctx)
    near(p1, d(pp) - 0.1 * d(gg), 1e-7, "sgd_step (momentum, step 1)")
    check(np.array_equal(buf, gg), "sgd_step: the momentum buffer of step 1 is the gradient")
    z = np.zeros(10, np.float32)
    p2, m2, v2 = K.adam_step(pp, gg, z, z, step=1, lr=0.01, ctx=ctx)
    mh, vh = 0.1 * d(gg) / 0.1, 0.001 * d(gg) ** 2 / 0.001
    near(p2, d(pp) - 0.01 * mh / (np.sqrt(vh) + 1e-8), 1e-6, "adam_step (step 1)")
    near(m2, 0.1 * d(gg), 1e-7, "adam_step exp_avg")
    ss = K.sumsq(x, ctx=ctx)
    near(ss, (d(x) ** 2).sum(), 1e-6, "sumsq")
    near(K.clip_scale(x, ss, 1.0, ctx=ctx), d(x) / (np.sqrt(ss) + 1e-6), 1e-6, "clip_scale")
    check(sorted(K.covered() + K.missing()) == sorted(K.catalogue()) and len(K.covered()) >= 28,
          "kernels: %d of %d wrapped; missing %s" % (len(K.covered()), len(K.catalogue()), ", ".join(K.missing())))


def main():
    interop = sys.argv[1] if len(sys.argv) > 1 else None
    print("library:", seqnn.LIBRARY_PATH)
    test_backends()
    plugin = "avx2" if any(d.plugin == "avx2" and d.score > 0 for d in seqnn.devices()) else "ref"
    with tempfile.TemporaryDirectory() as tmp, seqnn.Context(plugin) as ctx:
        test_errors(ctx, tmp)
        test_models(ctx, tmp, interop)
        test_model_extras(ctx, tmp)
    for d in seqnn.devices():
        if d.score > 0:
            print("kernels on %s:" % d.spec)
            with seqnn.Context(d.plugin) as kctx:
                test_kernels(kctx)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
