# A full disk while writing any output (an event file, results.h5, checkpoints, model files,
# window files, summary.json): one "hadal: error:" line, exit status 1, no temporary file left, no crash and no
# hang, at 1 and 2 ranks. The disk is a 2 MiB tmpfs (needs root), filled to leave a little space.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy
disk=$PWD/disk
mkdir -p "$disk"
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>/dev/null; then echo "SKIP: cannot mount a tmpfs (needs root)"; exit 77; fi
trap 'umount "$disk"' EXIT
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 6000 > /dev/null || { fail "make_toy.py"; finish; }
$MPIEXEC -n 2 "$HADAL" generate lhco -o lhco.h5 -n 60000 -seed 3 -signal_fraction 0.003 > gen.log 2>&1 || { fail "generate"; cat gen.log; finish; }

# fill FREE_KB: leave about FREE_KB of the disk free (and nothing else on it)
fill() {
  rm -rf "${disk:?}"/* "$disk"/.[!.]*
  dd if=/dev/zero of="$disk/fill" bs=1k count=$((2048 - $1)) 2> /dev/null
}
# full WHAT FREE_KB CMD...: CMD fails on the full disk with one error line naming a disk-full
# write, within 120 s, leaving no temporary twin anywhere on the disk
full() {
  local what=$1 free=$2 out rc before=$fails
  shift 2
  fill "$free"
  out=$(timeout 120 "$@" 2>&1 > /dev/null)
  rc=$?
  if [ "$rc" -eq 124 ]; then fail "$what: hangs"; return; fi
  if [ "$rc" -ne 1 ]; then fail "$what: exit status $rc, want 1"; printf '%s\n' "$out" | grep -v "^--\|^ \|^$" | head -5; fi
  if [ "$(printf '%s\n' "$out" | grep -c 'hadal: error:')" -ne 1 ]; then fail "$what: not one error line"; printf '%s\n' "$out" | head; fi
  printf '%s\n' "$out" | grep -q -E "Segmentation|signal 11|PETSC ERROR" && fail "$what: crashed"
  printf '%s\n' "$out" | grep "hadal: error:" | grep -q -E "disk full|cannot write" || fail "$what: the error does not say a write failed: $(printf '%s\n' "$out" | grep 'hadal: error:')"
  local left
  left=$(find "$disk" -name '.*tmp-*' -o -name '*.tmp-*' -o -name '*.reserve')
  [ -z "$left" ] || fail "$what: left $left"
  [ -e "$disk/big.h5" ] && fail "$what: a partial big.h5 is left"
  [ "$fails" -eq "$before" ] && pass "$what: $(printf '%s\n' "$out" | grep 'hadal: error:')"
}
for np in 1 2; do
  full "generate, $np ranks, data" 1000 $MPIEXEC -n $np "$HADAL" generate lhco -o "$disk/big.h5" -n 200000
  full "generate, $np ranks, last columns" 1200 $MPIEXEC -n $np "$HADAL" generate lhco -o "$disk/big.h5" -n 68000
  # at 1 rank also every 12 KiB from 452 to 800: the disk then fills at each output in turn
  # (checkpoints, models, members, results.h5), where a close once crashed the program's end
  frees="20 100 150 440 500 540"; [ "$np" -eq 1 ] && frees="$frees $(seq -s ' ' 452 12 800)"
  for free in $frees; do
    full "run ae, $np ranks, ${free} KiB free" $free $MPIEXEC -n $np "$HADAL" run -method ae -data toy.h5 -out "$disk/o" -epochs 1 -batch_size 200 -ensemble_size 3 -seed 11
  done
  # 1000 KiB three times: a crash closing a refused member file came about once in five runs
  for free in 300 1000 1000 1000 1060 1120; do
    full "run cwola, $np ranks, ${free} KiB free" $free $MPIEXEC -n $np "$HADAL" run -method cwola -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -data lhco.h5 -sr_max 4300 -folds 3 -ensemble_size 2 -epochs 1 -out "$disk/o"
  done
done
finish
