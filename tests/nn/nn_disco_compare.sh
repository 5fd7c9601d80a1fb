#!/bin/bash
# hadal's DisCo^2 against the weighted distance correlation written in PyTorch with n x n matrices
# (tests/nn/nn_disco_compare.py says how). Argument: the nn_disco_driver program.
# PyTorch is part of the test environment: its absence fails this test, it does not skip it.
set -euo pipefail
driver=$1
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "FAIL: PyTorch cannot be imported by $PYTHON; the DisCo comparison needs it (python3-torch)"
  exit 1
fi
mkdir -p "$HADAL_SCRATCH"
rm -f "$HADAL_SCRATCH"/*.bin
# any failure exits 1, so that no exit status can read as ctest's "skipped" (77)
"$driver" "$HADAL_SCRATCH" || { echo "FAIL: $driver exited with $?"; exit 1; }
"$PYTHON" "$HADAL_SRC/tests/nn/nn_disco_compare.py" "$HADAL_SCRATCH" || exit 1
