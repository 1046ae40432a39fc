#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_safetensors (fuzz/corpus/safetensors/):
small valid files covering every dtype, scalars, empty tensors, metadata,
escapes and non-ASCII names, plus a few near misses. Not run by CI; its
output is committed. usage: make_safetensors_seeds.py DIR"""
import json, struct, sys, os

def st(tensors, meta=None, pad=0, raw_header=None):
    """tensors: list of (name, dtype, shape, bytes)"""
    hdr, data = {}, b""
    for name, dt, shape, b in tensors:
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    if meta is not None:
        hdr["__metadata__"] = meta
    h = raw_header if raw_header is not None else json.dumps(hdr, ensure_ascii=False).encode()
    h += b" " * pad
    return struct.pack("<Q", len(h)) + h + data

f32 = lambda *v: struct.pack("<%df" % len(v), *v)
f64 = lambda *v: struct.pack("<%dd" % len(v), *v)
i32 = lambda *v: struct.pack("<%di" % len(v), *v)
i64 = lambda *v: struct.pack("<%dq" % len(v), *v)

seeds = {
    "empty_header": st([]),
    "one_f32": st([("w", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6))]),
    "scalar_f64": st([("lr", "F64", [], f64(0.001))]),
    "ints": st([("idx", "I32", [4], i32(0, -1, 2**31 - 1, -2**31)),
                ("step", "I64", [1], i64(2**40))]),
    "i64_big": st([("big", "I64", [2], i64(2**31, -2**63))]),
    "empty_tensor": st([("e", "F32", [0, 5], b""), ("x", "F32", [1], f32(3))]),
    "metadata": st([("rnn.weight_ih_l0", "F32", [4, 2], f32(*range(8)))],
                   {"format": "pt", "seqnn": "0.1.0", "note": "a \"quoted\" \\ value\n"}),
    "unicode_names": st([("caf\u00e9.\U0001F600", "F32", [1], f32(1)), ("\u00fc", "I32", [1], i32(7))]),
    "padded_header": st([("a", "F32", [1, 1, 1, 1, 1, 1, 1, 1], f32(1))], pad=7),
    "mixed_order": st([("b", "F64", [2], f64(1, 2)), ("a", "F32", [3], f32(1, 2, 3)),
                       ("c", "I64", [1], i64(5))]),
    # near misses: each refused by the reader
    "bad_truncated": st([("w", "F32", [4], f32(1, 2, 3, 4))])[:-3],
    "bad_overlap": st([], raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                     b'"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}') + f32(1),
    "bad_dtype": st([], raw_header=b'{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}') + b"\0\0",
    "bad_escape": st([], raw_header=b'{"\\ud800":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}') + f32(1),
    "bad_unknown_member": st([], raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],'
                                            b'"x":[{"y":[1,2.5e3,null,true,false,"z"]}]}}') + f32(1),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, b in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)
