# The scaling study (docs/scaling.md): the MPI allreduce benchmark is built next to the hadal
# executable, where tools/scaling.py looks for it. The tests keep the benchmark, the scaling script
# and the job scripts working on tiny sizes; they measure nothing.
add_executable(allreduce_bench ${PROJECT_SOURCE_DIR}/bench/allreduce_bench.c)
target_link_libraries(allreduce_bench PRIVATE hadal_lib)
set_target_properties(allreduce_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})

foreach(np 1 2)
  add_test(NAME bench_allreduce_np${np} COMMAND ${HADAL_MPIEXEC} -n ${np} $<TARGET_FILE:allreduce_bench> -sizes 8,4096,65536 -reps 3)
  set_tests_properties(bench_allreduce_np${np} PROPERTIES LABELS "mpi;bench;scaling" PROCESSORS ${np}
    PASS_REGULAR_EXPRESSION "fit: alpha_us [-0-9.]+ beta_GBps")
endforeach()
hd_add_script_test(scaling_tool scaling/tool.sh ARGS $<TARGET_FILE:allreduce_bench> LABELS "scaling")
set_tests_properties(scaling_tool PROPERTIES TIMEOUT 300 PROCESSORS 2)
hd_add_script_test(slurm_scaling slurm/scaling.sh LABELS "slurm;scaling")
set_tests_properties(slurm_scaling PROPERTIES TIMEOUT 300 PROCESSORS 2)
