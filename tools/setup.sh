#!/usr/bin/env bash
# Set up hadal on Debian 12: install the Debian packages it needs (only those missing), configure
# and build it, then optionally run the main job or the whole test suite.
#
#   tools/setup.sh [build]   install what is missing, configure and build into build/
#   tools/setup.sh run       ... then run the main job (jobs/main.sh)
#   tools/setup.sh test      ... then run the whole ctest suite; ends with ctest's summary line
#   tools/setup.sh deps      only install the missing packages
#   tools/setup.sh check     only list the missing packages (exit 1 when some are missing)
#   tools/setup.sh packages  print the package list
#
# Environment: HADAL_BUILD_DIR (default build), HADAL_JOBS (default: the number of cores),
# HADAL_SETUP_DRY_RUN=1 (print the apt-get commands instead of running them),
# HADAL_SETUP_PACKAGES (replace the package list; for testing this script).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${HADAL_BUILD_DIR:-build}
jobs=${HADAL_JOBS:-$(nproc)}

# --- Debian 12 packages --------------------------------------------------------------------------
packages_build=(build-essential cmake pkg-config zlib1g-dev libssl-dev)
packages_parallel=(openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools)
packages_math=(libopenblas-dev petsc-dev libscalapack-openmpi-dev)
# The independent references of the tests (PyTorch, scikit-learn, scipy), reading HDF5, plots;
# pandas and PyTables write the LHC Olympics DataFrames the `hadal import lhco` test reads.
packages_python=(python3-numpy python3-h5py python3-torch python3-scipy python3-sklearn python3-matplotlib
                 python3-pandas
                 python3-tables)
# Real data for the importer and the image methods (/usr/share/datasets/fashion-mnist).
packages_data=(dataset-fashion-mnist)
# Slurm: the jobs/ scripts and their tests against a private one-node slurmctld (tools/slurm_local.sh).
packages_slurm=(slurmctld slurmd slurm-client munge)

if [ -n "${HADAL_SETUP_PACKAGES:-}" ]; then
  read -r -a packages <<< "$HADAL_SETUP_PACKAGES"
else
  packages=("${packages_build[@]}" "${packages_parallel[@]}" "${packages_math[@]}" "${packages_python[@]}"
            "${packages_data[@]}" "${packages_slurm[@]}")
fi

say() { echo "setup: $*"; }

missing_packages() {
  local p status
  for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || echo "$p"
  done
}

apt_run() {
  if [ "${HADAL_SETUP_DRY_RUN:-0}" = 1 ]; then
    say "would run: apt-get $*"
    return 0
  fi
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo > /dev/null; then sudo=(sudo); else
      say "packages are missing and installing them needs root (run as root, or install sudo)"; exit 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

install_missing() {
  local missing
  mapfile -t missing < <(missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    say "all ${#packages[@]} Debian packages are installed; nothing to install"
    return 0
  fi
  say "installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  apt_run update
  apt_run install -y --no-install-recommends -o Dpkg::Options::=--force-confold "${missing[@]}"
}

configure_and_build() {
  say "configure and build in $build_dir with -j$jobs"
  cmake -S . -B "$build_dir" -DHADAL_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$build_dir" -j "$jobs"
}

# Open MPI refuses to run as root unless told; set-up and CI run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

case "${1:-build}" in
  check)
    mapfile -t missing < <(missing_packages)
    if [ "${#missing[@]}" -eq 0 ]; then say "all ${#packages[@]} Debian packages are installed"; exit 0; fi
    say "missing: ${missing[*]}"; exit 1 ;;
  packages)
    printf '%s\n' "${packages[@]}" ;;
  deps)
    install_missing ;;
  build)
    install_missing
    configure_and_build ;;
  run)
    install_missing
    configure_and_build
    HADAL="$build_dir/hadal" exec bash jobs/main.sh ;;
  test)
    install_missing
    configure_and_build
    log="$build_dir/ctest.log"
    set +e
    ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    # ctest prints its summary before the list of failed tests and the timing; end with it.
    summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1)
    echo "${summary:-ctest printed no summary line (exit status $rc)}"
    exit "$rc" ;;
  -h|--help|help)
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
  *)
    say "unknown command '$1' (commands: build, run, test, deps, check, packages; see tools/setup.sh --help)"; exit 2 ;;
esac
