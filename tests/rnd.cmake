# Rare and Different (seed 003): the darkmachines generator and importer, the svdd, flow and rnd
# methods and the Dark Machines metrics (src/methods/rnd.c, svdd.c, flow.c, src/stats/correlation.c).
hd_add_script_test(rnd_generate rnd/generate.sh LABELS "mpi;generate;rnd")
hd_add_script_test(rnd_end_to_end rnd/end_to_end.sh LABELS "mpi;methods;rnd")
hd_add_script_test(rnd_flow_density rnd/flow_density.sh LABELS "methods;rnd")
hd_add_script_test(rnd_flow_robust rnd/flow_robust.sh LABELS "methods;rnd")
hd_add_script_test(rnd_import rnd/import.sh LABELS "mpi;io;rnd")
hd_add_script_test(rnd_bad_input rnd/bad_input.sh LABELS "methods;rnd")
hd_add_script_test(slurm_rnd_requeue slurm/rnd_requeue.sh LABELS "slurm;rnd")
set_tests_properties(slurm_rnd_requeue PROPERTIES TIMEOUT 300 PROCESSORS 2)
