# Statistics of scores (src/stats): quantile scaling, the AUC.
hd_add_unit_test(test_quantile ${HADAL_TEST_DIR}/stats/test_quantile.c LABELS stats)
# The AUC on known scores, and its spread without discrimination (the null sigma) by Monte Carlo.
hd_add_unit_test(test_auc ${HADAL_TEST_DIR}/stats/test_auc.c LABELS stats)
# Eigenvalues of correlation matrices with ScaLAPACK against LAPACK at 1, 2 and 4 ranks.
hd_add_unit_test(test_correlation ${HADAL_TEST_DIR}/stats/test_correlation.c RANKS 1 2 4 LABELS stats)
