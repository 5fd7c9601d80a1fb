/* Several runs of methods as one job: the points of a sweep, a CWoLa scan and its
 * pseudo-experiments. Each instance is what `hadal run` does for one method (include/hadal/
 * methods.h: read_options, setup, the ensemble, evaluate and report), with an options database
 * of its own, its own output folder (-out in its database, claimed and locked as a plain run's)
 * and its own state. The members of all instances go to hd_ensemble_run_many as one schedule
 * over the rank groups, so the ranks stay busy across instances; every step of instance k runs
 * with k's database pushed as PETSc's default (PetscOptionsPush), so the method reads its own
 * values through the ordinary hd_opt_*() calls. A plain `hadal run` is one instance with the
 * process's own database: a point's results.h5 and summary.json are those of the single run with
 * the point's options. */
#ifndef HADAL_RUNS_H
#define HADAL_RUNS_H

#include <hadal/events.h>
#include <hadal/methods.h>

typedef struct {
  /* set by the caller */
  const hd_method   *method;
  PetscOptions       options;   /* the instance's database (owned; destroyed by hd_runs_destroy);
                                 * NULL: the process's own (a plain run) */
  const char *const *must_read; /* NULL-terminated option names ("-seed") that the method must
                                 * read, else an error naming them and must_read_what; NULL: none */
  const char        *must_read_what;
  char               store_dir[PETSC_MAX_PATH_LEN]; /* where finished members are kept, "" when none */
  PetscBool          quiet_stop; /* when a signal cuts the ensemble short, skip the method's stopped
                                  * step: the caller reports it (a sweep continues with -resume) */
  /* set by hd_runs_execute */
  hd_run             run;
  void              *ctx;       /* the method's state (method->ctx_size bytes) */
  hd_events_read_log reads;     /* the event files the instance read (checkpoints record them);
                                 * NULL with the process's database: the process's record */
  hd_ensemble        ens;
  hd_out_claim       claim;
  PetscBool          help_only; /* -help: the options were listed and nothing else ran (also set
                                 * by -check_options) */
  PetscBool          checked_only; /* -check_options: the option names were checked, nothing ran */
  PetscBool          finished;  /* evaluate and report ran */
  PetscBool          stopped;   /* a signal cut the instance's ensemble short */
} hd_runs_instance;

/* Collective on world. Every step of every instance, in order: read_options and the option check
 * (with -help, the first instance's listing, then nothing else), the output folders claimed,
 * setup, one ensemble schedule of all members, then evaluate and report (or stopped) per instance.
 * The claims are released at the end, on failure too. The states stay for the caller to read
 * (hd_runs_destroy frees them). */
PetscErrorCode hd_runs_execute(hd_comm world, const char *usage, PetscInt n, hd_runs_instance *inst);
/* Collective on world. Frees what hd_runs_execute made and the instances' databases; safe after a
 * failure and on instances that never ran. */
PetscErrorCode hd_runs_destroy(PetscInt n, hd_runs_instance *inst);

/* Not collective (every rank builds the same). A new options database holding what the process
 * was started with (its command line with its -options_file decks, PETSC_OPTIONS), read the same
 * way PetscInitialize read it; an option that the process has already used (-verbose, -method,
 * PETSc's own) counts as used in the copy too, so that the copy's unknown-option check flags only
 * what no step reads. Options named in `drop` (NULL-terminated, may be NULL) are left out. */
PetscErrorCode hd_runs_options_from_start(const char *const *drop, PetscOptions *db);
/* Not collective. Make `db` the default database (NULL: nothing to do), and back. Every push is
 * matched by one pop, on error paths too. */
PetscErrorCode hd_runs_options_push(PetscOptions db);
PetscErrorCode hd_runs_options_pop(PetscOptions db);

#endif
