#!/bin/bash
# hadal's layers, losses, gradients and optimisers against PyTorch on the same weights and batch
# (tests/nn/nn_torch_compare.py says how). Argument: the nn_torch_driver program.
# Exit 77 (skipped) where PyTorch is not installed.
set -euo pipefail
driver=$1
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  echo "SKIP: PyTorch cannot be imported by $PYTHON; install python3-torch to run this comparison"
  exit 77
fi
mkdir -p "$HADAL_SCRATCH"
rm -f "$HADAL_SCRATCH"/*.h5
"$driver" "$HADAL_SCRATCH"
"$PYTHON" "$HADAL_SRC/tests/nn/nn_torch_compare.py" "$HADAL_SCRATCH"
