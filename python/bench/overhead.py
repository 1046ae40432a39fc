"""Overhead of a Python kernel call over the C call: microseconds per gemm of
n x n float32 matrices, median (min-max) of 5 runs, for
  c_kernel   seqnn_gemm in C on buffers made once (overhead.c),
  py_kernel  the same call through ctypes (seqnn_kernel_run, prebuilt args),
  c_full     C doing what the wrapper does: 3 buffers allocated, 2 written,
             the call, 1 read, 3 freed,
  py_numpy   seqnn.kernels.gemm(a, b) on numpy arrays: checks, buffers,
             copies, call, a new array,
  py_tensor  seqnn.kernels.gemm(ta, tb) on seqnn.Tensors made once: checks,
             the call, a new Tensor (a buffer allocated, zeroed, freed when
             collected), no copy,
  numpy_out  py_numpy with out= an array made once (no new array),
  tensor_out py_tensor with out= a Tensor made once (no buffer allocated).
Usage: overhead.py OVERHEAD_PROGRAM [BACKEND] (build/tests/python_bench_overhead)."""
import ctypes
import subprocess
import sys
import time

import numpy as np

import seqnn
from seqnn import _lib
from seqnn import kernels as K


def timed(fn, reps):
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        runs.append((time.perf_counter() - t0) / reps * 1e6)
    runs.sort()
    return runs[2], runs[0], runs[4]


def main():
    prog, backend = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "avx2"
    ctx = seqnn.Context(backend)
    print("backend %s; microseconds per call, median (min-max) of 5 runs" % ctx.device.spec)
    print("%5s" % "n" + " %22s" * 7 % ("c_kernel", "py_kernel", "c_full", "py_numpy", "py_tensor", "numpy_out",
                                          "tensor_out"))
    for n, reps in ((8, 20000), (64, 5000), (256, 200)):
        c = dict((w[0], tuple(map(float, w[1:]))) for w in
                 (line.split() for line in subprocess.run([prog, backend, str(n), str(reps)], check=True,
                                                          capture_output=True, text=True).stdout.splitlines()))
        a = np.ones((n, n), np.float32)
        bufs = []
        for _ in range(3):
            b = ctypes.POINTER(_lib.Buffer)()
            _lib.lib.seqnn_buffer_alloc(ctx.ptr, 0, n * n, ctypes.byref(b))
            _lib.lib.seqnn_buffer_write(ctx.ptr, b, 0, a.ctypes.data, n * n)
            bufs.append(b)
        args = K.GemmArgs(m=n, n=n, k=n, alpha=1.0, a=_lib.Tref(bufs[0], 0), lda=n, b=_lib.Tref(bufs[1], 0), ldb=n,
                          c=_lib.Tref(bufs[2], 0), ldc=n, batch=1)
        kid, ref = _lib.lib.seqnn_kernel_find(b"gemm"), ctypes.byref(args)
        raw = timed(lambda: _lib.lib.seqnn_kernel_run(ctx.ptr, kid, ref), reps)
        full = timed(lambda: K.gemm(a, a, ctx=ctx), reps)
        o = np.empty((n, n), np.float32)
        full_out = timed(lambda: K.gemm(a, a, ctx=ctx, out=o), reps)
        ta, tc = ctx.tensor(a), ctx.empty((n, n))
        dev = timed(lambda: K.gemm(ta, ta), reps)
        dev_out = timed(lambda: K.gemm(ta, ta, out=tc), reps)
        ta.close()
        tc.close()
        for b in bufs:
            _lib.lib.seqnn_buffer_free(ctx.ptr, b)
        f = lambda t: "%.2f (%.2f-%.2f)" % t   # noqa: E731
        print("%5d" % n + " %22s" * 7 % (f(c["c_kernel"]), f(raw), f(c["c_full"]), f(full), f(dev), f(full_out),
                                         f(dev_out)))
    ctx.close()


if __name__ == "__main__":
    main()
