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
import os
import resource
import sys
import time

WORKLOADS = ("svdd", "ae", "cwola", "cnn")

# Layer widths (bench/README.md gives the reasons: seed 003 for svdd, seed 002 for ae).
SVDD_WIDTHS = (69, 512, 256, 128, 34)
AE_ENCODER = (57, 256, 128, 64, 32, 5)
CWOLA_WIDTHS = (5, 64, 64, 64, 1)
BATCH = {"svdd": 10000, "ae": 10000, "cwola": 128, "cnn": 100}

# cnn: 40x40x1 image, 3x3 convolutions with padding 1 ("same"), stride 1, 2x2 max-pool stride 2.
CNN_IMAGE = 40
CNN_CHANNELS = (1, 8, 16)
CNN_KERNEL = 3
CNN_HIDDEN = 64
CNN_CLASSES = 2


def ae_widths():
    """57 -> 256 -> 128 -> 64 -> 32 -> 5 -> 32 -> 64 -> 128 -> 256 -> 57."""
    return AE_ENCODER + tuple(reversed(AE_ENCODER[:-1]))


def dense_flops(batch, widths):
    """GEMM FLOPs of one training step of a dense stack (a multiply-add counts 2).

    Per layer of I inputs and O outputs on B rows: forward Y = X W^T is 2*B*I*O; backward is
    dW = dY^T X (2*B*I*O) plus dX = dY W (2*B*I*O), except for the first layer, whose input needs
    no gradient. Bias, activations, loss and optimiser are elementwise and not counted."""
    fwd = bwd = 0
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        f = 2 * batch * n_in * n_out
        fwd += f
        bwd += f if i == 0 else 2 * f
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


def flops_per_step(name):
    """(forward, backward) GEMM FLOPs of one training step of a workload."""
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

    def mlp(widths, act, linear_at=()):
        """Dense stack; `act` after every layer except the last and those listed in linear_at."""
        mods = []
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            mods.append(nn.Linear(n_in, n_out))
            if i < len(widths) - 2 and i not in linear_at:
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
    else:
        raise ValueError(name)
    return net, loss_fn, opt, x, y


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
                   help="one or more of: svdd, ae, cwola, cnn (several run in turn in one process; their peak RSS "
                        "is then the process's peak so far, so measure RSS one workload per process)")
    p.add_argument("--steps", type=int, default=20, help="timed training steps (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before timing (default 3)")
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
    if a.steps < 1 or a.warmup < 0 or a.threads < 1:
        p.error("--steps and --threads must be at least 1, --warmup at least 0")
    torch = load_torch(a.threads)
    for name in a.workload:
        run(torch, name, a.steps, a.warmup, a.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
