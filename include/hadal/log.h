/* Logging, wall-clock timers and progress lines. Messages go to stdout from rank 0 of the
 * communicator, or, when -verbose is on, from every rank with a "[rank r] " prefix (world rank),
 * in rank order (PETSc's synchronized printing). */
#ifndef HADAL_LOG_H
#define HADAL_LOG_H

#include <hadal/error.h>

void      hd_log_set_verbose(PetscBool on);
PetscBool hd_log_verbose(void);

/* Collective on comm: every rank of comm calls it with its own message. Rank 0's line is printed;
 * with -verbose every rank's, in rank order. */
PetscErrorCode hd_log(MPI_Comm comm, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
/* Not collective: printed by the calling rank, with its rank prefix (for per-rank diagnostics). */
PetscErrorCode hd_log_self(const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(1, 2);

/* Wall-clock seconds since an arbitrary origin (MPI_Wtime). */
double hd_wtime(void);

/* Progress of a long loop: prints "label: done/total (pct%), rate unit/s, eta" on rank 0 at most
 * every `interval` seconds and once at the end. Not collective (rank 0's counts are printed, so
 * pass counts that are global or representative). */
typedef struct {
  MPI_Comm    comm;
  const char *label;
  const char *unit;
  double      total, t_start, t_last, interval;
} hd_progress;

void           hd_progress_begin(hd_progress *p, MPI_Comm comm, const char *label, const char *unit, double total);
PetscErrorCode hd_progress_update(hd_progress *p, double done);
PetscErrorCode hd_progress_end(hd_progress *p, double done);

/* PETSc profiling events, so that -log_view tells where the time went: forward and backward
 * passes, the exact gradient sum (hdGradSum; src/par/reduce.c registers its parts hdGradScanMax,
 * hdGradConvert and hdGradAllreduce), the optimiser step, event-file reads and writes. Each event
 * has one name. Registered once
 * by hd_log_events_register() (main.c); zero until then, which PETSc's logging ignores. */
extern PetscLogEvent HD_EVENT_FORWARD, HD_EVENT_BACKWARD, HD_EVENT_ALLREDUCE, HD_EVENT_OPTIM, HD_EVENT_READ, HD_EVENT_WRITE;
/* -log_view stages: the phases of a run (reading, generating, training, evaluating, writing). */
extern PetscLogStage HD_STAGE_READ, HD_STAGE_GENERATE, HD_STAGE_TRAIN, HD_STAGE_EVALUATE, HD_STAGE_WRITE;
PetscErrorCode hd_log_events_register(void);

#endif
