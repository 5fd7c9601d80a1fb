# Slurm: the jobs/ scripts against a real one-node Slurm that each test starts in its scratch folder
# (tools/slurm_local.sh) and stops at the end. Skipped (77) when the Slurm binaries are absent.
hd_add_script_test(slurm_local slurm/local.sh LABELS slurm)
hd_add_script_test(slurm_generate slurm/generate.sh LABELS slurm)
hd_add_script_test(slurm_ae_ensemble slurm/ae_ensemble.sh LABELS slurm)
hd_add_script_test(slurm_ae_requeue slurm/ae_requeue.sh LABELS slurm)
hd_add_script_test(slurm_ae_array slurm/ae_array.sh LABELS slurm)
hd_add_script_test(slurm_sweep_requeue slurm/sweep_requeue.sh LABELS slurm)
# each job uses both CPUs of the private node; the tests wait on the scheduler, hence the margin
set_tests_properties(slurm_local slurm_generate slurm_ae_ensemble slurm_ae_requeue slurm_ae_array slurm_sweep_requeue PROPERTIES
  TIMEOUT 240 PROCESSORS 2)
