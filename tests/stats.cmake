# Statistics of scores (src/stats): quantile scaling.
hd_add_unit_test(test_quantile ${HADAL_TEST_DIR}/stats/test_quantile.c LABELS stats)
