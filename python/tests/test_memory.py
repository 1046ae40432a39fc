"""No memory grows over 10,000 calls: for each kind of call (a kernel, a
training step, a prediction, a failing library call, a call on a closed
object, a checkpoint read, a context opened and closed, kernels on
device-resident Tensors, kernels with out= on arrays and on Tensors, a
Tensor made and read back, a placement plan,
attention weights, a batch with trees), the resident set
size after 10,000 calls (1,000 for contexts, which scan the plugins) is
compared with the size after a warm-up of the same calls. A leak of one
small allocation per call (>= 32 bytes: 320 KiB over 10,000) shows above
the 256 KiB allowed for the allocators' own slack. Usage: test_memory.py [N]."""
import gc
import os
import sys
import tempfile

import numpy as np

import seqnn
from seqnn import kernels as K

PAGE = os.sysconf("SC_PAGE_SIZE")
LIMIT = 256 * 1024


def rss():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    failures = 0
    ctx = seqnn.Context("ref")
    m = (seqnn.Model().input_tokens(13).embedding(8).lstm(hidden=6).dense(5).build(ctx, seed=1))
    x = np.arange(12, dtype=np.int32).reshape(4, 3) % 13
    y = (x % 5).astype(np.int32)
    a = np.ones((8, 8), np.float32)
    bad_t = np.array([0, 9, 1, 2, 3, 4, 5, 6], np.int32)
    closed = seqnn.Context("ref")
    closed.close()
    tmp = tempfile.mkdtemp()
    ckpt = os.path.join(tmp, "m.safetensors")
    m.save(ckpt)

    def failing_kernel():
        try:
            K.cross_entropy(a, bad_t, ctx=ctx)
        except seqnn.InvalidArgument:
            pass

    def closed_call():
        try:
            K.gemm(a, a, ctx=closed)
        except seqnn.ClosedError:
            pass

    def context():
        seqnn.Context("ref").close()

    ta = ctx.tensor(a)
    ao, to = np.empty((8, 8), np.float32), ctx.empty((8, 8))
    tp, tg, tm, tv = ctx.tensor(a[0]), ctx.tensor(a[1]), ctx.empty((8,)), ctx.empty((8,))
    q = np.ones((1, 2, 3, 4), np.float32)
    tq = ctx.tensor(q)
    am = seqnn.Model().input_tokens(13).embedding(8).attention(heads=2).dense(5).build(ctx, seed=1)
    am.predict(x)
    tree_m = seqnn.Model().input_features(8).tree(4).build(ctx, seed=1)
    trees = np.full((4, 4), -1, np.int32)
    cases = [("kernels.gemm 8x8", lambda: K.gemm(a, a, ctx=ctx), n),
             ("Model.plan", lambda: am.plan(batch=3, seq_len=4), n),
             ("Model.attention_weights", lambda: am.attention_weights(), n),
             ("Model.predict of a tree layer with trees", lambda: tree_m.predict(a.reshape(8, 1, 8)[:3].repeat(4, 1),
                                                                             trees=trees), n),
             ("kernels.gemm 8x8 on Tensors", lambda: K.gemm(ta, ta), n),
             ("kernels.gemm 8x8, out= an array", lambda: K.gemm(a, a, ctx=ctx, out=ao), n),
             ("kernels.gemm 8x8 on Tensors, out= a Tensor", lambda: K.gemm(ta, ta, out=to), n),
             ("kernels.lstm_forward on Tensors", lambda: K.lstm_forward(ta.reshape(2, 4, 8), ta,
                                                                         ctx.tensor(a[:, :2])), n),
             ("kernels.adam_step in place on Tensors", lambda: K.adam_step(tp, tg, tm, tv, 1), n),
             ("kernels.attention (and its backward) on arrays",
              lambda: K.attention_backward(q, q, q, K.attention(q, q, q, ctx=ctx)[1], q, ctx=ctx), n),
             ("ctx.tensor(a).numpy()", lambda: ctx.tensor(a).numpy(), n),
             ("kernels.lstm_forward", lambda: K.lstm_forward(a.reshape(2, 4, 8), a, a[:, :2].copy(), ctx=ctx), n),
             ("Model.train_step", lambda: m.train_step(x, y), n),
             ("Model.predict", lambda: m.predict(x), n),
             ("a failing kernel call (the library's error)", failing_kernel, n),
             ("a call on a closed context", closed_call, n),
             ("safetensors.read", lambda: seqnn.safetensors.read(ckpt), n),
             ("Context('ref') opened and closed", context, n // 10)]
    for what, fn, count in cases:
        for _ in range(max(100, count // 10)):
            fn()
        before = rss()
        for _ in range(count):
            fn()
        grew = rss() - before
        ok = grew <= LIMIT
        failures += not ok
        print("%s %s: %d calls, resident set %+d KiB (<= %d KiB)" % ("ok" if ok else "FAIL", what, count,
                                                                     grew // 1024, LIMIT // 1024))
    m.close()
    ctx.close()
    os.remove(ckpt)
    os.rmdir(tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
