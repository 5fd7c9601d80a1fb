#!/usr/bin/env bash
# The main job on the embedded default data: generate the default data sets with 2 ranks and print
# their summary. Run by `tools/setup.sh run` (which builds hadal first).
#
# Environment: HADAL (the executable, default build/hadal), HADAL_OUT (default out/default),
# HADAL_RANKS (default 2), HADAL_LAUNCH (the launcher, default "mpiexec --oversubscribe"; under
# Slurm, "srun" inside an allocation).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
hadal=${HADAL:-build/hadal}
out=${HADAL_OUT:-out/default}
ranks=${HADAL_RANKS:-2}
read -r -a launch <<< "${HADAL_LAUNCH:-mpiexec --oversubscribe}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

[ -x "$hadal" ] || { echo "main: '$hadal' is not built (run tools/setup.sh build)"; exit 1; }
mkdir -p "$out"
SECONDS=0
"${launch[@]}" -n "$ranks" "$hadal" generate lhco -o "$out/lhco.h5" -n 200000 -seed 1
"${launch[@]}" -n "$ranks" "$hadal" generate jetimages -o "$out/jetimages.h5" -n 20000 -seed 1
"${launch[@]}" -n "$ranks" "$hadal" info "$out/lhco.h5"
"${launch[@]}" -n "$ranks" "$hadal" info "$out/jetimages.h5"
echo "main: wrote $out/lhco.h5 and $out/jetimages.h5 in ${SECONDS} s"
