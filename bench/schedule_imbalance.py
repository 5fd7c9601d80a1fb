#!/usr/bin/python3
"""Load imbalance of the ensemble schedule: the members' costs dealt to G groups longest first
(hd_par_schedule_build, docs/parallel.md), then run under the two ways a driver can wait:

  no-wait   every group runs its members one after the other and meets the others once at the
            end: the current driver for every ensemble (since commit c49b68f a member's per-event
            columns are put one-sided into the owners' blocks as it ends, docs/parallel.md):
                T = max_k sum_{m in k} t_m
  rounds    historical (the driver before commit c49b68f, for ensembles with per-event columns:
            svdd, rnd, ae, dae, aa): the columns were exchanged after every round, so round r
            lasted as long as the slowest group's r-th member:
                T = sum_r max_k t_{k,r} + R t_exchange

  work-queue  (not in hadal: the change the model is asked about) units in decreasing cost, each
            to the group that becomes free first, so a slow unit delays only its own group.

The efficiency of the schedule is sum_m t_m / (G T). The schedule sees the costs c_m (what the
method passes, e.g. a window's event count); the members take t_m = c_m x (1 + noise), a
log-normal factor of coefficient of variation --cv (early stopping, a shared machine), drawn
--trials times; the median efficiency over the trials is printed.

    bench/schedule_imbalance.py --units 2500 --groups 64,256,1024 --costs-from-cwola-log run.log
    bench/schedule_imbalance.py --units 63 --groups 2,16,63,64 --cv 0,0.1,0.3
    bench/schedule_imbalance.py --members-from-summary out/svdd/summary.json --groups 2

--costs-from-cwola-log takes the windows' n_SR + n_SB from a `hadal run -method cwola` log (its
window table) as the unit costs, unit u in window u mod W (windows x folds x members, as the scan
deals them); without it every unit costs 1. --members-from-summary replays a finished run: the
members' measured wall_s are the times and the costs, and --groups should be the run's group count
(it prints what the two drivers give for those times).
"""
import argparse
import json
import math
import random
import re
import statistics
import sys


def lpt(costs, G):
    """Longest processing time first, ties to the lower member and the lower group (as
    hd_par_schedule_build); each group's members in ascending order, as the driver runs them."""
    order = sorted(range(len(costs)), key=lambda m: (-costs[m], m))
    load = [0.0] * G
    groups = [[] for _ in range(G)]
    # a heap would be faster; G is at most a few thousand and members a few thousand
    import heapq
    heap = [(0.0, k) for k in range(G)]
    heapq.heapify(heap)
    for m in order:
        l, k = heapq.heappop(heap)
        groups[k].append(m)
        load[k] = l + costs[m]
        heapq.heappush(heap, (load[k], k))
    for g in groups:
        g.sort()
    return groups


def makespans(groups, t, t_exchange=0.0):
    """(no-wait, rounds) makespans of a schedule for member times t."""
    nowait = max((sum(t[m] for m in g) for g in groups), default=0.0)
    R = max((len(g) for g in groups), default=0)
    rounds = sum(max(t[g[r]] for g in groups if r < len(g)) for r in range(R)) + R * t_exchange
    return nowait, rounds


def dynamic_makespan(costs, t, G):
    """A work queue instead of the static deal: units in decreasing cost, each to the group that
    becomes free first (its actual time t, not its cost, decides when)."""
    import heapq
    free = [(0.0, k) for k in range(G)]
    heapq.heapify(free)
    for m in sorted(range(len(costs)), key=lambda m: (-costs[m], m)):
        f, k = heapq.heappop(free)
        heapq.heappush(free, (f + t[m], k))
    return max(f for f, _ in free)


def efficiency(costs, G, cv=0.0, trials=9, seed=1, t_exchange=0.0, dynamic=False):
    """Median (no-wait, rounds) schedule efficiencies over noise draws; with dynamic, the first is
    the work queue's."""
    groups = lpt(costs, G)
    rng = random.Random(seed)
    e_nw, e_r = [], []
    sigma = math.sqrt(math.log(1 + cv * cv)) if cv > 0 else 0.0
    for _ in range(trials if cv > 0 else 1):
        t = [c * (rng.lognormvariate(-sigma * sigma / 2, sigma) if sigma > 0 else 1.0) for c in costs]
        nw, r = makespans(groups, t, t_exchange)
        if dynamic:
            nw = dynamic_makespan(costs, t, G)
        total = sum(t)
        e_nw.append(total / (G * nw))
        e_r.append(total / (G * r))
    return statistics.median(e_nw), statistics.median(e_r), max(len(g) for g in groups)


def cwola_window_costs(log):
    """The n_SR + n_SB of every window in a cwola run's window table."""
    costs = []
    for line in open(log):
        m = re.match(r"\s*(\d+)\s+\[\s*[\d.]+,\s*[\d.]+\)\s+(\d+)\s+(\d+)\s", line)
        if m:
            costs.append(float(m.group(2)) + float(m.group(3)))
    if not costs:
        sys.exit("schedule_imbalance: error: no window table in '%s'" % log)
    return costs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=2500, help="members (units) of the ensemble [2500]")
    p.add_argument("--groups", default="64,256,1024", help="group counts [64,256,1024]")
    p.add_argument("--cv", default="0,0.1,0.2,0.3", help="coefficients of variation of a member's time around its cost [0,0.1,0.2,0.3]")
    p.add_argument("--trials", type=int, default=9, help="noise draws per point [9]")
    p.add_argument("--costs-from-cwola-log", help="unit costs from a cwola run's window table")
    p.add_argument("--members-from-summary", help="replay the members' wall_s of a finished run's summary.json")
    a = p.parse_args()
    groups = [int(x) for x in a.groups.split(",")]
    if a.members_from_summary:
        s = json.load(open(a.members_from_summary))
        t = [m["wall_s"] for m in s["member_results"]]
        for G in groups:
            nw, r = makespans(lpt(t, G), t)
            print("replay %s: %d members, %d groups: no-wait %.3f s (efficiency %.3f), rounds %.3f s (efficiency %.3f); member times %.3f..%.3f s, cv %.3f"
                  % (a.members_from_summary, len(t), G, nw, sum(t) / (G * nw), r, sum(t) / (G * r), min(t), max(t),
                     statistics.pstdev(t) / statistics.mean(t)))
        return 0
    if a.costs_from_cwola_log:
        w = cwola_window_costs(a.costs_from_cwola_log)
        costs = [w[u % len(w)] for u in range(a.units)]
        what = "window costs %s (max/mean %.2f)" % (",".join("%.0f" % c for c in w), max(w) / statistics.mean(w))
    else:
        costs = [1.0] * a.units
        what = "equal costs"
    print("%d units, %s" % (a.units, what))
    print("%7s %5s %7s %9s %9s %10s %10s" % ("groups", "cv", "rounds", "no-wait", "per-round", "work-queue", "bound"))
    for G in groups:
        # no schedule can beat the largest unit or the average load
        bound = sum(costs) / (G * max(max(costs), sum(costs) / G))
        for cv in [float(x) for x in a.cv.split(",")]:
            nw, r, R = efficiency(costs, G, cv, a.trials)
            dq = efficiency(costs, G, cv, a.trials, dynamic=True)[0]
            print("%7d %5.2f %7d %9.3f %9.3f %10.3f %10.3f" % (G, cv, R, nw, r, dq, bound))
    return 0


if __name__ == "__main__":
    sys.exit(main())
