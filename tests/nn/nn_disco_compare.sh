#!/bin/bash
# hadal's DisCo^2 against the weighted distance correlation written in PyTorch with n x n matrices
# (tests/nn/nn_disco_compare.py says how; it fails, rather than skips, without torch).
# Argument: the nn_disco_driver program. Any failure exits 1, never ctest's "skipped" (77).
set -uo pipefail
mkdir -p "$HADAL_SCRATCH" && rm -f "$HADAL_SCRATCH"/*.bin || exit 1
"$1" "$HADAL_SCRATCH" || { echo "FAIL: $1 exited with $?"; exit 1; }
"$PYTHON" "$HADAL_SRC/tests/nn/nn_disco_compare.py" "$HADAL_SCRATCH" || exit 1
