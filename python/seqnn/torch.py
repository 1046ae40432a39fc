"""PyTorch interop: a seqnn checkpoint's parameters as a state_dict, and a
seqnn model from a torch.nn.Module's weights. seqnn names its parameters as
the equivalent nn.Module's state_dict ("embed.weight", "lstm.weight_ih_l0",
"fc.bias", ...) with PyTorch's shapes and gate orders, so weights move as
they are; a module whose attributes are named otherwise maps them with
rename={"SEQNN_PREFIX": "TORCH_PREFIX"} (a name's leading component).

(scripts/seqnn_torch.py does the same at the file level for the command
line, with torch.save files; this module reads checkpoints with libseqnn's
own reader and writes them through the model, so it needs no copy of it.)
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

import numpy as np
import torch

from . import safetensors
from .backends import Context
from .model import Model


def _rename(name: str, rename: Optional[Mapping[str, str]]) -> str:
    for a, b in (rename or {}).items():
        if name == a or name.startswith(a + "."):
            return b + name[len(a):]
    return name


def to_state_dict(checkpoint, rename: Optional[Mapping[str, str]] = None) -> Dict[str, "torch.Tensor"]:
    """The parameters of a seqnn checkpoint (a path, or a built Model) as a
    state_dict of float32 tensors, for module.load_state_dict(sd, strict=True).
    The optimizer state ("optim.*") is left out."""
    if isinstance(checkpoint, Model):
        params = checkpoint.parameters()
    else:
        params = {k: v for k, v in safetensors.read(checkpoint)[0].items() if not k.startswith("optim.")}
    return {_rename(k, rename): torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
            for k, v in params.items()}


def from_module(module: "torch.nn.Module", model_file: str, variables: Optional[Mapping[str, int]] = None,
                context: Optional[Context] = None, seed: int = 1, rename: Optional[Mapping[str, str]] = None,
                out: Optional[str] = None) -> Model:
    """A model read from model_file and built on context, whose parameters are
    module's (every parameter of the model must be in module.state_dict()
    with its shape, and every entry of it a parameter: KeyError / ValueError
    otherwise). With out, also saved there as a checkpoint (no optimizer state)."""
    sd = module.state_dict()
    m = Model.from_file(model_file, variables).build(context, seed)
    inverse = {_rename(name, rename): name for name in m.parameters()}
    missing = sorted(k for k in inverse if k not in sd)
    extra = sorted(k for k in sd if k not in inverse)
    if missing or extra:
        m.close()
        raise KeyError("seqnn.torch: the module does not match %s: %s%s" % (
            model_file, "missing " + ", ".join(missing) if missing else "",
            ("; " if missing and extra else "") + ("not in the model " + ", ".join(extra) if extra else "")))
    m.set_parameters({inverse[k]: sd[k].detach().to(torch.float32).cpu().numpy() for k in inverse})
    if out is not None:
        m.save(out, optimizer=False)
    return m
