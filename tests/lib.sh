# Shared helpers for the shell tests: source it, then call the functions.
set -u
fails=0
rm -rf "$HADAL_SCRATCH"   # every run starts from nothing: no output of an earlier run can pass for this one
mkdir -p "$HADAL_SCRATCH"
cd "$HADAL_SCRATCH" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# need_python MODULE...: skip the test (exit 77) when $PYTHON cannot import the modules. Only a
# missing module is a skip: a data maker that fails after this is a failure of the test.
need_python() {
  local m
  for m in "$@"; do
    "$PYTHON" -c "import $m" 2>/dev/null || { echo "SKIP: $PYTHON cannot import $m"; exit 77; }
  done
}
pass() { echo "ok: $*"; }

# expect_error WHAT PATTERN CMD...: CMD must exit non-zero and print exactly one "hadal: error:"
# line on stderr, matching PATTERN (an extended regex naming the thing at fault).
expect_error() {
  local what=$1 pattern=$2
  shift 2
  local out rc n
  out=$("$@" 2>&1 >/dev/null)
  rc=$?
  n=$(printf '%s\n' "$out" | grep -c "hadal: error:")
  if [ "$rc" -eq 0 ]; then fail "$what: exit status 0"; return; fi
  if [ "$n" -ne 1 ]; then fail "$what: $n error lines, want 1:"; printf '%s\n' "$out" | head -20; return; fi
  if ! printf '%s\n' "$out" | grep "hadal: error:" | grep -E -q -- "$pattern"; then
    fail "$what: error line does not match /$pattern/:"; printf '%s\n' "$out" | grep "hadal: error:"; return
  fi
  if printf '%s\n' "$out" | grep -q -E "Segmentation|Sanitizer|core dumped|PETSC ERROR"; then fail "$what: crashed or leaked a traceback"; printf '%s\n' "$out"; return; fi
  pass "$what: $(printf '%s\n' "$out" | grep 'hadal: error:')"
}

# no_outputs GLOB...: nothing matching (a result or a temporary twin) may exist.
no_outputs() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then fail "left behind: $f"; fi
  done
  if ls -a . | grep -q '\.tmp-'; then fail "temporary file left behind: $(ls -a . | grep '\.tmp-')"; fi
}

finish() {
  if [ "$fails" -ne 0 ]; then echo "$fails checks failed"; exit 1; fi
  echo "all checks passed"
  exit 0
}

# hash_datasets FILE [GROUP]: one line per dataset below GROUP (default the whole file), sorted:
# name, dtype, shape, SHA-256 of the bytes; equal output means bit-identical datasets.
hash_datasets() {
  "$PYTHON" "$HADAL_SRC/tests/h5_datasets.py" "$@"
}
