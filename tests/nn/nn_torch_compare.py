"""Compare hadal's networks, losses, gradients and optimisers with PyTorch.

Usage: nn_torch_compare.py FOLDER   (the folder nn_torch_driver wrote)

Each CASE.model.h5 is rebuilt in torch by HadalGraph from the graph the file holds (format 2,
docs/nn.md; format 1 chains too), with the rational-quadratic spline written out here, the batch of CASE.data.h5 is run through it in float64, the loss is computed
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


ACTS = {
    "identity": lambda v, a: v,
    "relu": lambda v, a: F.relu(v),
    "elu": lambda v, a: F.elu(v, alpha=a),
    "leakyrelu": lambda v, a: F.leaky_relu(v, negative_slope=a),
    "sigmoid": lambda v, a: torch.sigmoid(v),
    "tanh": lambda v, a: torch.tanh(v),
}


def rq_spline(x, theta, K, bound, min_w=1e-3, min_h=1e-3, min_d=1e-3):
    """Rational-quadratic spline (Durkan et al. 2019) per element: x (B, D), theta (B, D, 3K - 1)
    = K width logits, K height logits, K - 1 interior derivative logits; identity outside
    [-bound, bound]. Returns y and log dy/dx (B, D)."""

    def knots(u, min_bin):
        frac = min_bin + (1 - K * min_bin) * torch.softmax(u, -1)
        k = torch.cumsum(frac, -1)
        k = torch.cat([torch.zeros_like(k[..., :1]), k], -1) * 2 * bound - bound
        return torch.cat([torch.full_like(k[..., :1], -bound), k[..., 1:-1], torch.full_like(k[..., :1], bound)], -1)

    xk, yk = knots(theta[..., :K], min_w), knots(theta[..., K:2 * K], min_h)
    one = torch.ones_like(theta[..., :1])
    d = torch.cat([one, min_d + F.softplus(theta[..., 2 * K:]), one], -1)
    inside = (x >= -bound) & (x <= bound)
    xc = torch.clamp(x, -bound, bound)
    k = torch.clamp((xc.unsqueeze(-1) >= xk[..., 1:K]).sum(-1, keepdim=True), max=K - 1)
    at = lambda t, j: torch.gather(t, -1, k + j).squeeze(-1)
    w, h = at(xk, 1) - at(xk, 0), at(yk, 1) - at(yk, 0)
    s, d0, d1 = h / w, at(d, 0), at(d, 1)
    xi = (xc - at(xk, 0)) / w
    z = xi * (1 - xi)
    den = s + (d0 + d1 - 2 * s) * z
    y = at(yk, 0) + h * (s * xi * xi + d0 * z) / den
    ld = 2 * torch.log(s) + torch.log(d1 * xi * xi + 2 * s * z + d0 * (1 - xi) ** 2) - 2 * torch.log(den)
    return torch.where(inside, y, x), torch.where(inside, ld, torch.zeros_like(ld))


class HadalGraph(torch.nn.Module):
    """The network a hadal model file describes (format 2: /graph; format 1: /layers, a chain),
    evaluated node by node on named values. forward(x) returns {output name: tensor}."""

    def __init__(self, path, dtype=torch.float64):
        super().__init__()
        with h5py.File(path, "r") as f:
            assert _str(f.attrs["format"]) == "hadal-model", f"{path}: not a hadal model"
            version = int(f.attrs["format_version"])
            assert version in (1, 2), f"{path}: unknown format version {version}"
            flat = torch.tensor(f["parameters"][...], dtype=dtype)
            self.input_shape = tuple(int(v) for v in f.attrs["input_shape"])
            self.nodes, self.slots, self.params = [], [], torch.nn.ParameterList()
            if version == 1:
                n, group, prev = int(f.attrs["n_layers"]), "layers/layer", "input"
                self.outputs = ["output"]
                self.shapes = {}
            else:
                n, group = int(f.attrs["n_nodes"]), "graph/node"
                self.outputs = [_str(v) for v in f.attrs["output_names"]]
                names = [_str(v) for v in f["graph"].attrs["value_names"]]
                shp = f["graph"].attrs["value_shapes"].reshape(-1, 3)
                self.shapes = {nm: tuple(int(v) for v in s) for nm, s in zip(names, shp)}
            for i in range(n):
                g = f[f"{group}{i}"]
                a = g.attrs
                node = {"op": _str(a["type" if version == 1 else "op"]), "act": _str(a["activation"]), "alpha": float(a["alpha"])}
                if version == 1:
                    node["in"], node["out"] = [prev], ["output" if i == n - 1 else f"layer{i}"]
                    prev = node["out"][0]
                    self.shapes[node["out"][0]] = tuple(int(v) for v in a["output_shape"])
                else:
                    node["in"] = [_str(v) for v in a["inputs"]]
                    node["out"] = [_str(v) for v in a["outputs"]]
                for key in ("stride", "padding", "start", "count", "knots", "units"):
                    if key in a:
                        node[key] = int(a[key])
                if "kernel" in a:
                    node["kernel"] = tuple(int(v) for v in a["kernel"])
                if "bound" in a:
                    node["bound"] = float(a["bound"])
                if "pool" in a:
                    node["pool"] = _str(a["pool"])
                if "perm" in g:
                    node["perm"] = torch.tensor(g["perm"][...].astype(np.int64))
                if int(a["weight_offset"]) >= 0:
                    wo, bo = int(a["weight_offset"]), int(a["bias_offset"])
                    shape = tuple(int(v) for v in a["weight_shape"])
                    nw = int(np.prod(shape))
                    wt = torch.nn.Parameter(flat[wo:wo + nw].reshape(shape).clone())
                    bt = torch.nn.Parameter(flat[bo:bo + int(a["bias_size"])].clone())
                    self.params.extend([wt, bt])
                    self.slots += [(wt, wo), (bt, bo)]
                    node["w"], node["b"] = wt, bt
                    if "mask" in g:
                        node["mask"] = torch.tensor(g["mask"][...], dtype=dtype).reshape(shape)
                self.nodes.append(node)

    def _shape(self, name):
        c, h, w = self.shapes[name]
        return (c,) if h == 1 and w == 1 else (c, h) if w == 1 else (c, h, w)

    def forward(self, x):
        B = x.shape[0]
        c, h, w = self.input_shape
        v = {"input": x.reshape(B, c, h, w) if h * w > 1 else x.reshape(B, c)}
        for nd in self.nodes:
            op, xs = nd["op"], [v[i] for i in nd["in"]]
            act = lambda t: ACTS[nd["act"]](t, nd["alpha"])
            if op == "dense" or op == "row_dense":
                ys = [act(F.linear(xs[0], nd["w"], nd["b"]))]
            elif op == "masked_dense":
                ys = [act(F.linear(xs[0], nd["w"] * nd["mask"], nd["b"]))]
            elif op == "conv2d":
                ys = [act(F.conv2d(xs[0], nd["w"], nd["b"], stride=nd["stride"], padding=nd["padding"]))]
            elif op == "maxpool":
                ys = [F.max_pool2d(xs[0], nd["kernel"][0], stride=nd["stride"])]
            elif op == "flatten":
                ys = [xs[0].reshape(B, -1)]
            elif op == "activation":
                ys = [act(xs[0])]
            elif op == "slice":
                ys = [xs[0].reshape(B, -1)[:, nd["start"]:nd["start"] + nd["count"]].reshape(B, *self._shape(nd["out"][0]))]
            elif op == "concat":
                ys = [torch.cat([t.reshape(B, -1) for t in xs], 1)]
            elif op == "add":
                ys = [sum(xs)]
            elif op == "sum":
                ys = [xs[0].reshape(B, -1).sum(1, keepdim=True)]
            elif op == "permute":
                ys = [xs[0][:, nd["perm"]]]
            elif op == "rqs":
                D = xs[0].shape[1]
                ys = list(rq_spline(xs[0], xs[1].reshape(B, D, -1), nd["knots"], nd["bound"]))
            elif op == "set_pool":
                P = xs[0].shape[1]
                size = xs[1].reshape(B, 1)
                valid = (torch.arange(P, dtype=x.dtype).unsqueeze(0) < size).to(x.dtype).unsqueeze(-1)
                pooled = (xs[0] * valid).sum(1)
                ys = [pooled / torch.clamp(size, min=1) if nd["pool"] == "mean" else pooled]
            else:
                raise ValueError(f"unknown op {op}")
            v.update(zip(nd["out"], ys))
        return {k: v[k] for k in self.outputs}


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
    model = HadalGraph(f"{folder}/{case}.model.h5")
    with h5py.File(f"{folder}/{case}.data.h5", "r") as f:
        d = {k: f[k][...] for k in f.keys()}
        loss_kind = _str(f.attrs["loss"])
        norm = float(f.attrs["norm"])
        hd_loss = float(f.attrs["loss_value"])
    B = d["x"].shape[0]
    x = torch.tensor(d["x"], dtype=torch.float64, requires_grad=True)
    outs = model(x)
    zs = [outs[k] for k in model.outputs]
    for z in zs:
        z.retain_grad()
    z = zs[0]
    wt = torch.tensor(d["weight"], dtype=torch.float64) if "weight" in d else torch.ones(B, dtype=torch.float64)
    if loss_kind == "flow_nll":
        D = z.shape[1]
        pe = 0.5 * (z * z).sum(1) + 0.5 * D * np.log(2 * np.pi) - zs[1][:, 0]
    elif loss_kind == "mse_sum":
        pe = sum(F.mse_loss(o, x.detach(), reduction="none").mean(1) for o in zs)  # the target is data
    else:
        t = torch.tensor(d["target"], dtype=torch.float64).expand(B, -1)
        if loss_kind == "softmax_ce":
            pe = F.cross_entropy(z, t, reduction="none")  # probability targets
        elif loss_kind == "bce_logits":
            pe = F.binary_cross_entropy_with_logits(z, t, reduction="none").mean(1)
        else:
            pe = F.mse_loss(z, t, reduction="none").mean(1)
    loss = (wt * pe).sum() / norm
    loss.backward()
    grads = np.zeros(d["grads"].shape[0])
    for p, off in model.slots:
        grads[off:off + p.numel()] = p.grad.detach().reshape(-1).numpy()
    print(f"{case}: {loss_kind}, batch {B}, {d['grads'].shape[0]} parameters, outputs {', '.join(model.outputs)}")
    for k, o in enumerate(zs):
        check("output" if k == 0 else f"output {k}", d["output" if k == 0 else f"output_{k}"], o.detach().reshape(B, -1).numpy())
    check("per-event", d["per_event"], pe.detach().numpy())
    check("loss", [hd_loss], [loss.item()])
    for k, o in enumerate(zs):
        check("dout" if k == 0 else f"dout {k}", d["dout" if k == 0 else f"dout_{k}"], o.grad.reshape(B, -1).numpy())
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
