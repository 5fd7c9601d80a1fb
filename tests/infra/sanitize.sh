# The unit tests (ctest label "unit") rebuilt with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DHADAL_SANITIZE=ON) in a sub-folder of the build tree, and run there. UBSan is fatal
# (-fno-sanitize-recover, halt_on_error); leak checking stays on with the suppressions of
# lsan.supp for Open MPI's own at-exit allocations.
set -u
src=$HADAL_SRC
build=$HADAL_SCRATCH/build
jobs=${HADAL_SANITIZE_JOBS:-$(nproc)}
mkdir -p "$build"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

config=(-DHADAL_SANITIZE=ON -DHADAL_WERROR=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g")
if [ ! -f "$build/CMakeCache.txt" ] && [ -n "${HADAL_SANITIZE_GENERATOR:-}" ]; then
  config+=(-G "$HADAL_SANITIZE_GENERATOR")
fi
t0=$(date +%s)
echo "== configure (sanitized) in $build"
cmake -S "$src" -B "$build" "${config[@]}" > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; echo "FAIL: configure"; exit 1; }

# The unit tests, from ctest's own listing; hd_add_unit_test names each test after its program's
# target, so those are the targets to build.
list_tests() {
  ctest --test-dir "$build" -L unit --show-only=json-v1 2> "$build/tests.err" | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    print(t["name"], (t.get("command") or ["-"])[0])'
}
mapfile -t tests < <(list_tests)
if [ "${#tests[@]}" -eq 0 ]; then cat "$build/tests.err"; echo "FAIL: no unit tests found"; exit 1; fi
targets=()
for t in "${tests[@]}"; do targets+=("${t%% *}"); done
echo "== build ${#targets[@]} unit test programs with -j$jobs: ${targets[*]}"
cmake --build "$build" -j "$jobs" --target "${targets[@]}" > "$build/build.log" 2>&1 || { tail -50 "$build/build.log"; echo "FAIL: sanitized build"; exit 1; }
t1=$(date +%s)

# Guard against a vacuous pass: every program must carry both runtimes.
mapfile -t tests < <(list_tests)
for t in "${tests[@]}"; do
  prog=${t#* }
  libs=$(ldd "$prog" 2>/dev/null)
  if ! grep -q libasan <<< "$libs" || ! grep -q libubsan <<< "$libs"; then
    echo "FAIL: test ${t%% *} ($prog) is not linked with ASan and UBSan"; exit 1
  fi
done

export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=0:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$src/tests/infra/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export OMPI_MCA_mca_base_component_disable_dlclose=1
echo "== run the unit tests under ASan/UBSan"
ctest --test-dir "$build" -L unit --output-on-failure -j "$jobs"
rc=$?
t2=$(date +%s)
echo "sanitized build: $((t1 - t0)) s, unit tests: $((t2 - t1)) s"
exit $rc
