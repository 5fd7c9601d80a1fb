#!/usr/bin/env python3
"""ABCD closure (and signal metrics) of trained dae pairs on an independent event file.

    /usr/bin/python3 tools/dae_closure.py EVENTS.h5 PAIR.h5 [PAIR.h5 ...] [--single SINGLE.h5 ...]
                     [--effs 0.005,0.01,...] [--json OUT.json] [--max-events N] [--categories EPS]
                     [--abcd topology] [--calibrate SM_EVENTS.h5]

A pair's closure measured on its own test events (docs/methods/dae.md) has the statistical error
of about 100,000 SM events (4.5% at 0.5%). This script applies the saved pair (models/pair_KKK.h5:
both chains, the input scaling stored with it) to another file, typically 10^6 SM events of a
seed the pair never saw, so that what remains of a non-closure is the pair's residual correlation
rather than a fluctuation of its test sample.

Per model and SM efficiency eps (diagonal cut: the smallest symmetric pair of per-axis quantile
thresholds leaving eps of the events in the signal region, as hd_abcd_thresholds with
asymmetry 1): N(<,<), N(>,<), N(<,>), N(>,>), N_pred = N(>,<) N(<,>) / N(<,<) (seed 002 eq. 3),
the ratio N_obs / N_pred with its Poisson error, and DisCo^2(R1, R2) on a subsample.

When the file has signal events (label k > 0), per signal k on the SM events plus signal k's
(each scenario on its own, as dae does): the maximum SIC = eps_S / sqrt(eps_B) over cuts leaving
at least 10 SM events, of R1, R2, the diagonal combination min(F1(R1), F2(R2)) (F_k the SM
CDF) and of the single AE given with --single (same order as the pairs; PATH:ae1 or PATH:ae2
takes one chain of a pair file, e.g. of a pair trained with -lambda 0, whose two chains are then
two single autoencoders trained side by side); and at each eps the
significance (N - B) / sqrt(N) in the diagonal signal region with B the true SM count and with B
the ABCD prediction from the same events.

--abcd topology sums eq. 3 over the event topologies (hadal's -categories topology); --calibrate
FILE measures the non-closure kappa = N_obs / N_pred on the SM events of another file at the same
thresholds and reports the closure of the prediction corrected by it (hadal's -closure_sample).
"""
import argparse
import json
import sys

import h5py
import numpy as np


def load_pair(path):
    """The chains of a saved pair (two) or single AE (one) as lists of (W (out, in), relu?) and the input scaling."""
    with h5py.File(path, "r") as f:
        params = f["parameters"][...].astype(np.float32)
        names = [n.decode() for n in f.attrs["tensor_names"]]
        offs = f.attrs["tensor_offsets"]
        shapes = f.attrs["tensor_shapes"].reshape(-1, 4)
        chain = "branch_specs" not in f.attrs  # a single AE: one chain, tensors "layerK.weight"
        specs = [f.attrs["spec"].decode()] if chain else [s.decode() for s in f.attrs["branch_specs"]]
        mean = f["arrays/input_mean"][...].astype(np.float32)
        std = f["arrays/input_std"][...].astype(np.float32)
    chains = []
    for b, spec in enumerate(specs):
        layers = [s.strip() for s in spec.split(",")]
        prefix = "" if chain else ("ae1.", "ae2.")[b]
        ws = []
        for k, layer in enumerate(layers):
            name = "%slayer%d.weight" % (prefix, k)
            t = names.index(name)
            o, i = shapes[t][0], shapes[t][1]
            w = params[offs[t]:offs[t] + o * i].reshape(o, i)
            ws.append((w, " relu" in layer))
        chains.append(ws)
    return chains, mean, std


def scale(x, mean, std, objects):
    """The scaling of hd_dae_load: (x - mean) / std; with objects, absent objects (pT == 0) stay 0."""
    z = (x - mean) / std
    if objects:
        f = x.shape[1]
        absent = x[:, 0:f:3] == 0.0
        mask = np.repeat(absent, 3, axis=1)
        z[mask] = 0.0
    return z.astype(np.float32)


def recon_error(chain, z, chunk=200000):
    out = np.empty(z.shape[0], dtype=np.float64)
    for s in range(0, z.shape[0], chunk):
        h = z[s:s + chunk]
        for w, relu in chain:
            h = h @ w.T
            if relu:
                np.maximum(h, 0.0, out=h)
        out[s:s + chunk] = np.mean((h.astype(np.float64) - z[s:s + chunk]) ** 2, axis=1)
    return out


def disco2(a, b):
    """Squared distance correlation, exact O(n^2) (use on a subsample)."""
    def centred(v):
        d = np.abs(v[:, None] - v[None, :])
        return d - d.mean(0)[None, :] - d.mean(1)[:, None] + d.mean()
    A, B = centred(a), centred(b)
    return (A * B).mean() / np.sqrt((A * A).mean() * (B * B).mean())


def diagonal_cut(r1, r2, eps):
    """Per-axis quantile thresholds with t events above each, the smallest t giving >= eps n in (>,>)."""
    n = r1.size
    s1, s2 = np.sort(r1), np.sort(r2)
    want = eps * n

    def cut(s, t):
        if t <= 0:
            return s[-1]
        return 0.5 * (s[n - t - 1] + s[n - t])
    lo, hi = 0, n
    while lo < hi:
        t = (lo + hi) // 2
        c1, c2 = cut(s1, t), cut(s2, t)
        if np.count_nonzero((r1 > c1) & (r2 > c2)) >= want:
            hi = t
        else:
            lo = t + 1
    return cut(s1, lo), cut(s2, lo)


def topology(x):
    """hadal's -categories topology: 2 min(jets, 4) + (leptons >= 2), objects counted by pT != 0."""
    pt = x[:, 0::3]
    nl, nj = (pt[:, 1:9] != 0).sum(1), (pt[:, 9:19] != 0).sum(1)
    return 2 * np.minimum(nj, 4) + (nl >= 2)


def abcd_predict(a, b, cat):
    """eq. 3 inside each category (cat None: one), summed, and its variance (hd_abcd_count)."""
    if cat is None:
        cat = np.zeros(a.size, dtype=np.int64)
    pred, var = 0.0, 0.0
    for c in np.unique(cat):
        k = cat == c
        gl, lg, ll = [int(np.count_nonzero(m & k)) for m in (a & ~b, ~a & b, ~a & ~b)]
        if gl == 0 or lg == 0:
            continue
        if ll == 0:
            return float("nan"), float("nan")
        p = gl * lg / ll
        pred += p
        var += p * p * (1 / gl + 1 / lg + 1 / ll)
    if pred <= 0:
        return float("nan"), float("nan")
    return pred, var


def closure_at(r1, r2, c1, c2, cat=None):
    """N_obs / N_pred at thresholds (c1, c2) and its error (hd_abcd_count)."""
    a, b = r1 > c1, r2 > c2
    gg, gl, lg, ll = [int(np.count_nonzero(m)) for m in (a & b, a & ~b, ~a & b, ~a & ~b)]
    pred, var = abcd_predict(a, b, cat)
    ratio = gg / pred
    err = ratio * np.sqrt((1 / gg if gg else 0.0) + var / pred ** 2)
    return dict(n_ll=ll, n_gl=gl, n_lg=lg, n_obs=gg, n_pred=pred, n_pred_err=float(np.sqrt(var)), ratio=ratio, ratio_err=err)


def closure(r1, r2, eps, cat=None, calib=None):
    """Closure at the diagonal cut of SM efficiency eps; with calib = (r1, r2, cat) of another SM
    sample, also its non-closure kappa at the same thresholds and the closure of the prediction
    corrected by it (hadal's -closure_sample)."""
    c1, c2 = diagonal_cut(r1, r2, eps)
    row = dict(sm_efficiency=eps, **closure_at(r1, r2, c1, c2, cat))
    row["significance_sm"] = zsig(row["n_obs"], row["n_pred"])
    row["significance_sm_with_error"] = zsig(row["n_obs"], row["n_pred"], row["n_pred_err"])
    if calib is not None:
        k = closure_at(calib[0], calib[1], c1, c2, calib[2])
        pc = k["ratio"] * row["n_pred"]
        pce = pc * np.hypot(row["n_pred_err"] / row["n_pred"], k["ratio_err"] / k["ratio"])
        row.update(kappa=k["ratio"], kappa_err=k["ratio_err"], ratio_corrected=row["ratio"] / k["ratio"],
                   ratio_corrected_err=np.hypot(row["ratio_err"] / k["ratio"], row["ratio"] / k["ratio"] * k["ratio_err"] / k["ratio"]),
                   significance_sm_corrected=zsig(row["n_obs"], pc), significance_sm_corrected_with_error=zsig(row["n_obs"], pc, pce))
    return row


def zsig(n, b, sigma_b=0.0):
    """(N - B) / sqrt(N + sigma_b^2) when N > B, else 0 (seed 002 §III with sigma_b = 0)."""
    return (n - b) / np.sqrt(n + sigma_b ** 2) if n > b else 0.0


def sic_max(score, is_sig, floor=10):
    """Max eps_S / sqrt(eps_B) over cuts score > c leaving at least `floor` background events."""
    order = np.argsort(-score, kind="stable")
    sc, sg = score[order], is_sig[order]
    ks, kb = np.cumsum(sg), np.cumsum(~sg)
    last = np.r_[sc[1:] != sc[:-1], True]  # equal scores are cut together
    ns, nb = ks[-1], kb[-1]
    ok = last & (kb >= floor)
    if ns == 0 or not ok.any():
        return float("nan")
    return float(np.max((ks[ok] / ns) / np.sqrt(kb[ok] / nb)))


def cdf(ref, v):
    s = np.sort(ref)
    return np.searchsorted(s, v, side="right") / s.size


def signal_metrics(r1, r2, rs, lab, effs, cat=None, calib=None):
    """Per signal: SIC maxima and significances (dict keyed by label)."""
    sm = lab == 0
    comb = np.minimum(cdf(r1[sm], r1), cdf(r2[sm], r2))
    cuts = [diagonal_cut(r1[sm], r2[sm], e) for e in effs]
    out = {}
    for k in sorted(set(lab.tolist()) - {0}):
        sel = sm | (lab == k)
        a, b, y = r1[sel], r2[sel], lab[sel] == k
        kc = None if cat is None else cat[sel]
        row = dict(n_signal=int(y.sum()), sic_ae1=sic_max(a, y), sic_ae2=sic_max(b, y),
                   sic_combined=sic_max(comb[sel], y))
        if rs is not None:
            row["sic_single"] = sic_max(rs[sel], y)
        sig = []
        for e, (c1, c2) in zip(effs, cuts):
            g1, g2 = a > c1, b > c2
            n = int(np.count_nonzero(g1 & g2))
            btrue = int(np.count_nonzero(g1 & g2 & ~y))
            bpred = abcd_predict(g1, g2, kc)[0]
            z = lambda bb: (n - bb) / np.sqrt(n) if n > bb else 0.0
            sig.append(dict(sm_efficiency=e, n=n, n_signal=int(np.count_nonzero(g1 & g2 & y)),
                            b_true=btrue, b_pred=bpred, significance_true=z(btrue), significance_pred=z(bpred)))
            if calib is not None:
                kap = closure_at(calib[0], calib[1], c1, c2, calib[2])["ratio"]
                sig[-1].update(kappa=kap, significance_corrected=z(kap * bpred))
        row["significance"] = sig
        out[int(k)] = row
    return out


def categories(x, r1, r2, eps):
    """Closure inside event topologies (jets 0..4+ x one lepton / two or more) at the global
    diagonal cut of SM efficiency eps: the share of each topology, its rates above c1 and c2, and
    N_obs / N_pred computed inside it. ABCD needs independence of R1 and R2 over the whole
    sample; this shows whether it holds inside topologies and how their different tail rates
    combine."""
    cat = topology(x)
    c1, c2 = diagonal_cut(r1, r2, eps)
    a, b = r1 > c1, r2 > c2
    rows = []
    for c in np.unique(cat):
        k = cat == c
        if k.sum() < 1000:
            continue
        gg, gl, lg, ll = [int(np.count_nonzero(m & k)) for m in (a & b, a & ~b, ~a & b, ~a & ~b)]
        pred = gl * lg / ll if ll else float("nan")
        rows.append(dict(jets=int(c // 2), leptons="2+" if c % 2 else "1", share=float(k.mean()),
                         rate1=float(a[k].mean()), rate2=float(b[k].mean()), n_obs=gg, n_pred=pred,
                         ratio=gg / pred if pred else float("nan")))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("events")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--single", nargs="*", default=[])
    ap.add_argument("--effs", default="0.005,0.01,0.02,0.03,0.05")
    ap.add_argument("--scaling", default="objects", choices=["objects", "columns"])
    ap.add_argument("--max-events", type=int, default=0)
    ap.add_argument("--json", default="")
    ap.add_argument("--categories", type=float, default=0.0, help="closure inside event topologies at this SM efficiency")
    ap.add_argument("--closure-only", action="store_true", help="the closure on the SM events only, even when the file holds signals")
    ap.add_argument("--calibrate", default="", help="another SM event file: the non-closure kappa measured on it corrects the prediction (hadal's -closure_sample)")
    ap.add_argument("--abcd", default="none", choices=["none", "topology"], help="ABCD over all events, or summed over topologies (hadal's -categories)")
    a = ap.parse_args()
    effs = [float(v) for v in a.effs.split(",")]
    with h5py.File(a.events, "r") as f:
        n = f["events/features"].shape[0] if not a.max_events else min(a.max_events, f["events/features"].shape[0])
        x = f["events/features"][:n].astype(np.float32)
        lab = f["events/label"][:n].astype(np.int64)
        names = [v.decode() if isinstance(v, bytes) else str(v) for v in f.attrs.get("signals", [])]
    if a.calibrate:
        with h5py.File(a.calibrate, "r") as f:
            xc = f["events/features"][:].astype(np.float32)
            xc = xc[f["events/label"][:] == 0]
    rows = []
    for m, path in enumerate(a.models):
        chains, mean, std = load_pair(path)
        z = scale(x, mean, std, a.scaling == "objects")
        r1, r2 = recon_error(chains[0], z), recon_error(chains[1], z)
        rs = None
        if m < len(a.single):
            spath, _, branch = a.single[m].partition(":")  # PATH:ae2 takes one chain of a pair file
            sch, smean, sstd = load_pair(spath)
            rs = recon_error(sch[1 if branch == "ae2" else 0], scale(x, smean, sstd, a.scaling == "objects"))
        sm = lab == 0
        rng = np.random.default_rng(0)
        sub = rng.choice(np.flatnonzero(sm), size=min(8000, int(sm.sum())), replace=False)
        cat = topology(x) if a.abcd == "topology" else None
        calib = None
        if a.calibrate:
            zc = scale(xc, mean, std, a.scaling == "objects")
            calib = (recon_error(chains[0], zc), recon_error(chains[1], zc), topology(xc) if cat is not None else None)
        row = dict(model=path, n_sm=int(sm.sum()), disco2_sub8000=float(disco2(r1[sub], r2[sub])), abcd=a.abcd,
                   closure=[closure(r1[sm], r2[sm], e, None if cat is None else cat[sm], calib) for e in effs])
        cl = "  ".join("%.3f+-%.3f" % (c["ratio"], c["ratio_err"]) for c in row["closure"])
        print("%s  n_sm=%d  DisCo2(8000)=%.2e  closure %s" % (path, row["n_sm"], row["disco2_sub8000"], cl))
        if calib is not None:
            print("  corrected by %s: kappa %s  closure %s" % (a.calibrate, "  ".join("%.3f+-%.3f" % (c["kappa"], c["kappa_err"]) for c in row["closure"]),
                                                             "  ".join("%.3f+-%.3f" % (c["ratio_corrected"], c["ratio_corrected_err"]) for c in row["closure"])))
            print("  SM only, (N - B) / sqrt(N): B predicted %s; corrected %s; corrected, with its error: %s" % (
                " ".join("%.2f" % c["significance_sm"] for c in row["closure"]), " ".join("%.2f" % c["significance_sm_corrected"] for c in row["closure"]),
                " ".join("%.2f" % c["significance_sm_corrected_with_error"] for c in row["closure"])))
        if a.categories > 0:
            row["categories"] = categories(x[sm], r1[sm], r2[sm], a.categories)
            print("  at SM efficiency %g: jets leptons share  P(R1>c1) P(R2>c2)  N_obs  N_pred  ratio" % a.categories)
            for c in row["categories"]:
                print("  %9s %6s %6.3f  %8.4f %8.4f  %5d %7.1f  %.2f" % (str(c["jets"]) + ("+" if c["jets"] == 4 else ""), c["leptons"], c["share"], c["rate1"], c["rate2"], c["n_obs"], c["n_pred"], c["ratio"]))
        if (lab > 0).any() and not a.closure_only:
            sigs = signal_metrics(r1, r2, rs, lab, effs, cat, calib)
            row["signals"] = {}
            for k, v in sigs.items():
                name = names[k - 1] if k - 1 < len(names) else "signal_%d" % k
                row["signals"][name] = v
                print("  %-10s n=%4d  SIC ae1 %.2f ae2 %.2f diag %.2f single %s | Z_true %s | Z_pred %s%s" % (
                    name, v["n_signal"], v["sic_ae1"], v["sic_ae2"], v["sic_combined"],
                    "%.2f" % v["sic_single"] if "sic_single" in v else "-",
                    " ".join("%.2f" % q["significance_true"] for q in v["significance"]),
                    " ".join("%.2f" % q["significance_pred"] for q in v["significance"]),
                    " | Z_corrected " + " ".join("%.2f" % q["significance_corrected"] for q in v["significance"]) if calib is not None else ""))
        rows.append(row)
        sys.stdout.flush()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
