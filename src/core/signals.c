/* Signal flag for clean checkpoint-and-exit (see include/hadal/signals.h). */
#include <signal.h>
#include <string.h>
#include <hadal/signals.h>

static volatile sig_atomic_t hd_signal_received;

static void hd_signal_note(int sig) { hd_signal_received = sig; }

PetscErrorCode hd_signals_install(void)
{
  struct sigaction sa;

  PetscFunctionBegin;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = hd_signal_note;
  sigemptyset(&sa.sa_mask);
  PetscCheck(sigaction(SIGTERM, &sa, NULL) == 0 && sigaction(SIGUSR1, &sa, NULL) == 0, PETSC_COMM_SELF, HD_ERR_INTERNAL, "cannot install the SIGTERM/SIGUSR1 handlers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

int hd_signals_pending(void) { return (int)hd_signal_received; }

PetscErrorCode hd_signals_agree(MPI_Comm comm, PetscBool *stop)
{
  int local = (int)hd_signal_received, any;

  PetscFunctionBegin;
  /* the signal's number, not a flag: a signal sent to one rank only is reported by every rank
   * (and by the one that logs) as what it was */
  PetscCallMPI(MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm));
  if (any && !local) hd_signal_received = any;
  *stop = any ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}
