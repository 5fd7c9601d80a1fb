# Methods on the method interface and the ensemble driver (src/methods, src/par/ensemble.c).
hd_add_script_test(ae_members methods/ae_members.sh LABELS "mpi;methods")
