/* Logging, timers and progress lines (see include/hadal/log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <hadal/log.h>

static PetscBool hd_verbose = PETSC_FALSE;

void      hd_log_set_verbose(PetscBool on) { hd_verbose = on; }
PetscBool hd_log_verbose(void) { return hd_verbose; }

double hd_wtime(void) { return MPI_Wtime(); }

/* Formats one message; `prefix` puts "[rank r] " (world rank) in front of it. */
static void hd_log_format(char *line, size_t len, PetscBool prefix, const char *fmt, va_list ap)
{
  int    wrank = 0;
  size_t used  = 0;

  if (prefix) {
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    used = (size_t)snprintf(line, len, "[rank %d] ", wrank);
  }
  vsnprintf(line + used, len - used, fmt, ap);
}

PetscErrorCode hd_log(MPI_Comm comm, const char *fmt, ...)
{
  char    line[4096];
  va_list ap;

  PetscFunctionBegin;
  va_start(ap, fmt);
  hd_log_format(line, sizeof(line), hd_verbose, fmt, ap);
  va_end(ap);
  if (hd_verbose) { /* every rank's line, in rank order */
    PetscCall(PetscSynchronizedPrintf(comm, "%s", line));
    PetscCall(PetscSynchronizedFlush(comm, PETSC_STDOUT));
  } else PetscCall(PetscPrintf(comm, "%s", line));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_log_self(const char *fmt, ...)
{
  char    line[4096];
  va_list ap;

  PetscFunctionBegin;
  va_start(ap, fmt);
  hd_log_format(line, sizeof(line), PETSC_TRUE, fmt, ap);
  va_end(ap);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s", line));
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
  PetscCall(PetscPrintf(p->comm == MPI_COMM_NULL ? PETSC_COMM_SELF : p->comm, "%s: %.0f/%.0f %s (%.0f%%), %.3g %s/s, %.1f s elapsed, eta %.1f s\n", p->label, done, p->total, p->unit, p->total > 0 ? 100.0 * done / p->total : 100.0, rate, p->unit, elapsed, eta));
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
  PetscCall(PetscLogEventRegister("hdGradSum", id, &HD_EVENT_ALLREDUCE));
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
