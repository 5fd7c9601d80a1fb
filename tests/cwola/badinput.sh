# CWoLa bad input: one clear error line naming what is at fault, a non-zero exit.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
"$PYTHON" - <<'PY' || { fail "cannot make the test files"; finish; }
import h5py, numpy as np
rng = np.random.default_rng(2)
def table(name, mass=None, with_mass=True, n=4000):
    with h5py.File(name, "w") as f:
        g = f.create_group("events")
        g["features"] = rng.normal(size=(n, 3)).astype(np.float32)
        g["label"] = np.zeros(n, np.int32)
        if with_mass:
            g["mass"] = (mass if mass is not None else rng.uniform(3000, 5000, n)).astype(np.float32)
table("good.h5")
table("nomass.h5", with_mass=False)
# a gap in [3400, 3700): an empty signal region; gaps on both sides of it: empty sidebands
u = rng.uniform(size=4000)
table("gap.h5", mass=np.where(u < 0.5, rng.uniform(3000, 3400, 4000), rng.uniform(3700, 4200, 4000)))
table("nosb.h5", mass=np.where(u < 0.3, rng.uniform(3000, 3100, 4000), np.where(u < 0.6, rng.uniform(3400, 3700, 4000), rng.uniform(4000, 4500, 4000))))
PY
lin="-method cwola -window_scale linear -sr_min 3400 -sr_width 300 -sr_max 3700 -sb_width 300 -out o"
expect_error "window outside the mass range" "window 0 .* reaches outside the data's mass range" "$HADAL" run -method cwola -data good.h5 -out o -sr_min 2000
expect_error "empty SR" "window 0: the signal region \[3400, 3700\) GeV holds no events" "$HADAL" run $lin -data gap.h5
expect_error "empty SB" "window 0: the sidebands .* hold no events" "$HADAL" run $lin -data nosb.h5 -sb_width 300
expect_error "no /events/mass" "nomass.h5' has no /events/mass" $MPIEXEC -n 2 "$HADAL" run -method cwola -data nomass.h5 -out o
expect_error "ensemble size 0" "option -ensemble_size must lie in \[1, 10000\]" "$HADAL" run -method cwola -data good.h5 -out o -ensemble_size 0
expect_error "shard size 0" "-min_shard must be at least 1" $MPIEXEC -n 2 "$HADAL" run $lin -data good.h5 -min_shard 0
expect_error "too many shards" "-max_shards must lie in \[1, 4096\]" "$HADAL" run $lin -data good.h5 -max_shards 5000
expect_error "eps outside (0, 1]" "option -eps: 1.5 is outside \(0, 1\]" "$HADAL" run -method cwola -data good.h5 -out o -eps 1,1.5
expect_error "eps zero" "option -eps: 0 is outside \(0, 1\]" "$HADAL" run -method cwola -data good.h5 -out o -eps 0
expect_error "window index" "option -window 99: the scan has windows 0 to" "$HADAL" run -method cwola -data good.h5 -out o -window 99
expect_error "class weights" "option -sb_weights: 'even' is neither split nor pooled" "$HADAL" run -method cwola -data good.h5 -out o -sb_weights even
expect_error "background fit" "option -bkg_fit: 'window' is neither spectrum nor sidebands" "$HADAL" run -method cwola -data good.h5 -out o -bkg_fit window
expect_error "background error" "option -bkg_error: 'gauss' is neither lognormal nor poisson" "$HADAL" run -method cwola -data good.h5 -out o -bkg_error gauss
expect_error "model selection" "option -model_selection: 'best' is neither ensemble nor tail" "$HADAL" run -method cwola -data good.h5 -out o -model_selection best
expect_error "negative gap" "option -fit_gap must be >= 0" "$HADAL" run -method cwola -data good.h5 -out o -fit_gap -1
expect_error "gap over the fit range" "option -fit_gap 300.*: window 0 .* leaves no bins to fit" "$HADAL" run $lin -data good.h5 -fit_gap 300
expect_error "fit range below the data" "option -fit_lo: the fit range starts at 2000 GeV, below the data's lowest mass" "$HADAL" run $lin -data good.h5 -fit_lo 2000
expect_error "SR outside the fit range" "window 0: its SR \[3400, 3700\) GeV reaches outside the fit range \[3100, 3600\)" "$HADAL" run $lin -data good.h5 -fit_hi 3600
expect_error "merge without parts" "cannot merge: 'none/windows/window_000.h5' does not exist" "$HADAL" merge -out none
[ ! -e o/summary.json ] && pass "no summary left by failed runs" || fail "a failed run wrote o/summary.json"
finish
