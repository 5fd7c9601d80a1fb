# The training engine end to end through the autoencoder: bit-identical results at 1, 2, 3 and 4
# ranks and every group size; checkpoint on a signal and resume to the uninterrupted result.
hd_add_script_test(ae_reproducible train/ae_reproducible.sh LABELS mpi)
hd_add_script_test(ae_resume train/ae_resume.sh LABELS mpi)
set_tests_properties(ae_reproducible ae_resume PROPERTIES TIMEOUT 300)
# Every objective (separable losses, Anomaly Awareness's weighted soft targets, a coupled
# DisCo objective, the flow and the DisCo autoencoders) bit-identical at 1-4 ranks and any group
# size; the gradient of a global batch against finite differences.
add_executable(test_objectives ${HADAL_TEST_DIR}/train/test_objectives.c)
target_link_libraries(test_objectives PRIVATE hadal_lib)
target_include_directories(test_objectives PRIVATE ${HADAL_TEST_DIR})
hd_add_script_test(objectives_repro train/objectives_repro.sh ARGS $<TARGET_FILE:test_objectives> LABELS mpi)
set_tests_properties(objectives_repro PROPERTIES TIMEOUT 300)
# Training stopped by a signal at chosen moments (mid-epoch, an epoch's last step, the epoch that
# stops early; the signal on one rank of the group), resumed at another rank count: the same
# parameters, losses and stopping epoch as an uninterrupted run, with early stopping and
# learning-rate reductions after the stop.
add_executable(test_train_resume ${HADAL_TEST_DIR}/train/test_train_resume.c)
target_link_libraries(test_train_resume PRIVATE hadal_lib)
target_include_directories(test_train_resume PRIVATE ${HADAL_TEST_DIR})
hd_add_script_test(train_resume_moments train/resume_moments.sh ARGS $<TARGET_FILE:test_train_resume> LABELS "mpi;resume")
set_tests_properties(train_resume_moments PROPERTIES TIMEOUT 300)
