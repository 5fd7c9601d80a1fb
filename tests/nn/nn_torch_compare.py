"""Compare hadal's networks, losses, gradients and optimisers with PyTorch.

Usage: nn_torch_compare.py FOLDER   (the folder nn_torch_driver wrote)

Each CASE.model.h5 is loaded into the equivalent torch.nn.Sequential by load_hadal_model() (the
recipe of docs/nn.md), the batch of CASE.data.h5 is run through it in float64, the loss is computed
with torch's own functions, and hadal's outputs, per-event losses, loss, output gradient, parameter
gradients and input gradient are compared with torch's. The optimisers of optim.h5 are replayed
with torch.optim on the same gradients.

The error measure is normwise: max |hadal - torch| / max |torch| over the array, which stays
meaningful where single elements are near zero. Every comparison must be below 1e-4.
Exit status 77 (ctest: skipped) when torch cannot be imported.
"""
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:  # pragma: no cover - depends on the machine
    print(f"SKIP: PyTorch is not available to this python ({exc}); install python3-torch")
    sys.exit(77)
import h5py
import numpy as np

TOL = 1e-4


def _str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load_hadal_model(path, dtype=torch.float64):
    """Build the torch.nn.Sequential a hadal model file describes, with its parameters.

    Returns (model, input_shape, slots) where slots lists (torch parameter, offset) pairs, the
    place of each tensor in the file's flat /parameters buffer."""
    acts = {
        "identity": lambda a: None,
        "relu": lambda a: torch.nn.ReLU(),
        "elu": lambda a: torch.nn.ELU(alpha=a),
        "leakyrelu": lambda a: torch.nn.LeakyReLU(negative_slope=a),
        "sigmoid": lambda a: torch.nn.Sigmoid(),
        "tanh": lambda a: torch.nn.Tanh(),
    }
    with h5py.File(path, "r") as f:
        assert _str(f.attrs["format"]) == "hadal-model", f"{path}: not a hadal model"
        assert int(f.attrs["format_version"]) == 1, f"{path}: unknown format version"
        flat = torch.tensor(f["parameters"][...], dtype=dtype)
        mods, slots = [], []
        for i in range(int(f.attrs["n_layers"])):
            g = f[f"layers/layer{i}"].attrs
            kind = _str(g["type"])
            cin, _, _ = (int(v) for v in g["input_shape"])
            cout = int(g["output_shape"][0])
            act = acts[_str(g["activation"])](float(g["alpha"]))
            if kind == "dense":
                m = torch.nn.Linear(cin, cout)
            elif kind == "conv2d":
                kh, kw = (int(v) for v in g["kernel"])
                m = torch.nn.Conv2d(cin, cout, (kh, kw), stride=int(g["stride"]), padding=int(g["padding"]))
            elif kind == "maxpool":
                m = torch.nn.MaxPool2d(int(g["kernel"][0]), stride=int(g["stride"]))
            elif kind == "flatten":
                m = torch.nn.Flatten()
            elif kind == "activation":
                m, act = act, None
            else:
                raise ValueError(f"{path}: layer {i} has unknown type {kind}")
            if kind in ("dense", "conv2d"):
                m = m.to(dtype)
                wo, bo = int(g["weight_offset"]), int(g["bias_offset"])
                shape = tuple(int(v) for v in g["weight_shape"])
                n = int(np.prod(shape))
                with torch.no_grad():
                    m.weight.copy_(flat[wo:wo + n].reshape(shape))
                    m.bias.copy_(flat[bo:bo + int(g["bias_size"])])
                slots += [(m.weight, wo), (m.bias, bo)]
            if m is not None:
                mods.append(m)
            if act is not None:
                mods.append(act)
        shape = tuple(int(v) for v in f.attrs["input_shape"])
    return torch.nn.Sequential(*mods), shape, slots


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(b)) if b.size else 0.0, 1e-30)
    return float(np.max(np.abs(a - b)) / scale) if a.size else 0.0


failures = 0


def report(what, e):
    global failures
    ok = e < TOL
    if not ok:
        failures += 1
    print(f"  {what:<10} rel. error {e:.2e} {'ok' if ok else 'FAIL'}")


def check(what, a, b):
    report(what, rel(a, b))


def compare_case(folder, case):
    model, (c, h, w), slots = load_hadal_model(f"{folder}/{case}.model.h5")
    with h5py.File(f"{folder}/{case}.data.h5", "r") as f:
        d = {k: f[k][...] for k in f.keys()}
        loss_kind = _str(f.attrs["loss"])
        norm = float(f.attrs["norm"])
        hd_loss = float(f.attrs["loss_value"])
    B = d["x"].shape[0]
    x = torch.tensor(d["x"], dtype=torch.float64)
    x = x.reshape(B, c, h, w) if h * w > 1 else x.reshape(B, c)
    x.requires_grad_(True)
    z = model(x)
    z.retain_grad()
    t = torch.tensor(d["target"], dtype=torch.float64).expand(B, -1)
    wt = torch.tensor(d["weight"], dtype=torch.float64) if "weight" in d else torch.ones(B, dtype=torch.float64)
    if loss_kind == "softmax_ce":
        pe = F.cross_entropy(z, t, reduction="none")  # probability targets
    elif loss_kind == "bce_logits":
        pe = F.binary_cross_entropy_with_logits(z, t, reduction="none").mean(1)
    else:
        pe = F.mse_loss(z, t, reduction="none").mean(1)
    loss = (wt * pe).sum() / norm
    loss.backward()
    grads = np.zeros(d["grads"].shape[0])
    for p, off in slots:
        grads[off:off + p.numel()] = p.grad.detach().reshape(-1).numpy()
    print(f"{case}: {loss_kind}, batch {B}, {d['grads'].shape[0]} parameters")
    check("output", d["output"], z.detach().numpy())
    check("per-event", d["per_event"], pe.detach().numpy())
    check("loss", [hd_loss], [loss.item()])
    check("dout", d["dout"], z.grad.numpy())
    check("grads", d["grads"], grads)
    check("din", d["din"], x.grad.reshape(B, -1).numpy())


def compare_optim(folder):
    with h5py.File(f"{folder}/optim.h5", "r") as f:
        p0 = f["p0"][...]
        grads = f["grads"][...]
        for name in (k for k in f.keys() if isinstance(f[k], h5py.Group)):
            a = {k: float(v) if not isinstance(v, (bytes, str)) else _str(v) for k, v in f[name].attrs.items()}
            hist = f[name]["params"][...]
            p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
            if a["kind"] == "sgd":
                opt = torch.optim.SGD([p], lr=a["lr"], momentum=a["momentum"], nesterov=bool(a["nesterov"]), weight_decay=a["weight_decay"])
            elif a["weight_decay"] > 0:
                opt = torch.optim.AdamW([p], lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"], weight_decay=a["weight_decay"])
            else:
                opt = torch.optim.Adam([p], lr=a["lr"], betas=(a["beta1"], a["beta2"]), eps=a["eps"])
            worst = 0.0
            for s in range(grads.shape[0]):
                p.grad = torch.tensor(grads[s], dtype=torch.float64)
                opt.step()
                # the displacement from p0: what the optimiser did, not the O(1) parameters
                worst = max(worst, rel(hist[s].astype(np.float64) - p0, p.detach().numpy() - p0))
            print(f"optimiser {name}: {grads.shape[0]} steps")
            report("params", worst)


def main():
    folder = sys.argv[1]
    torch.set_num_threads(1)
    cases = sorted(p for p in os.listdir(folder) if p.endswith(".model.h5"))
    assert cases, f"no models in {folder}"
    for m in cases:
        compare_case(folder, m[: -len(".model.h5")])
    compare_optim(folder)
    print(f"{'FAILED' if failures else 'passed'}: {failures} comparison(s) above {TOL:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
