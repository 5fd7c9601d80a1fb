# The plot scripts' arguments: -h prints the usage and exits 0; a folder of another method, a
# folder that is no run, a scan left in -window parts, a folder without sweep.json, and an event
# file other than the one the run read are each one line naming it and exit 1, never a traceback.
. "$HADAL_SRC/tests/lib.sh"
need_python h5py numpy matplotlib sklearn
T=$HADAL_SRC/tools
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 2000 > /dev/null || { fail "make_toy.py"; finish; }
"$HADAL" run -method ae -data toy.h5 -out ae -epochs 1 > ae.log 2>&1 || { fail "ae run"; cat ae.log; }
"$HADAL" generate adc2021 -o d.h5 -n 5000 -seed 4 -signal_fraction 0.01 > gen.log 2>&1 || { fail "generate"; cat gen.log; }
"$HADAL" run -options_file "$HADAL_SRC/inputs/dae_adc2021.opts" -data d.h5 -out dae -epochs 1 -batch_size 500 -single_ae 0 -sm_efficiencies 0.01,0.05 > dae.log 2>&1 || { fail "dae run"; cat dae.log; }
cp d.h5 other.h5

# one tool call: its exit status must be $1, its output must match $2 and hold no traceback
check() {
  local want=$1 pattern=$2 out rc
  shift 2
  out=$("$PYTHON" "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then fail "$*: exit status $rc, want $want: $out"; return; fi
  if printf '%s\n' "$out" | grep -q "Traceback"; then fail "$*: a traceback: $out"; return; fi
  printf '%s\n' "$out" | grep -E -q -- "$pattern" && pass "${*##*/}: $(printf '%s\n' "$out" | tail -1 | cut -c1-120)" || fail "$*: output does not match /$pattern/: $out"
}
for t in plot_aa plot_cwola plot_cwola_ee plot_dae plot_rnd plot_contamination; do
  check 0 "usage|hadal|Plots|plot" "$T/$t.py" -h
done
check 1 "'ae' is a run of method ae, not of aa" "$T/plot_aa.py" ae
check 1 "'ae' is a run of method ae, not of cwola" "$T/plot_cwola.py" ae
check 1 "'ae' is a run of method ae, not of cwola_ee" "$T/plot_cwola_ee.py" ae
check 1 "'ae' is a run of method ae, not of rnd or svdd or flow" "$T/plot_rnd.py" ae toy.h5
check 1 "'ae' is a run of method ae, not of dae" "$T/plot_dae.py" ae d.h5
check 1 "'ae' is a run of method ae, not of cwola" "$T/plot_contamination.py" ae
check 1 "'toy.h5' is not a folder" "$T/plot_dae.py" toy.h5 d.h5
check 1 "usage: plot_rnd.py DIR DATA.h5" "$T/plot_rnd.py"
check 1 "the run in 'dae' read '.*d.h5', not 'other.h5'" "$T/plot_dae.py" dae other.h5
check 1 "event file 'none.h5' does not exist" "$T/plot_dae.py" dae none.h5
check 1 "'ae' has no sweep.json" "$T/plot_sweep.py" ae
mkdir -p parts/windows
check 1 "'parts' has no summary.json: not a finished run \(a scan run in -window parts: .hadal merge -out parts. first\)" "$T/plot_cwola.py" parts
check 0 "plots in" "$T/plot_dae.py" dae d.h5
finish
