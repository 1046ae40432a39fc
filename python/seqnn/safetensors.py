"""Safetensors files through libseqnn's own strict reader
(include/seqnn/safetensors.h): the tensors and metadata of a checkpoint
as numpy arrays, with the library's errors for a malformed file."""
from __future__ import annotations

import ctypes
from typing import Dict, Tuple

import numpy as np

from ._lib import dec, enc, lib

_NUMPY = {0: np.float32, 1: np.float64, 2: np.int32, 3: np.int64}


def read(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """(tensors by name, metadata) of a safetensors file; F32/F64 come as
    float32, I32/I64 as int32 (the library's conversions)."""
    st = ctypes.c_void_p()
    lib.seqnn_safetensors_open(enc(path), ctypes.byref(st))
    try:
        tensors = {}
        for i in range(lib.seqnn_safetensors_count(st)):
            t = lib.seqnn_safetensors_tensor(st, i).contents
            name = dec(t.name)
            floating = _NUMPY[t.dtype] in (np.float32, np.float64)
            a = np.empty(tuple(t.shape[:t.ndim]), np.float32 if floating else np.int32)
            if floating:
                lib.seqnn_safetensors_read_f32(st, t.name, a.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), a.size)
            else:
                lib.seqnn_safetensors_read_i32(st, t.name, a.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), a.size)
            tensors[name] = a
        meta = {}
        for i in range(lib.seqnn_safetensors_metadata_count(st)):
            k, v = ctypes.c_char_p(), ctypes.c_char_p()
            lib.seqnn_safetensors_metadata_entry(st, i, ctypes.byref(k), ctypes.byref(v))
            meta[dec(k.value)] = dec(v.value)
        return tensors, meta
    finally:
        lib.seqnn_safetensors_close(st)
