# The flow learns a known density (seed 003's flow on a 2-D problem): the mean log-likelihood of
# held-out points within 0.05 nats of the true density's for a Gaussian mixture and 0.1 for two
# moons at this test's small size (docs/methods/flow.md has the full-size numbers), and the learned
# density, evaluated on a grid, integrates to 1.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy scipy
opts="-method flow -flow_columns '' -train_fraction 0.5 -flow_layers 4 -made_hidden 2x64 -knots 16 -tail_bound 4 -epochs 30 -batch_size 256 -seed 1"
"$PYTHON" "$HADAL_SRC/tests/rnd/make_density.py" mix.h5 mixture 20000 100 1 || fail "mixture data"
eval "\"$HADAL\" run $opts -data mix.h5 -out mix" > mix.log 2>&1 || { fail "mixture run"; cat mix.log; }
"$PYTHON" "$HADAL_SRC/tests/rnd/check_density.py" mix.h5 mix 0.05 0.97 1.01 && pass "mixture" || fail "mixture density"
"$PYTHON" "$HADAL_SRC/tests/rnd/make_density.py" moons.h5 moons 20000 100 2 || fail "moons data"
eval "\"$HADAL\" run $opts -data moons.h5 -out moons" > moons.log 2>&1 || { fail "moons run"; cat moons.log; }
"$PYTHON" "$HADAL_SRC/tests/rnd/check_density.py" moons.h5 moons 0.1 0.97 1.01 && pass "two moons" || fail "two moons density"
finish
