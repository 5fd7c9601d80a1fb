# Data-parallel machinery (src/par): groups, member dealing, shards, the exact gradient sum.
# At 4 ranks the programs also run on sub-communicators of 1, 2 and 3 ranks and compare bit for bit.
hd_add_unit_test(test_par_reduce ${HADAL_TEST_DIR}/par/test_par_reduce.c RANKS 1 2 3 4 LABELS par)
# The benchmark of docs/parallel.md, on a small buffer: it must run and its sums must succeed.
hd_add_unit_test(par_bench_reduce ${HADAL_TEST_DIR}/par/bench_reduce.c RANKS 1 2 ARGS -n_params 20000 -shards 4,16 -reps 3 LABELS par)
hd_add_unit_test(test_par_groups ${HADAL_TEST_DIR}/par/test_par_groups.c RANKS 1 2 3 4 LABELS par)
# The ensemble driver (src/par/ensemble.c): members, exact sums, per-event columns, interruption.
hd_add_unit_test(test_ensemble ${HADAL_TEST_DIR}/par/test_ensemble.c RANKS 1 2 3 4 LABELS par)
# Stored members (store_dir, resume: stopped twice, resumed, bit for bit) and hd_ensemble_run_many.
hd_add_unit_test(test_ensemble_store ${HADAL_TEST_DIR}/par/test_ensemble_store.c RANKS 1 2 3 4 LABELS par)
# Members of unequal length: no group waits for another before the end (no exchange per round).
hd_add_unit_test(test_ensemble_wait ${HADAL_TEST_DIR}/par/test_ensemble_wait.c RANKS 1 2 4 LABELS par)
