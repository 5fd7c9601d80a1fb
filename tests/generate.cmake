# Generators: physics of the per-event functions, byte-identical files at 1-4 ranks, bad input.
hd_add_unit_test(test_generate_physics ${HADAL_TEST_DIR}/generate/test_generate_physics.c)
hd_add_script_test(generate_repro generate/repro.sh LABELS mpi)
hd_add_script_test(generate_badinput generate/badinput.sh LABELS badinput)
hd_add_script_test(generate_bench_smoke generate/bench_smoke.sh LABELS bench)
hd_add_script_test(import_lhco generate/import_lhco.sh LABELS "mpi;import;io;badinput")
