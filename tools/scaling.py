#!/usr/bin/python3
"""Strong and weak scaling of hadal's two kinds of parallelism, and the efficiency plot.

    tools/scaling.py run  [--out DIR] [--ranks 1,2,4] [--reps 3] [--size small] [--entries ...]
    tools/scaling.py plot DIR

Kinds of parallelism (docs/scaling.md):
  members  independent units dealt to rank groups of one rank: a CWoLa scan (`cwola`), a Deep
           SVDD ensemble (`svdd`), a sweep (`sweep`, when the hadal executable has `hadal sweep`).
           Time: `wall_s` of the run's summary.json (the whole run as the process sees it).
  data     one network trained data-parallel by all ranks as one group: `ae`, `dae`, `flow`
           (`hadal bench WORKLOAD`, the trainer's real step: shards, the exact sum, the optimiser).
           Rate: the `samples/s` line the benchmark prints.

Scalings:
  strong   the same problem at every rank count: efficiency E(P) = T(1) / (P T(P)), for a rate
           R(P) / (P R(1)).
  weak     work grows with P (members x P; global batch x P): E(P) = T(1) / T(P), for a rate
           R(P) / (P R(1)) again (the work per step grows with P).

Every (entry, scaling, ranks) point runs --reps times; the repetitions are interleaved (all rank
counts once, then again) so a slow spell of a shared machine hits every rank count. Each run's
result is compared with the 1-rank run of the same problem (strong scaling only): the members'
results and the benchmark's final loss must be identical, so a point measured oversubscribed
(more ranks than cores: `oversubscribed` in the CSV, hollow markers in the plot) still checks
correctness though its time means nothing.

Outputs in DIR: runs.csv (every run), scaling.csv (per point: median, min, max, efficiency from the
medians and its range from the extremes), efficiency.png, and runs/ with each run's log and
outputs. --dry-run prints the commands only.

An entry is one function below that returns the command of a (scaling, ranks) point and one that
reads its result; adding a job type is adding an entry to ENTRIES.
"""
import argparse
import csv
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time

# Problem sizes. "tiny": the tests; "small": a shared 2-core machine (each run seconds);
# "node": strong scaling to 16 ranks of one node in minutes (each run 5-15 s at 1 rank; 32 SVDD
# members and 72 CWoLa classifiers, so 16 ranks get whole rounds); "full": a 16-core node or a
# cluster allocation (each run a minute or more at 1 rank).
SIZES = {
    "tiny": dict(lhco_events=60000, cwola="-sr_max 4100 -folds 2 -epochs 2", cwola_members=1,
                 dm_events=4000, svdd="-epochs 2 -batch_size 500 -svdd_hidden 32,16", svdd_members=2,
                 sweep_points=2, steps=dict(ae=2, dae=1, flow=1), batch=dict(ae=2000, dae=600, flow=128)),
    "small": dict(lhco_events=200000, cwola="-folds 2 -epochs 3", cwola_members=2,
                  dm_events=20000, svdd="-epochs 3 -batch_size 2000", svdd_members=4,
                  sweep_points=4, steps=dict(ae=20, dae=2, flow=3), batch=dict(ae=10000, dae=10000, flow=512)),
    "node": dict(lhco_events=500000, cwola="-folds 2 -epochs 3", cwola_members=4,
                 dm_events=15000, svdd="-epochs 3 -batch_size 2000", svdd_members=32,
                 sweep_points=16, steps=dict(ae=60, dae=10, flow=6), batch=dict(ae=10000, dae=10000, flow=512)),
    "full": dict(lhco_events=1000000, cwola="-folds 5 -epochs 10", cwola_members=5,
                 dm_events=200000, svdd="-epochs 20", svdd_members=8,
                 sweep_points=16, steps=dict(ae=30, dae=2, flow=10), batch=dict(ae=10000, dae=10000, flow=512)),
}

# Output widths d of the SVDD grid, in the order members are added (Table 1 of seed 003 first).
SVDD_D = [5, 8, 13, 21, 34, 55, 89, 144, 233, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 22, 23]


class Ctx:
    """What every entry needs: the executable, the data files, the size, the run folder."""

    def __init__(self, args):
        self.hadal = os.path.abspath(args.hadal)
        self.src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.out = os.path.abspath(args.out)
        self.size = SIZES[args.size]
        self.size_name = args.size
        self.data = os.path.join(self.out, "data")
        self.dry = args.dry_run


def sh_run(argv, log, env=None, timeout=None):
    """Runs argv with stdout+stderr to log; returns (exit status, wall seconds)."""
    t0 = time.monotonic()
    with open(log, "w") as f:
        try:
            rc = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, env=env, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    return rc, time.monotonic() - t0


def ensure_data(ctx, name):
    """Generates the data set an entry needs once, in DIR/data."""
    os.makedirs(ctx.data, exist_ok=True)
    s = ctx.size
    if name == "lhco":
        path, cmd = os.path.join(ctx.data, "lhco.h5"), ["generate", "lhco", "-n", str(s["lhco_events"]), "-seed", "3", "-signal_fraction", "0.003"]
    elif name == "darkmachines":
        path, cmd = os.path.join(ctx.data, "dm.h5"), ["generate", "darkmachines", "-n", str(s["dm_events"]), "-seed", "5", "-signal_fraction", "0.02"]
    else:
        raise ValueError(name)
    if not os.path.exists(path) and not ctx.dry:
        rc, _ = sh_run([ctx.hadal] + cmd + ["-o", path], path + ".log")
        if rc != 0:
            sys.exit("scaling: error: generating %s failed (see %s.log)" % (path, path))
    return path


def read_summary(run_dir):
    with open(os.path.join(run_dir, "summary.json")) as f:
        return json.load(f)


# ---- members across groups ----

def cwola_cmd(ctx, scaling, P, run_dir):
    members = ctx.size["cwola_members"] * (P if scaling == "weak" else 1)
    return ["run", "-options_file", os.path.join(ctx.src, "inputs", "cwola_lhco.opts"), "-data", ensure_data(ctx, "lhco"),
            "-out", run_dir, "-group_size", "1", "-ensemble_size", str(members)] + ctx.size["cwola"].split(), members


def cwola_read(run_dir, log):
    s = read_summary(run_dir)
    # the result: every window's numbers (identical at any rank count, docs/methods/cwola.md)
    return dict(wall_s=s["wall_s"], units=s["models_trained"], result=json.dumps(s["windows"], sort_keys=True))


def svdd_cmd(ctx, scaling, P, run_dir):
    members = ctx.size["svdd_members"] * (P if scaling == "weak" else 1)
    # members = widths x targets: targets n = 0,1 (or 1 alone for an odd count); more targets
    # (0,1,2,3, then 0..7) once the widths listed run out (weak scaling to 16 ranks and beyond)
    n_n = 2 if members % 2 == 0 else 1
    while members // n_n > len(SVDD_D) and members % (2 * n_n) == 0:
        n_n *= 2
    if members // n_n > len(SVDD_D):
        sys.exit("scaling: error: svdd: %d members are no grid of the %d output widths listed and 1, 2, 4, ... targets" % (members, len(SVDD_D)))
    d = ",".join(str(x) for x in SVDD_D[: members // n_n])
    n = "1" if n_n == 1 else ",".join(str(i) for i in range(n_n))
    return ["run", "-method", "svdd", "-data", ensure_data(ctx, "darkmachines"), "-out", run_dir, "-group_size", "1", "-seed", "3",
            "-svdd_d", d, "-svdd_n", n] + ctx.size["svdd"].split(), members


def svdd_read(run_dir, log):
    s = read_summary(run_dir)
    res = [(m["model"], m["epochs"], m["val_loss"]) for m in s["member_results"]]
    return dict(wall_s=s["wall_s"], units=s["members"], result=json.dumps(res),
                member_wall=";".join("%.4f" % m["wall_s"] for m in s["member_results"]))


def sweep_cmd(ctx, scaling, P, run_dir):
    points = ctx.size["sweep_points"] * (P if scaling == "weak" else 1)
    base = os.path.join(ctx.out, "sweep_base.opts")
    if not ctx.dry:
        with open(base, "w") as f:
            # the scan's deck, then this size's options (later lines win)
            f.write(open(os.path.join(ctx.src, "inputs", "cwola_lhco.opts")).read())
            f.write("\n-data %s\n-ensemble_size 1\n%s\n" % (ensure_data(ctx, "lhco"), "\n".join(ctx.size["cwola"].split(" -")).replace("\n", "\n-").lstrip()))
    return ["sweep", "-options_file", base, "-grid", "seed=1:%d" % points, "-out", run_dir], points


def sweep_read(run_dir, log):
    # the sweep's own record where it gives one; the process's wall time otherwise (filled by the caller)
    path = os.path.join(run_dir, "sweep.json")
    s = json.load(open(path)) if os.path.exists(path) else {}
    # the result: every point's headline numbers (identical at any rank count)
    heads = [(p.get("name"), p.get("headline")) for p in s.get("points", [])]
    return dict(wall_s=s.get("wall_s"), units=len(heads) or None, result=json.dumps(heads, sort_keys=True) if heads else None)


# ---- data-parallel inside one group ----

def bench_cmd(workload):
    def cmd(ctx, scaling, P, run_dir):
        batch = ctx.size["batch"][workload] * (P if scaling == "weak" else 1)
        return ["bench", workload, "-steps", str(ctx.size["steps"][workload]), "-batch", str(batch)], batch
    return cmd


def bench_read(run_dir, log):
    rate, loss = None, None
    for line in open(log):
        if " samples/s: " in line:
            rate = float(line.rsplit(":", 1)[1])
        elif line.startswith("final training loss:"):
            loss = line.split(":", 1)[1].strip()
    if rate is None:
        raise RuntimeError("no 'samples/s' line")
    return dict(rate=rate, result=loss)


def hadal_has(ctx, command):
    """True when the hadal executable knows `hadal COMMAND`."""
    if ctx.dry:
        return True
    r = subprocess.run([ctx.hadal, command, "-help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0 and "unknown command" not in r.stdout.lower()


ENTRIES = {
    "cwola": dict(kind="members", cmd=cwola_cmd, read=cwola_read),
    "svdd": dict(kind="members", cmd=svdd_cmd, read=svdd_read),
    "sweep": dict(kind="members", cmd=sweep_cmd, read=sweep_read, needs="sweep"),
    "ae": dict(kind="data", cmd=bench_cmd("ae"), read=bench_read),
    "dae": dict(kind="data", cmd=bench_cmd("dae"), read=bench_read),
    "flow": dict(kind="data", cmd=bench_cmd("flow"), read=bench_read),
}

FIELDS = ["entry", "kind", "scaling", "ranks", "rep", "work", "wall_s", "process_s", "rate", "units", "oversubscribed",
          "same_result", "load1", "steal_pct", "machine", "cores", "rc", "member_wall", "command"]


def cpu_times():
    """(steal, total) jiffies of all CPUs from /proc/stat, or None where there is none. Steal is
    the time a virtual machine's CPUs were ready but the host ran something else: on a shared
    VM it, not the load average, says that other tenants took part of the run's cores."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (v[7] if len(v) > 7 else 0), sum(v[:8])


def steal_percent(before, after):
    if before is None or after is None or after[1] <= before[1]:
        return ""
    return "%.1f" % (100.0 * (after[0] - before[0]) / (after[1] - before[1]))


def cores_available():
    for v in ("SLURM_CPUS_ON_NODE", "HADAL_CORES"):
        if os.environ.get(v, "").isdigit():
            return int(os.environ[v])
    return len(os.sched_getaffinity(0))


def auto_ranks():
    """1, 2, 4, ... up to the job's tasks (SLURM_NTASKS) or the cores here, and that count itself."""
    top = int(os.environ["SLURM_NTASKS"]) if os.environ.get("SLURM_NTASKS", "").isdigit() else cores_available()
    r = [1]
    while r[-1] * 2 <= top:
        r.append(r[-1] * 2)
    return r + ([top] if r[-1] != top else [])


def launcher_argv(template, P):
    return shlex.split(template.replace("{P}", str(P)))


def cmd_run(args):
    ctx = Ctx(args)
    ranks = auto_ranks() if args.ranks == "auto" else [int(x) for x in args.ranks.split(",")]
    if ranks[0] != 1:
        sys.exit("scaling: error: --ranks must start at 1 (efficiency is read against one rank): %s" % args.ranks)
    names = args.entries.split(",")
    for n in names:
        if n not in ENTRIES:
            sys.exit("scaling: error: --entries: unknown entry '%s' (known: %s)" % (n, ",".join(ENTRIES)))
    scalings = args.scalings.split(",")
    for s in scalings:
        if s not in ("strong", "weak"):
            sys.exit("scaling: error: --scalings: '%s' is neither strong nor weak" % s)
    if not ctx.dry and not os.access(ctx.hadal, os.X_OK):
        sys.exit("scaling: error: --hadal '%s' is not an executable" % args.hadal)
    os.makedirs(os.path.join(ctx.out, "runs"), exist_ok=True)
    cores, machine = cores_available(), args.machine or socket.gethostname()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    nice = ["nice", "-n", str(args.nice)] if args.nice else []
    rows, first = [], {}
    active = []
    for n in names:
        need = ENTRIES[n].get("needs")
        if need and not hadal_has(ctx, need):
            print("scaling: %s skipped: this hadal has no `hadal %s`" % (n, need), flush=True)
            continue
        active.append(n)
    csv_path = os.path.join(ctx.out, "runs.csv")
    with open(csv_path, "w", newline="") as fcsv:
        w = csv.DictWriter(fcsv, fieldnames=FIELDS)
        w.writeheader()
        for n in active:
            e = ENTRIES[n]
            for scaling in scalings:
                for rep in range(args.reps):
                    for P in ranks:
                        tag = "%s_%s_np%d_r%d" % (n, scaling, P, rep)
                        run_dir = os.path.join(ctx.out, "runs", tag)
                        sub, work = e["cmd"](ctx, scaling, P, run_dir)
                        argv = nice + launcher_argv(args.launcher, P) + [ctx.hadal] + sub
                        line = " ".join(shlex.quote(a) for a in argv)
                        if ctx.dry:
                            print(line)
                            continue
                        subprocess.run(["rm", "-rf", run_dir])
                        log = run_dir + ".log"
                        load1 = os.getloadavg()[0]
                        t_before = cpu_times()
                        rc, proc_s = sh_run(argv, log, env=env, timeout=args.timeout)
                        row = dict(entry=n, kind=e["kind"], scaling=scaling, ranks=P, rep=rep, work=work, process_s="%.3f" % proc_s,
                                   oversubscribed=int(P > cores), load1="%.2f" % load1, steal_pct=steal_percent(t_before, cpu_times()),
                                   machine=machine, cores=cores, rc=rc, command=line)
                        if rc == 0:
                            try:
                                r = e["read"](run_dir, log)
                            except (OSError, ValueError, KeyError, RuntimeError) as ex:
                                r, row["rc"] = {}, "unreadable: %s" % ex
                            row["wall_s"] = r.get("wall_s") if r.get("wall_s") is not None else (None if e["kind"] == "data" else proc_s)
                            row["rate"] = r.get("rate")
                            row["units"] = r.get("units")
                            row["member_wall"] = r.get("member_wall")
                            key = (n, scaling)
                            if r.get("result") is not None:
                                if P == 1:
                                    first[key] = r["result"]
                                if scaling == "strong" and key in first:
                                    row["same_result"] = int(r["result"] == first[key])
                        w.writerow(row)
                        fcsv.flush()
                        rows.append(row)
                        t = row.get("wall_s") or row.get("rate")
                        print("scaling: %-6s %-6s np %-3d rep %d: %s%s%s" % (n, scaling, P, rep, "rc %s" % row["rc"] if row["rc"] != 0 else "",
                              ("wall %.2f s" % float(row["wall_s"])) if row.get("wall_s") else "", ("rate %.0f/s" % row["rate"]) if row.get("rate") else "") + ("" if row.get("same_result") in (None, 1) else "  RESULT DIFFERS FROM 1 RANK"), flush=True)
                        if t is None and row["rc"] == 0:
                            print("scaling: %s gave no time" % tag, flush=True)
    if ctx.dry:
        return 0
    summarise(ctx.out)
    if not args.no_plot:
        plot(ctx.out)
    bad = [r for r in rows if r["rc"] != 0 or r.get("same_result") == 0]
    for r in bad:
        print("scaling: error: %s %s np %s rep %s: %s" % (r["entry"], r["scaling"], r["ranks"], r["rep"], "exit %s" % r["rc"] if r["rc"] != 0 else "result differs from 1 rank"))
    return 1 if bad else 0


def summarise(out):
    """scaling.csv: one row per (entry, scaling, ranks) with median, min, max and efficiencies."""
    rows = list(csv.DictReader(open(os.path.join(out, "runs.csv"))))
    groups = {}
    for r in rows:
        if r["rc"] != "0":
            continue
        groups.setdefault((r["entry"], r["scaling"]), {}).setdefault(int(r["ranks"]), []).append(r)
    fields = ["entry", "kind", "scaling", "ranks", "n", "work", "metric", "median", "min", "max", "spread_pct", "efficiency", "eff_min", "eff_max",
              "oversubscribed", "same_result", "load1_median", "steal_pct_max", "machine", "cores"]
    with open(os.path.join(out, "scaling.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for (entry, scaling), by_p in groups.items():
            if 1 not in by_p:
                continue
            kind = by_p[1][0]["kind"]
            metric = "rate" if kind == "data" else "wall_s"
            base = [float(r[metric]) for r in by_p[1] if r[metric]]
            if not base:
                continue
            b_med, b_min, b_max = statistics.median(base), min(base), max(base)
            for P in sorted(by_p):
                v = [float(r[metric]) for r in by_p[P] if r[metric]]
                if not v:
                    continue
                med, lo, hi = statistics.median(v), min(v), max(v)
                if metric == "rate":
                    eff, e_lo, e_hi = med / (P * b_med), lo / (P * b_max), hi / (P * b_min)
                elif scaling == "strong":
                    eff, e_lo, e_hi = b_med / (P * med), b_min / (P * hi), b_max / (P * lo)
                else:
                    eff, e_lo, e_hi = b_med / med, b_min / hi, b_max / lo
                same = [r["same_result"] for r in by_p[P] if r["same_result"] != ""]
                w.writerow(dict(entry=entry, kind=kind, scaling=scaling, ranks=P, n=len(v), work=by_p[P][0]["work"], metric=metric,
                                median="%.4g" % med, min="%.4g" % lo, max="%.4g" % hi, spread_pct="%.1f" % (100 * (hi - lo) / med),
                                efficiency="%.3f" % eff, eff_min="%.3f" % e_lo, eff_max="%.3f" % e_hi, oversubscribed=by_p[P][0]["oversubscribed"],
                                same_result=("yes" if all(s == "1" for s in same) else "NO") if same else "",
                                load1_median="%.2f" % statistics.median(float(r["load1"]) for r in by_p[P]),
                                steal_pct_max=max((r.get("steal_pct") or "" for r in by_p[P]), key=lambda x: float(x) if x else -1.0),
                                machine=by_p[P][0]["machine"], cores=by_p[P][0]["cores"]))


def plot(out):
    """efficiency.png: efficiency against ranks, strong and weak side by side; the bars are the
    range over the repetitions; hollow markers are oversubscribed points (correctness only)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(open(os.path.join(out, "scaling.csv"))))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, scaling in zip(axes, ("strong", "weak")):
        entries = sorted({r["entry"] for r in rows if r["scaling"] == scaling})
        for k, entry in enumerate(entries):
            pts = sorted((int(r["ranks"]), float(r["efficiency"]), float(r["eff_min"]), float(r["eff_max"]), r["oversubscribed"] == "1", r["kind"])
                         for r in rows if r["scaling"] == scaling and r["entry"] == entry)
            ls = "-" if pts[0][5] == "members" else "--"
            color = "C%d" % k
            xs = [p[0] for p in pts]
            ax.plot(xs, [p[1] for p in pts], ls, color=color, label="%s (%s)" % (entry, pts[0][5]))
            for P, e, lo, hi, over, _ in pts:
                ax.errorbar([P], [e], yerr=[[max(e - lo, 0)], [max(hi - e, 0)]], fmt="o", color=color, mfc="white" if over else color, capsize=3)
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("ranks")
        ax.set_title("%s scaling" % scaling)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("parallel efficiency")
    # room for a point above 1 (a slow 1-rank run of a noisy machine) rather than clipping it
    axes[0].set_ylim(0, max([1.3] + [1.1 * float(r["eff_max"]) for r in rows if r["eff_max"]]))
    machine = rows[0]["machine"] if rows else "?"
    cores = rows[0]["cores"] if rows else "?"
    fig.suptitle("hadal scaling on %s (%s cores); hollow: more ranks than cores (correctness only)" % (machine, cores), fontsize=10)
    for ax in reversed(axes):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="lower left")
            break
    fig.tight_layout()
    fig.savefig(os.path.join(out, "efficiency.png"), dpi=120)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run", help="run the scaling points, write runs.csv, scaling.csv, efficiency.png")
    r.add_argument("--hadal", default="build/hadal", help="the hadal executable [build/hadal]")
    r.add_argument("--out", default="out/scaling", help="output folder [out/scaling]")
    r.add_argument("--ranks", default="1,2", help="rank counts, starting at 1, or auto (1, 2, 4, ... up to SLURM_NTASKS or the cores) [1,2]")
    r.add_argument("--reps", type=int, default=3, help="repetitions of every point [3]")
    r.add_argument("--size", default="small", choices=sorted(SIZES), help="problem sizes [small]")
    r.add_argument("--entries", default="cwola,svdd,sweep,ae,dae,flow", help="job types [all]")
    r.add_argument("--scalings", default="strong,weak", help="strong, weak or both [strong,weak]")
    r.add_argument("--launcher", default=None, help="launcher with {P} for the ranks [mpiexec --oversubscribe -n {P}; srun -n {P} in a Slurm job]")
    r.add_argument("--machine", default=None, help="machine name recorded in the CSV and the plot [the host name]")
    r.add_argument("--nice", type=int, default=0, help="run every command under nice -n N [0]")
    r.add_argument("--timeout", type=float, default=3600, help="seconds a run may take [3600]")
    r.add_argument("--no-plot", action="store_true", help="skip efficiency.png")
    r.add_argument("--dry-run", action="store_true", help="print the commands only")
    q = sub.add_parser("plot", help="(re)draw DIR/efficiency.png from DIR/runs.csv")
    q.add_argument("dir")
    args = p.parse_args()
    if args.what == "plot":
        summarise(args.dir)
        plot(args.dir)
        return 0
    if args.reps < 1:
        sys.exit("scaling: error: --reps must be at least 1")
    if args.launcher is None:
        if os.environ.get("SLURM_JOB_ID"):
            args.launcher = "srun --mpi=pmix -n {P}"
        else:
            args.launcher = "mpiexec --oversubscribe %s-n {P}" % ("--allow-run-as-root " if os.geteuid() == 0 else "")
    if "{P}" not in args.launcher:
        sys.exit("scaling: error: --launcher must contain {P} (the rank count): %s" % args.launcher)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
