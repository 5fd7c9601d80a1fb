/* Boosted decision trees through XGBoost's C API (DESIGN.md section 5): a binary classifier that
 * tolerates many and irrelevant features better than a network (seed 001 section 4.1, refs.
 * [23, 24]). One model is trained by one process with one thread: training and prediction are
 * not collective (only the option reading and checking are, as everywhere), and nothing here
 * calls MPI or HDF5 or knows physics.
 *
 * A model is a pure function of (seed, member, data, configuration):
 *   validation split  event i is held out when U(seed, HD_STREAM_SPLIT, (member << 32) | i) < f,
 *                     the rule of the network trainer (include/hadal/train.h), so a tree model and
 *                     a network of the same member hold out the same events
 *   XGBoost's seed    (seed, HD_STREAM_BDT_SEED, member), reseeded each round (row subsampling)
 *   threads           one (nthread = 1): the histogram sums are then taken in one fixed order
 * Training stops early after `stop_patience` rounds without a lower weighted log-loss on the
 * validation events; the model keeps the trees up to the best round (docs/methods/cwola.md). */
#ifndef HADAL_BDT_H
#define HADAL_BDT_H

#include <stdint.h>
#include <hadal/par.h> /* hd_comm: the communicator errors are raised on */

typedef struct {
  PetscInt trees;         /* boosting rounds at most (one tree each) */
  PetscInt depth;         /* depth of each tree */
  double   learning_rate; /* shrinkage of each tree's output (XGBoost's eta) */
  double   subsample;     /* fraction of the training events each tree sees, drawn per round */
  PetscInt max_bin;       /* histogram bins per feature */
  double   val_fraction;  /* held out for early stopping; 0: none, all trees kept */
  PetscInt stop_patience; /* rounds without a lower validation loss before stopping; 0: never */
} hd_bdt_config;

/* Not collective. Defaults (docs/methods/cwola.md says where each comes from): 100 trees of
 * depth 5, learning rate 0.1, no subsampling, 127 bins, 20 % validation, patience 10. */
hd_bdt_config hd_bdt_defaults(void);

/* Collective on PETSC_COMM_WORLD. Reads -bdt_trees, -bdt_depth, -bdt_learning_rate,
 * -bdt_subsample, -bdt_max_bin and -bdt_stop_patience with c's values as defaults (the validation
 * fraction is the caller's: -val_fraction). */
PetscErrorCode hd_bdt_read_options(hd_bdt_config *c);

/* Collective on comm (every rank holds the same values). An error names the option at fault. */
PetscErrorCode hd_bdt_check(hd_comm comm, const hd_bdt_config *c);

/* A training table: n events of F features, labels 0 or 1, optional per-event weights. */
typedef struct {
  PetscInt     n, F;
  const float *x;      /* (n, F) row-major */
  const float *y;      /* (n) */
  const float *weight; /* (n) or NULL (all 1) */
} hd_bdt_data;

typedef struct {
  PetscInt  rounds_run;    /* trees grown */
  PetscInt  trees_kept;    /* trees of the best validation round (all when there is no validation) */
  double    best_val_loss; /* weighted mean log-loss on the validation events; NaN without them */
  PetscBool early_stopped;
  PetscBool interrupted;   /* a SIGTERM/SIGUSR1 arrived (include/hadal/signals.h): no model */
} hd_bdt_result;

typedef struct hd_bdt_s *hd_bdt;

/* Not collective. Trains one model; on interruption *model is NULL and res->interrupted is set.
 * Errors of XGBoost name the C API call that failed and XGBoost's message. */
PetscErrorCode hd_bdt_train(const hd_bdt_config *c, uint64_t seed, PetscInt member, const hd_bdt_data *d, hd_bdt *model, hd_bdt_result *res);

/* Not collective. out (n) = the model's logit (margin) of each of the n rows of x (n, F), F the
 * training table's feature count. */
PetscErrorCode hd_bdt_predict(hd_bdt model, PetscInt n, const float *x, float *out);

/* Not collective. *model may be NULL. */
PetscErrorCode hd_bdt_destroy(hd_bdt *model);

#endif
