# Decorrelated autoencoders (src/methods/dae.c), the ABCD method (src/stats/abcd.c) and the adc2021
# generator (src/gen/adc2021.c).
hd_add_unit_test(test_abcd ${HADAL_TEST_DIR}/dae/test_abcd.c LABELS "stats;dae")
hd_add_script_test(dae_generate dae/generate.sh LABELS "mpi;dae;generate")
hd_add_script_test(dae_run dae/run.sh LABELS "mpi;dae;methods")
hd_add_script_test(slurm_dae_resume slurm/dae_resume.sh LABELS "slurm;dae")
set_tests_properties(slurm_dae_resume PROPERTIES TIMEOUT 300 PROCESSORS 2)
