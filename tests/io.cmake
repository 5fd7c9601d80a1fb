# Event files: collective HDF5 round trip at 1, 2 and 4 ranks (uneven splits, a rank with no rows).
hd_add_unit_test(test_events_roundtrip ${HADAL_TEST_DIR}/io/test_events_roundtrip.c RANKS 1 2 4)
hd_add_script_test(info_badinput io/info_badinput.sh LABELS badinput)
# The node-shared table: every rank sees the whole table, several emulated nodes, I/O in pieces,
# derived arrays shared by a node's ranks, NaN counted once, bad environment values.
hd_add_unit_test(test_events_shared ${HADAL_TEST_DIR}/io/test_events_shared.c RANKS 1 2 4)
hd_add_script_test(shared_methods io/shared_methods.sh LABELS mpi)
# More than 2^31 elements (8.6 GB of disk and memory, minutes): registered only when configured
# with -DHADAL_TEST_LARGE=ON, so the default suite has nothing it would skip.
option(HADAL_TEST_LARGE "register the test of an event table beyond 2^31 elements (8.6 GB)" OFF)
if(HADAL_TEST_LARGE)
  hd_add_unit_test(test_events_large ${HADAL_TEST_DIR}/io/test_events_large.c RANKS 1 2 LABELS large)
  set_tests_properties(test_events_large_np1 test_events_large_np2 PROPERTIES TIMEOUT 1200
    ENVIRONMENT HADAL_TEST_LARGE=1)
endif()
