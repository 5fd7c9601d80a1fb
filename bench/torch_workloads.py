#!/usr/bin/env python3
"""The PyTorch side of hadal's training benchmarks.

Trains a reference workload on random data for a number of steps, on one thread, and prints
its throughput as its last line (several workloads run in turn, each ending its own block so), in the format `hadal bench WORKLOAD -steps N` uses:

    WORKLOAD samples/s: X

The workloads, their layer shapes and the exact FLOP count per step are described in
bench/README.md; hadal's side builds the same networks. Run with the system python
(Debian's python3-torch):

    python3 bench/torch_workloads.py svdd --steps 20 --warmup 3
    python3 bench/torch_workloads.py svdd cwola --steps 2   # several, one after the other
    python3 bench/torch_workloads.py --list          # FLOPs per step of every workload, no training
"""
import argparse
import math
import os
import resource
import sys
import time

WORKLOADS = ("svdd", "ae", "cwola", "cnn", "flow", "pfn", "dae")

# Layer widths (bench/README.md gives the reasons: seed 003 for svdd, seed 002 for ae).
SVDD_WIDTHS = (69, 512, 256, 128, 34)
AE_ENCODER = (57, 256, 128, 64, 32, 5)
CWOLA_WIDTHS = (5, 64, 64, 64, 1)
BATCH = {"svdd": 10000, "ae": 10000, "cwola": 128, "cnn": 100, "flow": 512, "pfn": 128, "dae": 10000}

# flow (seed 003 Table 3): 20 inputs, 11 autoregressive layers, each a rational-quadratic spline
# of K bins on [-bound, bound] (identity outside) whose parameters come from a MADE of 7 hidden
# layers of 200 ReLU units; the feature order is reversed between layers; standard normal base.
FLOW_D = 20
FLOW_LAYERS = 11
FLOW_HIDDEN = (200,) * 7
FLOW_K = 35
FLOW_BOUND = 3.0
FLOW_MIN_BIN = 1e-3    # smallest bin width and height, as a fraction of the interval
FLOW_MIN_DERIV = 1e-3  # smallest interior knot derivative

# pfn (seed 004): sets of up to 15 jets x 10 features, 2..15 of them valid; Phi 10-100-100-128 ReLU
# on every element, sum over the valid ones, F 128-100-100-100-1 (ReLU hidden, a logit out).
PFN_P = 15
PFN_C = 10
PFN_MIN_SIZE = 2
PFN_PHI = (PFN_C, 100, 100, 128)
PFN_F = (128, 100, 100, 100, 1)

# dae (seed 002): two autoencoders 57-256-128-64-32-5 mirrored, no biases, trained together on
# mean R1 + mean R2 + lambda DisCo^2(R1, R2), R = per-event mean squared reconstruction error.
DAE_LAMBDA = 100.0
DAE_BIAS = False

# cnn: 40x40x1 image, 3x3 convolutions with padding 1 ("same"), stride 1, 2x2 max-pool stride 2.
CNN_IMAGE = 40
CNN_CHANNELS = (1, 8, 16)
CNN_KERNEL = 3
CNN_HIDDEN = 64
CNN_CLASSES = 2


def ae_widths():
    """57 -> 256 -> 128 -> 64 -> 32 -> 5 -> 32 -> 64 -> 128 -> 256 -> 57."""
    return AE_ENCODER + tuple(reversed(AE_ENCODER[:-1]))


def dense_flops(batch, widths, input_grad=False):
    """GEMM FLOPs of one training step of a dense stack (a multiply-add counts 2).

    Per layer of I inputs and O outputs on B rows: forward Y = X W^T is 2*B*I*O; backward is
    dW = dY^T X (2*B*I*O) plus dX = dY W (2*B*I*O), except for the first layer, whose input needs
    no gradient (input_grad: it does, as when the stack's input is another layer's output). Bias,
    activations, masks, loss and optimiser are elementwise and not counted."""
    fwd = bwd = 0
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        f = 2 * batch * n_in * n_out
        fwd += f
        bwd += 2 * f if i > 0 or input_grad else f
    return fwd, bwd


def cnn_shapes():
    """(name, rows M, inner K, outputs N, needs input gradient) of each GEMM-shaped layer of the cnn,
    a convolution counted as its im2col GEMM: M = B*H_out*W_out, K = C_in*3*3, N = C_out."""
    b, side, layers = BATCH["cnn"], CNN_IMAGE, []
    for i, (c_in, c_out) in enumerate(zip(CNN_CHANNELS[:-1], CNN_CHANNELS[1:])):
        layers.append((f"conv{i + 1}", b * side * side, c_in * CNN_KERNEL * CNN_KERNEL, c_out, i > 0))
        side //= 2  # 'same' conv keeps the side, the 2x2 pool halves it
    flat = CNN_CHANNELS[-1] * side * side
    layers.append(("dense1", b, flat, CNN_HIDDEN, True))
    layers.append(("dense2", b, CNN_HIDDEN, CNN_CLASSES, True))
    return layers


def made_widths():
    """20 -> 200 (x7) -> 20 * (3K - 1): per input dimension K widths, K heights, K - 1 derivatives."""
    return (FLOW_D,) + FLOW_HIDDEN + (FLOW_D * (3 * FLOW_K - 1),)


def flops_per_step(name):
    """(forward, backward) GEMM FLOPs of one training step of a workload."""
    if name == "flow":
        # One MADE per layer; only the first layer's MADE reads the data (no input gradient), the
        # others read the previous spline's output. The splines are elementwise: not counted.
        fwd = bwd = 0
        for layer in range(FLOW_LAYERS):
            f, b = dense_flops(BATCH[name], made_widths(), input_grad=layer > 0)
            fwd, bwd = fwd + f, bwd + b
        return fwd, bwd
    if name == "pfn":
        # Phi runs on every element, padded or not (B * P rows); F on the pooled sum, whose input
        # needs its gradient (Phi's parameters sit below it).
        f1, b1 = dense_flops(BATCH[name] * PFN_P, PFN_PHI)
        f2, b2 = dense_flops(BATCH[name], PFN_F, input_grad=True)
        return f1 + f2, b1 + b2
    if name == "dae":
        # Two autoencoders on the same batch; DisCo^2 is elementwise over n x n (not counted).
        f, b = dense_flops(BATCH[name], ae_widths())
        return 2 * f, 2 * b
    if name == "svdd":
        return dense_flops(BATCH[name], SVDD_WIDTHS)
    if name == "ae":
        return dense_flops(BATCH[name], ae_widths())
    if name == "cwola":
        return dense_flops(BATCH[name], CWOLA_WIDTHS)
    fwd = bwd = 0
    for _, m, k, n, input_grad in cnn_shapes():
        f = 2 * m * k * n
        fwd += f
        bwd += 2 * f if input_grad else f
    return fwd, bwd


def build(name, torch):
    """Network, loss function, optimiser, one batch of inputs and targets for a workload."""
    nn = torch.nn
    g = torch.Generator().manual_seed(12345)
    b = BATCH[name]

    def mlp(widths, act, linear_at=(), bias=True, last_act=False):
        """Dense stack; `act` after every layer except those listed in linear_at and, unless
        last_act, the last."""
        mods = []
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            mods.append(nn.Linear(n_in, n_out, bias=bias))
            if (i < len(widths) - 2 or last_act) and i not in linear_at:
                mods.append(act())
        return nn.Sequential(*mods)

    if name == "svdd":
        net = mlp(SVDD_WIDTHS, nn.ELU)
        x = torch.randn(b, SVDD_WIDTHS[0], generator=g)
        y = torch.ones(b, SVDD_WIDTHS[-1])  # the constant centre c = (1, ..., 1)
        loss_fn = nn.MSELoss()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    elif name == "ae":
        widths = ae_widths()
        bottleneck = len(AE_ENCODER) - 2  # index of the 32 -> 5 layer: linear bottleneck
        net = mlp(widths, nn.ReLU, linear_at=(bottleneck,))
        x = torch.randn(b, widths[0], generator=g)
        y = x  # reconstruct the input
        loss_fn = nn.MSELoss()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    elif name == "cwola":
        net = mlp(CWOLA_WIDTHS, nn.ReLU)
        x = torch.randn(b, CWOLA_WIDTHS[0], generator=g)
        y = torch.randint(0, 2, (b, 1), generator=g).float()
        loss_fn = nn.BCEWithLogitsLoss()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    elif name == "cnn":
        c0, c1, c2 = CNN_CHANNELS
        side = CNN_IMAGE // 4
        net = nn.Sequential(
            nn.Conv2d(c0, c1, CNN_KERNEL, padding=CNN_KERNEL // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, CNN_KERNEL, padding=CNN_KERNEL // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(c2 * side * side, CNN_HIDDEN), nn.ReLU(),
            nn.Linear(CNN_HIDDEN, CNN_CLASSES))
        x = torch.rand(b, c0, CNN_IMAGE, CNN_IMAGE, generator=g)
        labels = torch.randint(0, CNN_CLASSES, (b,), generator=g)
        # Soft (probability) targets, as hadal's softmax cross-entropy takes them; one-hot here.
        y = nn.functional.one_hot(labels, CNN_CLASSES).float()
        loss_fn = nn.CrossEntropyLoss()
        opt = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.9)
    elif name == "flow":
        net = Flow(torch)
        x = torch.randn(b, FLOW_D, generator=g)
        y = None
        loss_fn = flow_nll
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    elif name == "pfn":
        net = PFN(torch, mlp)
        sizes = torch.randint(PFN_MIN_SIZE, PFN_P + 1, (b,), generator=g)
        feats = torch.randn(b, PFN_P, PFN_C, generator=g)
        feats *= (torch.arange(PFN_P)[None, :] < sizes[:, None]).float()[:, :, None]  # padding is 0
        # One input row per event, as hadal reads it: the P x C features, then the set size.
        x = torch.cat([feats.reshape(b, PFN_P * PFN_C), sizes.float()[:, None]], dim=1)
        y = torch.randint(0, 2, (b, 1), generator=g).float()
        loss_fn = nn.BCEWithLogitsLoss()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    elif name == "dae":
        widths = ae_widths()
        bottleneck = len(AE_ENCODER) - 2
        # Seed 002's autoencoders have no biases (hadal: "dense N nobias").
        net = TwoAutoencoders(torch, [mlp(widths, nn.ReLU, linear_at=(bottleneck,), bias=DAE_BIAS) for _ in range(2)])
        x = torch.randn(b, widths[0], generator=g)
        y = None
        loss_fn = dae_loss
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    else:
        raise ValueError(name)
    return net, loss_fn, opt, x, y


def made_masks(torch):
    """MADE masks (Germain et al. 2015) from degrees, as hadal's hd_nn_made_mask: inputs have
    degrees 1..D, hidden unit k degree 1 + (k mod (D - 1)), output (i, p) (laid out i * P + p)
    degree i + 1; a hidden unit sees degrees <= its own, an output unit degrees < its own, so
    the parameters of dimension i depend on the inputs before i only. One (O, I) mask per layer."""
    d, p = FLOW_D, 3 * FLOW_K - 1
    degrees = [torch.arange(1, d + 1)]
    for width in FLOW_HIDDEN:
        degrees.append(1 + torch.arange(width) % max(d - 1, 1))
    masks = [(degrees[i + 1][:, None] >= degrees[i][None, :]).float() for i in range(len(FLOW_HIDDEN))]
    out_degree = torch.arange(1, d + 1).repeat_interleave(p)
    masks.append((out_degree[:, None] > degrees[-1][None, :]).float())
    return masks


def rq_spline(torch, x, theta):
    """Rational-quadratic spline (Durkan et al. 2019, eq. 4 and its derivative), elementwise:
    x (B, D), theta (B, D, 3K - 1) unnormalised widths, heights and interior derivatives; K bins
    on [-bound, bound], boundary derivatives 1, identity outside. Returns y (B, D) and the log
    |dy/dx| summed over D (B)."""
    F = torch.nn.functional
    k, bound = FLOW_K, FLOW_BOUND

    def knots(u):
        # bin sizes from a softmax with a floor, their cumulative sum as knot positions on [-b, b]
        size = FLOW_MIN_BIN + (1 - FLOW_MIN_BIN * k) * F.softmax(u, dim=-1)
        pos = F.pad(torch.cumsum(size, dim=-1), (1, 0)) * (2 * bound) - bound
        pos = torch.cat([pos[..., :1] * 0 - bound, pos[..., 1:-1], pos[..., -1:] * 0 + bound], dim=-1)
        return pos, pos[..., 1:] - pos[..., :-1]

    xk, wk = knots(theta[..., :k])
    yk, hk = knots(theta[..., k:2 * k])
    deriv = FLOW_MIN_DERIV + F.softplus(theta[..., 2 * k:])
    deriv = F.pad(deriv, (1, 1), value=1.0)

    inside = (x >= -bound) & (x <= bound)
    xc = x.clamp(-bound, bound)
    idx = (torch.searchsorted(xk[..., 1:-1].contiguous(), xc[..., None].contiguous(), right=True)).clamp(0, k - 1)

    def at(t, j=idx):
        return t.gather(-1, j)[..., 0]

    x0, w, y0, h = at(xk), at(wk), at(yk), at(hk)
    d0, d1 = at(deriv), at(deriv, idx + 1)
    s = h / w
    xi = (xc - x0) / w
    t1 = xi * (1 - xi)
    denom = s + (d0 + d1 - 2 * s) * t1
    y = y0 + h * (s * xi * xi + d0 * t1) / denom
    dydx = s * s * (d1 * xi * xi + 2 * s * t1 + d0 * (1 - xi) * (1 - xi)) / (denom * denom)
    y = torch.where(inside, y, x)
    logdet = torch.where(inside, torch.log(dydx), torch.zeros_like(x))
    return y, logdet.sum(dim=1)


def Flow(torch):
    nn = torch.nn

    class MaskedLinear(nn.Linear):
        """Dense layer whose weight is multiplied elementwise by a fixed 0/1 mask."""

        def __init__(self, mask):
            super().__init__(mask.shape[1], mask.shape[0])
            self.register_buffer("mask", mask)

        def forward(self, x):
            return nn.functional.linear(x, self.weight * self.mask, self.bias)

    class Flow(nn.Module):
        """11 MADE + RQ-spline layers, feature order reversed between layers; forward gives
        z (B, D) and log |det dz/dx| (B)."""

        def __init__(self):
            super().__init__()
            masks = made_masks(torch)
            self.mades = nn.ModuleList()
            for _ in range(FLOW_LAYERS):
                mods = []
                for i, m in enumerate(masks):
                    mods.append(MaskedLinear(m))
                    if i < len(masks) - 1:
                        mods.append(nn.ReLU())
                self.mades.append(nn.Sequential(*mods))

        def forward(self, x):
            logdet = torch.zeros(x.shape[0])
            for i, made in enumerate(self.mades):
                if i > 0:
                    x = x.flip(1)
                theta = made(x).view(x.shape[0], FLOW_D, 3 * FLOW_K - 1)
                x, ld = rq_spline(torch, x, theta)
                logdet = logdet + ld
            return x, logdet

    return Flow()


def flow_nll(out, _):
    """Mean negative log-likelihood under a standard normal base:
    0.5 |z|^2 + 0.5 D log(2 pi) - log |det dz/dx|."""
    z, logdet = out
    return (0.5 * (z * z).sum(dim=1) + 0.5 * FLOW_D * math.log(2 * math.pi) - logdet).mean()


def PFN(torch, mlp):
    nn = torch.nn

    class Pfn(nn.Module):
        """Particle Flow Network: Phi on each element, masked sum over the valid ones, F."""

        def __init__(self):
            super().__init__()
            self.phi = mlp(PFN_PHI, nn.ReLU, last_act=True)
            self.f = mlp(PFN_F, nn.ReLU)

        def forward(self, x):
            b = x.shape[0]
            sizes = x[:, -1]
            elems = x[:, :-1].reshape(b * PFN_P, PFN_C)
            mask = (torch.arange(PFN_P)[None, :] < sizes[:, None]).to(x.dtype)
            pooled = (self.phi(elems).view(b, PFN_P, -1) * mask[:, :, None]).sum(dim=1)
            return self.f(pooled)

    return Pfn()


def distance_corr2(torch, a, b, w):
    """Squared distance correlation dCov^2(a, b) / sqrt(dVar^2(a) dVar^2(b)) with event weights w
    (mean 1), through n x n matrices of pairwise distances, double centred, as the reference
    weighted DisCo implementation computes it (Kasieczka & Shih 2020). The weighted row means
    mean_j(M_ij w_j) are matrix-vector products, which saves the reference's n x n temporaries
    M * w (same values, fewer passes over memory)."""
    n = a.shape[0]

    def centred(v):
        m = (v[:, None] - v[None, :]).abs()
        row = m.mv(w) / n
        return m - row[None, :] - row[:, None] + (row * w).mean()

    am, bm = centred(a), centred(b)
    ab = ((am * bm).mv(w) / n * w).mean()
    aa = ((am * am).mv(w) / n * w).mean()
    bb = ((bm * bm).mv(w) / n * w).mean()
    return ab / torch.sqrt(aa * bb)


def TwoAutoencoders(torch, aes):
    nn = torch.nn

    class Pair(nn.Module):
        """Both autoencoders on the same input; forward gives each one's per-event reconstruction
        error R = (1/F) sum_j (x'_j - x_j)^2 (B)."""

        def __init__(self):
            super().__init__()
            self.aes = nn.ModuleList(aes)

        def forward(self, x):
            return tuple(((ae(x) - x) ** 2).mean(dim=1) for ae in self.aes)

    return Pair()


def dae_loss(out, _):
    """mean R1 + mean R2 + lambda DisCo^2(R1, R2) (seed 002 eq. 2), unit event weights."""
    r1, r2 = out
    torch = sys.modules["torch"]
    w = torch.ones_like(r1)
    return r1.mean() + r2.mean() + DAE_LAMBDA * distance_corr2(torch, r1, r2, w)


def load_torch(threads):
    """Import torch pinned to `threads` threads (once per process: interop threads cannot be reset)."""
    # torch.set_num_threads does not reach the BLAS library Debian's torch calls (OpenBLAS through
    # libblas.so.3, which starts one thread per core on its own): pin it before torch loads it.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    return torch


def run(torch, name, steps, warmup, threads):
    torch.manual_seed(1)
    net, loss_fn, opt, x, y = build(name, torch)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    elapsed = time.perf_counter() - t0
    loss_value = float(loss.detach())

    fwd, bwd = flops_per_step(name)
    b = BATCH[name]
    rate = steps * b / elapsed
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"workload {name}: batch {b}, steps {steps} (+{warmup} warm-up), threads {threads}, "
          f"torch {torch.__version__}")
    print(f"FLOPs/step: {fwd + bwd} (forward {fwd}, backward {bwd})")
    print(f"final loss: {loss_value:.6g}")
    print(f"time s: {elapsed:.4f}")
    print(f"GFLOP/s: {(fwd + bwd) * steps / elapsed / 1e9:.3f}")
    print(f"peak RSS MiB: {maxrss_kib / 1024:.1f}")
    print(f"{name} samples/s: {rate:.1f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload", nargs="*",
                   help="one or more of: svdd, ae, cwola, cnn, flow, pfn, dae (several run in turn in one process; their peak RSS "
                        "is then the process's peak so far, so measure RSS one workload per process)")
    p.add_argument("--steps", type=int, default=20, help="timed training steps (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before timing (default 3)")
    p.add_argument("--batch", type=int, default=0,
                   help="events per step instead of the workload's own (0: its own); for quick checks")
    p.add_argument("--threads", type=int, default=1, help="torch intra- and inter-op threads (default 1)")
    p.add_argument("--list", action="store_true", help="print each workload's batch and FLOPs per step, then exit")
    a = p.parse_args(argv)
    if a.list:
        for name in WORKLOADS:
            fwd, bwd = flops_per_step(name)
            print(f"{name}: batch {BATCH[name]} FLOPs/step {fwd + bwd} forward {fwd} backward {bwd}")
        return 0
    if not a.workload:
        p.error("a workload is required (one of: %s)" % ", ".join(WORKLOADS))
    for name in a.workload:
        if name not in WORKLOADS:
            p.error("unknown workload '%s' (one of: %s)" % (name, ", ".join(WORKLOADS)))
    if a.steps < 1 or a.warmup < 0 or a.threads < 1 or a.batch < 0:
        p.error("--steps and --threads must be at least 1, --warmup and --batch at least 0")
    for name in a.workload:
        if a.batch:
            BATCH[name] = a.batch
    torch = load_torch(a.threads)
    for name in a.workload:
        run(torch, name, a.steps, a.warmup, a.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
