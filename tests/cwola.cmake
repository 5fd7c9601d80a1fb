# CWoLa hunting: finds an injected resonance, identical at 1 and 2 ranks and through -window +
# hadal merge; no false bumps on background alone; bad input; the acceptance scripts of tools/.
hd_add_script_test(cwola_scan cwola/scan.sh LABELS "mpi;cwola")
hd_add_script_test(cwola_background cwola/background.sh LABELS "mpi;cwola")
hd_add_script_test(cwola_badinput cwola/badinput.sh LABELS "badinput;cwola")
set_tests_properties(cwola_scan cwola_background PROPERTIES TIMEOUT 600)
hd_add_script_test(cwola_tools cwola/tools.sh LABELS "mpi;cwola")
set_tests_properties(cwola_tools PROPERTIES TIMEOUT 600)
# -classifier bdt and -noise_features: finds the W', identical run to run, at 1 and 2 ranks, over
# emulated nodes and with a group of 2; bad tree options.
hd_add_script_test(cwola_bdt cwola/bdt.sh LABELS "mpi;cwola")
set_tests_properties(cwola_bdt PROPERTIES TIMEOUT 300)
# the window pieces on hand-made events: class weights, fit bins and gap, SIC floor, tail efficiency
hd_add_unit_test(test_cwola_parts ${HADAL_TEST_DIR}/cwola/test_cwola_parts.c LABELS cwola)
