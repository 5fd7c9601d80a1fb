# Core: RNG known answers, options, error reporting.
hd_add_unit_test(test_rng ${HADAL_TEST_DIR}/core/test_rng.c)
hd_add_script_test(cli_errors core/cli_errors.sh LABELS badinput)
