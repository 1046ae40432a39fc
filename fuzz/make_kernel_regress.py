#!/usr/bin/env python3
"""Writes hand-made regression inputs of fuzz_kernel_args (fuzz/regress/kernel_args/):
calls with a row-strided operand of zero columns and a huge row stride, which
the argument checks must refuse (every row's start has to lie inside the
buffer, as for copy2d and the recurrent kernels). Not run by CI; its output is
committed. The byte format is the one fuzz_kernel_args.c decodes: 8 buffer
descriptors (kind byte, count), the kernel id byte, then the argument
struct's fields in the order of its v_<type>() visitor; absent trailing bytes
read as zeros. usage: make_kernel_regress.py DIR"""
import os, sys

# fuzz_kernel_args.c's codec: small integers -8 .. 215 are one byte (v + 8);
# the special values are 0xe0 + their index in fz_i64_special.
I64_SPECIAL = {(1 << 40): 0xe0 + 11}
KERNEL = {"bias_add": 1, "bias_backward": 2, "embedding_forward": 16, "embedding_backward": 17}
F32, I32 = 0, 1
HUGE_LD = 1 << 40                      # a row stride no fuzz buffer can hold


def i64(v):
    if -8 <= v < 216:
        return bytes([v + 8])
    return bytes([I64_SPECIAL[v]])


def tref(slot, off=0):                 # slot 1..8 names a buffer, 0 is NULL
    return bytes([slot]) + i64(off)


def buffers(*descs):                   # (dtype, count) per buffer, the rest empty
    out = b""
    for i in range(8):
        kind, count = descs[i] if i < len(descs) else (F32, 0)
        out += bytes([kind]) + i64(count)
    return out


def bias(kernel):
    # rows 3, cols 0, y/dy = buffer 1 (4 floats) with ldy 2^40, b/db = buffer 2
    return (buffers((F32, 4), (F32, 4)) + bytes([KERNEL[kernel]]) + i64(3) + i64(0) +
            tref(1) + i64(HUGE_LD) + tref(2) + tref(1) + tref(2) + bytes([0]))


def embedding(kernel):
    # n 3, vocab 2, dim 0, idx = buffer 3 (int32 zeros), padding_idx -1,
    # weight/dweight = buffer 1, y/dy = buffer 2 (4 floats) with ldy 2^40
    return (buffers((F32, 4), (F32, 4), (I32, 3)) + bytes([KERNEL[kernel]]) + i64(3) + i64(2) + i64(0) +
            tref(3) + i64(-1) + tref(1) + tref(2) + i64(HUGE_LD) + tref(2) + tref(1) + bytes([0]))


INPUTS = {
    "bias-add-no-columns-huge-ldy": bias("bias_add"),
    "bias-backward-no-columns-huge-ldy": bias("bias_backward"),
    "embedding-forward-no-columns-huge-ldy": embedding("embedding_forward"),
    "embedding-backward-no-columns-huge-ldy": embedding("embedding_backward"),
}

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_kernel_regress.py DIR")
    for name, data in INPUTS.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)
