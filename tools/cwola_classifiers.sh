#!/usr/bin/env bash
# The network ensemble against the boosted-decision-tree ensemble (docs/methods/cwola.md, "Boosted
# decision trees"): the quick scan (inputs/cwola_lhco.opts) with -classifier nn and -classifier bdt,
# on the default features and with 10 features of pure noise added (-noise_features 10), on lhco
# data (3.5 TeV W' at the generator's default fraction) of each seed given. Per run: the window
# centred nearest the W' and its best significance after selection, its significance before, the
# AUC of the ensemble score for signal against background in its SR (truth labels), the fraction
# of its SR signal that the 1 % selection keeps, the SR-vs-SB AUC of the background events alone,
# the largest |SR-vs-SB AUC - 0.5| over all windows' background, and the wall time per classifier
# (rank-seconds of the whole run over the classifiers trained).
#
#   tools/cwola_classifiers.sh [seed...]     (default: 1 2)
#
# Run from the repository root. Environment: HADAL (default build/hadal), OUT (default
# out/cwola_classifiers), RANKS (default 2), NICE (default 5), EVENTS (default 200000), PYTHON
# (default /usr/bin/python3). A run whose summary.json exists is not run again. The table goes to
# stdout and to $OUT/table.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
hadal=${HADAL:-build/hadal}
out=${OUT:-out/cwola_classifiers}
ranks=${RANKS:-2}
nice_level=${NICE:-5}
events=${EVENTS:-200000}
python=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
[ -x "$hadal" ] || { echo "cwola_classifiers: '$hadal' is not built (set HADAL)"; exit 1; }
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2)

runs=()
for s in "${seeds[@]}"; do
  dir=$out/seed$s
  mkdir -p "$dir"
  if [ ! -s "$dir/data.h5" ]; then
    echo "\$ mpiexec -n $ranks $hadal generate lhco -o $dir/data.h5 -n $events -seed $s"
    nice -n "$nice_level" mpiexec -n "$ranks" "$hadal" generate lhco -o "$dir/data.h5" -n "$events" -seed "$s" > "$dir/generate.log" 2>&1 || { cat "$dir/generate.log"; exit 1; }
  fi
  for cl in nn bdt; do
    for k in 0 10; do
      name=${cl}_noise$k
      if [ ! -s "$dir/$name/summary.json" ]; then
        echo "\$ mpiexec -n $ranks $hadal run -options_file inputs/cwola_lhco.opts -data $dir/data.h5 -out $dir/$name -classifier $cl -noise_features $k"
        nice -n "$nice_level" mpiexec -n "$ranks" "$hadal" run -options_file inputs/cwola_lhco.opts -data "$dir/data.h5" -out "$dir/$name" -classifier "$cl" -noise_features "$k" > "$dir/$name.log" 2>&1 || { cat "$dir/$name.log"; exit 1; }
        sed -n '/window   SR/,$p' "$dir/$name.log"
      fi
      runs+=("seed$s/$name")
    done
  done
done

"$python" - "$out" "${runs[@]}" <<'PY' | tee "$out/table.md"
import json, math, sys
import h5py, numpy as np
from sklearn.metrics import roc_auc_score

out, runs = sys.argv[1], sys.argv[2:]
mass_w = 3500.0
print("| data | classifier | noise features | window centred nearest the W' | Z before | Z after (eps) | AUC S vs B in SR | signal kept at eps 0.01 | SR-vs-SB AUC, background, that window | max abs(SR-vs-SB AUC - 0.5), background, all windows | best window of the scan (Z) | s per classifier |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in runs:
    seed, name = r.split("/")
    cl, k = name.split("_noise")
    s = json.load(open("%s/%s/summary.json" % (out, r)))
    d = h5py.File("%s/%s/data.h5" % (out, seed))
    mass, label = d["events/mass"][:], d["events/label"][:]
    res = h5py.File("%s/%s/results.h5" % (out, r))
    aucs = []
    for w in s["windows"]:
        sc = res["scores/cwola/window_%03d" % w["index"]][:]
        inw = ~np.isnan(sc) & (label == 0)
        sr = (mass >= w["sr_lo"]) & (mass < w["sr_hi"])
        aucs.append(roc_auc_score(sr[inw], sc[inw]))
    # the window whose SR is centred nearest the W' (fixed beforehand, not the best of several)
    w = min(s["windows"], key=lambda w: abs(0.5 * (w["sr_lo"] + w["sr_hi"]) - mass_w))
    b = s["windows"][s["best_window"]]
    per = s["wall_s"] * s["ranks"] / s["models_trained"]
    z = lambda v: "n/a" if v is None else "%+.2f" % v
    e01 = w["signal_efficiency"][s["eps"].index(0.01)] if 0.01 in s["eps"] else float("nan")
    print("| %s | %s | %s | [%.0f, %.0f) | %s | %s (%g) | %.3f | %.2f | %.3f | %.3f | [%.0f, %.0f) (%s) | %.3f |" % (
        seed, cl, k, w["sr_lo"], w["sr_hi"], z(w["significance_before"]), z(w["best_significance"]), w["best_eps"],
        w["auc"], e01, aucs[w["index"]], max(abs(a - 0.5) for a in aucs), b["sr_lo"], b["sr_hi"], z(b["best_significance"]), per))
PY
