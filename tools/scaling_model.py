#!/usr/bin/python3
"""The performance model of docs/scaling.md: predicted parallel efficiency of each job type at
64, 256 and 1024 ranks from the measured pieces (bench/model_inputs.py), and the check of the
model against the measured scaling points (tools/scaling.py).

    tools/scaling_model.py predict --inputs out/model_inputs.json [--network slingshot11]
    tools/scaling_model.py check   --inputs out/model_inputs.json --scaling out/scaling

The equations (docs/scaling.md gives them with their derivation):

  data parallel, one group of g ranks, S shards of a batch of B events, n parameters:
    T(g)   = ceil(S/g) t_shard + n b + t_opt(g) + A(g, 8(n+1)) + 2 A(g, 8)
    t_shard = (T(1) - t_opt(1)) / S          (a shard's compute and its part of the local exact sum)
    t_opt(g) = t_opt(1) (replicated step) or t_opt(1)/g + G(g, 4n) (step split over the group)
    A(g, m) = 2 log2(k) alpha_node + 2 (k-1)/k m / beta_node
            + 2 log2(N) alpha_net  + 2 (N-1)/N m / beta_net   (k ranks per node, N nodes)
    E(g)   = T(1) / (g T(g))

  members over G = P/g groups of g ranks:
    E(P)   = E_sched(costs, G, cv, driver) x E_dp(g) x T_units / (T_units + P T_io)
    driver: one-sided (current, since commit c49b68f: each member's columns put into the owners'
            blocks as it ends, no group waits for another) or per-round (historical: the columns
            exchanged after every round, every round as long as its slowest member)

The data-parallel step is the current one (optimiser split over the group, commit 4fa1cf6);
`predict` prints the replicated step beside it for comparison.
"""
import argparse
import csv
import json
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from schedule_imbalance import efficiency as sched_eff  # noqa: E402

# Published interconnect figures (docs/scaling.md names the sources). alpha is the small-message
# MPI latency used per allreduce stage, beta the link bandwidth per direction.
NETWORKS = {
    "slingshot11": dict(alpha_us=2.0, beta_GBps=25.0, name="HPE Slingshot-11 (200 Gb/s per port)"),
    "hdr_ib": dict(alpha_us=1.5, beta_GBps=25.0, name="HDR InfiniBand (200 Gb/s per port)"),
}
RANKS_PER_NODE = 64  # assumed: one rank per core of a 64-core socket; a group of up to 64 ranks shares a node
# assumed: the memory bandwidth those 64 ranks share, 8 channels of DDR4-3200 (8 x 25.6 GB/s); an
# allreduce of m bytes moves about 4 m per rank through memory (two passes, read and write)
NODE_MEM_GBps = 204.8
SHARDS = dict(svdd=64, ae=64, dae=64, flow=16, cwola=4)


def med(x):
    return x["median"] if isinstance(x, dict) else x


class Model:
    def __init__(self, inputs, network, split_optimizer=False, node_beta=None, use_reference=True):
        self.i = inputs
        self.use_reference = use_reference
        self.net = NETWORKS[network]
        self.split = split_optimizer
        ar = inputs["allreduce"]["np2"]
        self.alpha_node = med(ar["alpha_us"]) * 1e-6
        self.beta_node = (node_beta or med(ar["beta_GBps"])) * 1e9
        self.a = inputs["reducer"]["per_value_ns"] * 1e-9
        self.b = inputs["reducer"]["per_param_ns"] * 1e-9

    def allreduce(self, g, m, rpn=None):
        rpn = rpn or RANKS_PER_NODE
        k, N = min(g, rpn), math.ceil(g / rpn)
        t = 0.0
        if k > 1:
            t += max(2 * math.log2(k) * self.alpha_node + 2 * (k - 1) / k * m / self.beta_node, k * 4 * m / (NODE_MEM_GBps * 1e9))
        if N > 1:
            t += 2 * math.log2(N) * self.net["alpha_us"] * 1e-6 + 2 * (N - 1) / N * m / (self.net["beta_GBps"] * 1e9)
        return t

    def allgather(self, g, m, rpn=None):
        # half an allreduce: one pass of the ring instead of two
        return 0.5 * self.allreduce(g, m, rpn)

    def step(self, w, g, rpn=None):
        """(T(g), parts) of one data-parallel step of workload w at g ranks. With a reference rate
        (a quiet machine's samples/s), the measured step and its parts are scaled to it: the
        shares of the optimiser and the sum are taken from this machine's profile."""
        c = self.i["compute"][w]
        n, S = c["params"], SHARDS[w]
        T1 = c["step_s"]
        t_opt, t_sum = med(c["optim_s"]), med(c["gradsum_s"])
        ref = self.i.get("compute_reference", {}).get(w)
        if ref and self.use_reference:
            k = (c["batch"] / ref) / T1
            T1, t_opt, t_sum = T1 * k, t_opt * k, t_sum * k
        # a shard's compute and its part of the local exact sum, as the 1-rank step spends them
        t_shard = max(T1 - t_opt, 0) / S
        if g == 1:
            return T1, dict(compute=T1 - t_opt - t_sum, sum=t_sum, opt=t_opt, comm=0.0)
        comp = math.ceil(S / g) * t_shard
        opt = t_opt / g + self.allgather(g, 4 * n, rpn) if self.split else t_opt
        comm = self.allreduce(g, 8 * (n + 1), rpn) + 2 * self.allreduce(g, 8, rpn)
        return comp + n * self.b + opt + comm, dict(compute=comp, sum=n * self.b, opt=opt, comm=comm)

    def e_dp(self, w, g, rpn=None):
        return self.step(w, 1, rpn)[0] / (g * self.step(w, g, rpn)[0])


def limit_of(parts):
    names = dict(compute="shards per rank (global batch per rank)", sum="exact sum (per parameter, replicated)",
                 opt="optimiser step (its block, then the allgather of the parameters)", comm="allreduce (latency + bandwidth)")
    nc = {k: v for k, v in parts.items() if k != "compute"}
    k = max(nc, key=nc.get)
    return names[k], nc[k]


def predict(args):
    inp = json.load(open(args.inputs))
    print("network: %s; %d ranks per node; inputs measured %s (load average %.1f..%.1f)\n" % (NETWORKS[args.network]["name"], RANKS_PER_NODE, inp.get("date", "?"), inp.get("loadavg_start", 0), inp.get("loadavg_end", 0)))
    print("## Data parallel (one model, one group of P ranks)\n")
    print("| workload | batch | shards | parameters | P | E, optimiser replicated (before 4fa1cf6) | E, optimiser split (current) | what limits it (current) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    today, split = Model(inp, args.network), Model(inp, args.network, split_optimizer=True)
    for w in ("ae", "dae", "flow", "svdd"):
        c = inp["compute"][w]
        for P in (2, 16, 64, 256, 1024):
            T, parts = split.step(w, P)
            name, t = limit_of(parts)
            S = SHARDS[w]
            if P > S:
                name = "only %d shards: %d of %d ranks idle" % (S, P - S, P)
            else:
                name = "%s: %.0f%% of the step (compute %.2f ms)" % (name, 100 * t / T, 1e3 * parts["compute"])
            print("| %s | %d | %d | %d | %d | %.2f | %.2f | %s |" % (w, c["batch"], S, c["params"], P, today.e_dp(w, P), split.e_dp(w, P), name))
    print("\n## Members across groups (cv %.2f: a unit's time around its cost)\n" % args.cv)
    print("| job | units | P | E, groups of 1 (one-sided, no wait: current) | E, groups of 1 (per-round: historical) | what limits groups of 1 | best group size g | E at g (current) | E at g (per-round) |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    cw = inp.get("cwola_windows")
    jobs = []
    if cw:
        jobs.append(("CWoLa sweep, window costs", "cwola", [cw[u % len(cw)] for u in range(2500)]))
        jobs.append(("CWoLa sweep, equal costs", "cwola", [1.0] * 2500))
    jobs.append(("SVDD ensemble", "svdd", [1.0] * 63))
    for label, w, costs in jobs:
        for P in (64, 256, 1024):
            cands = []
            for g in (1, 2, 4, 8, 16, 32, 64):
                if g > SHARDS[w] or P % g:
                    continue
                nw, rd, R = sched_eff(costs, P // g, args.cv, trials=5)
                e = split.e_dp(w, g)
                cands.append((g, nw * e, rd * e, nw, R))
            g1 = cands[0]
            best = max(cands, key=lambda c: c[1])
            G, mean_load = P, sum(costs) / P
            if len(costs) < G:
                why = "fewer units (%d) than groups (%d)" % (len(costs), G)
            elif max(costs) > mean_load:
                why = "the largest unit is %.2fx the mean load of a group (%.1f units per group)" % (max(costs) / mean_load, len(costs) / G)
            elif g1[3] < 0.95:
                why = "%d rounds: the last partly empty, units of unequal time (cv %.2f)" % (g1[4], args.cv)
            else:
                why = "-"
            print("| %s | %d | %d | %.3f | %.3f | %s | %d | %.3f | %.3f |" % (label, len(costs), P, g1[1], g1[2], why, best[0], best[1], best[2]))
    io = inp.get("io", {}).get("np1")
    if io:
        print("\nI/O: the event reader read %.0f MB/s here (page cache); a node reads the whole table once: %.2f s per GB per node." % (io["MBps"], 1e3 / io["MBps"]))
    return 0


def check(args):
    """Predicted against measured efficiency at every measured point. Beside the model (ranks on
    cores of their own) stands what a machine without an idle core gives: P ranks share the
    time one rank had, E = 1/P."""
    inp = json.load(open(args.inputs))
    # the points were measured with this machine's own step (not the reference rate), with the
    # optimiser split over the group as the code does since commit 4fa1cf6
    m = Model(inp, args.network, split_optimizer=True, use_reference=False)
    rows = list(csv.DictReader(open(os.path.join(args.scaling, "scaling.csv"))))
    runs = list(csv.DictReader(open(os.path.join(args.scaling, "runs.csv"))))
    print("| entry | scaling | P | measured E, median (min..max) | fastest runs: E | ensemble stage alone: E | model, a core per rank | fixed part (1 rank) | no idle core: 1/P | load average | cores | oversubscribed |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        P, C, L = int(r["ranks"]), int(r["cores"]), float(r["load1_median"])
        if P == 1:
            continue
        f, st = None, None
        if r["kind"] == "data":
            e = m.e_dp(r["entry"], P, rpn=C) if r["entry"] in inp["compute"] else float("nan")
        else:
            e, f = member_point(inp, runs, r, args.driver, args.scaling)
            st = stage_eff(args.scaling, runs, r)
        print("| %s | %s | %d | %s (%s..%s) | %.2f | %s | %.2f | %s | %.2f | %.1f | %d | %s |" % (r["entry"], r["scaling"], P, r["efficiency"], r["eff_min"], r["eff_max"],
              fastest(runs, r), "-" if st is None else "%.2f" % st, e, "-" if f is None else "%.2f" % f, 1.0 / P, L, C, "yes: correctness only" if r["oversubscribed"] == "1" else "no"))
    return 0


def fastest(runs, r):
    """Efficiency from the fastest run at P ranks against the fastest at 1 rank: on a shared
    machine the runs least disturbed by other work."""
    def best(P):
        v = [x for x in runs if x["entry"] == r["entry"] and x["scaling"] == r["scaling"] and x["ranks"] == str(P) and x["rc"] == "0"]
        if r["kind"] == "data":
            return max(float(x["rate"]) for x in v if x["rate"])
        return min(float(x["wall_s"]) for x in v if x["wall_s"])
    P = int(r["ranks"])
    b1, bP = best(1), best(P)
    if r["kind"] == "data":
        return bP / (P * b1)
    return b1 / (P * bP) if r["scaling"] == "strong" else b1 / bP


def elapsed(scaling_dir, entry, scaling, P, rep):
    """The ensemble stage's time of one run: the last progress line of its log (group 0's)."""
    log = os.path.join(scaling_dir, "runs", "%s_%s_np%d_r%s.log" % (entry, scaling, P, rep))
    t = None
    if os.path.exists(log):
        for line in open(log):
            m = re.search(r" models .* ([\d.]+) s elapsed", line)
            if m:
                t = float(m.group(1))
    return t


def stage_eff(scaling_dir, runs, r):
    """Efficiency of the ensemble stage alone (medians of the progress lines' elapsed times), for
    the entries whose logs print one (cwola, sweep); None otherwise."""
    P = int(r["ranks"])
    t = {}
    for q in (1, P):
        v = [elapsed(scaling_dir, r["entry"], r["scaling"], q, x["rep"]) for x in runs
             if x["entry"] == r["entry"] and x["scaling"] == r["scaling"] and x["ranks"] == str(q) and x["rc"] == "0"]
        v = [x for x in v if x]
        if not v:
            return None
        t[q] = statistics.median(v)
    return t[1] / (P * t[P]) if r["scaling"] == "strong" else t[1] / t[P]


def one_rank_parts(scaling_dir, runs, entry, scaling):
    """(units, fixed fraction) of the 1-rank runs of a members point, medians over the
    repetitions. The units are the classifiers (members) the run trained; the fixed fraction is the
    part of the run's wall time outside the ensemble stage (start, read, fits, outputs): for svdd
    1 - sum of the members' wall_s / wall_s, for cwola and sweep 1 - the ensemble's elapsed time
    (the last progress line of the log) / wall_s. Without the logs: the units the CSV recorded and
    no fixed fraction (None where nothing tells)."""
    one = [x for x in runs if x["entry"] == entry and x["scaling"] == scaling and x["ranks"] == "1" and x["rc"] == "0"]
    units, fixed = [], []
    for x in one:
        wall = float(x["wall_s"]) if x["wall_s"] else None
        if entry == "svdd" and x["member_wall"] and wall:
            t = [float(v) for v in x["member_wall"].split(";")]
            units.append(len(t))
            fixed.append(1 - sum(t) / wall)
            continue
        log = os.path.join(scaling_dir, "runs", "%s_%s_np1_r%s.log" % (entry, scaling, x["rep"]))
        if not os.path.exists(log):
            continue
        last = None
        for line in open(log):
            m = re.search(r" (\d+)/(\d+) models .* ([\d.]+) s elapsed", line)
            if m:
                last = m
        if last and wall:
            units.append(int(last.group(2)))
            fixed.append(max(0.0, 1 - float(last.group(3)) / wall))
    if not fixed:
        # no logs (a study whose runs/ folder was not kept): the units the CSV recorded
        recorded = [int(float(x["units"])) for x in one if x.get("units")]
        return (int(statistics.median(recorded)) if recorded else None), None
    return int(statistics.median(units)), statistics.median(fixed)


def member_point(inp, runs, r, driver="one-sided", scaling_dir="."):
    """Predicted efficiency of a measured members point: the schedule of its units at G = P groups
    of one rank under the driver that ran it (one-sided: no group waits; per-round: the historical
    exchange after every round), and the fixed part of the run (start, read, fits, outputs)
    measured in its 1-rank runs (the inputs' fixed fractions where the runs do not tell).
    Returns (E, fixed fraction)."""
    entry, scaling, P = r["entry"], r["scaling"], int(r["ranks"])
    n1, fixed = one_rank_parts(scaling_dir, runs, entry, scaling)
    if entry in ("cwola", "sweep"):
        # CWoLa units (a sweep's points' units are dealt together) cost their window's events
        cw = inp.get("cwola_windows", [1.0])
        n_units = (n1 or len(cw)) * (P if scaling == "weak" else 1)
        costs = [cw[u % len(cw)] for u in range(n_units)]
        e_s = sched_eff(costs, P, 0.0)[0]
        fixed = inp.get("cwola_fixed_fraction", 0.1) if fixed is None else fixed
    else:
        units = int(float(r["work"]))
        costs = [1.0] * units
        nw, rd, _ = sched_eff(costs, P, 0.0)
        e_s = nw if driver == "one-sided" else rd
        fixed = inp.get("svdd_fixed_fraction", 0.1) if fixed is None else fixed
    # T(P) = fixed + units / (P e_s) in units of T(1): E = 1 / (P (f + (1 - f) / (P e_s)))
    if scaling == "strong":
        return 1.0 / (P * (fixed + (1 - fixed) / (P * e_s))), fixed
    # weak: P times the units on P groups; a sweep's fixed part is per point (each point's fits and
    # outputs, one point after another), so it grows with the points
    if entry == "sweep":
        return 1.0 / (P * fixed + (1 - fixed) / e_s), fixed
    return 1.0 / (fixed + (1 - fixed) / e_s), fixed


def main():
    global RANKS_PER_NODE
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    for name in ("predict", "check"):
        q = sub.add_parser(name)
        q.add_argument("--inputs", required=True, help="JSON of bench/model_inputs.py (with cwola_windows added)")
        q.add_argument("--network", default="slingshot11", choices=sorted(NETWORKS))
        q.add_argument("--ranks-per-node", type=int, default=RANKS_PER_NODE, help="ranks of a group that share a node [%d]" % RANKS_PER_NODE)
        q.add_argument("--cv", type=float, default=0.1, help="coefficient of variation of a unit's time around its cost [0.1]")
        if name == "check":
            q.add_argument("--scaling", required=True, help="folder of tools/scaling.py run")
            q.add_argument("--driver", default="one-sided", choices=("one-sided", "per-round"),
                           help="ensemble driver of the measured hadal: one-sided (since commit c49b68f) or per-round (before) [one-sided]")
    a = p.parse_args()
    RANKS_PER_NODE = a.ranks_per_node
    return predict(a) if a.what == "predict" else check(a)


if __name__ == "__main__":
    sys.exit(main())
