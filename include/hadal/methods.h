/* The anomaly-detection methods: one file each under src/methods, each a small set of functions
 * that `hadal run -method NAME` calls in this order (src/app/cmd_run.c):
 *
 *   read_options   register and read the method's options into its state (before the unknown-
 *                  option check; with -help nothing after it runs)
 *   setup          check the option values, read the data through io, derive the tables, and
 *                  create the ensemble (hd_ensemble_create: members, their costs, what each
 *                  member hands back; include/hadal/ensemble.h); may end the run instead
 *                  (run->done, e.g. -list_windows)
 *   run_member     build one member's network, train it (include/hadal/train.h), score: called
 *                  by the ensemble driver for each member, collective on the member's group
 *   evaluate       turn the collected scores into metrics (stats), collective on world
 *   report         write results.h5, summary.json and the log lines through io
 *   stopped        what a run cut short by a signal does instead of evaluate and report
 *   destroy        free the state
 *
 * A method reaches MPI and HDF5 only through par and io. A new method is one file that defines
 * one `const hd_method` and one entry in the table of src/methods/registry.c (docs/architecture.md
 * has the steps). */
#ifndef HADAL_METHODS_H
#define HADAL_METHODS_H

#include <hadal/ensemble.h>

/* What `hadal run` hands to every step. */
typedef struct {
  hd_comm   world;
  int       rank, size; /* in world */
  double    t0;         /* wall-clock start of the run (hd_wtime) */
  PetscBool done;       /* set by setup when the run ends there */
} hd_run;

typedef struct {
  const char *name;     /* -method NAME */
  const char *summary;  /* one line: what the method is, which seed paper */
  const char *usage;    /* the command line -help shows */
  size_t      ctx_size; /* bytes of the method's state: allocated zeroed, passed to every step */
  PetscErrorCode (*read_options)(hd_run *run, void *ctx);
  PetscErrorCode (*setup)(hd_run *run, void *ctx, hd_ensemble *ens);
  hd_ensemble_member_fn run_member;
  PetscErrorCode (*evaluate)(hd_run *run, void *ctx, const hd_ensemble *ens);
  PetscErrorCode (*report)(hd_run *run, void *ctx, const hd_ensemble *ens);
  PetscErrorCode (*stopped)(hd_run *run, void *ctx);
  PetscErrorCode (*destroy)(void *ctx);
} hd_method;

/* Plain autoencoder: reconstruction error as the anomaly score (the baseline of seed 001). */
extern const hd_method hd_method_ae;
/* CWoLa hunting: a scan of mass windows, classifiers of SR against SB, bump hunts after selection
 * (seeds 001 and 004). */
extern const hd_method hd_method_cwola;
/* Decorrelated autoencoders (DisCo) with the ABCD background estimate and the trigger mode (seed 002). */
extern const hd_method hd_method_dae;

/* Rare and Different (seed 003): the Deep SVDD ensemble, the spline flow, and both combined. */
extern const hd_method hd_method_svdd, hd_method_flow, hd_method_rnd;

/* Anomaly Awareness: a classifier of normal classes made aware of anomalies, windows on its output
 * (seed 000). */
extern const hd_method hd_method_aa;

/* CWoLa in e+e- radiative return: a PFN on jet sets, weak or semi-supervised, the contamination scan
 * as one ensemble (seed 004). */
extern const hd_method hd_method_cwola_ee;

/* The registry: every method, NULL-terminated, in the order -help lists them. */
extern const hd_method *const hd_methods[];

/* `hadal merge`: the report of a CWoLa scan run one window per task (-window INDEX). Collective on
 * world. */
PetscErrorCode hd_cwola_merge(hd_comm world, const char *usage, PetscBool *help_only);

/* Not collective (every rank holds the same). The maximum local significance of a finished CWoLa
 * scan, as its summary.json defines it (the best window's best_significance: over windows and
 * the selections -eps), from the state of `hadal run -method cwola` (hd_method_cwola's ctx);
 * z = NaN and window = -1 when no window has a fit. */
PetscErrorCode hd_cwola_scan_max(const void *ctx, double *z, PetscInt *window, double *eps);

#endif
