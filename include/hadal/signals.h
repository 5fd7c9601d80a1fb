/* SIGTERM and SIGUSR1 (what Slurm's --signal and scancel send before killing a job) set a flag
 * instead of killing the process; long loops poll it, agree on it across their communicator,
 * write a checkpoint and return. Not collective. */
#ifndef HADAL_SIGNALS_H
#define HADAL_SIGNALS_H

#include <hadal/error.h>

PetscErrorCode hd_signals_install(void);
/* The signal number received since start-up, 0 when none. */
int hd_signals_pending(void);
/* Collective on comm: whether any rank of comm has received a signal (so that every rank stops
 * at the same step). */
PetscErrorCode hd_signals_agree(MPI_Comm comm, PetscBool *stop);

#endif
