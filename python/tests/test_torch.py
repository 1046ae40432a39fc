"""seqnn.torch: a PyTorch model's weights moved into seqnn give PyTorch's
outputs within 1e-6, and moved back (after seqnn trained them) load into the
module with strict names and give seqnn's outputs within 1e-6. Usage:
test_torch.py [PLUGIN] (default: avx2 where it runs, else ref)."""
import os
import sys
import tempfile

import numpy as np
import torch

import seqnn
import seqnn.torch as st

MODEL = """seqnn 1
input features dim=5
lstm name=%s hidden=6 layers=2 bidirectional=1
dense name=fc out=3
loss mse
"""
failures = 0


def check(ok, what):
    global failures
    print("%s %s" % ("ok" if ok else "FAIL", what))
    failures += not ok


class Net(torch.nn.Module):
    def __init__(self, name="lstm"):
        super().__init__()
        setattr(self, name, torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True))
        self.fc = torch.nn.Linear(12, 3)
        self.rnn_name = name

    def forward(self, x):
        return self.fc(getattr(self, self.rnn_name)(x)[0])


def err(a, b):
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())


def rnn_backward_against_autograd(ctx):
    """seqnn.kernels.rnn_backward against torch.autograd through nn.LSTM / nn.GRU (one layer)."""
    torch.manual_seed(1)
    for cell, mod in (("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)):
        net = mod(5, 4)
        x = torch.randn(6, 3, 5, requires_grad=True)
        h0 = torch.randn(1, 3, 4, requires_grad=True)
        states = (h0, torch.randn(1, 3, 4, requires_grad=True)) if cell == "lstm" else h0
        y, _ = net(x, states)
        dy = torch.randn_like(y)
        y.backward(dy)
        w = {k: v.detach().numpy() for k, v in net.state_dict().items()}
        c0 = states[1].detach()[0].numpy() if cell == "lstm" else None
        args = (x.detach().numpy(), w["weight_ih_l0"], w["weight_hh_l0"])
        kw = dict(b_ih=w["bias_ih_l0"], b_hh=w["bias_hh_l0"], h0=h0.detach()[0].numpy(), c0=c0, cell=cell, ctx=ctx)
        ys, _, _, res = seqnn.kernels.rnn_forward(*args, reserve=True, **kw)
        g = seqnn.kernels.rnn_backward(*args, res, dy=dy.numpy(), **kw)
        errs = [err(ys, y.detach().numpy()), err(g["dx"], x.grad), err(g["dh0"], h0.grad[0]),
                err(g["dw_ih"], net.weight_ih_l0.grad), err(g["dw_hh"], net.weight_hh_l0.grad),
                err(g["db_ih"], net.bias_ih_l0.grad), err(g["db_hh"], net.bias_hh_l0.grad)]
        if cell == "lstm":
            errs.append(err(g["dc0"], states[1].grad[0]))
        check(max(errs) <= 1e-5, "kernels.rnn_forward/rnn_backward (%s) against autograd: worst %.1e (<= 1e-5)"
              % (cell, max(errs)))


def main():
    plugin = sys.argv[1] if len(sys.argv) > 1 else (
        "avx2" if any(d.plugin == "avx2" and d.score > 0 for d in seqnn.devices()) else "ref")
    torch.manual_seed(0)
    net = Net()
    x = torch.randn(7, 4, 5)
    with torch.no_grad():
        want = net(x).numpy()
    with tempfile.TemporaryDirectory() as tmp, seqnn.Context(plugin) as ctx:
        mf = os.path.join(tmp, "m.seqnn")
        with open(mf, "w") as f:
            f.write(MODEL % "lstm")
        ckpt = os.path.join(tmp, "from_torch.safetensors")
        m = st.from_module(net, mf, context=ctx, out=ckpt)
        got = m.predict(x.numpy())
        e = err(got, want)
        check(e <= 1e-6, "torch -> seqnn on %s: outputs within %.1e of PyTorch's (<= 1e-6)" % (plugin, e))
        back = Net()
        back.load_state_dict(st.to_state_dict(ckpt), strict=True)
        same = all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), back.state_dict().values()))
        check(same, "torch -> seqnn checkpoint -> torch: every weight identical")
        rng = np.random.default_rng(3)
        m.set_optimizer("sgd", lr=0.1, momentum=0.9)
        for _ in range(5):
            m.train_step(rng.standard_normal((6, 4, 5)).astype(np.float32),
                         rng.standard_normal((6, 4, 3)).astype(np.float32))
        trained = Net()
        trained.load_state_dict(st.to_state_dict(m), strict=True)
        with torch.no_grad():
            tout = trained(x).numpy()
        e = err(tout, m.predict(x.numpy()))
        check(e <= 1e-6 and err(tout, want) > 1e-3,
              "seqnn-trained weights -> torch: PyTorch's outputs within %.1e of seqnn's (<= 1e-6)" % e)
        # a module whose LSTM attribute is named otherwise, mapped by rename
        renamed = Net("encoder")
        renamed.load_state_dict({k.replace("lstm.", "encoder.", 1): v for k, v in net.state_dict().items()})
        m2 = st.from_module(renamed, mf, context=ctx, rename={"lstm": "encoder"})
        check(np.array_equal(m2.predict(x.numpy()), got), "rename={'lstm': 'encoder'} maps the names")
        sd = st.to_state_dict(m2, rename={"lstm": "encoder"})
        check(sorted(sd) == sorted(renamed.state_dict()), "to_state_dict with rename gives the module's names")
        try:
            st.from_module(renamed, mf, context=ctx)
            check(False, "a module of other names is refused")
        except KeyError as ex:
            check("lstm.weight_ih_l0," in str(ex) and "not in the model encoder." in str(ex),
                  "a module of other names is refused: %s" % str(ex)[:120])
        try:
            seqnn.Model.from_file(mf).build(ctx).load(os.path.join(tmp, "nope.safetensors"))
            check(False, "a missing checkpoint is refused")
        except seqnn.SeqnnError as ex:
            check("nope.safetensors" in str(ex), "a missing checkpoint raises the library's message: %s" % ex)
    with seqnn.Context(plugin) as ctx:
        rnn_backward_against_autograd(ctx)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
