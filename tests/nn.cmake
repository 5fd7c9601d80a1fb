# Neural-network layer (src/nn, src/io/model.c): finite-difference gradient checks, networks and
# initialisation, optimisers and schedules, model files, and the comparison with PyTorch.
hd_add_unit_test(test_nn_gradcheck ${HADAL_TEST_DIR}/nn/test_nn_gradcheck.c LABELS nn)
hd_add_unit_test(test_nn_network ${HADAL_TEST_DIR}/nn/test_nn_network.c LABELS nn)
hd_add_unit_test(test_nn_graph ${HADAL_TEST_DIR}/nn/test_nn_graph.c LABELS nn
                 ARGS ${CMAKE_CURRENT_BINARY_DIR}/scratch/test_nn_graph)
hd_add_unit_test(test_nn_optim ${HADAL_TEST_DIR}/nn/test_nn_optim.c LABELS nn)
hd_add_unit_test(test_nn_flowops ${HADAL_TEST_DIR}/nn/test_nn_flowops.c LABELS nn)
hd_add_unit_test(test_nn_model ${HADAL_TEST_DIR}/nn/test_nn_model.c LABELS nn
                 ARGS ${CMAKE_CURRENT_BINARY_DIR}/scratch/test_nn_model)

# The driver is a helper of the script test, not a test of its own.
add_executable(nn_torch_driver ${HADAL_TEST_DIR}/nn/nn_torch_driver.c)
target_link_libraries(nn_torch_driver PRIVATE hadal_lib)
hd_add_script_test(nn_torch_compare nn/nn_torch_compare.sh ARGS $<TARGET_FILE:nn_torch_driver> LABELS nn)
set_tests_properties(nn_torch_compare PROPERTIES SKIP_RETURN_CODE 77)
# DisCo^2 against PyTorch; the script never exits 77, so a missing torch is a failure, not a skip.
add_executable(nn_disco_driver ${HADAL_TEST_DIR}/nn/nn_disco_driver.c)
target_link_libraries(nn_disco_driver PRIVATE hadal_lib)
hd_add_script_test(nn_disco_compare nn/nn_disco_compare.sh ARGS $<TARGET_FILE:nn_disco_driver> LABELS nn)

# One BLAS thread, as in production (DESIGN.md section 2), and no contention on shared machines.
foreach(t test_nn_gradcheck test_nn_flowops test_nn_network test_nn_optim test_nn_model nn_torch_compare nn_disco_compare)
  set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT OPENBLAS_NUM_THREADS=1)
endforeach()
