"""Device-resident tensors: a float32 or int32 array held in a buffer of a
context (seqnn_buffer_alloc), so that kernel calls on it copy nothing.

    t = ctx.tensor(np.ones((8, 8), np.float32))   # one copy to the device
    y = seqnn.kernels.gemm(t, t)                 # a Tensor: no copy either way
    y.numpy()                                    # one copy back

A kernel of seqnn.kernels given Tensors returns Tensors (new buffers on the
same context); the optimizer kernels and clip_scale update a Tensor param in
place. A tensor is freed by close(), by garbage collection, or when its
context closes (then it raises ClosedError). reshape() gives a view sharing
the buffer.
"""
from __future__ import annotations

import ctypes
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _lib
from ._lib import lib

_DTYPES = {np.dtype(np.float32): 0, np.dtype(np.int32): 1}
_BufferP = ctypes.POINTER(_lib.Buffer)


def _data(a: np.ndarray) -> int:
    """The address of a's first element (cheaper than a.ctypes.data)."""
    return a.__array_interface__["data"][0]


class Tensor(_lib.Handle):
    """A float32 / int32 array of shape `shape` in a buffer of `context`.

    Tensor(ctx, shape, dtype) is zero-filled; ctx.tensor(array) or
    Tensor.from_numpy(ctx, array) copies an array in. shape, dtype, ndim and
    size are numpy's; numpy() copies the contents out, write(array) in."""
    _what = "tensor (closed, or its context was)"

    def __init__(self, context, shape: Sequence[int], dtype=np.float32, _fill: bool = True):
        dt = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype)
        code = _DTYPES.get(dt)
        if code is None:
            raise TypeError("seqnn.Tensor: dtype must be float32 or int32, not %s" % dt)
        self.shape: Tuple[int, ...] = tuple(map(int, shape))
        size = 1
        for s in self.shape:
            if s < 0:
                raise ValueError("seqnn.Tensor: negative extent in shape %s" % (self.shape,))
            size *= s
        self.dtype, self.size, self.context, self._base = dt, size, context, None
        buf = _BufferP()
        cptr = context.ptr
        lib.seqnn_buffer_alloc(cptr, code, size or 1, ctypes.byref(buf))
        self._ptr = buf
        context._buffers[id(buf)] = buf
        if _fill:
            lib.seqnn_buffer_fill(cptr, buf, 0, size or 1, 0.0)

    @classmethod
    def from_numpy(cls, context, a: np.ndarray) -> "Tensor":
        """A new tensor on context holding a copy of a (float32 or int32, any layout)."""
        a = np.asarray(a)
        t = cls(context, a.shape, a.dtype, _fill=False)
        t.write(a)
        return t

    @property
    def ndim(self) -> int:
        """Number of dimensions, as numpy's."""
        return len(self.shape)

    @property
    def buf(self):
        """The seqnn_buffer pointer (ClosedError once the tensor, its base or its context is closed)."""
        if self._base is not None:
            return self._base.buf
        if self._ptr is None or self.context._ptr is None:
            raise _lib.ClosedError("seqnn: the %s is closed" % self._what)
        return self._ptr

    def _free(self) -> None:
        """Frees the buffer unless the context did (closing it frees its tensors' buffers)."""
        ctx = self.context
        if self._base is None and ctx._ptr is not None and ctx._buffers.pop(id(self._ptr), None) is not None:
            lib.seqnn_buffer_free(ctx._ptr, self._ptr)

    @property
    def closed(self) -> bool:
        return self._ptr is None or self.context._ptr is None or (self._base is not None and self._base.closed)

    def numpy(self) -> np.ndarray:
        """A new numpy array with the tensor's contents (one copy from the device)."""
        out = np.empty(self.shape, self.dtype)
        if self.size:
            lib.seqnn_buffer_read(self.context.ptr, self.buf, 0, _data(out), self.size)
        return out

    def write(self, a: np.ndarray) -> "Tensor":
        """Copies array a (this shape; converted to this dtype only when it is of
        the same kind, else TypeError) into the tensor."""
        a = np.asarray(a)
        if a.shape != self.shape:
            raise ValueError("seqnn.Tensor: writing %s into a tensor of shape %s" % (list(a.shape), list(self.shape)))
        if a.dtype.kind != self.dtype.kind:
            raise TypeError("seqnn.Tensor: writing %s into a %s tensor" % (a.dtype, self.dtype))
        a = np.ascontiguousarray(a, self.dtype)
        if self.size:
            lib.seqnn_buffer_write(self.context.ptr, self.buf, 0, _data(a), self.size)
        return self

    def copy(self) -> "Tensor":
        """A new tensor with the same contents (copied on the device)."""
        t = Tensor(self.context, self.shape, self.dtype, _fill=False)
        if self.size:
            lib.seqnn_buffer_copy(self.context.ptr, t.buf, 0, self.buf, 0, self.size)
        return t

    def reshape(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        """A view of the same buffer with another shape of the same size (-1: inferred)."""
        dims = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else tuple(shape)
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if dims.count(-1) == 1 and known > 0 and self.size % known == 0:
            dims = tuple(self.size // known if d == -1 else d for d in dims)
        if any(d < 0 for d in dims) or int(np.prod(dims, dtype=np.int64)) != self.size:
            raise ValueError("seqnn.Tensor: cannot reshape %s into %s" % (list(self.shape), list(dims)))
        view = Tensor.__new__(Tensor)
        view.shape, view.dtype, view.size, view.context = tuple(dims), self.dtype, self.size, self.context
        view._base = self._base if self._base is not None else self
        view._ptr = view._base.ptr
        return view

    def __del__(self):
        if self._ptr is not None:
            try:
                self._free()
            except Exception:
                pass
            self._ptr = None

    def __len__(self) -> int:
        """The first extent, as numpy's len()."""
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __array__(self, dtype=None) -> np.ndarray:
        """np.asarray(tensor): a copy from the device (numpy())."""
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "on %s" % self.context.device.plugin
        return "<seqnn.Tensor %s %s %s>" % (self.dtype, list(self.shape), state)
