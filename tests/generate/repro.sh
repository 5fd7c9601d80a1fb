# One seed gives byte-identical datasets at 1, 2, 3 and 4 ranks; another seed gives other data; the
# file carries the names, classes and attributes the methods read.
. "$HADAL_SRC/tests/lib.sh"

gen() { # gen KIND RANKS OUT ARGS...
  local kind=$1 np=$2 out=$3
  shift 3
  $MPIEXEC -n "$np" "$HADAL" generate "$kind" -o "$out" "$@" > "$out.log" 2>&1 || { fail "$kind at $np ranks failed:"; cat "$out.log"; }
}

for kind in lhco jetimages; do
  if [ "$kind" = lhco ]; then
    args=(-n 3001 -seed 17 -signal_fraction 0.05)
  else
    args=(-n 203 -seed 17 -classes qcd,top,w,r4 -class_fractions 0.4,0.3,0.2,0.1 -image_size 24)
  fi
  for np in 1 2 3 4; do
    gen "$kind" "$np" "$kind.np$np.h5" "${args[@]}"
    hash_datasets "$kind.np$np.h5" events > "$kind.np$np.sha"
  done
  ref=$(cat "$kind.np1.sha")
  [ -n "$ref" ] || fail "$kind: no datasets hashed"
  for np in 2 3 4; do
    if cmp -s "$kind.np1.sha" "$kind.np$np.sha"; then pass "$kind: datasets at $np ranks identical to 1 rank"
    else fail "$kind: datasets at $np ranks differ from 1 rank:"; diff "$kind.np1.sha" "$kind.np$np.sha"; fi
  done
  other=("${args[@]}")
  other[3]=18 # -seed 18
  gen "$kind" 2 "$kind.seed18.h5" "${other[@]}"
  hash_datasets "$kind.seed18.h5" events > "$kind.seed18.sha"
  ndiff=$(diff "$kind.np1.sha" "$kind.seed18.sha" | grep -c '^>')
  nsets=$(wc -l < "$kind.np1.sha")
  if [ "$ndiff" -eq "$nsets" ]; then pass "$kind: seed 18 differs from seed 17 in all $nsets datasets"
  else fail "$kind: seed 18 differs in only $ndiff of $nsets datasets"; fi
done

# Contents the methods rely on.
"$PYTHON" - <<'PY' || fail "file contents"
import h5py, numpy as np
with h5py.File("lhco.np2.h5", "r") as f:
    e = f["events"]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in e["features"].attrs["names"]]
    assert names == ["mj_light", "delta_mj", "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2"], names
    x, m, y = e["features"][...], e["mass"][...], e["label"][...]
    assert x.shape == (3001, 6) and m.shape == (3001,) and y.shape == (3001,)
    assert set(np.unique(y)) <= {0, 1} and 100 < y.sum() < 200, y.sum()          # ~ 5% of 3001
    assert (x[:, 1] >= 0).all() and (x[:, 2:] > 0).all() and (x[:, 2:] < 1).all()
    # measured mjj: the single-jet trigger lets unbalanced pairs below 2 x 1200 GeV, the resolution
    # smears past the generated 2000-8000 GeV
    assert m[y == 0].min() >= 1500 and m[y == 0].max() <= 9000, (m.min(), m.max())
    a = f.attrs
    for k in ("generator", "seed", "created", "hadal_version", "classes", "signals", "signal_mjj", "signal_fraction"):
        assert k in a, k
    assert a["generator"] in ("lhco", b"lhco") and int(a["seed"]) == 17 and float(a["signal_fraction"]) == 0.05
with h5py.File("jetimages.np3.h5", "r") as f:
    e = f["events"]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in e["features"].attrs["names"]]
    assert names == ["pt", "mass", "tau21", "tau32"], names
    im, y, x = e["images"][...], e["label"][...], e["features"][...]
    assert im.shape == (203, 24, 24) and "mass" not in e
    assert np.allclose(im.sum(axis=(1, 2)), 1, atol=1e-5)
    assert set(np.unique(y)) == {0, 1, 2, 3}
    cls = [c.decode() if isinstance(c, bytes) else str(c) for c in f.attrs["classes"]]
    assert cls == ["qcd", "top", "w", "r4"], cls
    assert (x[:, 0] > 750).all() and (x[:, 1] >= 50).all() and (x[:, 1] <= 300).all()
print("contents ok")
PY
grep -q "wrote 3001 lhco events" lhco.np2.h5.log || fail "no summary line in the log"
no_outputs .tmp-
finish
