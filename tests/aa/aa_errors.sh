# Bad input to -method aa: one clear error line each, nothing written; a file without anomalies runs.
. "$HADAL_SRC/tests/lib.sh"
"$HADAL" generate jetimages -o ji.h5 -n 300 -seed 2 -classes qcd,top,w -class_fractions 0.4,0.4,0.2 -image_size 16 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
a="run -method aa -data ji.h5 -out out -prior_epochs 1 -epochs 1"
expect_error "class named twice" "class 'top' is named twice" "$HADAL" $a -normal_classes qcd,top -aware_classes top
expect_error "class absent" "class 'r4' is not in 'ji.h5' \(its classes: qcd, top, w\)" "$HADAL" $a -aware_classes r4
expect_error "one normal class" "at least two normal classes" "$HADAL" $a -normal_classes qcd
expect_error "negative lambda" "lambda_aa.*>= 0 \(got -0.5\)" "$HADAL" $a -lambda_aa 0.5,-0.5
expect_error "delta outside (0, 1)" "window_deltas.*\(0, 1\) \(got 1.2\)" "$HADAL" $a -window_deltas 0.1,1.2
expect_error "central delta 0" "central_delta.*\(got 0" "$HADAL" $a -central_delta 0
expect_error "bad cross-section" "cross_sections.*'top'" "$HADAL" $a -cross_sections qcd:5,top:-1
no_outputs out/results.h5 out/summary.json
# a file of normal classes only (no anomaly to scan) is no error: R_max and sigma_min are null
"$HADAL" run -method aa -data ji.h5 -out only -normal_classes qcd,top,w -aware_classes "" -prior_epochs 1 -epochs 1 > only.log 2>&1 && grep -q '"target_class": "none"' only/summary.json && pass "normal classes only" || { fail "normal classes only"; tail -5 only.log; }
finish
