# Every objective trains to the same parameters at 1, 2, 3 and 4 ranks and with groups of 1, 2
# and 4 ranks (test_objectives checks that the groups agree; this compares the rank counts), and
# the gradient of a whole global batch matches finite differences at 1 and 3 ranks.
. "$HADAL_SRC/tests/lib.sh"
prog=$1
run() { # name np group_size [-fd]
  $MPIEXEC -n "$2" "$prog" -group_size "$3" ${4:-} > "$1.log" 2>&1 || { fail "$1 failed"; cat "$1.log"; }
  grep '^objective' "$1.log" > "$1.hash"
}
run np1 1 1 -fd
run np2 2 1
run np2g2 2 2
run np3 3 1 -fd
run np4 4 1
run np4g2 4 2
run np4g4 4 4
grep -h '^ok:' np1.log np3.log
n=$(wc -l < np1.hash)
[ "$n" -ge 4 ] || fail "only $n objectives trained"
cat np1.hash
for d in np2 np2g2 np3 np4 np4g2 np4g4; do
  if cmp -s np1.hash $d.hash; then pass "$d: every objective identical to 1 rank"; else fail "$d differs from 1 rank:"; diff np1.hash $d.hash; fi
done
exit $((fails > 0))
