/* The ensemble driver (DESIGN.md section 2): the members of an ensemble (CWoLa's (window, fold,
 * model) units, an autoencoder or SVDD ensemble) are dealt to rank groups with the balanced
 * schedule of include/hadal/par.h; each group trains its members one after the other, and what
 * the members produce is collected without any rank holding all members' per-event scores:
 *
 *   sums     int64 accumulators the members add to (quantile-rank sums of CWoLa): each group's
 *            rank 0 adds into its own copy, and the copies are summed exactly over the world at
 *            the end, so the result is the same for any rank count, group size or schedule.
 *   columns  per-event float scores of every member, delivered to the rank that owns the event's
 *            block (hd_par_block of n_events): rank r ends with (block_count, n_members) values,
 *            member m of event block_offset + i at columns[i * n_members + m]. Collected after
 *            each round (the k-th member of every group), so a group's rank 0 holds one member's
 *            scores at a time; the groups wait for each other once per round.
 *   metrics  n_metrics doubles and text_len bytes per member (epochs, losses, AUC, a parameter
 *            fingerprint), small, on every rank at the end.
 *
 * A member stopped by SIGTERM/SIGUSR1 (include/hadal/signals.h) stops its group's loop; the world
 * agrees on it and `interrupted` is set on every rank (sums, columns and metrics are then
 * incomplete). Every member's work must be a pure function of (seed, member, data, options), so
 * that the results do not depend on which group ran it. */
#ifndef HADAL_ENSEMBLE_H
#define HADAL_ENSEMBLE_H

#include <hadal/par.h>
#include <hadal/results.h>

typedef struct {
  PetscInt      n_members;
  const double *costs;      /* (n_members) relative costs for the balanced schedule; NULL: equal */
  PetscInt      group_size; /* ranks per group: a divisor of the world size */
  PetscInt      n_sums;     /* int64 accumulators (0: none) */
  PetscInt      n_events;   /* rows of the per-event columns (0: none) */
  PetscInt      n_metrics;  /* doubles per member (0: none) */
  PetscInt      text_len;   /* bytes of text per member (0: none) */
  const char   *progress;   /* label of the progress line of group 0 ("cwola: classifiers of
                             * group 0"); NULL: none */
} hd_ensemble_config;

/* What the driver hands to the method for one member. Every rank of the group gets one; the
 * values of the group's rank 0 are the ones kept. */
typedef struct {
  hd_comm   group;       /* the member's group: what the member's work is collective on */
  int       group_rank;
  PetscInt  member;      /* 0 .. n_members - 1 */
  int64_t  *sums;        /* (n_sums) the group's accumulators; NULL on ranks other than 0 */
  float    *scores;      /* (n_events) to fill with the member's per-event scores */
  double   *metrics;     /* (n_metrics) to fill, zeroed before the call */
  char     *text;        /* (text_len) to fill (NUL-terminated), zeroed before the call */
  PetscBool interrupted; /* set by the member when its training stopped on a signal */
} hd_ensemble_member;

/* A method's work for one member. Collective on m->group. */
typedef PetscErrorCode (*hd_ensemble_member_fn)(hd_ensemble_member *m, void *ctx);

typedef struct {
  hd_ensemble_config cfg;
  hd_par_groups      groups;
  hd_par_schedule    sched;
  PetscBool          interrupted;  /* after hd_ensemble_run: a member of any group was stopped */
  PetscInt           members_run;  /* members this rank's group completed */
  int64_t           *sums;         /* (n_sums) after the run: the sums over all members */
  PetscInt           block_offset, block_count; /* this rank's rows of the columns */
  float             *columns;      /* (block_count, n_members) */
  double            *metrics;      /* (n_members, n_metrics) after the run, every rank */
  char              *text;         /* (n_members, text_len) after the run, every rank */
} hd_ensemble;

/* Collective on world. Splits world into groups of cfg->group_size ranks and deals the members
 * (errors name -group_size when it does not divide the world). cfg is copied; costs are used here
 * only. */
PetscErrorCode hd_ensemble_create(hd_comm world, const hd_ensemble_config *cfg, hd_ensemble *e);
/* Collective on world. Runs every member of this rank's group with fn, in ascending member order,
 * and collects sums, columns and metrics as described above. */
PetscErrorCode hd_ensemble_run(hd_ensemble *e, hd_ensemble_member_fn fn, void *ctx);
/* Collective on world. Runs the members of n ensembles (a sweep's points, a scan and its
 * pseudo-experiments) as one balanced schedule over the rank groups: every ensemble must
 * have been created on the same world with the same group_size. Afterwards each e[k] holds
 * exactly what hd_ensemble_run(e[k], fn[k], ctx[k]) would have given it (sums, columns,
 * metrics, interrupted), bit for bit. */
PetscErrorCode hd_ensemble_run_many(PetscInt n, hd_ensemble *const *e,
                                    const hd_ensemble_member_fn *fn, void *const *ctx);
/* Collective on world. Writes the columns through io as `name` (float32 [n_events, n_members]:
 * row i holds every member's score of event i), each rank its block. */
PetscErrorCode hd_ensemble_write_columns(const hd_ensemble *e, hd_results *res, const char *name);
/* Collective on world. e may be zero-initialised or destroyed already. */
PetscErrorCode hd_ensemble_destroy(hd_ensemble *e);

#endif
