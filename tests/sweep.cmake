# hadal sweep: points identical to single runs (ae, cwola; 1 and 2 ranks), sweep.json, table, plot,
# -resume, bad grids.
hd_add_script_test(sweep_grid sweep/sweep.sh LABELS "mpi;sweep")
set_tests_properties(sweep_grid PROPERTIES TIMEOUT 300)
hd_add_script_test(sweep_pseudo sweep/pseudo.sh LABELS "mpi;sweep;cwola")
set_tests_properties(sweep_pseudo PROPERTIES TIMEOUT 300)
# the runner itself (src/methods/runs.c) with a test method: own databases, pushed in members too
hd_add_unit_test(test_runs ${HADAL_TEST_DIR}/sweep/test_runs.c RANKS 1 2 ARGS -keep 1 -fresh 2 -dropme 3 LABELS sweep)
