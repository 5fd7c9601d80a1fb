/* Logging, timers and progress lines (see include/hadal/log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <hadal/log.h>

static PetscBool hd_verbose = PETSC_FALSE;

void      hd_log_set_verbose(PetscBool on) { hd_verbose = on; }
PetscBool hd_log_verbose(void) { return hd_verbose; }

double hd_wtime(void) { return MPI_Wtime(); }

static PetscErrorCode hd_log_vprint(int rank, PetscBool prefix, const char *fmt, va_list ap)
{
  char line[4096];

  PetscFunctionBegin;
  vsnprintf(line, sizeof(line), fmt, ap);
  if (prefix) fprintf(stdout, "[rank %d] %s", rank, line);
  else fputs(line, stdout);
  fflush(stdout);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_log(MPI_Comm comm, const char *fmt, ...)
{
  int     rank, wrank;
  va_list ap;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_rank(MPI_COMM_WORLD, &wrank));
  if (rank == 0 || hd_verbose) {
    va_start(ap, fmt);
    PetscCall(hd_log_vprint(wrank, hd_verbose, fmt, ap));
    va_end(ap);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_log_self(const char *fmt, ...)
{
  int     wrank;
  va_list ap;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(MPI_COMM_WORLD, &wrank));
  va_start(ap, fmt);
  PetscCall(hd_log_vprint(wrank, PETSC_TRUE, fmt, ap));
  va_end(ap);
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_progress_begin(hd_progress *p, MPI_Comm comm, const char *label, const char *unit, double total)
{
  p->comm     = comm;
  p->label    = label;
  p->unit     = unit;
  p->total    = total;
  p->t_start  = hd_wtime();
  p->t_last   = p->t_start;
  p->interval = 5.0;
}

static PetscErrorCode hd_progress_print(hd_progress *p, double done, double now)
{
  double elapsed = now - p->t_start;
  double rate    = elapsed > 0 ? done / elapsed : 0.0;
  double eta     = rate > 0 ? (p->total - done) / rate : 0.0;

  PetscFunctionBegin;
  PetscCall(hd_log(p->comm, "%s: %.0f/%.0f %s (%.0f%%), %.3g %s/s, %.1f s elapsed, eta %.1f s\n", p->label, done, p->total, p->unit, p->total > 0 ? 100.0 * done / p->total : 100.0, rate, p->unit, elapsed, eta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_progress_update(hd_progress *p, double done)
{
  double now = hd_wtime();

  PetscFunctionBegin;
  if (now - p->t_last >= p->interval) {
    p->t_last = now;
    PetscCall(hd_progress_print(p, done, now));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_progress_end(hd_progress *p, double done)
{
  PetscFunctionBegin;
  PetscCall(hd_progress_print(p, done, hd_wtime()));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscLogEvent HD_EVENT_FORWARD, HD_EVENT_BACKWARD, HD_EVENT_ALLREDUCE, HD_EVENT_OPTIM, HD_EVENT_READ, HD_EVENT_WRITE;
PetscLogStage HD_STAGE_READ, HD_STAGE_GENERATE, HD_STAGE_TRAIN, HD_STAGE_EVALUATE, HD_STAGE_WRITE;

PetscErrorCode hd_log_events_register(void)
{
  PetscClassId id;

  PetscFunctionBegin;
  PetscCall(PetscClassIdRegister("hadal", &id));
  PetscCall(PetscLogEventRegister("hdForward", id, &HD_EVENT_FORWARD));
  PetscCall(PetscLogEventRegister("hdBackward", id, &HD_EVENT_BACKWARD));
  PetscCall(PetscLogEventRegister("hdGradAllreduce", id, &HD_EVENT_ALLREDUCE));
  PetscCall(PetscLogEventRegister("hdOptimStep", id, &HD_EVENT_OPTIM));
  PetscCall(PetscLogEventRegister("hdEventsRead", id, &HD_EVENT_READ));
  PetscCall(PetscLogEventRegister("hdEventsWrite", id, &HD_EVENT_WRITE));
  PetscCall(PetscLogStageRegister("Read", &HD_STAGE_READ));
  PetscCall(PetscLogStageRegister("Generate", &HD_STAGE_GENERATE));
  PetscCall(PetscLogStageRegister("Train", &HD_STAGE_TRAIN));
  PetscCall(PetscLogStageRegister("Evaluate", &HD_STAGE_EVALUATE));
  PetscCall(PetscLogStageRegister("Write", &HD_STAGE_WRITE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
