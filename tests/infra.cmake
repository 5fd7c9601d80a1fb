# Infrastructure: checksums, the idx importer, the set-up script, and the sanitizer build.

# SHA-256 against the FIPS 180-2 vectors.
hd_add_unit_test(test_sha256 ${HADAL_TEST_DIR}/infra/test_sha256.c)

# `hadal import idx` on Debian's dataset-fashion-mnist (skipped, exit 77, when it is not installed).
set(HADAL_FASHION_MNIST_DIR /usr/share/datasets/fashion-mnist CACHE PATH
    "folder of the Fashion-MNIST idx files (Debian package dataset-fashion-mnist)")
hd_add_script_test(import_idx infra/import_idx.sh ARGS ${HADAL_FASHION_MNIST_DIR} LABELS "import;badinput")
set_tests_properties(import_idx PROPERTIES SKIP_RETURN_CODE 77 PROCESSORS 2)

# tools/setup.sh: installs exactly the missing packages, and nothing when none is missing
# (checked with its dry-run mode: nothing is installed by the test).
hd_add_script_test(setup_script infra/setup_script.sh LABELS "infra")

# The unit tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer in a sub-folder
# of this build tree. Not registered inside that sanitized build itself (no recursion).
if(NOT HADAL_SANITIZE)
  hd_add_script_test(sanitize_unit infra/sanitize.sh LABELS "sanitize")
  set_property(TEST sanitize_unit APPEND PROPERTY ENVIRONMENT "CC=${CMAKE_C_COMPILER};HADAL_SANITIZE_GENERATOR=${CMAKE_GENERATOR}")
  set_tests_properties(sanitize_unit PROPERTIES TIMEOUT 1800 PROCESSORS 2)
endif()

# The plot scripts refuse a wrong folder or event file in one line (no traceback); -h works.
hd_add_script_test(plot_tools infra/plot_tools.sh LABELS "tools")
