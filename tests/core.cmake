# Core: RNG known answers, options, error reporting (one-line errors agreed across ranks).
hd_add_unit_test(test_rng ${HADAL_TEST_DIR}/core/test_rng.c)
hd_add_script_test(cli_errors core/cli_errors.sh LABELS badinput)
hd_add_unit_test(test_error_agree ${HADAL_TEST_DIR}/core/test_error_agree.c RANKS 1 3 LABELS core)
hd_add_unit_test(test_moments ${HADAL_TEST_DIR}/core/test_moments.c RANKS 1 3 LABELS core)
