#!/usr/bin/python3
"""The measured inputs of the performance model (docs/scaling.md), each timed --reps times;
medians and the spread (min..max) are printed and written to a JSON file for
tools/scaling_model.py.

    bench/model_inputs.py --build build --out out/model_inputs.json [--reps 3] [--nice 5]

Pieces (the command of each is printed as it runs):
  compute   `hadal bench W -log_view` at one rank for svdd, ae, dae, flow, cwola: the step time,
            and from PETSc's log the optimiser step (hdOptimStep) and the exact sum (hdGradSum)
            per step;
  reducer   `par_bench_reduce` at one rank for 1, 4, 16, 64 shards of ae's 116,542 parameters:
            the exact sum's cost per shard value and per parameter (a straight-line fit);
  allreduce `allreduce_bench` at 2 ranks (int64 SUM, the reducer's) and at 1 rank: latency alpha
            and bandwidth beta of t = alpha + bytes / beta;
  io        `hadal info FILE` on a generated lhco file of --io-events events: the event reader's
            read time (HDF5, collective, into the node's shared table), MB/s.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

WORKLOADS = {"svdd": 10, "ae": 20, "dae": 2, "flow": 3, "cwola": 1000}


def run(argv, env, nice):
    cmd = (["nice", "-n", str(nice)] if nice else []) + argv
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if r.returncode != 0:
        sys.exit("model_inputs: error: %s failed:\n%s" % (" ".join(argv), r.stdout[-2000:]))
    return r.stdout


def stat(v):
    return dict(median=statistics.median(v), min=min(v), max=max(v), n=len(v))


def log_event(out, name):
    """(count, seconds) of a PETSc -log_view event line."""
    m = re.search(r"^%s\s+(\d+)\s+[\d.]+\s+([\d.e+-]+)" % name, out, re.M)
    return (int(m.group(1)), float(m.group(2))) if m else (0, 0.0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build", help="build folder with hadal, par_bench_reduce (tests/), allreduce_bench [build]")
    p.add_argument("--out", default="out/model_inputs.json", help="JSON file written [out/model_inputs.json]")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--nice", type=int, default=0)
    p.add_argument("--mpiexec", default="mpiexec --oversubscribe" + (" --allow-run-as-root" if os.geteuid() == 0 else ""))
    p.add_argument("--io-events", type=int, default=2000000)
    p.add_argument("--only", default="compute,reducer,allreduce,io")
    a = p.parse_args()
    b = os.path.abspath(a.build)
    hadal, red, ar = os.path.join(b, "hadal"), os.path.join(b, "tests", "par_bench_reduce"), os.path.join(b, "allreduce_bench")
    if not os.path.exists(red):
        red = os.path.join(b, "par_bench_reduce")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    mpi = a.mpiexec.split()
    only = a.only.split(",")
    res = dict(loadavg_start=os.getloadavg()[0], date=time.strftime("%Y-%m-%d %H:%M"), reps=a.reps)
    if "compute" in only:
        res["compute"] = {}
        for w, steps in WORKLOADS.items():
            argv = [hadal, "bench", w, "-steps", str(steps), "-log_view"]
            print("compute: " + " ".join(argv[1:]), flush=True)
            rate, opt, gsum, params, batch = [], [], [], None, None
            for _ in range(a.reps):
                out = run(argv, env, a.nice)
                rate.append(float(re.search(r"samples/s: ([\d.]+)", out).group(1)))
                n, t = log_event(out, "hdOptimStep")
                opt.append(t / max(n, 1))
                n, t = log_event(out, "hdGradSum")
                gsum.append(t / max(n, 1))
                m = re.search(r"(\d+) parameters, batch (\d+)", out)
                params, batch = int(m.group(1)), int(m.group(2))
            res["compute"][w] = dict(samples_per_s=stat(rate), optim_s=stat(opt), gradsum_s=stat(gsum), params=params, batch=batch,
                                     step_s=batch / statistics.median(rate))
            print("  %s: %.0f samples/s (%.0f..%.0f), step %.2f ms, optimiser %.3f ms, exact sum %.3f ms, %d parameters, batch %d"
                  % (w, statistics.median(rate), min(rate), max(rate), 1e3 * batch / statistics.median(rate), 1e3 * statistics.median(opt),
                     1e3 * statistics.median(gsum), params, batch), flush=True)
    if "reducer" in only:
        shards = [1, 4, 16, 64]
        argv = [red, "-n_params", "116542", "-shards", ",".join(map(str, shards)), "-reps", "20"]
        print("reducer: " + " ".join(argv), flush=True)
        t = {s: [] for s in shards}
        for _ in range(a.reps):
            out = run(argv, env, a.nice)
            for line in out.splitlines():
                f = line.split()
                if len(f) >= 3 and f[0].isdigit() and int(f[0]) in t:
                    t[int(f[0])].append(float(f[2]) * 1e-3)
        med = {s: statistics.median(v) for s, v in t.items()}
        # t(S) = n (S a + b): a per shard value, b per parameter, fitted where the shards stay in
        # the cache (S <= 16); at S = 64 the 30 MB of shards come from memory (per_value_64_ns)
        xs = [s for s in shards if s <= 16]
        ys = [med[s] / 116542 for s in xs]
        mx, my = statistics.mean(xs), statistics.mean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        res["reducer"] = dict(per_value_ns=slope * 1e9, per_param_ns=(my - slope * mx) * 1e9, per_value_64_ns=med[64] / (64 * 116542) * 1e9,
                              times_ms={s: stat([x * 1e3 for x in v]) for s, v in t.items()})
        print("  exact sum: %s ms; %.3f ns per shard value + %.3f ns per parameter (S <= 16, in cache); %.3f ns per value at S = 64"
              % (", ".join("S=%d %.2f" % (s, 1e3 * med[s]) for s in shards), slope * 1e9, (my - slope * mx) * 1e9, res["reducer"]["per_value_64_ns"]), flush=True)
    if "allreduce" in only:
        res["allreduce"] = {}
        for np_ in (1, 2):
            argv = mpi + ["-n", str(np_), ar, "-reps", "30", "-sizes", "8,64,512,4096,32768,262144,1048576,4194304"]
            print("allreduce: " + " ".join(argv), flush=True)
            al, be, rows = [], [], {}
            for _ in range(a.reps):
                out = run(argv, env, a.nice)
                m = re.search(r"fit: alpha_us ([-\d.]+) beta_GBps ([-\d.]+)", out)
                al.append(float(m.group(1)))
                be.append(float(m.group(2)))
                for line in out.splitlines():
                    f = line.split()
                    if len(f) == 6 and f[0].isdigit():
                        rows.setdefault(int(f[0]), []).append(float(f[1]))
            res["allreduce"]["np%d" % np_] = dict(alpha_us=stat(al), beta_GBps=stat(be), median_us={k: stat(v) for k, v in rows.items()})
            print("  %d ranks: alpha %.2f us (%.2f..%.2f), beta %.2f GB/s (%.2f..%.2f); 1 MiB %.1f us" % (np_, statistics.median(al), min(al), max(al), statistics.median(be), min(be), max(be),
                  statistics.median(rows.get(1048576, [0]))), flush=True)
    if "io" in only:
        path = os.path.join(os.path.dirname(os.path.abspath(a.out)), "io_lhco.h5")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        run([hadal, "generate", "lhco", "-o", path, "-n", str(a.io_events), "-seed", "1"], env, a.nice)
        size = os.path.getsize(path)
        res["io"] = {}
        for np_ in (1, 2):
            argv = mpi + ["-n", str(np_), hadal, "info", path]
            print("io: " + " ".join(argv), flush=True)
            t = []
            for _ in range(a.reps):
                out = run(argv, env, a.nice)
                t.append(float(re.search(r"read in ([\d.]+) s", out).group(1)))
            res["io"]["np%d" % np_] = dict(read_s=stat(t), bytes=size, MBps=size / 1e6 / statistics.median(t))
            print("  %d ranks: %.1f MB read in %.3f s (%.3f..%.3f): %.0f MB/s (page cache: the file was just written)" % (np_, size / 1e6, statistics.median(t), min(t), max(t), size / 1e6 / statistics.median(t)), flush=True)
        os.remove(path)
    res["loadavg_end"] = os.getloadavg()[0]
    old = json.load(open(a.out)) if os.path.exists(a.out) else {}
    old.update(res)
    with open(a.out, "w") as f:
        json.dump(old, f, indent=1, sort_keys=True)
    print("model inputs written to %s (load average %.1f at the start, %.1f at the end)" % (a.out, res["loadavg_start"], res["loadavg_end"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
