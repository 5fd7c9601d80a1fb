#!/usr/bin/env bash
# hadal's training throughput against PyTorch on CPU and against the single-thread sgemm peak.
#
#   bench/run_training_bench.sh [--hadal PATH] [--sgemm PATH] [--python PATH] [--reps R]
#                               [--workloads "svdd ae cwola cnn flow pfn dae"] [--steps N]
#                               [--no-mpi] [--sgemm-min-time S] [--native-blas] [--plain-malloc]
#
# For each workload it runs `hadal bench WORKLOAD -steps N` and bench/torch_workloads.py in turn,
# R times (A B A B ..., so drifts of the machine hit both sides alike), with one BLAS/OpenMP thread
# on each side, and takes the median samples/s of each side and the median of the per-repetition
# ratios (the "paired ratio"); then it prints a markdown table.
# svdd is also run at 2 ranks in one group (mpiexec -n 2). Peak RSS comes from /usr/bin/time -v
# (for 2 ranks: the larger rank). Where the hadal executable has no `bench` command yet, it says
# so and measures the peer side only. bench/README.md explains every column.
# PyTorch runs with MALLOC_MMAP_THRESHOLD_=2000000000 MALLOC_TRIM_THRESHOLD_=100000000000, so that
# glibc keeps freed blocks instead of returning them and faulting fresh pages in at every step
# (--plain-malloc: glibc's defaults). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE stay as the caller
# set them; --native-blas unsets both for every program of the run, so OpenBLAS picks the
# machine's own kernel (sgemm_peak's first line names it).
#
# Defaults: hadal from $HADAL or build/hadal, sgemm_peak next to it, python from $PYTHON or
# /usr/bin/python3, mpiexec from $MPIEXEC, 3 repetitions, steps per workload chosen for a few
# seconds each (svdd 20, ae 30, cwola 2000, cnn 100, flow 10, pfn 300, dae 2), 3 untimed warm-up
# steps each (dae 1).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HADAL=${HADAL:-$here/../build/hadal}
SGEMM=""
PY=${PYTHON:-/usr/bin/python3}
REPS=3
WORKLOADS="svdd ae cwola cnn flow pfn dae"
ALL_WORKLOADS="svdd ae cwola cnn flow pfn dae"
STEPS=""
MPI=1
SGEMM_MIN_TIME=0.5
NATIVE_BLAS=0
PLAIN_MALLOC=0

while [ $# -gt 0 ]; do
  case $1 in
    --hadal) HADAL=$2; shift 2 ;;
    --sgemm) SGEMM=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --no-mpi) MPI=0; shift ;;
    --sgemm-min-time) SGEMM_MIN_TIME=$2; shift 2 ;;
    --native-blas) NATIVE_BLAS=1; shift ;;
    --plain-malloc) PLAIN_MALLOC=1; shift ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_training_bench.sh: unknown argument '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
[ -n "$SGEMM" ] || SGEMM=$(dirname "$HADAL")/sgemm_peak
case $REPS in ''|*[!0-9]*|0) echo "run_training_bench.sh: --reps '$REPS' must be a positive integer" >&2; exit 2 ;; esac
case $STEPS in *[!0-9]*|0) echo "run_training_bench.sh: --steps '$STEPS' must be a positive integer" >&2; exit 2 ;; esac
for w in $WORKLOADS; do
  case " $ALL_WORKLOADS " in *" $w "*) ;; *) echo "run_training_bench.sh: unknown workload '$w' ($ALL_WORKLOADS)" >&2; exit 2 ;; esac
done
if [ -z "${MPIEXEC:-}" ]; then
  MPIEXEC="mpiexec --oversubscribe"
  [ "$(id -u)" -eq 0 ] && MPIEXEC="$MPIEXEC --allow-run-as-root"
fi

# One thread everywhere: BLAS, OpenMP, and torch (which torch_workloads.py also pins).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
# The machine's own BLAS kernel, as a user of an unconfigured cluster gets it.
[ $NATIVE_BLAS -eq 1 ] && unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
# The PyTorch side's allocator: keep freed memory (no page faults on every step's fresh tensors).
TORCH_ENV=(env MALLOC_MMAP_THRESHOLD_=2000000000 MALLOC_TRIM_THRESHOLD_=100000000000)
[ $PLAIN_MALLOC -eq 1 ] && TORCH_ENV=(env)

default_steps() {
  case $1 in svdd) echo 20 ;; ae) echo 30 ;; cwola) echo 2000 ;; cnn) echo 100 ;; flow) echo 10 ;; pfn) echo 300 ;; dae) echo 2 ;; esac
}
# dae's PyTorch steps take seconds each (n x n DisCo matrices): one warm-up step is enough.
warmup_of() { [ "$1" = dae ] && echo 1 || echo 3; }

work=$(mktemp -d "${TMPDIR:-/tmp}/hadal-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

have_time=0
[ -x /usr/bin/time ] && have_time=1

# run_measured OUT RSSFILE CMD...: run CMD, its output to OUT; peak RSS (KiB) to RSSFILE when
# /usr/bin/time is there. Exit status is CMD's.
run_measured() {
  local out=$1 rss=$2
  shift 2
  if [ $have_time -eq 1 ]; then
    /usr/bin/time -v -o "$work/time.txt" "$@" >"$out" 2>&1
    local rc=$?
    sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$work/time.txt" >"$rss"
    return $rc
  fi
  "$@" >"$out" 2>&1
}

# samples_per_s FILE WORKLOAD: the X of the last line `WORKLOAD samples/s: X`, or nothing.
samples_per_s() {
  tail -n 1 "$1" | sed -n "s/^$2 samples\/s: \([0-9.eE+-]*\)$/\1/p"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
last() { [ $# -gt 0 ] && echo "${!#}" || echo "n/a"; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }' || echo "n/a"; }

# The peer must run; hadal may not have its bench command yet.
if [ ! -x "$HADAL" ]; then
  echo "note: no hadal executable at '$HADAL': measuring the PyTorch side only"
  hadal_ok=0
else
  probe=$(OMP_NUM_THREADS=1 "$HADAL" bench cwola -steps 1 2>&1)
  if printf '%s\n' "$probe" | tail -n 1 | grep -q '^cwola samples/s: '; then
    hadal_ok=1
  else
    echo "note: '$HADAL bench' does not work yet ($(printf '%s\n' "$probe" | grep -m1 -i error || printf '%s\n' "$probe" | tail -n 1)): measuring the PyTorch side only"
    hadal_ok=0
  fi
fi
if ! "$PY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' 2>/dev/null; then
  echo "run_training_bench.sh: $PY has no torch (Debian: apt-get install python3-torch)" >&2
  exit 1
fi

# FLOPs per step and batch of each workload, from the same counting the README documents.
"$PY" "$here/torch_workloads.py" --list >"$work/flops.txt" || exit 1
flops_of() { awk -v w="$1:" '$1 == w { print $5 }' "$work/flops.txt"; }
batch_of() { awk -v w="$1:" '$1 == w { print $3 }' "$work/flops.txt"; }

# sgemm peak (runs before the workloads, on the same otherwise idle core).
peak=""
if [ -x "$SGEMM" ]; then
  "$SGEMM" -min_time "$SGEMM_MIN_TIME" >"$work/sgemm.txt" 2>&1
  peak=$(tail -n 1 "$work/sgemm.txt" | sed -n 's/^sgemm peak GFLOP\/s: //p')
  sed 's/^/  /' "$work/sgemm.txt"
else
  echo "note: no sgemm_peak at '$SGEMM' (it is built with the project, next to hadal): no % of peak"
fi

echo "hadal: $HADAL; python: $PY; $REPS repetitions, median; OMP/OPENBLAS threads 1"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}; PyTorch under: ${TORCH_ENV[*]}"
declare -A H T HR TR PR
h_mpi=()
r_mpi=()
for w in $WORKLOADS; do
  steps=${STEPS:-$(default_steps "$w")}
  warm=$(warmup_of "$w")
  hs=() ts=() hr=() tr=() pr=()
  h_this=$hadal_ok
  for rep in $(seq 1 "$REPS"); do
    if [ $h_this -eq 1 ]; then
      run_measured "$work/h.txt" "$work/h.rss" "$HADAL" bench "$w" -steps "$steps" -warmup "$warm"
      v=$(samples_per_s "$work/h.txt" "$w")
      if [ -n "$v" ]; then hs+=("$v")
      elif grep -q "unknown workload '$w'" "$work/h.txt"; then
        echo "note: this hadal has no bench workload '$w' yet: measuring the PyTorch side only"; h_this=0
      else echo "hadal bench $w failed:"; tail -n 5 "$work/h.txt"; fi
      [ -s "$work/h.rss" ] && hr+=("$(cat "$work/h.rss")")
    fi
    run_measured "$work/t.txt" "$work/t.rss" "${TORCH_ENV[@]}" "$PY" "$here/torch_workloads.py" "$w" --steps "$steps" --warmup "$warm"
    v=$(samples_per_s "$work/t.txt" "$w")
    if [ -n "$v" ]; then ts+=("$v"); else echo "torch_workloads.py $w failed:"; tail -n 5 "$work/t.txt"; fi
    [ -s "$work/t.rss" ] && tr+=("$(cat "$work/t.rss")")
    if [ "$w" = svdd ] && [ $MPI -eq 1 ] && [ $hadal_ok -eq 1 ]; then
      # shellcheck disable=SC2086
      run_measured "$work/m.txt" "$work/m.rss" $MPIEXEC -n 2 "$HADAL" bench svdd -steps "$steps" -warmup "$warm"
      v=$(samples_per_s "$work/m.txt" svdd)
      if [ -n "$v" ]; then h_mpi+=("$v"); else echo "mpiexec -n 2 hadal bench svdd failed:"; tail -n 5 "$work/m.txt"; fi
      [ -s "$work/m.rss" ] && r_mpi+=("$(cat "$work/m.rss")")
    fi
    # the ratio of this repetition's pair (both runs back to back): steadier than the ratio of
    # medians when the machine's speed drifts over the run
    if [ ${#hs[@]} -eq "$rep" ] && [ ${#ts[@]} -eq "$rep" ]; then
      pr+=("$(awk -v h="${hs[$((rep - 1))]}" -v t="${ts[$((rep - 1))]}" 'BEGIN { print h / t }')")
    fi
    echo "  $w rep $rep: hadal $(last "${hs[@]+"${hs[@]}"}"), PyTorch $(last "${ts[@]+"${ts[@]}"}") samples/s"
  done
  H[$w]=$(median "${hs[@]+"${hs[@]}"}")
  T[$w]=$(median "${ts[@]+"${ts[@]}"}")
  HR[$w]=$(maximum "${hr[@]+"${hr[@]}"}")
  TR[$w]=$(maximum "${tr[@]+"${tr[@]}"}")
  PR[$w]=$(median "${pr[@]+"${pr[@]}"}")
done

pct_of_peak() { # samples/s workload -> percent of the sgemm peak
  if [ -z "$1" ] || [ -z "$peak" ]; then echo "n/a"; return; fi
  awk -v s="$1" -v f="$(flops_of "$2")" -v b="$(batch_of "$2")" -v p="$peak" 'BEGIN { printf "%.1f%%", 100 * s / b * f / (p * 1e9) }'
}
fmt() { [ -n "$1" ] && awk -v x="$1" 'BEGIN { printf "%.0f", x }' || echo "n/a"; }

echo
echo "sgemm peak (1 thread): ${peak:-n/a} GFLOP/s"
echo
echo "| workload | hadal samples/s | PyTorch samples/s | ratio | paired ratio | hadal % of sgemm peak | hadal RSS | PyTorch RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for w in $WORKLOADS; do
  ratio="n/a"
  [ -n "${H[$w]}" ] && [ -n "${T[$w]}" ] && ratio=$(awk -v h="${H[$w]}" -v t="${T[$w]}" 'BEGIN { printf "%.2fx", h / t }')
  paired="n/a"
  [ -n "${PR[$w]}" ] && paired=$(awk -v r="${PR[$w]}" 'BEGIN { printf "%.2fx", r }')
  echo "| $w | $(fmt "${H[$w]}") | $(fmt "${T[$w]}") | $ratio | $paired | $(pct_of_peak "${H[$w]}" "$w") | $(mib "${HR[$w]}") | $(mib "${TR[$w]}") |"
done
echo
for w in $WORKLOADS; do
  echo "PyTorch $w: $(pct_of_peak "${T[$w]}" "$w") of the sgemm peak"
done
case " $WORKLOADS " in
  *" svdd "*)
    if [ $MPI -eq 1 ] && [ $hadal_ok -eq 1 ]; then
      m=$(median "${h_mpi[@]+"${h_mpi[@]}"}")
      speedup="n/a"
      [ -n "$m" ] && [ -n "${H[svdd]}" ] && speedup=$(awk -v a="$m" -v b="${H[svdd]}" 'BEGIN { printf "%.2fx", a / b }')
      echo
      echo "| svdd, one group | hadal samples/s | speedup over 1 rank | RSS (largest rank) |"
      echo "| --- | ---: | ---: | ---: |"
      echo "| 1 rank | $(fmt "${H[svdd]}") | 1.00x | $(mib "${HR[svdd]}") |"
      echo "| 2 ranks | $(fmt "$m") | $speedup | $(mib "$(maximum "${r_mpi[@]+"${r_mpi[@]}"}")") |"
    fi ;;
esac
