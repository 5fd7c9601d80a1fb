# Anomaly Awareness (src/methods/aa.c, src/stats/aa_scan.c).
hd_add_script_test(aa_run aa/aa_run.sh LABELS "mpi;methods;aa")
hd_add_script_test(aa_errors aa/aa_errors.sh LABELS "methods;aa")
