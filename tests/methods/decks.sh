# Every deck in inputs/ holds only options its method knows (-check_options: nothing read, nothing
# written), through hadal run and through hadal sweep; a misspelt option in a deck, on the command
# line or in a sweep's grid is one error line naming it; a check with -pseudo_experiments
# generates no pseudo-data. The decks' values are checked where tests run them.
. "$HADAL_SRC/tests/lib.sh"
n=0
scratch=$PWD
for deck in "$HADAL_SRC"/inputs/*.opts; do
  name=$(basename "$deck" .opts)
  # from the repository root, as the decks that include others are run
  if out=$(cd "$HADAL_SRC" && "$HADAL" run -options_file "inputs/$name.opts" -out "$scratch/out_$name" -check_options 2>&1) &&
     printf '%s\n' "$out" | grep -q "^options: every option is known to method "; then
    n=$((n + 1))
  else
    fail "deck $name: $out"
  fi
  no_outputs "out_$name"
done
[ "$n" -ge 13 ] && pass "$n decks of inputs/: every option known" || fail "only $n decks checked"

printf -- '-options_file %s\n-sb_widht 0.1\n' "$HADAL_SRC/inputs/cwola_lhco.opts" > typo.opts
expect_error "a misspelt option in a deck" "unknown option -sb_widht" "$HADAL" run -options_file typo.opts -check_options
expect_error "a misspelt option on the command line" "unknown option -epoch\b" "$HADAL" run -options_file "$HADAL_SRC/inputs/dae_adc2021.opts" -epoch 3 -check_options

out=$("$HADAL" run -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -data none.h5 -out g -pseudo_experiments 3 -check_options 2>&1) &&
  printf '%s\n' "$out" | grep -q "known to method cwola" && pass "-pseudo_experiments with -check_options: checked" || fail "-pseudo_experiments check: $out"
no_outputs g

out=$("$HADAL" sweep -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -grid "seed=1:3" -out sw -check_options 2>&1) &&
  printf '%s\n' "$out" | grep -q "sweep: every option of the 3 points is known to method cwola" && pass "sweep: 3 points checked" || fail "sweep check: $out"
no_outputs sw
expect_error "a misspelt option in a sweep's grid" "-grid: -sb_widht is not an option of method cwola" "$HADAL" sweep -options_file "$HADAL_SRC/inputs/cwola_lhco.opts" -grid "seed=1:2;sb_widht=0.1" -out sw -check_options
no_outputs sw
"$HADAL" run -method dae -help 2>&1 | grep -q -- "-check_options" && pass "-help lists -check_options" || fail "-help does not list -check_options"
finish
