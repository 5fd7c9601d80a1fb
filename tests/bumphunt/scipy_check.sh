#!/bin/bash
# The bump-hunt fit against an independent fit with scipy.optimize on the same histogram: one
# Poisson toy of the test spectrum, written with its fit by the unit-test program (argument 1).
# Skipped (exit 77) where the system python has no scipy.
source "$HADAL_SRC/tests/lib.sh"
dumper=$1
if ! "$PYTHON" -c "import scipy.optimize, scipy.integrate" 2>/dev/null; then
  echo "scipy is not available to $PYTHON: skipped"
  exit 77
fi
if ! "$dumper" dump bump_fit.txt; then
  fail "the fit of the toy spectrum failed"
  finish
fi
if "$PYTHON" "$HADAL_SRC/tests/bumphunt/scipy_check.py" bump_fit.txt; then
  pass "hadal's fit agrees with scipy's"
else
  fail "hadal's fit disagrees with scipy's"
fi
finish
