# Methods on the node-shared table: the same results, bit for bit, with one node, with every rank
# its own emulated node (HADAL_NODE_SIZE=1: each reads and standardises its own copy), with nodes
# of two ranks, and with the reads in pieces of a few rows (HADAL_IO_PIECE_BYTES).
. "$HADAL_SRC/tests/lib.sh"
"$PYTHON" "$HADAL_SRC/tests/train/make_toy.py" toy.h5 3001 || { echo "SKIP: no h5py"; exit 77; }
$MPIEXEC -n 2 "$HADAL" generate lhco -o lhco.h5 -n 20000 -seed 5 -signal_fraction 0.01 > gen.log 2>&1 || { cat gen.log; exit 1; }

ae() { # name np [VAR=value...]
  local name=$1 np=$2
  shift 2
  env "$@" $MPIEXEC -n "$np" "$HADAL" run -method ae -data toy.h5 -out "ae_$name" -epochs 2 -batch_size 200 -ensemble_size 2 -seed 3 > "ae_$name.log" 2>&1 || { fail "ae $name failed"; cat "ae_$name.log"; }
}
cwola() {
  local name=$1 np=$2
  shift 2
  env "$@" $MPIEXEC -n "$np" "$HADAL" run -method cwola -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -data lhco.h5 -sr_min 3300 -sr_max 3800 -folds 2 -ensemble_size 1 -epochs 2 -out "cwola_$name" > "cwola_$name.log" 2>&1 || { fail "cwola $name failed"; cat "cwola_$name.log"; }
}
ae np1 1
ae np2_nodes1 2 HADAL_NODE_SIZE=1
ae np4_nodes2 4 HADAL_NODE_SIZE=2 HADAL_IO_PIECE_BYTES=1000
ae np3_pieces 3 HADAL_IO_PIECE_BYTES=100
cwola np1 1
cwola np2_nodes1 2 HADAL_NODE_SIZE=1 HADAL_IO_PIECE_BYTES=5000
cwola np4_nodes2 4 HADAL_NODE_SIZE=2

"$PYTHON" - <<'PY' || fail "results differ"
import sys
sys.path.insert(0, __import__("os").environ["HADAL_SRC"] + "/tests")
from h5_datasets import datasets
for method, runs in [("ae", ["np2_nodes1", "np4_nodes2", "np3_pieces"]), ("cwola", ["np2_nodes1", "np4_nodes2"])]:
    ref = datasets(method + "_np1/results.h5")
    assert ref, method + ": no datasets"
    for r in runs:
        got = datasets(method + "_" + r + "/results.h5")
        assert got.keys() == ref.keys(), (method, r)
        bad = [k for k in ref if ref[k] != got[k]]
        assert not bad, "%s %s: %s differ" % (method, r, bad)
    print("%s: %d datasets identical in %s" % (method, len(ref), ", ".join(runs)))
PY
finish
