# Bump hunt (src/stats/bumphunt.c): fit of the dijet function outside a signal region, local
# significance. Deterministic checks and bad input; toy ensembles (pulls, significance under the
# background-only hypothesis, an injected bump); the same fit against scipy.
hd_add_unit_test(test_bumphunt ${HADAL_TEST_DIR}/bumphunt/test_bumphunt.c LABELS bumphunt)
hd_add_unit_test(test_bumphunt_toys ${HADAL_TEST_DIR}/bumphunt/test_bumphunt_toys.c LABELS bumphunt)
hd_add_script_test(bumphunt_scipy bumphunt/scipy_check.sh ARGS $<TARGET_FILE:test_bumphunt> LABELS bumphunt)
# the gap around the SR and the signal-plus-background cross-check
hd_add_unit_test(test_bumphunt_gap ${HADAL_TEST_DIR}/bumphunt/test_bumphunt_gap.c LABELS bumphunt)
