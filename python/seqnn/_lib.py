"""libseqnn through ctypes: finding and loading the library, the exceptions
that carry its error messages, the C structures of the public headers
(include/seqnn/*.h) and the prototypes of the functions this package calls.

The library is found, in order, at
  1. $SEQNN_LIBRARY (a path to libseqnn.so),
  2. the build tree this package sits in (python/seqnn -> build/lib/libseqnn.so),
  3. the system's library path (libseqnn.so.0, as an installed seqnn puts it).
Plugins are then found by the library itself, as for the C programs
(SEQNN_PLUGIN_PATH, the install plugin directory, lib/seqnn next to libseqnn).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (POINTER, Structure, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32,
                    c_uint64, c_void_p)
from typing import Optional

# ----------------------------------------------------------------- errors ---
STATUS_NAMES = ["SEQNN_OK", "SEQNN_ERR_INVALID_ARG", "SEQNN_ERR_UNSUPPORTED", "SEQNN_ERR_NO_MEMORY",
                "SEQNN_ERR_DEVICE", "SEQNN_ERR_NOT_FOUND", "SEQNN_ERR_ABI", "SEQNN_ERR_IO", "SEQNN_ERR_FORMAT",
                "SEQNN_ERR_NUMERIC", "SEQNN_ERR_INTERNAL"]


class SeqnnError(Exception):
    """A failing seqnn call. str(e) is the library's message (seqnn_last_error);
    e.status is the status name ("SEQNN_ERR_INVALID_ARG", ...) or None for
    an error raised by this package before any call (a closed object)."""

    def __init__(self, message: str, status: Optional[str] = None):
        super().__init__(message)
        self.status = status


class InvalidArgument(SeqnnError, ValueError):
    """SEQNN_ERR_INVALID_ARG: a bad shape, size, name or value."""


class Unsupported(SeqnnError):
    """SEQNN_ERR_UNSUPPORTED: the backend lacks this kernel or case."""


class NoMemory(SeqnnError, MemoryError):
    """SEQNN_ERR_NO_MEMORY."""


class DeviceError(SeqnnError):
    """SEQNN_ERR_DEVICE: the device or its driver failed."""


class NotFound(SeqnnError, LookupError):
    """SEQNN_ERR_NOT_FOUND: no such plugin, device, file or name."""


class AbiError(SeqnnError):
    """SEQNN_ERR_ABI: a plugin of another ABI."""


class IOFailure(SeqnnError, OSError):
    """SEQNN_ERR_IO: reading or writing a file failed."""


class FormatError(SeqnnError, ValueError):
    """SEQNN_ERR_FORMAT: a malformed model file, checkpoint or data."""


class NumericError(SeqnnError, ArithmeticError):
    """SEQNN_ERR_NUMERIC: NaN or infinity where checking is on."""


class InternalError(SeqnnError):
    """SEQNN_ERR_INTERNAL: a bug in seqnn."""


class ClosedError(SeqnnError):
    """A context, model or registry used after close() (or after its context closed)."""


_BY_STATUS = {1: InvalidArgument, 2: Unsupported, 3: NoMemory, 4: DeviceError, 5: NotFound, 6: AbiError,
              7: IOFailure, 8: FormatError, 9: NumericError, 10: InternalError}


class Handle:
    """A library object owned from Python: ptr raises ClosedError once
    close() ran; close() is idempotent, runs on `with` exit and at garbage
    collection. Subclasses set _what (for messages) and define _free()."""
    _what = "object"
    _ptr = None

    @property
    def ptr(self):
        if self._ptr is None:
            raise ClosedError("seqnn: the %s is closed" % self._what)
        return self._ptr

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def close(self) -> None:
        """Frees the library object; later calls raise ClosedError. Closing twice is harmless."""
        if self._ptr is not None:
            self._free()
            self._ptr = None

    def _free(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# ------------------------------------------------------------- structures ---
class Buffer(Structure):
    """seqnn_buffer (kernels.h)."""
    _fields_ = [("handle", c_void_p), ("count", c_int64), ("dtype", c_int), ("magic", c_uint32),
                ("owner", c_void_p)]


class Tref(Structure):
    """seqnn_tref: a buffer and an element offset; buf NULL = absent."""
    _fields_ = [("buf", POINTER(Buffer)), ("off", c_int64)]


class PluginRecord(Structure):
    _fields_ = [("path", c_char_p), ("name", c_char_p), ("loaded", c_int), ("reason", c_char_p),
                ("abi_major", ctypes.c_uint), ("abi_minor", ctypes.c_uint), ("kernels_present", c_int),
                ("version", c_char_p), ("description", c_char_p)]


class DeviceRecord(Structure):
    _fields_ = [("plugin", c_int64), ("plugin_name", c_char_p), ("index", c_int64), ("name", c_char_p),
                ("kind", c_int), ("score", c_int), ("reason", c_char_p), ("memory_bytes", c_uint64)]


class RecurrentDesc(Structure):
    _fields_ = [("cell", c_int), ("hidden", c_int64), ("layers", c_int64), ("bidirectional", c_int),
                ("dropout", c_double), ("last", c_int), ("init", c_int)]


class AttentionDesc(Structure):
    _fields_ = [("score", c_int), ("heads", c_int64), ("causal", c_int), ("encoder", c_int),
                ("attn_dim", c_int64)]


class TreeDesc(Structure):
    _fields_ = [("cell", c_int), ("hidden", c_int64), ("nodes", c_int)]


class ParamInfo(Structure):
    _fields_ = [("name", c_char_p), ("ndim", c_int), ("shape", c_int64 * 4), ("count", c_int64)]


class OptimDesc(Structure):
    _fields_ = [("kind", c_int), ("lr", c_double), ("momentum", c_double), ("dampening", c_double),
                ("nesterov", c_int), ("alpha", c_double), ("centered", c_int), ("beta1", c_double),
                ("beta2", c_double), ("decoupled", c_int), ("amsgrad", c_int), ("lr_decay", c_double),
                ("eps", c_double), ("weight_decay", c_double), ("clip_norm", c_double)]


class BatchInput(Structure):
    _fields_ = [("seq_len", c_int64), ("tokens", POINTER(c_int32)), ("features", POINTER(ctypes.c_float)),
                ("lengths", POINTER(c_int32))]


class Batch(Structure):
    _fields_ = [("seq_len", c_int64), ("batch", c_int64), ("tokens", POINTER(c_int32)),
                ("features", POINTER(ctypes.c_float)), ("lengths", POINTER(c_int32)),
                ("targets", POINTER(c_int32)), ("values", POINTER(ctypes.c_float)), ("dec_len", c_int64),
                ("dec_tokens", POINTER(c_int32)), ("dec_lengths", POINTER(c_int32)),
                ("trees", POINTER(c_int32)), ("n_inputs", c_int), ("inputs", POINTER(BatchInput))]


class InputInfo(Structure):
    _fields_ = [("name", c_char_p), ("tokens", c_int), ("n", c_int64)]


class StepResultC(Structure):
    _fields_ = [("loss", c_double), ("count", c_int64), ("correct", c_int64), ("grad_norm", c_double)]


class TrainConfig(Structure):
    _fields_ = [("batch", c_int64), ("seq_len", c_int64), ("epochs", c_int64), ("max_steps", c_int64),
                ("time_limit", c_double), ("eval_every", c_int64), ("patience", c_int64),
                ("val_fraction", c_double), ("seed", c_uint64), ("optim", OptimDesc)]


class ModelfileVar(Structure):
    _fields_ = [("name", c_char_p), ("value", c_int64)]


class LrSchedule(Structure):
    _fields_ = [("kind", c_int), ("warmup_steps", c_int64), ("warmup_start", c_double), ("step_size", c_int64),
                ("gamma", c_double), ("cosine_steps", c_int64), ("min_lr", c_double), ("factor", c_double),
                ("patience", c_int64), ("threshold", c_double)]


class DecodeConfig(Structure):
    _fields_ = [("temperature", c_double), ("top_k", c_int64), ("top_p", c_double), ("beam", c_int64),
                ("length_alpha", c_double), ("seed", c_uint64), ("eos", c_int32),
                ("on_token", ctypes.CFUNCTYPE(c_int, c_void_p, c_int32)), ("user", c_void_p)]


class XentOptions(Structure):
    _fields_ = [("class_weights", POINTER(ctypes.c_float)), ("n_weights", c_int64), ("label_smoothing", c_double)]


class PlanShape(Structure):
    _fields_ = [("batch", c_int64), ("seq_len", c_int64), ("dec_len", c_int64), ("lengths", c_int)]


class PlanCall(Structure):
    _fields_ = [("layer", c_int), ("layer_name", c_char_p), ("phase", c_int), ("kernel", c_int), ("device", c_int),
                ("calls", c_int64), ("copies", c_int64), ("bytes", c_int64), ("answers", c_char_p)]


CHAIN_STATS_MAX = 8
PLAN_TENSOR_KINDS = 5


class PlanTraffic(Structure):
    _fields_ = [("copies", c_int64), ("bytes", c_int64), ("host_bytes", c_int64),
                ("calls", c_int64 * CHAIN_STATS_MAX)]


class Plan(Structure):
    _fields_ = [("shape", PlanShape), ("devices", c_int), ("device_names", c_char_p * CHAIN_STATS_MAX),
                ("rows", POINTER(PlanCall)), ("n_rows", c_int64), ("unplaced", c_int64), ("n_layers", c_int),
                ("layer_names", POINTER(c_char_p)), ("homes", POINTER(c_uint32 * PLAN_TENSOR_KINDS)),
                ("first_step", PlanTraffic), ("step", PlanTraffic), ("inference", PlanTraffic)]


class StTensor(Structure):
    _fields_ = [("name", c_char_p), ("dtype", c_int), ("ndim", c_int), ("shape", c_int64 * 8),
                ("count", c_int64), ("data", c_void_p), ("nbytes", c_size_t)]


# ----------------------------------------------------------------- loading ---
def _candidates() -> list:
    env = os.environ.get("SEQNN_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    out = [os.path.join(here, "..", "..", "build", "lib", "libseqnn.so")]
    found = ctypes.util.find_library("seqnn")
    out += [found] if found else []
    out.append("libseqnn.so.0")
    return out


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (no such file)")
            continue
        try:
            return ctypes.CDLL(os.path.realpath(path) if os.sep in path else path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("seqnn: cannot load libseqnn: tried " + "; ".join(tried) +
                      ". Set SEQNN_LIBRARY to the path of libseqnn.so (build it with scripts/build.sh).")


lib = _load()
LIBRARY_PATH: str = lib._name

lib.seqnn_last_error.restype = c_char_p
lib.seqnn_last_error.argtypes = []
lib.seqnn_status_name.restype = c_char_p
lib.seqnn_status_name.argtypes = [c_int]


def last_error() -> str:
    """seqnn_last_error(): the message of the last failing call on this thread."""
    return (lib.seqnn_last_error() or b"").decode("utf-8", "replace")


def raise_status(status: int, what: str = "") -> None:
    """Raises the exception of a nonzero status with the library's message."""
    msg = last_error() or (what + ": " if what else "") + (lib.seqnn_status_name(status) or b"?").decode()
    raise _BY_STATUS.get(status, SeqnnError)(msg, STATUS_NAMES[status] if 0 <= status < len(STATUS_NAMES)
                                             else str(status))


def _errcheck(result, func, args):
    if result != 0:
        raise_status(result, func.__name__)
    return result


_P = c_void_p
_PI64, _PF32, _PI32, _PF64 = POINTER(c_int64), POINTER(ctypes.c_float), POINTER(c_int32), POINTER(c_double)

# name: (argtypes, restype); restype None in the table means seqnn_status (checked).
_PROTOS = {
    "seqnn_kernel_name": ([c_int], c_char_p), "seqnn_kernel_find": ([c_char_p], c_int),
    "seqnn_registry_open": ([POINTER(_P)], None), "seqnn_registry_close": ([_P], "void"),
    "seqnn_registry_plugin_count": ([_P], c_int64), "seqnn_registry_device_count": ([_P], c_int64),
    "seqnn_registry_plugin": ([_P, c_int64, POINTER(PluginRecord)], None),
    "seqnn_registry_device": ([_P, c_int64, POINTER(DeviceRecord)], None),
    "seqnn_registry_select": ([_P, c_char_p, _PI64, c_char_p, c_size_t], None),
    "seqnn_context_create": ([c_char_p, POINTER(_P)], None), "seqnn_context_destroy": ([_P], "void"),
    "seqnn_context_device_count": ([_P], c_int),
    "seqnn_context_device_at": ([_P, c_int, POINTER(DeviceRecord)], None), "seqnn_sync": ([_P], None),
    "seqnn_buffer_alloc": ([_P, c_int, c_int64, POINTER(POINTER(Buffer))], None),
    "seqnn_buffer_free": ([_P, POINTER(Buffer)], "void"),
    "seqnn_buffer_write": ([_P, POINTER(Buffer), c_int64, c_void_p, c_int64], None),
    "seqnn_buffer_read": ([_P, POINTER(Buffer), c_int64, c_void_p, c_int64], None),
    "seqnn_buffer_copy": ([_P, POINTER(Buffer), c_int64, POINTER(Buffer), c_int64, c_int64], None),
    "seqnn_buffer_fill": ([_P, POINTER(Buffer), c_int64, c_int64, c_double], None),
    "seqnn_kernel_run": ([_P, c_int, c_void_p], None),
    "seqnn_kernel_available": ([_P, c_int], c_int),
    "seqnn_model_create": ([POINTER(_P)], None), "seqnn_model_destroy": ([_P], "void"),
    "seqnn_model_input_tokens": ([_P, c_int64], None), "seqnn_model_input_features": ([_P, c_int64], None),
    "seqnn_model_add_input_tokens": ([_P, c_char_p, c_int64], None),
    "seqnn_model_add_input_features": ([_P, c_char_p, c_int64], None),
    "seqnn_model_add_embedding": ([_P, c_char_p, c_int64, c_int32], None),
    "seqnn_model_add_dense": ([_P, c_char_p, c_int64], None),
    "seqnn_model_add_activation": ([_P, c_int, c_double], None),
    "seqnn_model_add_dropout": ([_P, c_double], None),
    "seqnn_model_add_recurrent": ([_P, c_char_p, POINTER(RecurrentDesc)], None),
    "seqnn_model_add_lstm_variant": ([_P, c_char_p, POINTER(RecurrentDesc), c_uint32, c_int64], None),
    "seqnn_model_add_conv1d_bank": ([_P, c_char_p, c_int64, c_int, _PI64, c_int], None),
    "seqnn_model_add_attention": ([_P, c_char_p, POINTER(AttentionDesc)], None),
    "seqnn_model_add_tree": ([_P, c_char_p, POINTER(TreeDesc)], None),
    "seqnn_model_set_from": ([_P, c_char_p, c_char_p], None),
    "seqnn_model_add_merge": ([_P, c_char_p, c_int, c_char_p], None),
    "seqnn_model_begin_decoder": ([_P, c_int64], None),
    "seqnn_model_input_info": ([_P, c_int, POINTER(InputInfo)], None),
    "seqnn_model_set_loss": ([_P, c_int], None), "seqnn_model_loss": ([_P], c_int),
    "seqnn_model_build": ([_P, _P, c_uint64], None),
    "seqnn_model_summary": ([_P, c_char_p, c_size_t], None),
    "seqnn_model_output_shape": ([_P, POINTER(c_int), _PI64], None),
    "seqnn_model_param_count": ([_P], c_int64), "seqnn_model_param_total": ([_P], c_int64),
    "seqnn_model_param": ([_P, c_int64, POINTER(ParamInfo)], None),
    "seqnn_model_param_read": ([_P, c_int64, _PF32, c_int64], None),
    "seqnn_model_param_write": ([_P, c_int64, _PF32, c_int64], None),
    "seqnn_optim_defaults": ([c_int], OptimDesc),
    "seqnn_model_set_optimizer": ([_P, POINTER(OptimDesc)], None),
    "seqnn_model_train_step": ([_P, POINTER(Batch), POINTER(StepResultC)], None),
    "seqnn_model_evaluate": ([_P, POINTER(Batch), POINTER(StepResultC)], None),
    "seqnn_model_predict": ([_P, POINTER(Batch), _PF32, c_int64], None),
    "seqnn_model_set_stateful": ([_P, c_int], None), "seqnn_model_reset_state": ([_P], None),
    "seqnn_model_load_vectors": ([_P, c_char_p, c_char_p, POINTER(c_char_p), c_int64, _PI64], None),
    "seqnn_model_attention_weights": ([_P, c_char_p, _PF32, c_int64, _PI64], None),
    "seqnn_model_set_plan_shape": ([_P, POINTER(PlanShape)], None),
    "seqnn_model_plan": ([_P, POINTER(PlanShape), POINTER(POINTER(Plan))], None),
    "seqnn_plan_free": ([POINTER(Plan)], "void"), "seqnn_plan_phase_name": ([c_int], c_char_p),
    "seqnn_plan_summary": ([POINTER(Plan), c_char_p, c_size_t], None),
    "seqnn_plan_layer_devices": ([POINTER(Plan), c_int, c_char_p, c_size_t], None),
    "seqnn_model_generate": ([_P, _PI32, c_int64, c_int64, c_double, c_uint64, _PI32], None),
    "seqnn_decode_defaults": ([POINTER(DecodeConfig)], "void"),
    "seqnn_model_decode": ([_P, _PI32, c_int64, _PI32, c_int64, c_int64, POINTER(DecodeConfig), _PI32, _PI64,
                            _PF64], None),
    "seqnn_model_translate": ([_P, _PI32, c_int64, c_int32, c_int32, c_int64, _PI32, _PI64], None),
    "seqnn_model_input_count": ([_P], c_int),
    "seqnn_model_set_xent_options": ([_P, POINTER(XentOptions)], None),
    "seqnn_model_evaluate_losses": ([_P, POINTER(Batch), POINTER(StepResultC), _PF32, c_int64], None),
    "seqnn_model_save": ([_P, c_char_p, c_int, POINTER(c_char_p)], None),
    "seqnn_model_load": ([_P, c_char_p], None), "seqnn_model_step_count": ([_P], c_int64),
    "seqnn_model_set_learning_rate": ([_P, c_double], None),
    "seqnn_model_learning_rate": ([_P], c_double),
    "seqnn_lr_schedule_parse": ([c_char_p, POINTER(LrSchedule)], None),
    "seqnn_model_set_lr_schedule": ([_P, POINTER(LrSchedule)], None),
    "seqnn_model_report_validation": ([_P, c_double, POINTER(c_int)], None),
    "seqnn_modelfile_load": ([c_char_p, POINTER(ModelfileVar), c_int, POINTER(_P), POINTER(TrainConfig)], None),
    "seqnn_modelfile_parse": ([c_char_p, c_size_t, c_char_p, POINTER(ModelfileVar), c_int, POINTER(_P),
                               POINTER(TrainConfig)], None),
    "seqnn_safetensors_open": ([c_char_p, POINTER(_P)], None), "seqnn_safetensors_close": ([_P], "void"),
    "seqnn_safetensors_count": ([_P], c_int64),
    "seqnn_safetensors_tensor": ([_P, c_int64], POINTER(StTensor)),
    "seqnn_safetensors_read_f32": ([_P, c_char_p, _PF32, c_int64], None),
    "seqnn_safetensors_read_i32": ([_P, c_char_p, _PI32, c_int64], None),
    "seqnn_safetensors_metadata_count": ([_P], c_int64),
    "seqnn_safetensors_metadata_entry": ([_P, c_int64, POINTER(c_char_p), POINTER(c_char_p)], None),
}

for _name, (_args, _res) in _PROTOS.items():
    _f = getattr(lib, _name)
    _f.argtypes = _args
    if _res is None:
        _f.restype = c_int
        _f.errcheck = _errcheck
    else:
        _f.restype = None if _res == "void" else _res


def enc(s: Optional[str]) -> Optional[bytes]:
    """A str argument as the C string the library takes (None stays NULL)."""
    return None if s is None else s.encode("utf-8")


def dec(b: Optional[bytes]) -> str:
    return "" if b is None else b.decode("utf-8", "replace")


def enum_value(name: str, table: list, what: str) -> int:
    """The index of name in table (case-insensitive), or ValueError listing the choices."""
    key = str(name).lower()
    if key in table:
        return table.index(key)
    raise ValueError("%s: unknown %s '%s' (one of %s)" % ("seqnn", what, name, ", ".join(table)))
