# Anomaly Awareness (src/methods/aa.c, src/stats/aa_scan.c).
hd_add_script_test(aa_run aa/aa_run.sh LABELS "mpi;methods;aa")
hd_add_script_test(aa_errors aa/aa_errors.sh LABELS "methods;aa")
# jobs/aa_lambda_scan.sbatch against a private one-node Slurm (skipped without the Slurm binaries)
hd_add_script_test(slurm_aa_lambda_scan slurm/aa_lambda_scan.sh LABELS "slurm;aa")
set_tests_properties(slurm_aa_lambda_scan PROPERTIES TIMEOUT 240 PROCESSORS 2)
# the same job stopped by SIGUSR1, requeued and resumed: the results of an uninterrupted scan
hd_add_script_test(slurm_aa_requeue slurm/aa_requeue.sh LABELS "slurm;aa;resume")
set_tests_properties(slurm_aa_requeue PROPERTIES TIMEOUT 180 PROCESSORS 2)
hd_add_script_test(aa_import_digits aa/import_digits.sh LABELS "io;aa")
hd_add_script_test(aa_tabular aa/aa_tabular.sh LABELS "mpi;generate;aa")
hd_add_script_test(aa_jetimages_options aa/jetimages_options.sh LABELS "generate;aa")
