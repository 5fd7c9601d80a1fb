/* Rare and Different (seed 003): the state shared by `-method svdd`, `-method flow` and
 * `-method rnd` (src/methods/rnd.c), the SVDD members (svdd.c) and the flow member (flow.c). */
#ifndef HADAL_METHODS_RND_H
#define HADAL_METHODS_RND_H

#include <hadal/events.h>
#include <hadal/methods.h>
#include <hadal/train.h>

#define HD_RND_MAX_GRID   64
#define HD_RND_MAX_HIDDEN 8

/* What each member hands back besides its scores (doubles of the ensemble's metric table). */
enum { HD_RND_EPOCHS, HD_RND_VAL_LOSS, HD_RND_RATE, HD_RND_PARAMS, HD_RND_WALL, HD_RND_N_METRICS };

typedef struct {
  const char *method;     /* "svdd", "flow" or "rnd" */
  PetscBool   use_svdd, use_flow;
  /* options */
  char            data[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64];
  char            svdd_prefix[32], flow_prefix[32], made[32];
  PetscInt        grid_d[HD_RND_MAX_GRID], n_d, grid_n[HD_RND_MAX_GRID], n_n;
  PetscInt        hidden[HD_RND_MAX_HIDDEN], n_hidden;
  PetscInt        flow_layers, knots;
  PetscReal       tail_bound, train_fraction;
  PetscInt        seed, group_size;
  hd_train_config svdd_cfg, flow_cfg;
  char            flow_spec[256], svdd_spec_head[256];
  /* data: every array holds all N events (or the n_train training events), once per node */
  hd_table  table;
  PetscInt  N, n_train, Fs, Ff;
  int32_t  *label;      /* (N) */
  int8_t   *is_train;   /* (N) 1: a background event the models train on */
  PetscInt *train_rows; /* (n_train) */
  float    *xs, *xs_train; /* (N, Fs), (n_train, Fs): SVDD inputs, standardised on the training set */
  float    *xf, *xf_train; /* (N, Ff), (n_train, Ff): flow inputs, standardised on the training set */
  float    *dequant;       /* (Ff) dequantisation widths in standardised units (0: continuous) */
  double    log_std_sum;   /* sum_j log std_j of the flow columns: log p(x) = log p(x_std) - it */
  PetscInt  n_discrete, n_constant;
  /* signals: label k > 0 is signals[k - 1] */
  PetscInt  n_signals;
  char    (*signals)[HD_NAME_LEN];
  /* the ensemble: members 0 .. K-1 are SVDD (d, n) = (grid_d[m / n_n], grid_n[m % n_n]), member K
   * the flow */
  PetscInt K, M;
  /* results (evaluate): models of the metric tables, each with a full score column */
  PetscInt n_models;
  char   (*model_names)[HD_NAME_LEN];
  double  *auc, *eps, *si;  /* (n_models, n_signals), (n_models, n_signals, 3), (n_models, n_signals) */
  double  *ti;              /* (n_models, 3) */
  float   *block_scores;    /* (block_count, n_models) this rank's rows of every model's score */
  float   *flow_eq7;        /* (block_count) */
  double   corr_svdd_mean, corr_svdd_flow, n_eff;
  PetscInt n_corr;
  double  *corr;            /* (n_corr, n_corr): the members' (and flow's) uniform scores */
} hd_rnd;

/* Collective on m->group. One SVDD member: train, and score every event with its squared distance
 * to the target (seed 003 eq. 1). */
PetscErrorCode hd_rnd_svdd_member(hd_ensemble_member *m, hd_rnd *r);
/* Collective on m->group. The flow: train, and score every event with log p(x) of the features as
 * stored. */
PetscErrorCode hd_rnd_flow_member(hd_ensemble_member *m, hd_rnd *r);
/* The SVDD network of (d): "dense H1 elu, ..., dense d". */
/* Not collective. A trained member's metrics (epochs, best validation loss, events/s, parameters,
 * wall time since t0). */
void hd_rnd_member_metrics(double *metrics, const hd_train_result *res, const hd_nn *net, double t0);
void hd_rnd_svdd_spec(const hd_rnd *r, PetscInt d, char *spec, size_t len);

#endif
