# CWoLa in e+e- radiative return (seed 004): the ee_isr generator (byte-identical at 1-3 ranks,
# physics), the PFN scan finding the (700, 100) GeV signal identically at 1, 2 and 3 ranks, the
# semi-supervised and dense modes, bad input.
hd_add_script_test(cwola_ee_generate cwola_ee/generate.sh LABELS "mpi;cwola_ee")
hd_add_script_test(cwola_ee_scan cwola_ee/scan.sh LABELS "mpi;cwola_ee")
hd_add_script_test(cwola_ee_badinput cwola_ee/badinput.sh LABELS "badinput;cwola_ee")
set_tests_properties(cwola_ee_scan PROPERTIES TIMEOUT 300)
# jobs/cwola_ee_contamination.sbatch against a private one-node Slurm (skipped without Slurm)
hd_add_script_test(slurm_cwola_ee_contamination slurm/cwola_ee_contamination.sh LABELS "slurm;cwola_ee")
set_tests_properties(slurm_cwola_ee_contamination PROPERTIES TIMEOUT 400 PROCESSORS 2)
# the same job stopped by SIGUSR1, requeued and resumed: the results of an uninterrupted scan
hd_add_script_test(slurm_cwola_ee_requeue slurm/cwola_ee_requeue.sh LABELS "slurm;cwola_ee;resume")
set_tests_properties(slurm_cwola_ee_requeue PROPERTIES TIMEOUT 180 PROCESSORS 2)
