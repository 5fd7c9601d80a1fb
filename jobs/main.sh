#!/usr/bin/env bash
# The main job on the embedded default data: generate the default lhco-style dijet data set with
# 2 ranks (200,000 events, seed 1, a W' -> XY signal at 3.5 TeV injected at the generator's default
# fraction 0.002: S/sqrt(B) about 2.4 in the best window before selection), run the CWoLa hunting
# scan over it (inputs/cwola_lhco.opts), print the table of windows and significances, and draw the plots.
# Run by `tools/setup.sh run` (which builds hadal first).
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
"${launch[@]}" -n "$ranks" "$hadal" info "$out/lhco.h5"
"${launch[@]}" -n "$ranks" "$hadal" run -options_file inputs/cwola_lhco.opts -data "$out/lhco.h5" -out "$out/cwola"
/usr/bin/python3 tools/plot_cwola.py "$out/cwola"
echo "main: data $out/lhco.h5, scan $out/cwola (results.h5, summary.json, plots/) in ${SECONDS} s"
