#!/usr/bin/env bash
# Contamination scan of CWoLa hunting (seed 004 states its results this way): one lhco data set
# with a generous W' fraction, scanned with -signal_injection N for a list of N (the same
# background every time, only the number of signal events kept changes). The table and the plot
# (tools/plot_contamination.py) give, for the window holding 3.5 TeV, S/sqrt(B) before selection
# and the local significance before and after selection.
#
#   tools/cwola_contamination.sh [N ...]      (default: 0 50 100 150 200 300 500 700 1000)
#
# Run from the repository root. Environment: HADAL (default build/hadal), OUT (default
# out/cwola_contamination), RANKS (default 2), NICE (default 5), PYTHON (default /usr/bin/python3),
# SIGNAL_FRACTION (default 0.005), SEED (of the data, default 1), EVENTS (default 200000),
# PLOT (the PNG, default $OUT/contamination.png). A run whose summary.json exists is not redone.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
hadal=${HADAL:-build/hadal}
out=${OUT:-out/cwola_contamination}
ranks=${RANKS:-2}
nice_level=${NICE:-5}
python=${PYTHON:-/usr/bin/python3}
fraction=${SIGNAL_FRACTION:-0.005}
seed=${SEED:-1}
events=${EVENTS:-200000}
plot=${PLOT:-$out/contamination.png}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

[ -x "$hadal" ] || { echo "cwola_contamination: '$hadal' is not built (set HADAL)"; exit 1; }
injections=("$@")
[ ${#injections[@]} -gt 0 ] || injections=(0 50 100 150 200 300 500 700 1000)

mkdir -p "$out"
data=$out/data.h5
gen_cmd="mpiexec -n $ranks $hadal generate lhco -o $data -n $events -seed $seed -signal_fraction $fraction"
if [ ! -s "$data" ]; then
  echo "\$ $gen_cmd"
  nice -n "$nice_level" mpiexec -n "$ranks" "$hadal" generate lhco -o "$data" -n "$events" -seed "$seed" -signal_fraction "$fraction" > "$out/generate.log" 2>&1 || { cat "$out/generate.log"; exit 1; }
fi
n_signal=$("$python" -c "import h5py, sys; print(int((h5py.File(sys.argv[1])['events/label'][:] > 0).sum()))" "$data")
echo "$data: $n_signal signal events"
echo "$gen_cmd" > "$out/commands"
dirs=()
for n in "${injections[@]}"; do
  if [ "$n" -gt "$n_signal" ]; then echo "skipping -signal_injection $n: the data hold $n_signal signal events"; continue; fi
  dir=$out/inj_$n
  run_cmd="mpiexec -n $ranks $hadal run -options_file inputs/cwola_lhco.opts -data $data -signal_injection $n -out $dir"
  echo "$run_cmd" >> "$out/commands"
  if [ ! -s "$dir/summary.json" ]; then
    echo "\$ $run_cmd"
    uptime > "$out/inj_$n.uptime"
    nice -n "$nice_level" mpiexec -n "$ranks" "$hadal" run -options_file inputs/cwola_lhco.opts -data "$data" -signal_injection "$n" -out "$dir" > "$out/inj_$n.log" 2>&1 || { cat "$out/inj_$n.log"; exit 1; }
    uptime >> "$out/inj_$n.uptime"
  fi
  dirs+=("$dir")
done
"$python" tools/plot_contamination.py -mass 3500 -png "$plot" "${dirs[@]}" | tee "$out/table.md"
