# Slurm: the CWoLa hunting jobs (jobs/cwola_scan.sbatch, jobs/cwola_array.sbatch) against a private
# one-node Slurm (tools/slurm_local.sh, through tests/slurm/common.sh). Skipped (77) when the Slurm
# binaries are absent.
hd_add_script_test(slurm_cwola_scan slurm/cwola_scan.sh LABELS "slurm;cwola")
hd_add_script_test(slurm_cwola_array slurm/cwola_array.sh LABELS "slurm;cwola")
# jobs/cwola_scan.sbatch stopped by SIGUSR1, requeued and resumed: results of an uninterrupted scan.
hd_add_script_test(slurm_cwola_requeue slurm/cwola_requeue.sh LABELS "slurm;cwola;resume")
# the jobs use both CPUs of the private node; the tests wait on the scheduler, hence the margin
set_tests_properties(slurm_cwola_scan slurm_cwola_array slurm_cwola_requeue PROPERTIES TIMEOUT 240 PROCESSORS 2)
