# Boosted decision trees through XGBoost (src/ml/bdt.c): deterministic, the validation loss that
# stops them, a toy weakly supervised signal found, bad options and XGBoost failures named.
hd_add_unit_test(test_bdt ${HADAL_TEST_DIR}/ml/test_bdt.c LABELS ml)
