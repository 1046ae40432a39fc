"""seqnn for Python: the seqnn library (sequence neural networks over a
plugin vtable of kernels) through ctypes, numpy in and out.

    import seqnn
    seqnn.devices()                       # what `seqnn info` lists
    ctx = seqnn.Context("avx2")           # SEQNN_BACKEND's syntax, chains too
    m = seqnn.Model.from_file("lm.seqnn", {"vocab": 97}).build(ctx)
    m.train_step(tokens, targets)         # int32 [T, B] each
    seqnn.kernels.gemm(a, b)              # kernels on numpy arrays
    t = ctx.tensor(a)                     # or on device-resident tensors:
    seqnn.kernels.gemm(t, t).numpy()      #   no copy per call

Every failing call raises a SeqnnError subclass whose message is the
library's (seqnn_last_error). seqnn.torch (imported on demand) moves
weights to and from PyTorch modules.
"""
from ._lib import (LIBRARY_PATH, AbiError, ClosedError, DeviceError, FormatError, InternalError, InvalidArgument,
                   IOFailure, NoMemory, NotFound, NumericError, SeqnnError, Unsupported, last_error)
from .backends import Context, Device, Plugin, default_context, devices, plugins, select
from .model import Model, Plan, PlanRow, PlanTraffic, StepResult
from .tensor import Tensor
from . import kernels, safetensors

__version__ = "0.1.0"
__all__ = ["AbiError", "ClosedError", "Context", "Device", "DeviceError", "FormatError", "IOFailure",
           "InternalError", "InvalidArgument", "LIBRARY_PATH", "Model", "NoMemory", "NotFound", "NumericError",
           "Plan", "PlanRow", "PlanTraffic", "Plugin", "SeqnnError", "StepResult", "Tensor", "Unsupported",
           "default_context", "devices", "kernels", "last_error", "plugins", "safetensors", "select"]
