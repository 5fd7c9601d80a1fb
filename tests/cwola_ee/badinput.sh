# cwola_ee bad input: one clear error line naming what is at fault, a non-zero exit.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$HADAL" generate ee_isr -o good.h5 -n 3000 -seed 1 -signal_fraction 0.05 -mhat_min 600 -mhat_max 800 > /dev/null 2>&1 || fail "generate"
"$HADAL" generate ee_isr -o low.h5 -n 500 -seed 2 -signal_fraction 0 -mhat_min 300 -mhat_max 500 > /dev/null 2>&1 || fail "generate low"
"$PYTHON" - <<'PY' || { fail "cannot make the test files"; finish; }
import h5py, numpy as np
with h5py.File("good.h5", "r") as f:
    e = {k: f["events"][k][...] for k in f["events"]}
    names = f["events/features"].attrs["names"]
def write(name, drop=(), **over):
    with h5py.File(name, "w") as f:
        g = f.create_group("events")
        for k, v in e.items():
            if k in drop: continue
            g[k] = over.get(k, v)
        if "features" in g and "features" not in over: g["features"].attrs["names"] = names
write("nosetsize.h5", drop=("set_size",))
n = e["set_size"].copy(); n[17] = 16
write("bigset.h5", set_size=n)
write("narrow.h5", sets=e["sets"][:, :, :8])
with h5py.File("otherfeat.h5", "w") as f:
    g = f.create_group("events")
    for k in ("mass", "label", "sets", "set_size"): g[k] = e[k]
    g["features"] = e["features"][:, :14]
    g["features"].attrs["names"] = names[:14]
PY
run=(-method cwola_ee -contamination 0 -ensemble_size 1 -epochs 1 -out o)
expect_error "sets without set_size" "nosetsize.h5' has no /events/set_size" "$HADAL" run "${run[@]}" -data nosetsize.h5
expect_error "set_size above the set dimension" "bigset.h5': event 17 has set_size 16 outside \[0, 15\]" $MPIEXEC -n 2 "$HADAL" run "${run[@]}" -data bigset.h5
ln -sf good.h5 alias.h5
expect_error "reference that is the data file" "option -reference: 'good.h5' is the -data file 'good.h5' itself" "$HADAL" run "${run[@]}" -data good.h5 -reference good.h5
expect_error "reference that is the data file by another name, 2 ranks" "option -reference: 'alias.h5' is the -data file 'good.h5' itself" $MPIEXEC -n 2 "$HADAL" run "${run[@]}" -data good.h5 -reference alias.h5
expect_error "reference with other set columns" "-reference 'narrow.h5' has sets of 15 x 8 but -data has 15 x 10" "$HADAL" run "${run[@]}" -data good.h5 -reference narrow.h5
expect_error "reference with other features" "-reference 'otherfeat.h5' has 14 features but -data has 15" "$HADAL" run "${run[@]}" -data good.h5 -reference otherfeat.h5 -inputs features
expect_error "no reference events in the window" "-reference 'low.h5' has no background events in the signal region \[675, 725\)" "$HADAL" run "${run[@]}" -data good.h5 -reference low.h5
expect_error "bad contamination" "option -contamination: 'x' is neither a number" "$HADAL" run "${run[@]}" -data good.h5 -contamination 0,x
expect_error "too much injection" "option -contamination: 50 sigma needs" "$HADAL" run "${run[@]}" -data good.h5 -contamination 50
expect_error "bad inputs" "option -inputs: 'jets' is neither sets nor features" "$HADAL" run "${run[@]}" -data good.h5 -inputs jets
expect_error "empty SR" "no background \(label 0\) training events in the signal region" "$HADAL" run "${run[@]}" -data low.h5
expect_error "generator: bad mass variable" "-mass_variable 'reco' is none of truth, photon, hadron" "$HADAL" generate ee_isr -o x.h5 -n 10 -mass_variable reco
expect_error "generator: signal mass" "-signal_mx 995 GeV must lie" "$HADAL" generate ee_isr -o x.h5 -n 10 -signal_mx 995
[ ! -e o/summary.json ] && pass "no summary left by failed runs" || fail "a failed run wrote o/summary.json"
finish
