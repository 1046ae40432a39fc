"""The interop models of tests/interop, built and trained from Python, agree
bit for bit with the C program that trains them (tests/test_interop.c's
seqnn -> PyTorch direction) on the same backend.

For each model and each device the C test ran (its files in WORK_DIR:
NAME.PLUGIN-0.pt.safetensors, a checkpoint with the optimizer state, and
NAME.PLUGIN-0.io.safetensors, a batch with seqnn's output and loss), this
script repeats the C steps through the Python API: read the model file,
build on that plugin with seed 1, load the PyTorch state_dict, Adam with lr
0.01, three training steps on the same deterministic batches (the C test's
generator, re-implemented here), then predict and evaluate on the batch the
io file holds and save a checkpoint. Every tensor of the two checkpoints
(parameters and optimizer state), the output and the loss must be equal to
the bit. Usage: test_interop.py INTEROP_DIR WORK_DIR [PLUGIN...]
(default plugins: ref and avx2, where the C test ran them)."""
import os
import sys
import tempfile

import numpy as np

import seqnn

M64 = (1 << 64) - 1


class Lcg:
    """tests/test_interop.c's urand(): a 64-bit LCG, 53 bits per double."""

    def __init__(self, seed):
        self.s = seed

    def __call__(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & M64
        return (self.s >> 11) / 9007199254740992.0


def batch_random(m, tokens, n_in, T, B, with_lengths, seed):
    """tests/test_interop.c's batch_random, in the same order of draws."""
    r = Lcg(seed)
    seq, n = m.output_shape()
    rows = T * B if seq else B
    if tokens:
        x = np.array([int(r() * n_in) for _ in range(T * B)], np.int32).reshape(T, B)
    else:
        x = np.array([2 * r() - 1 for _ in range(T * B * n_in)], np.float64).astype(np.float32).reshape(T, B, n_in)
    lengths = None
    if with_lengths:
        lengths = np.array([T if b == 0 else 1 + int(r() * T) for b in range(B)], np.int32)
    if m.loss_kind == "xent":
        y = np.array([int(r() * n) for _ in range(rows)], np.int32).reshape((T, B) if seq else (B,))
    elif m.loss_kind == "bce":
        y = np.array([0.0 if r() < 0.5 else 1.0 for _ in range(rows * n)], np.float32)
    else:
        y = np.array([2 * r() - 1 for _ in range(rows * n)], np.float64).astype(np.float32)
    if m.loss_kind != "xent":
        y = y.reshape(((T,) if seq else ()) + (B, n))
    return x, lengths, y


def same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def run(interop, work, name, plugin, ctx, out_dir):
    tag = "%s.%s-0" % (name, plugin)
    data_io, _ = seqnn.safetensors.read(os.path.join(interop, "data", name + ".io.safetensors"))
    c_ckpt, _ = seqnn.safetensors.read(os.path.join(work, tag + ".pt.safetensors"))
    c_io, _ = seqnn.safetensors.read(os.path.join(work, tag + ".io.safetensors"))
    m = seqnn.Model.from_file(os.path.join(interop, "models", name + ".seqnn")).build(ctx, seed=1)
    tokens = "features" not in data_io
    n_in = data_io["features"].shape[2] if not tokens else next(iter(m.parameters().values())).shape[0]
    with_lengths = "lengths" in data_io
    m.load(os.path.join(interop, "data", name + ".pt.safetensors"))
    m.set_optimizer("adam", lr=0.01)
    for s in range(3):
        x, lengths, y = batch_random(m, tokens, n_in, 6 + s, 5, with_lengths, 1000 + s)
        m.train_step(x, y, lengths)
    x, lengths, y = batch_random(m, tokens, n_in, 8, 3, with_lengths, 77)
    errors = []
    if not same(x, c_io["tokens" if tokens else "features"]):
        errors.append("the batch generator differs from the C test's")
    out = m.predict(x, lengths)
    loss = np.float32(m.evaluate(x, y, lengths).loss)
    path = os.path.join(out_dir, tag + ".safetensors")
    m.save(path, optimizer=True, metadata={"model": name})
    mine, _ = seqnn.safetensors.read(path)
    if not same(out, c_io["output"]):
        errors.append("output differs by %.3g" % np.abs(out - c_io["output"]).max())
    if loss.tobytes() != c_io["loss"].reshape(()).tobytes():
        errors.append("loss %r, C %r" % (float(loss), float(c_io["loss"])))
    if sorted(mine) != sorted(c_ckpt):
        errors.append("checkpoint tensors differ: %s" % sorted(set(mine) ^ set(c_ckpt)))
    for k in sorted(set(mine) & set(c_ckpt)):
        if not same(mine[k], c_ckpt[k]):
            errors.append("%s differs by %.3g" % (k, np.abs(mine[k] - c_ckpt[k]).max()))
    m.close()
    if len(errors) > 4:
        errors = errors[:4] + ["and %d more" % (len(errors) - 4)]
    return errors, len(mine)


def main():
    interop, work = sys.argv[1], sys.argv[2]
    wanted = sys.argv[3:] or ["ref", "avx2"]
    names = sorted(f[:-len(".io.safetensors")] for f in os.listdir(os.path.join(interop, "data"))
                   if f.endswith(".io.safetensors"))
    failures = ran = 0
    with tempfile.TemporaryDirectory() as out_dir:
        for plugin in wanted:
            if not os.path.exists(os.path.join(work, "%s.%s-0.pt.safetensors" % (names[0], plugin))):
                print("skip %s: the C test wrote no files for it" % plugin)
                continue
            with seqnn.Context(plugin) as ctx:
                for name in names:
                    errors, n = run(interop, work, name, plugin, ctx, out_dir)
                    ran += 1
                    failures += bool(errors)
                    print("%s %s on %s: %s" % ("FAIL" if errors else "ok", name, plugin,
                                               "; ".join(errors) if errors else "%d tensors, output and loss "
                                               "identical to C's" % n))
    if ran == 0:
        print("FAIL: nothing compared (no files from the C test in %s)" % work)
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
