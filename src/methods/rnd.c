/* Rare and Different (seed 003): `-method svdd` (an ensemble of Deep SVDD models: *different*),
 * `-method flow` (an autoregressive spline flow: *rare*) and `-method rnd` (both, combined).
 *
 *   1. Training set: the background events (label 0) with U(seed, HD_STREAM_RND_SPLIT, i) <
 *      -train_fraction; every other event is a test event (/scores/is_test).
 *   2. Inputs: the SVDD columns (-svdd_columns prefix, "sv_") and the flow columns (-flow_columns,
 *      "fl_") of /events/features, each standardised with the training set's moments.
 *   3. Members: the SVDD grid (d, n) of Table 1 (src/methods/svdd.c) and the flow (flow.c), dealt
 *      to rank groups by the ensemble driver; each member scores every event.
 *   4. Uniform scores (section 4): every anomaly score (SVDD distance; -log p for the flow) is
 *      replaced by its empirical CDF on the training set, u = F_train(s) in [0, 1].
 *   5. Combinations (Table 4, Fig. 3): over the SVDD members AND = min u, OR = max u, PROD = prod u,
 *      AVG = mean u; each made uniform on the training set again and combined with the flow's u by
 *      the same rule (two scores).
 *   6. Metrics per signal (label k > 0 against the test background): AUC, eps_S at eps_B = 1e-2,
 *      1e-3, 1e-4, SI = max eps_S / sqrt(eps_B); TI = min, median, max of SI over the signals; the
 *      Pearson correlations of the members' and the flow's uniform scores on the test set and the
 *      effective number of SVDD members (section 6).
 * Every score is a pure function of (seed, data, options): the same at any rank count. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/darkmachines.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include "rnd.h"

enum { HD_RND_AND = 0, HD_RND_OR, HD_RND_PROD, HD_RND_AVG, HD_RND_NCOMB };
static const char *const hd_rnd_comb_names[HD_RND_NCOMB] = {"and", "or", "prod", "avg"};

static PetscErrorCode hd_rnd_read_options(hd_run *run, void *ctx, const char *method)
{
  hd_rnd         *r = ctx;
  hd_train_config base;

  PetscFunctionBegin;
  r->method   = method;
  r->use_svdd = strcmp(method, "flow") != 0;
  r->use_flow = strcmp(method, "svdd") != 0;
  r->n_d = r->n_n = HD_RND_MAX_GRID;
  r->n_hidden     = HD_RND_MAX_HIDDEN;
  PetscCall(hd_opt_string("-data", "event file (HDF5) to train on and score", NULL, r->data, sizeof(r->data), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, r->out, sizeof(r->out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of the training split, initialisation, minibatch order and dequantisation", 1, &r->seed, NULL));
  PetscCall(hd_opt_real("-train_fraction", "share of the background events (label 0) the models train on; the rest, and all signal, are the test set", 0.5, &r->train_fraction, NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one member together (a divisor of the rank count)", run->size, &r->group_size, NULL));
  base              = hd_train_defaults();
  base.epochs       = r->use_svdd ? 200 : 100;
  base.batch        = r->use_svdd ? 10000 : 512;
  base.lr_patience  = 5;
  base.lr_factor    = 0.5;
  base.stop_patience = 50;
  PetscCall(hd_train_read_options(&base));
  if (r->use_svdd) {
    PetscCall(hd_opt_string("-svdd_columns", "prefix of the feature columns the SVDD models read ('' for all)", "sv_", r->svdd_prefix, sizeof(r->svdd_prefix), NULL));
    PetscCall(hd_opt_int_list("-svdd_d", "output widths d of the SVDD grid (seed 003 Table 1)", "5,8,13,21,34,55,89,144,233", r->grid_d, &r->n_d, NULL));
    PetscCall(hd_opt_int_list("-svdd_n", "target values n of the SVDD grid (seed 003 Table 1)", "0,1,2,3,4,10,25", r->grid_n, &r->n_n, NULL));
    PetscCall(hd_opt_int_list("-svdd_hidden", "hidden layer widths of every SVDD network (ELU)", "512,256,128", r->hidden, &r->n_hidden, NULL));
    r->svdd_cfg = base;
  }
  if (r->use_flow) {
    PetscInt fe = 100, fb = 512, ms = 128;
    PetscCall(hd_opt_string("-flow_columns", "prefix of the feature columns the flow reads ('' for all)", "fl_", r->flow_prefix, sizeof(r->flow_prefix), NULL));
    PetscCall(hd_opt_int("-flow_layers", "flow layers (seed 003 Table 3: 11)", 11, &r->flow_layers, NULL));
    PetscCall(hd_opt_string("-made_hidden", "MADE hidden layers x units (Table 3: 7x200)", "7x200", r->made, sizeof(r->made), NULL));
    PetscCall(hd_opt_int("-knots", "rational-quadratic spline bins (Table 3: 35)", 35, &r->knots, NULL));
    PetscCall(hd_opt_real("-tail_bound", "the splines act on [-B, B] of the standardised inputs, identity outside", 3.0, &r->tail_bound, NULL));
    if (r->use_svdd) {
      PetscCall(hd_opt_int("-flow_epochs", "epochs of the flow (Table 3: 100); -epochs are the SVDD's", fe, &fe, NULL));
      PetscCall(hd_opt_int("-flow_batch_size", "minibatch of the flow (Table 3: 512); -batch_size is the SVDD's", fb, &fb, NULL));
    }
    PetscCall(hd_opt_int("-flow_min_shard", "smallest shard of a flow minibatch: fewer, larger shards make the exact gradient sum cheaper", ms, &ms, NULL));
    r->flow_cfg = base;
    if (r->use_svdd) {
      r->flow_cfg.epochs = fe;
      r->flow_cfg.batch  = fb;
    }
    r->flow_cfg.min_shard = ms;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_read_options_rnd(hd_run *run, void *ctx) { return hd_rnd_read_options(run, ctx, "rnd"); }
static PetscErrorCode hd_rnd_read_options_svdd(hd_run *run, void *ctx) { return hd_rnd_read_options(run, ctx, "svdd"); }
static PetscErrorCode hd_rnd_read_options_flow(hd_run *run, void *ctx) { return hd_rnd_read_options(run, ctx, "flow"); }

/* The columns whose names start with prefix; an error naming the option when none does. */
static PetscErrorCode hd_rnd_columns(hd_comm comm, const hd_events_layout *L, const char *prefix, const char *opt, PetscInt **cols, PetscInt *n)
{
  size_t len = strlen(prefix);

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(PetscMax(L->n_features, 1), cols));
  *n = 0;
  for (PetscInt j = 0; j < L->n_features; j++)
    if (!strncmp(L->feature_names[j], prefix, len)) (*cols)[(*n)++] = j;
  PetscCheck(*n > 0, comm, HD_ERR_USER_INPUT, "option %s: no feature column of the data starts with '%s'", opt, prefix);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. Copies the selected columns of every event (x, node-shared) and of the
 * training events (xt), standardises both with the training moments, and returns the moments. */
static PetscErrorCode hd_rnd_inputs(hd_comm world, hd_rnd *r, const PetscInt *cols, PetscInt W, float **x, float **xt, double *mean, double *std)
{
  hd_table *t = &r->table;
  PetscInt  F = t->layout.n_features, o, c;
  int       rank, size;

  PetscFunctionBegin;
  PetscCall(hd_table_alloc1(t, (size_t)r->N * W, x));
  PetscCall(hd_table_alloc1(t, (size_t)PetscMax(r->n_train, 1) * W, xt));
  for (PetscInt i = t->fill_offset; i < t->fill_offset + t->fill_count; i++)
    for (PetscInt j = 0; j < W; j++) (*x)[(size_t)i * W + j] = t->features[(size_t)i * F + cols[j]];
  for (PetscInt k = 0; k < r->n_train; k++) {
    PetscInt i = r->train_rows[k];
    if (i < t->fill_offset || i >= t->fill_offset + t->fill_count) continue;
    for (PetscInt j = 0; j < W; j++) (*xt)[(size_t)k * W + j] = t->features[(size_t)i * F + cols[j]];
  }
  PetscCall(hd_table_sync(t));
  PetscCall(hd_par_rank_size(world, &rank, &size));
  hd_par_block(r->n_train, rank, size, &o, &c);
  PetscCall(hd_stats_moments(world, c, W, *xt + (size_t)o * W, r->n_train, mean, std));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_standardise(hd_rnd *r, PetscInt W, float *x, float *xt, const double *mean, const double *std)
{
  hd_table *t = &r->table;

  PetscFunctionBegin;
  for (PetscInt i = t->fill_offset; i < t->fill_offset + t->fill_count; i++)
    for (PetscInt j = 0; j < W; j++) x[(size_t)i * W + j] = (float)((x[(size_t)i * W + j] - mean[j]) / std[j]);
  for (PetscInt k = 0; k < r->n_train; k++) {
    PetscInt i = r->train_rows[k];
    if (i < t->fill_offset || i >= t->fill_offset + t->fill_count) continue;
    for (PetscInt j = 0; j < W; j++) xt[(size_t)k * W + j] = (float)((xt[(size_t)k * W + j] - mean[j]) / std[j]);
  }
  PetscCall(hd_table_sync(t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The one place that reads the data: the table, the training split, the
 * standardised inputs of both models, the flow's discrete columns, the signal names. */
static PetscErrorCode hd_rnd_load(hd_comm world, hd_rnd *r)
{
  static const char *const need[] = {"features", NULL};
  hd_table                *t      = &r->table;
  PetscInt                *cols, W;
  double                  *mean, *std;
  int                      rank, size;

  PetscFunctionBegin;
  PetscCall(hd_events_read_shared(world, r->data, need, t));
  r->N     = t->layout.n_events;
  r->label = t->label;
  PetscCall(PetscMalloc2(r->N, &r->is_train, r->N, &r->train_rows));
  r->n_train = 0;
  for (PetscInt i = 0; i < r->N; i++) {
    hd_rng g;
    hd_rng_init(&g, (uint64_t)r->seed, HD_STREAM_RND_SPLIT, (uint64_t)i);
    r->is_train[i] = r->label[i] == 0 && hd_rng_uniform(&g) < r->train_fraction;
    if (r->is_train[i]) r->train_rows[r->n_train++] = i;
  }
  PetscCheck(r->n_train >= 10, world, HD_ERR_USER_INPUT, "'%s': %" PetscInt_FMT " training events (background, label 0, with -train_fraction %g): at least 10 are needed", r->data, r->n_train, r->train_fraction);
  {
    PetscInt n_bkg = 0; /* the test background: the denominator of every efficiency and TI */
    for (PetscInt i = 0; i < r->N; i++) n_bkg += r->label[i] == 0 && !r->is_train[i];
    PetscCheck(n_bkg >= 10, world, HD_ERR_USER_INPUT, "'%s': %" PetscInt_FMT " background (label 0) test events with -train_fraction %g: at least 10 are needed for the efficiencies (use a smaller -train_fraction)", r->data, n_bkg, r->train_fraction);
  }
  PetscCall(hd_dm_read_signal_names(world, r->data, &r->n_signals, &r->signals));
  {
    int32_t lmax = 0;
    for (PetscInt i = 0; i < r->N; i++) lmax = PetscMax(lmax, r->label[i]);
    if (r->n_signals < lmax) { /* a file without names: signal k is "signal_k" */
      PetscCall(PetscFree(r->signals));
      r->n_signals = lmax;
      PetscCall(PetscMalloc1(PetscMax(lmax, 1), &r->signals));
      for (PetscInt k = 0; k < lmax; k++) snprintf(r->signals[k], HD_NAME_LEN, "signal_%d", (int)k + 1);
    }
  }
  for (PetscInt k = 1; k <= r->n_signals; k++) { /* a named signal without events has no metrics */
    PetscInt c = 0;
    for (PetscInt i = 0; i < r->N; i++) c += r->label[i] == k;
    PetscCheck(c > 0, world, HD_ERR_USER_INPUT, "'%s' has no events of signal '%s' (label %" PetscInt_FMT ")", r->data, r->signals[k - 1], k);
  }
  PetscCall(hd_par_rank_size(world, &rank, &size));
  if (r->use_svdd) {
    PetscCall(hd_rnd_columns(world, &t->layout, r->svdd_prefix, "-svdd_columns", &cols, &W));
    r->Fs = W;
    PetscCall(PetscMalloc2(W, &mean, W, &std));
    PetscCall(hd_rnd_inputs(world, r, cols, W, &r->xs, &r->xs_train, mean, std));
    for (PetscInt j = 0; j < W; j++)
      if (std[j] == 0) std[j] = 1; /* constant on the training set: centred only */
    PetscCall(hd_rnd_standardise(r, W, r->xs, r->xs_train, mean, std));
    PetscCall(PetscFree2(mean, std));
    PetscCall(PetscFree(cols));
  }
  if (r->use_flow) {
    PetscInt o, c;
    int64_t  frac[1024], gfrac[1024];

    PetscCall(hd_rnd_columns(world, &t->layout, r->flow_prefix, "-flow_columns", &cols, &W));
    PetscCheck(W <= 1024, world, HD_ERR_USER_INPUT, "option -flow_columns: %" PetscInt_FMT " columns, at most 1024", W);
    r->Ff = W;
    PetscCall(PetscMalloc2(W, &mean, W, &std));
    PetscCall(PetscMalloc1(W, &r->dequant));
    PetscCall(hd_rnd_inputs(world, r, cols, W, &r->xf, &r->xf_train, mean, std));
    /* discrete: every training value an integer (counted across ranks) */
    hd_par_block(r->n_train, rank, size, &o, &c);
    for (PetscInt j = 0; j < W; j++) frac[j] = 0;
    for (PetscInt k = o; k < o + c; k++)
      for (PetscInt j = 0; j < W; j++) {
        float v = r->xf_train[(size_t)k * W + j];
        frac[j] += v != floorf(v);
      }
    PetscCall(hd_par_sum_int64(world, W, frac, gfrac));
    r->log_std_sum = 0;
    r->n_discrete = r->n_constant = 0;
    for (PetscInt j = 0; j < W; j++) {
      PetscBool discrete = gfrac[j] == 0;
      if (std[j] == 0) {
        /* constant on the training set: a narrow box of width s = 1e-3 max(|c|, 1) around it
         * (dequantised by U(-s/2, s/2)), so its density is finite and any other value lies
         * 1000 s away per unit, in the splines' identity tails: anomalous */
        std[j]        = 1e-3 * PetscMax(fabs(mean[j]), 1.0);
        r->dequant[j] = 1.0f;
        r->n_constant++;
        r->n_discrete++;
        r->log_std_sum += log(std[j]);
        continue;
      }
      /* a discrete column is scaled by the spread of its dequantised values, sqrt(var + 1/12),
       * so the noise (width 1 / sigma) stays within the splines' interval */
      if (discrete) std[j] = sqrt(std[j] * std[j] + 1.0 / 12.0);
      r->dequant[j] = discrete ? (float)(1.0 / std[j]) : 0.0f;
      r->n_discrete += discrete;
      r->log_std_sum += log(std[j]);
    }
    PetscCall(hd_rnd_standardise(r, W, r->xf, r->xf_train, mean, std));
    PetscCall(PetscFree2(mean, std));
    PetscCall(PetscFree(cols));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_setup(hd_run *run, void *ctx, hd_ensemble *ens)
{
  hd_rnd  *r = ctx;
  double  *costs;
  PetscInt G;

  PetscFunctionBegin;
  PetscCheck(r->data[0], run->world, HD_ERR_USER_INPUT, "option -data is required: the event file to train on");
  PetscCheck(r->out[0], run->world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(r->seed >= 0, run->world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", r->seed);
  PetscCheck(r->train_fraction > 0 && r->train_fraction <= 1, run->world, HD_ERR_USER_INPUT, "option -train_fraction must lie in (0, 1] (got %g)", r->train_fraction);
  if (r->use_svdd) {
    PetscCheck(r->n_d >= 1 && r->n_n >= 1, run->world, HD_ERR_USER_INPUT, "options -svdd_d and -svdd_n must each list at least one value: the grid makes no model");
    for (PetscInt i = 0; i < r->n_d; i++) PetscCheck(r->grid_d[i] >= 1 && r->grid_d[i] <= 100000, run->world, HD_ERR_USER_INPUT, "option -svdd_d: output width %" PetscInt_FMT " makes no model (must lie in [1, 100000])", r->grid_d[i]);
    for (PetscInt i = 0; i < r->n_hidden; i++) PetscCheck(r->hidden[i] >= 1, run->world, HD_ERR_USER_INPUT, "option -svdd_hidden: layer widths must be positive (got %" PetscInt_FMT ")", r->hidden[i]);
    r->K = r->n_d * r->n_n;
    r->svdd_cfg.seed = (uint64_t)r->seed;
  }
  if (r->use_flow) {
    PetscCheck(r->flow_layers >= 1, run->world, HD_ERR_USER_INPUT, "option -flow_layers must be positive (got %" PetscInt_FMT ")", r->flow_layers);
    PetscCheck(r->knots >= 2, run->world, HD_ERR_USER_INPUT, "option -knots must be at least 2 (got %" PetscInt_FMT ")", r->knots);
    PetscCheck(r->tail_bound > 0, run->world, HD_ERR_USER_INPUT, "option -tail_bound must be positive (got %g)", r->tail_bound);
    PetscCheck(r->flow_cfg.min_shard >= 1, run->world, HD_ERR_USER_INPUT, "option -flow_min_shard must be positive (got %" PetscInt_FMT ")", r->flow_cfg.min_shard);
    snprintf(r->flow_spec, sizeof(r->flow_spec), "maf %" PetscInt_FMT " layers, made %s, %" PetscInt_FMT " knots, bound %g", r->flow_layers, r->made, r->knots, r->tail_bound);
    r->flow_cfg.seed = (uint64_t)r->seed;
  }
  r->M = r->K + (r->use_flow ? 1 : 0);
  PetscCall(hd_rnd_load(run->world, r));

  /* relative costs for the schedule: parameters x epochs x events / batch-independent */
  PetscCall(PetscMalloc1(r->M, &costs));
  for (PetscInt m = 0; m < r->K; m++) {
    double p = 0, prev = (double)r->Fs;
    for (PetscInt i = 0; i < r->n_hidden; i++) {
      p += prev * (double)r->hidden[i];
      prev = (double)r->hidden[i];
    }
    p += prev * (double)r->grid_d[m / r->n_n];
    costs[m] = p * (double)r->svdd_cfg.epochs;
  }
  if (r->use_flow) {
    int    H = 1, Wd = 64;
    double D = (double)r->Ff;
    if (sscanf(r->made, "%dx%d", &H, &Wd) != 2) H = 1, Wd = 64;
    costs[r->K] = (double)r->flow_layers * (D * Wd + (H - 1.0) * Wd * Wd + Wd * D * (3.0 * (double)r->knots - 1.0)) * (double)r->flow_cfg.epochs * 3.0;
  }
  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_ensemble_config ec = {.n_members = r->M, .costs = costs, .group_size = r->group_size, .n_events = r->N, .n_metrics = HD_RND_N_METRICS, .progress = NULL, .store_dir = members, .checkpoint_dir = r->out, .resume = r->use_svdd ? r->svdd_cfg.resume : r->flow_cfg.resume, .keep_checkpoints = PETSC_TRUE};
  snprintf(members, sizeof(members), "%s/members", r->out); /* finished members, for -resume */
  PetscCall(hd_ensemble_create(run->world, &ec, ens));
  PetscCall(PetscFree(costs));
  PetscCall(hd_results_mkdir(run->world, r->out));
  G = ens->groups.n_groups;
  PetscCall(hd_log(run->world, "%s: %" PetscInt_FMT " events (%" PetscInt_FMT " train, background only), %" PetscInt_FMT " signal%s; %" PetscInt_FMT " SVDD member%s on %" PetscInt_FMT " columns%s%s; %d ranks in %" PetscInt_FMT " group%s\n", r->method, r->N, r->n_train, r->n_signals,
                   r->n_signals == 1 ? "" : "s", r->K, r->K == 1 ? "" : "s", r->Fs, r->use_flow ? ", flow " : "", r->use_flow ? r->flow_spec : "", run->size, G, G > 1 ? "s" : ""));
  if (r->use_flow) PetscCall(hd_log(run->world, "%s: flow on %" PetscInt_FMT " columns, %" PetscInt_FMT " discrete (dequantised), %" PetscInt_FMT " constant; sum log std %.6g\n", r->method, r->Ff, r->n_discrete, r->n_constant, r->log_std_sum));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_member(hd_ensemble_member *m, void *ctx)
{
  hd_rnd *r = ctx;

  PetscFunctionBegin;
  if (m->member < r->K) PetscCall(hd_rnd_svdd_member(m, r));
  else PetscCall(hd_rnd_flow_member(m, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. u (block) = empirical CDF on the training set of the full column `all`
 * (N) evaluated at this rank's block rows. ref is scratch (n_train). */
static PetscErrorCode hd_rnd_uniform(const hd_rnd *r, const hd_ensemble *ens, const float *all, float *ref, float *u)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < r->n_train; k++) ref[k] = all[r->train_rows[k]];
  PetscCall(hd_stats_quantile_transform(r->n_train, ref, ens->block_count, all + ens->block_offset, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Metrics of one model's full score column, per signal (computed by one rank; the tables are summed
 * over the world afterwards, so exactly one rank contributes each entry). */
static PetscErrorCode hd_rnd_model_metrics(hd_rnd *r, PetscInt j, const float *score, int32_t *lab)
{
  PetscFunctionBegin;
  for (PetscInt s = 0; s < r->n_signals; s++) {
    hd_stats_roc roc;
    for (PetscInt i = 0; i < r->N; i++) lab[i] = r->is_train[i] ? -1 : r->label[i] == 0 ? 0 : r->label[i] == s + 1 ? 1 : -1;
    PetscCall(hd_stats_roc_compute(r->N, score, lab, 2, &roc));
    r->auc[j * r->n_signals + s] = roc.auc;
    for (int k = 0; k < 3; k++) r->eps[(j * r->n_signals + s) * 3 + k] = roc.eps_s_at[k];
    r->si[j * r->n_signals + s] = hd_stats_signal_improvement(roc.eps_s_at);
    PetscCall(hd_stats_roc_free(&roc));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_evaluate(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_rnd  *r = ctx;
  PetscInt B = ens->block_count, M = r->M, K = r->K, S, n_models, nc;
  float   *all, *ref, *u, *comb, *ucomb;
  int32_t *lab;
  double  *tab;

  PetscFunctionBegin;
  /* models: K members, then (K > 1) the four SVDD combinations, the flow, then (both) the four
   * final combinations */
  n_models    = K + (K > 1 ? HD_RND_NCOMB : 0) + (r->use_flow ? 1 : 0) + (K > 0 && r->use_flow ? HD_RND_NCOMB : 0);
  r->n_models = n_models;
  S           = PetscMax(r->n_signals, 1);
  PetscCall(PetscCalloc1(n_models, &r->model_names));
  PetscCall(PetscCalloc3(n_models * S, &r->auc, n_models * S * 3, &r->eps, n_models * S, &r->si));
  PetscCall(PetscCalloc1(n_models * 3, &r->ti));
  PetscCall(PetscMalloc1((size_t)PetscMax(B, 1) * n_models, &r->block_scores));
  PetscCall(PetscMalloc1(PetscMax(B, 1), &r->flow_eq7));
  PetscCall(PetscMalloc4(r->N, &all, r->n_train, &ref, (size_t)PetscMax(B, 1) * (M + 1), &u, PetscMax(B, 1) * HD_RND_NCOMB, &comb));
  PetscCall(PetscMalloc2(PetscMax(B, 1) * HD_RND_NCOMB, &ucomb, r->N, &lab));
  for (PetscInt i = 0; i < n_models * S; i++) r->auc[i] = r->si[i] = NAN;
  for (PetscInt i = 0; i < n_models * S * 3; i++) r->eps[i] = NAN;

  /* each member: its raw anomaly score (flow: -log p), full column on every rank, and its u */
  for (PetscInt m = 0; m < M; m++) {
    PetscInt jm = m < K ? m : K + (K > 1 ? HD_RND_NCOMB : 0); /* the flow's model index */
    float   *blk;
    PetscCall(PetscMalloc1(PetscMax(B, 1), &blk));
    for (PetscInt i = 0; i < B; i++) blk[i] = m < K ? ens->columns[i * M + m] : -ens->columns[i * M + m];
    for (PetscInt i = 0; i < B; i++) r->block_scores[i * n_models + jm] = blk[i];
    PetscCall(hd_par_allgather_blocks(run->world, r->N, 1, HD_PAR_FLOAT, blk, all));
    PetscCall(PetscFree(blk));
    if (m < K) snprintf(r->model_names[jm], HD_NAME_LEN, "svdd_d%" PetscInt_FMT "_n%" PetscInt_FMT, r->grid_d[m / r->n_n], r->grid_n[m % r->n_n]);
    else snprintf(r->model_names[jm], HD_NAME_LEN, "flow");
    if (jm % run->size == run->rank) PetscCall(hd_rnd_model_metrics(r, jm, all, lab));
    PetscCall(hd_rnd_uniform(r, ens, all, ref, ucomb));
    for (PetscInt i = 0; i < B; i++) u[i * (M + 1) + m] = ucomb[i];
    if (m == K) { /* eq. 7 on log p = -score: (log p - min_train) / (max_train - min_train) */
      double lo = INFINITY, hi = -INFINITY;
      for (PetscInt k = 0; k < r->n_train; k++) {
        double lp = -(double)all[r->train_rows[k]];
        lo = PetscMin(lo, lp);
        hi = PetscMax(hi, lp);
      }
      for (PetscInt i = 0; i < B; i++) r->flow_eq7[i] = (float)((-(double)all[ens->block_offset + i] - lo) / (hi > lo ? hi - lo : 1.0));
    }
  }
  /* SVDD combinations over the members' u, made uniform again, then with the flow */
  if (K > 1 || (K > 0 && r->use_flow)) {
    for (PetscInt i = 0; i < B; i++) {
      double mn = 1, mx = 0, pr = 1, av = 0;
      for (PetscInt m = 0; m < K; m++) {
        double v = u[i * (M + 1) + m];
        mn = PetscMin(mn, v);
        mx = PetscMax(mx, v);
        pr *= v;
        av += v;
      }
      comb[i * HD_RND_NCOMB + HD_RND_AND]  = (float)mn;
      comb[i * HD_RND_NCOMB + HD_RND_OR]   = (float)mx;
      comb[i * HD_RND_NCOMB + HD_RND_PROD] = (float)pr;
      comb[i * HD_RND_NCOMB + HD_RND_AVG]  = (float)(av / (double)K);
      u[i * (M + 1) + M]                   = (float)(av / (double)K); /* the ensemble, for the correlations */
    }
    for (PetscInt c = 0; c < HD_RND_NCOMB; c++) {
      float   *blk;
      PetscInt jc = K + c;
      PetscCall(PetscMalloc1(PetscMax(B, 1), &blk));
      for (PetscInt i = 0; i < B; i++) blk[i] = comb[i * HD_RND_NCOMB + c];
      PetscCall(hd_par_allgather_blocks(run->world, r->N, 1, HD_PAR_FLOAT, blk, all));
      if (K > 1) {
        snprintf(r->model_names[jc], HD_NAME_LEN, "svdd_%s", hd_rnd_comb_names[c]);
        for (PetscInt i = 0; i < B; i++) r->block_scores[i * n_models + jc] = blk[i];
        if (jc % run->size == run->rank) PetscCall(hd_rnd_model_metrics(r, jc, all, lab));
      }
      PetscCall(hd_rnd_uniform(r, ens, all, ref, blk));
      if (r->use_flow) {
        PetscInt jf = K + (K > 1 ? HD_RND_NCOMB : 0) + 1 + c;
        for (PetscInt i = 0; i < B; i++) {
          double a = blk[i], b = u[i * (M + 1) + K], v;
          v = c == HD_RND_AND ? PetscMin(a, b) : c == HD_RND_OR ? PetscMax(a, b) : c == HD_RND_PROD ? a * b : 0.5 * (a + b);
          r->block_scores[i * n_models + jf] = (float)v;
        }
        snprintf(r->model_names[jf], HD_NAME_LEN, "%s", hd_rnd_comb_names[c]);
        for (PetscInt i = 0; i < B; i++) blk[i] = r->block_scores[i * n_models + jf];
        PetscCall(hd_par_allgather_blocks(run->world, r->N, 1, HD_PAR_FLOAT, blk, all));
        if (jf % run->size == run->rank) PetscCall(hd_rnd_model_metrics(r, jf, all, lab));
      }
      PetscCall(PetscFree(blk));
    }
  }
  /* one rank filled each model's row: NaN travels as a sentinel through the exact sum */
  PetscCall(PetscMalloc1(n_models * S * 5, &tab));
  for (PetscInt i = 0; i < n_models * S; i++) {
    PetscBool mine = (i / S) % run->size == run->rank;
    double    v[5] = {r->auc[i], r->si[i], r->eps[3 * i], r->eps[3 * i + 1], r->eps[3 * i + 2]};
    for (int k = 0; k < 5; k++) tab[i * 5 + k] = mine ? (isnan(v[k]) ? -1e300 : v[k]) : 0.0;
  }
  PetscCall(hd_par_sum_double(run->world, n_models * S * 5, tab, tab));
  for (PetscInt i = 0; i < n_models * S; i++) {
    double *v = tab + i * 5;
    r->auc[i] = v[0] == -1e300 ? NAN : v[0];
    r->si[i]  = v[1] == -1e300 ? NAN : v[1];
    for (int k = 0; k < 3; k++) r->eps[3 * i + k] = v[2 + k] == -1e300 ? NAN : v[2 + k];
  }
  PetscCall(PetscFree(tab));
  for (PetscInt jm = 0; jm < n_models; jm++) PetscCall(hd_stats_total_improvement(r->n_signals, r->si + jm * S, r->ti + jm * 3));

  /* correlations of the uniform scores on the test set: members, flow, (SVDD AVG ensemble) */
  nc        = M + (K > 1 && r->use_flow ? 1 : 0);
  r->n_corr = nc;
  PetscCall(PetscMalloc1(nc * nc, &r->corr));
  {
    float  *uc;
    int8_t *test;
    PetscCall(PetscMalloc2((size_t)PetscMax(B, 1) * nc, &uc, PetscMax(B, 1), &test));
    for (PetscInt i = 0; i < B; i++) {
      test[i] = !r->is_train[ens->block_offset + i];
      for (PetscInt c = 0; c < nc; c++) uc[i * nc + c] = u[i * (M + 1) + c];
    }
    PetscCall(hd_stats_correlation_uniform(run->world, B, nc, uc, test, r->corr));
    PetscCall(PetscFree2(uc, test));
  }
  r->corr_svdd_mean = r->corr_svdd_flow = r->n_eff = NAN;
  if (K > 1) {
    double   s = 0, *sub;
    PetscInt n = 0;
    for (PetscInt a = 0; a < K; a++)
      for (PetscInt b = a + 1; b < K; b++, n++) s += r->corr[a * nc + b];
    r->corr_svdd_mean = s / (double)n;
    PetscCall(PetscMalloc1(K * K, &sub));
    for (PetscInt a = 0; a < K; a++)
      for (PetscInt b = 0; b < K; b++) sub[a * K + b] = r->corr[a * nc + b];
    PetscCall(hd_stats_effective_number(run->world, K, sub, NULL, &r->n_eff));
    PetscCall(PetscFree(sub));
    if (r->use_flow) r->corr_svdd_flow = r->corr[M * nc + K];
  } else if (K == 1 && r->use_flow) r->corr_svdd_flow = r->corr[0 * nc + 1];
  PetscCall(PetscFree4(all, ref, u, comb));
  PetscCall(PetscFree2(ucomb, lab));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_report(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_rnd    *r = ctx;
  PetscInt   B = ens->block_count, S = PetscMax(r->n_signals, 1), K = r->K, M = r->M;
  hd_results res;
  hd_summary s;
  float     *blk;
  double     wall = hd_wtime() - run->t0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1((size_t)PetscMax(B, 1) * PetscMax(K, 1), &blk));
  PetscCall(hd_results_create(run->world, r->out, r->method, NULL, &res));
  if (K > 0) {
    for (PetscInt i = 0; i < B; i++)
      for (PetscInt m = 0; m < K; m++) blk[i * K + m] = ens->columns[i * M + m];
    PetscCall(hd_results_write_table(&res, "/scores/svdd_members", r->N, K, ens->block_offset, B, blk));
  }
  for (PetscInt jm = K; jm < r->n_models; jm++) {
    char name[HD_NAME_LEN + 16];
    for (PetscInt i = 0; i < B; i++) blk[i] = r->block_scores[i * r->n_models + jm];
    if (!strcmp(r->model_names[jm], "flow")) {
      for (PetscInt i = 0; i < B; i++) blk[i] = ens->columns[i * M + K];
      PetscCall(hd_results_write_rows(&res, "/scores/flow_logp", r->N, ens->block_offset, B, blk));
      PetscCall(hd_results_write_rows(&res, "/scores/flow_eq7", r->N, ens->block_offset, B, r->flow_eq7));
      continue;
    }
    snprintf(name, sizeof(name), "/scores/%s", r->model_names[jm]);
    PetscCall(hd_results_write_rows(&res, name, r->N, ens->block_offset, B, blk));
  }
  {
    int8_t *t;
    PetscCall(PetscMalloc1(PetscMax(B, 1), &t));
    for (PetscInt i = 0; i < B; i++) t[i] = (int8_t)!r->is_train[ens->block_offset + i];
    PetscCall(hd_results_write_rows_int8(&res, "/scores/is_test", r->N, ens->block_offset, B, t));
    PetscCall(PetscFree(t));
  }
  PetscCall(hd_results_write_array(&res, "/metrics/auc", r->n_models * S, r->auc));
  PetscCall(hd_results_write_array(&res, "/metrics/si", r->n_models * S, r->si));
  PetscCall(hd_results_write_array(&res, "/metrics/eps_s", r->n_models * S * 3, r->eps));
  PetscCall(hd_results_write_array(&res, "/metrics/ti", r->n_models * 3, r->ti));
  PetscCall(hd_results_write_array(&res, "/metrics/correlation", r->n_corr * r->n_corr, r->corr));
  PetscCall(hd_results_close(&res));
  PetscCall(PetscFree(blk));

  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", r->method));
  PetscCall(hd_summary_string(&s, "data", r->data));
  PetscCall(hd_summary_int(&s, "events", r->N));
  PetscCall(hd_summary_int(&s, "train_events", r->n_train));
  PetscCall(hd_summary_int(&s, "ranks", run->size));
  PetscCall(hd_summary_int(&s, "group_size", ens->groups.group_size));
  PetscCall(hd_summary_int(&s, "seed", r->seed));
  PetscCall(hd_summary_int(&s, "members", M));
  PetscCall(hd_summary_double(&s, "wall_s", wall));
  if (r->use_flow) PetscCall(hd_summary_string(&s, "flow_network", r->flow_spec));
  PetscCall(hd_summary_open(&s, "models", '['));
  for (PetscInt jm = 0; jm < r->n_models; jm++) PetscCall(hd_summary_string(&s, NULL, r->model_names[jm]));
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_open(&s, "signals", '['));
  for (PetscInt k = 0; k < r->n_signals; k++) PetscCall(hd_summary_string(&s, NULL, r->signals[k]));
  PetscCall(hd_summary_close(&s, ']'));
  {
    const char *keys[5] = {"auc", "si", "eps_s_1e-2", "eps_s_1e-3", "eps_s_1e-4"};
    for (int q = 0; q < 5; q++) {
      PetscCall(hd_summary_open(&s, keys[q], '{'));
      for (PetscInt k = 0; k < r->n_signals; k++) {
        PetscCall(hd_summary_open(&s, r->signals[k], '{'));
        for (PetscInt jm = 0; jm < r->n_models; jm++) {
          double v = q == 0 ? r->auc[jm * S + k] : q == 1 ? r->si[jm * S + k] : r->eps[(jm * S + k) * 3 + q - 2];
          PetscCall(hd_summary_double(&s, r->model_names[jm], v));
        }
        PetscCall(hd_summary_close(&s, '}'));
      }
      PetscCall(hd_summary_close(&s, '}'));
    }
  }
  PetscCall(hd_summary_open(&s, "ti", '{'));
  for (PetscInt jm = 0; jm < r->n_models; jm++) {
    PetscCall(hd_summary_open(&s, r->model_names[jm], '{'));
    PetscCall(hd_summary_double(&s, "min", r->ti[jm * 3]));
    PetscCall(hd_summary_double(&s, "median", r->ti[jm * 3 + 1]));
    PetscCall(hd_summary_double(&s, "max", r->ti[jm * 3 + 2]));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_open(&s, "correlation", '{'));
  PetscCall(hd_summary_double(&s, "svdd_mean", r->corr_svdd_mean));
  PetscCall(hd_summary_double(&s, "svdd_flow", r->corr_svdd_flow));
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_double(&s, "effective_members", r->n_eff));
  PetscCall(hd_summary_open(&s, "member_results", '['));
  for (PetscInt m = 0; m < M; m++) {
    const double *v = ens->metrics + m * HD_RND_N_METRICS;
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_string(&s, "model", m < K ? r->model_names[m] : "flow"));
    PetscCall(hd_summary_int(&s, "epochs", (int64_t)v[HD_RND_EPOCHS]));
    PetscCall(hd_summary_double(&s, "val_loss", v[HD_RND_VAL_LOSS]));
    PetscCall(hd_summary_double(&s, "train_events_per_s", v[HD_RND_RATE]));
    PetscCall(hd_summary_int(&s, "parameters", (int64_t)v[HD_RND_PARAMS]));
    PetscCall(hd_summary_double(&s, "wall_s", v[HD_RND_WALL]));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_write(run->world, r->out, &s));

  /* the TI table (seed 003 Fig. 5), combinations and single models; members only with few */
  PetscCall(hd_log(run->world, "%s: total improvement over %" PetscInt_FMT " signal%s (SI = max eps_S / sqrt(eps_B))\n", r->method, r->n_signals, r->n_signals == 1 ? "" : "s"));
  PetscCall(hd_log(run->world, "  %-20s %9s %9s %9s\n", "model", "TI min", "median", "max"));
  for (PetscInt jm = 0; jm < r->n_models; jm++) {
    if (jm < K && K > 4 && jm != 0) continue;
    PetscCall(hd_log(run->world, "  %-20s %9.3f %9.3f %9.3f\n", r->model_names[jm], r->ti[jm * 3], r->ti[jm * 3 + 1], r->ti[jm * 3 + 2]));
  }
  if (K > 1) PetscCall(hd_log(run->world, "%s: mean correlation between SVDD members %.3f, SVDD ensemble and flow %.3f, effective members %.2f of %" PetscInt_FMT "\n", r->method, r->corr_svdd_mean, r->corr_svdd_flow, r->n_eff, K));
  PetscCall(hd_log(run->world, "%s: %" PetscInt_FMT " member%s, %.1f s; outputs in %s\n", r->method, M, M == 1 ? "" : "s", wall, r->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_stopped(hd_run *run, void *ctx)
{
  hd_rnd *r = ctx;

  PetscFunctionBegin;
  PetscCall(hd_log(run->world, "%s: interrupted; run again with -resume to continue from the finished members and the checkpoints in '%s'\n", r->method, r->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_rnd_destroy(void *ctx)
{
  hd_rnd *r = ctx;

  PetscFunctionBegin;
  PetscCall(hd_table_destroy(&r->table));
  PetscCall(PetscFree2(r->is_train, r->train_rows));
  PetscCall(PetscFree(r->dequant));
  PetscCall(PetscFree(r->signals));
  PetscCall(PetscFree(r->model_names));
  PetscCall(PetscFree3(r->auc, r->eps, r->si));
  PetscCall(PetscFree(r->ti));
  PetscCall(PetscFree(r->block_scores));
  PetscCall(PetscFree(r->flow_eq7));
  PetscCall(PetscFree(r->corr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_rnd_member_metrics(double *metrics, const hd_train_result *res, const hd_nn *net, double t0)
{
  metrics[HD_RND_EPOCHS]   = (double)res->epochs_run;
  metrics[HD_RND_VAL_LOSS] = res->best_val_loss;
  metrics[HD_RND_RATE]     = res->events_per_s;
  metrics[HD_RND_PARAMS]   = (double)net->n_params;
  metrics[HD_RND_WALL]     = hd_wtime() - t0;
}

/* The three methods differ only in their name and the options they read; state and steps are one. */
#define HD_RND_STEPS \
  .ctx_size = sizeof(hd_rnd), .setup = hd_rnd_setup, .run_member = hd_rnd_member, .evaluate = hd_rnd_evaluate, \
  .report = hd_rnd_report, .stopped = hd_rnd_stopped, .destroy = hd_rnd_destroy

const hd_method hd_method_rnd = {
  .name         = "rnd",
  .summary      = "Rare and Different: Deep SVDD ensemble + autoregressive spline flow, combined AND/OR/PROD/AVG (seed 003)",
  .usage        = "hadal run -method rnd -data FILE -out DIR [-svdd_d 5,8,... -svdd_n 0,1,...] [-flow_layers 11 -made_hidden 7x200 -knots 35] ...",
  .read_options = hd_rnd_read_options_rnd,
  HD_RND_STEPS,
};

const hd_method hd_method_svdd = {
  .name         = "svdd",
  .summary      = "ensemble of Deep SVDD models over a (d, n) grid, combined AND/OR/PROD/AVG (seed 003)",
  .usage        = "hadal run -method svdd -data FILE -out DIR [-svdd_d 5,8,13,... -svdd_n 0,1,2,...] [-svdd_hidden 512,256,128] ...",
  .read_options = hd_rnd_read_options_svdd,
  HD_RND_STEPS,
};

const hd_method hd_method_flow = {
  .name         = "flow",
  .summary      = "masked autoregressive rational-quadratic-spline flow: log p(x) as the score (seed 003)",
  .usage        = "hadal run -method flow -data FILE -out DIR [-flow_layers 11 -made_hidden 7x200 -knots 35 -tail_bound 3] ...",
  .read_options = hd_rnd_read_options_flow,
  HD_RND_STEPS,
};
