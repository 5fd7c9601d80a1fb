# Hardening: full disks, odd files, stray options and concurrent runs end with one error line and
# leave nothing behind, whatever the method.
hd_add_script_test(hard_full_disk hardening/full_disk.sh LABELS mpi)
set_tests_properties(hard_full_disk PROPERTIES TIMEOUT 900)
hd_add_script_test(hard_options hardening/options.sh LABELS mpi)
hd_add_script_test(hard_bad_files hardening/bad_files.sh LABELS mpi)
hd_add_script_test(hard_resume hardening/resume.sh LABELS mpi)
hd_add_script_test(hard_stale hardening/stale.sh LABELS mpi)
hd_add_unit_test(test_hard_data_identity ${HADAL_TEST_DIR}/hardening/test_data_identity.c RANKS 1 2)
hd_add_unit_test(test_hard_out_lock ${HADAL_TEST_DIR}/hardening/test_out_lock.c)
