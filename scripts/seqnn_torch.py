#!/usr/bin/python3
"""Moves weights between PyTorch modules and seqnn checkpoints, both ways.

A seqnn checkpoint (`seqnn train --out`, seqnn_model_save) is a safetensors
file whose tensors carry PyTorch's state_dict names ("embedding.weight",
"lstm.weight_ih_l0", "fc.bias", ...; docs/models.md lists them per layer),
plus the optimizer state ("optim.<param>.<slot>") and metadata (the model
file, the vocabularies). So a module whose attributes are named as seqnn's
layers loads a checkpoint's parameters as they are; other attribute names are
mapped with --rename SEQNN_PREFIX=TORCH_PREFIX (a name's leading component).

  to-torch CKPT OUT.pt [--rename A=B]...
        The parameters of a seqnn checkpoint as a PyTorch state_dict, written
        with torch.save (the optimizer state is left out). Then:
        module.load_state_dict(torch.load("OUT.pt"), strict=True)
  from-torch STATE CKPT OUT [--rename A=B]...
        A seqnn checkpoint with the parameters of STATE, a state_dict written
        by torch.save(module.state_dict(), STATE) (or a .safetensors file), in
        place of those of CKPT, which gives the model (its model file and
        vocabularies; any checkpoint `seqnn train` wrote for that model file
        and data, e.g. after --steps 1). Every parameter of CKPT must be in
        STATE with its shape, and every name of STATE a parameter of CKPT
        (after --rename): anything else is an error. The optimizer state and its counters are
        dropped: training resumed from OUT starts its optimizer afresh. Written
        to OUT.tmp, then renamed.

As a module (scripts/ on sys.path): state_dict_of(ckpt, rename) returns the
tensors; write_checkpoint(state_dict, ckpt, out, rename) writes OUT.

Needs Debian's python3-torch and python3-numpy through /usr/bin/python3.
Exit status 0, or 1 with a message on stderr.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    """(tensors as float/int numpy arrays by name, metadata dict) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: not a safetensors file (%d bytes)" % (path, len(data)))
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError("%s: not a safetensors file (its header runs past the end)" % path)
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in _DTYPES:
            raise ValueError("%s: tensor '%s' is %s (F32, F64, I32, I64 are read)" % (path, name, info["dtype"]))
        dt = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        b, e = info["data_offsets"]
        raw = data[8 + n + b:8 + n + e]
        if len(raw) != int(np.prod(info["shape"], dtype=np.int64)) * dt.itemsize:
            raise ValueError("%s: tensor '%s' has bad data offsets" % (path, name))
        tensors[name] = np.frombuffer(raw, dtype=dt).reshape(info["shape"]).copy()
    return tensors, meta


def write_safetensors(path, tensors, meta):
    """Writes float32 tensors and string metadata (to path.tmp, then renamed)."""
    header, blobs, at = {"__metadata__": dict(meta)}, [], 0
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name], dtype=np.dtype(np.float32).newbyteorder("<")).tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    js = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    js += b" " * (-len(js) % 8)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(js)) + js + b"".join(blobs))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _renamer(rename):
    """A function mapping a name by the first matching PREFIX=NEW of rename."""
    pairs = []
    for r in rename or []:
        if "=" not in r:
            raise ValueError("--rename %s: write OLD=NEW (a name's leading component, e.g. lstm=rnn)" % r)
        pairs.append(tuple(r.split("=", 1)))

    def apply(name):
        for a, b in pairs:
            if name == a or name.startswith(a + "."):
                return b + name[len(a):]
        return name
    return apply


def _parameters(ckpt):
    tensors, meta = read_safetensors(ckpt)
    if "seqnn.modelfile" not in meta and not any(k.startswith("optim.") for k in tensors):
        print("note: %s has no seqnn metadata (not written by seqnn train?)" % ckpt, file=sys.stderr)
    return {k: v for k, v in tensors.items() if not k.startswith("optim.")}, meta


def state_dict_of(ckpt, rename=None):
    """The parameters of seqnn checkpoint ckpt as a state_dict of float32 tensors."""
    name = _renamer(rename)
    params, _ = _parameters(ckpt)
    return {name(k): torch.from_numpy(v.astype(np.float32)) for k, v in sorted(params.items())}


def _load_state(path):
    if path.endswith(".safetensors"):
        return {k: torch.from_numpy(v) for k, v in read_safetensors(path)[0].items()}
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, torch.nn.Module):
        state = state.state_dict()
    if not isinstance(state, dict):
        raise ValueError("%s: holds a %s, not a state_dict (torch.save(module.state_dict(), PATH))"
                         % (path, type(state).__name__))
    return state


def write_checkpoint(state, ckpt, out, rename=None):
    """seqnn checkpoint out: ckpt's model and metadata, state's parameters
    (a state_dict, or a path to one), the optimizer state dropped."""
    name = _renamer(rename)
    if isinstance(state, str):
        state = _load_state(state)
    params, meta = _parameters(ckpt)
    want = {name(k): k for k in params}           # torch name -> seqnn name
    missing = sorted(k for k in want if k not in state)
    extra = sorted(k for k in state if k not in want)
    if missing or extra:
        raise ValueError("the state_dict does not match the checkpoint's model: %s%s%s (names as the module has "
                         "them; --rename SEQNN=TORCH maps a leading component)"
                         % ("missing " + ", ".join(missing) if missing else "", "; " if missing and extra else "",
                            "not in the model " + ", ".join(extra) if extra else ""))
    tensors = {}
    for tname, sname in want.items():
        v = state[tname].detach().to(torch.float32).cpu().numpy()
        if tuple(v.shape) != tuple(params[sname].shape):
            raise ValueError("'%s' is %s in the state_dict, the model's '%s' is %s"
                             % (tname, list(v.shape), sname, list(params[sname].shape)))
        if not np.all(np.isfinite(v)):
            raise ValueError("'%s' has non-finite values" % tname)
        tensors[sname] = v
    for k in ("seqnn.optimizer", "seqnn.step", "seqnn.dropout_counter"):
        meta.pop(k, None)
    write_safetensors(out, tensors, meta)
    return len(tensors)


def main(argv):
    args, rename = [], []
    it = iter(argv[1:])
    for a in it:
        if a == "--rename":
            rename.append(next(it, ""))
        elif a.startswith("--rename="):
            rename.append(a.split("=", 1)[1])
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    try:
        if len(args) == 3 and args[0] == "to-torch":
            state = state_dict_of(args[1], rename)
            torch.save(state, args[2])
            print("wrote %s: %d tensors (%s)" % (args[2], len(state), ", ".join(state)), file=sys.stderr)
        elif len(args) == 4 and args[0] == "from-torch":
            n = write_checkpoint(args[1], args[2], args[3], rename)
            print("wrote %s: %d parameters from %s, the model of %s" % (args[3], n, args[1], args[2]),
                  file=sys.stderr)
        else:
            print("usage: seqnn_torch.py to-torch CKPT OUT.pt [--rename SEQNN=TORCH]...\n"
                  "       seqnn_torch.py from-torch STATE CKPT OUT [--rename SEQNN=TORCH]...  (--help)",
                  file=sys.stderr)
            return 2
    except (OSError, ValueError, RuntimeError, KeyError, json.JSONDecodeError) as e:
        print("seqnn_torch.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
