#!/usr/bin/python3
"""Spurious-signal data for the CWoLa bump hunt: a background-only event file whose mass spectrum
lies outside the dijet family that the bump hunt fits.

    /usr/bin/python3 tools/cwola_reshape.py IN.h5 OUT.h5 [--k 1.5] [--m0 3000] [--seed 1]

Keeps each event of IN.h5 (an event file of docs/formats.md: /events/features, /events/mass,
/events/label) with probability g(m) / max g, g(m) = exp(-k (ln(m / m0))^3): a cubic in ln m in the
exponent, which none of the dijet function's terms (ln(1 - x), ln x, (ln x)^2) can follow over a
wide range. The features of a kept event stay with its mass, so the relation between the jets and
mjj (and with it what the classifier may learn) is that of the input; only the spectrum changes.
The file's attributes are copied (n_events updated, reshape_k and reshape_m0 added).
"""
import argparse

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--k", type=float, default=1.5, help="strength of the cubic term")
    ap.add_argument("--m0", type=float, default=3000.0, help="GeV where the reshaping is 1")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    with h5py.File(a.input, "r") as f:
        ev = f["events"]
        m = ev["mass"][:]
        lg = -a.k * np.log(m / a.m0) ** 3
        keep = np.random.default_rng(a.seed).random(len(m)) < np.exp(lg - lg.max())
        with h5py.File(a.output, "w") as g:
            for k, v in f.attrs.items():
                g.attrs[k] = v
            g.attrs["n_events"] = int(keep.sum())
            g.attrs["reshape_k"] = a.k
            g.attrs["reshape_m0"] = a.m0
            out = g.create_group("events")
            for name, d in ev.items():
                o = out.create_dataset(name, data=d[:][keep])
                for k, v in d.attrs.items():
                    o.attrs[k] = v
    print(f"{a.output}: {int(keep.sum())} of {len(m)} events kept, g(m) = exp(-{a.k} ln(m / {a.m0})^3)")


if __name__ == "__main__":
    main()
