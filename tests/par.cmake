# Data-parallel machinery (src/par): groups, member dealing, shards, the exact gradient sum.
hd_add_unit_test(par_bench_reduce ${HADAL_TEST_DIR}/par/bench_reduce.c RANKS 1 2 ARGS -n_params 20000 -shards 4,16 -reps 3)
