"""Backends: the plugins and devices seqnn finds (what `seqnn info` lists) and
contexts, each an open device or a chain of devices ("vendor,avx2").

A spec string is SEQNN_BACKEND's syntax, as in C: "ref", "avx2", "opencl", a
plugin path, each optionally followed by ":DEVICE-SUBSTRING"; a chain joins
entries with commas. None reads SEQNN_BACKEND, and when that is unset too the
device of the best score wins. An explicit request that cannot be met raises
with the library's reason (never falls back).
"""
from __future__ import annotations

import ctypes
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional

import numpy as np

from . import _lib
from ._lib import dec, enc, lib

if TYPE_CHECKING:
    from .tensor import Tensor

DEVICE_KINDS = ["cpu", "gpu", "accelerator"]


@dataclass(frozen=True)
class Plugin:
    """One plugin file the registry tried: loaded, or rejected with the reason."""
    path: str
    name: str
    loaded: bool
    reason: str
    abi: str
    kernels: int
    version: str
    description: str


@dataclass(frozen=True)
class Device:
    """One device of a loaded plugin (seqnn_device_record)."""
    plugin: str
    index: int
    name: str
    kind: str
    score: int
    reason: str
    memory_bytes: int

    @property
    def spec(self) -> str:
        """The spec that selects this device: "PLUGIN:NAME"."""
        return "%s:%s" % (self.plugin, self.name)


def _device(r: _lib.DeviceRecord) -> Device:
    kind = DEVICE_KINDS[r.kind] if 0 <= r.kind < len(DEVICE_KINDS) else str(r.kind)
    return Device(dec(r.plugin_name), int(r.index), dec(r.name), kind, int(r.score), dec(r.reason),
                  int(r.memory_bytes))


class _Registry:
    """A scan of the search path (seqnn_registry_open), closed on exit."""

    def __enter__(self):
        self.ptr = ctypes.c_void_p()
        lib.seqnn_registry_open(ctypes.byref(self.ptr))
        return self.ptr

    def __exit__(self, *exc):
        lib.seqnn_registry_close(self.ptr)


def plugins() -> List[Plugin]:
    """Every plugin file found, loaded or rejected (the first table of `seqnn info`)."""
    out = []
    with _Registry() as reg:
        for i in range(lib.seqnn_registry_plugin_count(reg)):
            r = _lib.PluginRecord()
            lib.seqnn_registry_plugin(reg, i, ctypes.byref(r))
            out.append(Plugin(dec(r.path), dec(r.name), bool(r.loaded), dec(r.reason),
                              "%d.%d" % (r.abi_major, r.abi_minor), int(r.kernels_present), dec(r.version),
                              dec(r.description)))
    return out


def devices() -> List[Device]:
    """Every device of every loaded plugin, with its score (the device table of `seqnn info`)."""
    out = []
    with _Registry() as reg:
        for i in range(lib.seqnn_registry_device_count(reg)):
            r = _lib.DeviceRecord()
            lib.seqnn_registry_device(reg, i, ctypes.byref(r))
            out.append(_device(r))
    return out


def select(spec: Optional[str] = None) -> str:
    """Why the device spec chooses is chosen (seqnn_registry_select's line)."""
    why = ctypes.create_string_buffer(512)
    with _Registry() as reg:
        dev = ctypes.c_int64()
        lib.seqnn_registry_select(reg, enc(spec), ctypes.byref(dev), why, len(why))
    return dec(why.value)


class Context(_lib.Handle):
    """An open device, or a chain of devices (seqnn_context_create).

    Context("avx2"), Context("ref"), Context("vendor,avx2"), Context() (SEQNN_BACKEND or the best).
    Models built on a context are closed with it; using a closed context or
    one of its models raises ClosedError. Use as a context manager or call
    close(); it is also closed when garbage-collected."""

    def __init__(self, spec: Optional[str] = None):
        ptr = ctypes.c_void_p()
        lib.seqnn_context_create(enc(spec), ctypes.byref(ptr))
        self._ptr = ptr
        self._what = "context"
        self.spec = spec
        self._dependents: "weakref.WeakSet" = weakref.WeakSet()
        self._buffers: dict = {}         # the live buffers of its Tensors (seqnn.tensor), by id

    def _depend(self, obj) -> None:
        self._dependents.add(obj)

    @property
    def devices(self) -> List[Device]:
        """The devices of this context: one, or the chain's in order."""
        out = []
        for i in range(lib.seqnn_context_device_count(self.ptr)):
            r = _lib.DeviceRecord()
            lib.seqnn_context_device_at(self.ptr, i, ctypes.byref(r))
            out.append(_device(r))
        return out

    @property
    def device(self) -> Device:
        """The first (for one device, the only) device."""
        return self.devices[0]

    def kernel_available(self, name: str) -> bool:
        """Whether some device of this context has kernel `name`."""
        kid = lib.seqnn_kernel_find(enc(name))
        if kid < 0:
            raise _lib.NotFound("seqnn: no kernel named '%s'" % name)
        return bool(lib.seqnn_kernel_available(self.ptr, kid))

    def tensor(self, a, dtype=None) -> "Tensor":
        """A Tensor on this context holding a copy of array a (float32 or int32;
        dtype converts first), for kernel calls that copy nothing."""
        from .tensor import Tensor
        a = np.asarray(a) if dtype is None else np.asarray(a, dtype)
        return Tensor.from_numpy(self, a)

    def empty(self, shape, dtype=np.float32) -> "Tensor":
        """A zero-filled Tensor of shape on this context."""
        from .tensor import Tensor
        return Tensor(self, shape, dtype)

    def sync(self) -> None:
        """Completes the work enqueued on every device (seqnn_sync)."""
        lib.seqnn_sync(self.ptr)

    def _free(self) -> None:
        """Closes the models and tensors made on it, then the context."""
        for dep in list(self._dependents):
            dep.close()
        for buf in self._buffers.values():
            lib.seqnn_buffer_free(self._ptr, buf)
        self._buffers.clear()
        lib.seqnn_context_destroy(self._ptr)

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<seqnn.Context closed>"
        return "<seqnn.Context %s>" % ",".join(d.spec for d in self.devices)


_default: Optional[Context] = None


def default_context() -> Context:
    """A process-wide context opened on first use with SEQNN_BACKEND's rules."""
    global _default
    if _default is None or _default.closed:
        _default = Context()
    return _default
