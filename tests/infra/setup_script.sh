# tools/setup.sh installs exactly the missing Debian packages and nothing when none is missing
# (dry-run mode: the apt-get commands are printed, not run); its package names exist in Debian;
# .ci/run runs exactly README command (2).
. "$HADAL_SRC/tests/lib.sh"
setup=$HADAL_SRC/tools/setup.sh

for f in tools/setup.sh jobs/main.sh .ci/run; do
  bash -n "$HADAL_SRC/$f" && pass "$f parses" || fail "$f has a syntax error"
done

# Nothing missing: no apt-get at all (not even update).
out=$(HADAL_SETUP_DRY_RUN=1 HADAL_SETUP_PACKAGES="bash coreutils dpkg" bash "$setup" deps 2>&1)
if [ $? -eq 0 ] && grep -q "all 3 Debian packages are installed; nothing to install" <<< "$out" && ! grep -q "apt-get" <<< "$out"; then
  pass "nothing missing: nothing installed, no apt-get update"
else
  fail "nothing missing:"; echo "$out"
fi

# Something missing: apt-get update, then install of the missing ones only, non-interactively.
out=$(HADAL_SETUP_DRY_RUN=1 HADAL_SETUP_PACKAGES="bash hadal-no-such-package coreutils" bash "$setup" deps 2>&1)
want_install="would run: apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold hadal-no-such-package"
if grep -q "would run: apt-get update" <<< "$out" && grep -qx "setup: $want_install" <<< "$out" \
   && [ "$(grep -n 'apt-get update' <<< "$out" | cut -d: -f1)" -lt "$(grep -n 'apt-get install' <<< "$out" | cut -d: -f1)" ]; then
  pass "one missing: update, then install of that one package only"
else
  fail "one missing:"; echo "$out"
fi

# check: exit status 1 and the name when something is missing, 0 when not.
out=$(HADAL_SETUP_PACKAGES="bash hadal-no-such-package" bash "$setup" check 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "missing: hadal-no-such-package" <<< "$out" && pass "check reports the missing package" || { fail "check (rc $rc)"; echo "$out"; }
HADAL_SETUP_PACKAGES="bash" bash "$setup" check > /dev/null 2>&1 && pass "check passes when nothing is missing" || fail "check with nothing missing"
bash "$setup" no-such-command > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass "unknown command: exit 2" || fail "unknown command: exit $rc"

# The real list: every name is either installed or known to apt (Debian 12).
mapfile -t pkgs < <(bash "$setup" packages)
[ "${#pkgs[@]}" -ge 18 ] && pass "package list has ${#pkgs[@]} names" || fail "package list has ${#pkgs[@]} names"
for p in "${pkgs[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ] && ! apt-cache show "$p" > /dev/null 2>&1; then
    fail "package '$p' is neither installed nor known to apt-cache"
  fi
done
for p in openmpi-bin libhdf5-openmpi-dev petsc-dev libscalapack-openmpi-dev libopenblas-dev libssl-dev python3-torch dataset-fashion-mnist; do
  printf '%s\n' "${pkgs[@]}" | grep -qx "$p" || fail "package list lacks $p"
done

# .ci/run runs exactly README command (2).
readme_cmd=$(grep -E '^bash tools/setup\.sh test' "$HADAL_SRC/README.md" | head -1 | sed 's/ *#.*//')
ci_cmd=$(grep -v '^#' "$HADAL_SRC/.ci/run" | grep -E 'setup\.sh' | head -1)
if [ -n "$readme_cmd" ] && [ "$readme_cmd" = "$ci_cmd" ]; then pass ".ci/run runs README command (2): $ci_cmd"
else fail ".ci/run runs '$ci_cmd' but README command (2) is '$readme_cmd'"; fi
finish
