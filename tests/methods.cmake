# Methods on the method interface and the ensemble driver (src/methods, src/par/ensemble.c).
hd_add_script_test(ae_members methods/ae_members.sh LABELS "mpi;methods")
# Resume everywhere: runs stopped by signals at random moments, several times in a row at 1 and 2
# ranks, then resumed: results.h5 and summary.json bit for bit those of an uninterrupted run.
foreach(m ae cwola rnd dae cwola_ee aa)
  hd_add_script_test(resume_signals_${m} methods/resume_signals.sh ARGS ${m} LABELS "mpi;methods;resume")
endforeach()
# Every deck of inputs/ names only options its method knows (-check_options).
hd_add_script_test(decks methods/decks.sh LABELS "methods")
