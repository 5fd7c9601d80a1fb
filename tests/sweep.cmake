# hadal sweep: points identical to single runs (ae, cwola; 1 and 2 ranks), sweep.json, table, plot,
# -resume, bad grids.
hd_add_script_test(sweep_grid sweep/sweep.sh LABELS "mpi;sweep")
set_tests_properties(sweep_grid PROPERTIES TIMEOUT 300)
hd_add_script_test(sweep_pseudo sweep/pseudo.sh LABELS "mpi;sweep;cwola")
set_tests_properties(sweep_pseudo PROPERTIES TIMEOUT 300)
