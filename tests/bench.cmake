# Benchmarks (bench/): the single-thread sgemm peak is built with the project, next to the hadal
# executable, where bench/run_training_bench.sh looks for it. The tests below only keep the bench
# scripts working (output formats, options); they measure nothing and take a few seconds.
add_executable(sgemm_peak ${PROJECT_SOURCE_DIR}/bench/sgemm_peak.c)
target_link_libraries(sgemm_peak PRIVATE hadal_lib)
set_target_properties(sgemm_peak PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})

hd_add_script_test(bench_sgemm_peak bench/sgemm_peak.sh ARGS $<TARGET_FILE:sgemm_peak> LABELS bench)
hd_add_script_test(bench_torch_workloads bench/torch_workloads.sh LABELS bench)
hd_add_script_test(bench_run_training bench/run_training.sh ARGS $<TARGET_FILE:sgemm_peak> LABELS bench)
hd_add_script_test(bench_hadal_workloads bench/hadal_workloads.sh LABELS bench)
