# The training engine end to end through the autoencoder: bit-identical results at 1, 2, 3 and 4
# ranks and every group size; checkpoint on a signal and resume to the uninterrupted result.
hd_add_script_test(ae_reproducible train/ae_reproducible.sh LABELS mpi)
hd_add_script_test(ae_resume train/ae_resume.sh LABELS mpi)
set_tests_properties(ae_reproducible ae_resume PROPERTIES TIMEOUT 300)
