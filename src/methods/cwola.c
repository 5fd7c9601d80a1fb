/* CWoLa hunting (seed 001 section 4; seed 004). In a window of the resonant mass, a classifier
 * learns signal region (SR) against sidebands (SB) on the features alone; if a resonance sits in
 * the SR, the classifier learns it (the mixed samples differ only by their signal fraction, seed
 * 001 eq. 4), and selecting the most SR-like events makes a bump that a fit of the spectrum
 * outside the SR does not predict.
 *
 *   1. Windows: SR [m, m (1 + w)) stepping up in mass, sidebands on both sides   hd_cwola_windows
 *   2. Features (mass-scaled where asked) standardised; k folds drawn per event   hd_cwola_load,
 *                                                                                 hd_cwola_folds
 *   3. Per (window, fold, member): a classifier of SR against SB trained on the
 *      window's events outside the fold, with SR and SB weighted equally; it
 *      scores the fold                                                            hd_cwola_unit
 *   4. Each member's fold scores made uniform (quantile scaling, seed 004) and
 *      averaged over the members: score = sum_j (2 r_j + 1) / (2 n_fold M)       hd_cwola_evaluate
 *   5. Per eps: the top eps of the window's events selected; the dijet function
 *      fitted to the selected spectrum outside the SR; observed SR count against
 *      the prediction gives the local significance                               hd_cwola_window_evaluate
 *   6. results.h5, summary.json, the table; per-window files for `hadal merge`    hd_cwola_report
 *
 * The units of step 3 are the ensemble (include/hadal/ensemble.h), dealt to rank groups by cost;
 * every result is a pure function of (seed, data, options), identical at any rank count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/bdt.h>
#include <hadal/bumphunt.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include <hadal/train.h>
#include "cwola.h"

#define HD_CWOLA_MAX_WINDOWS 256

typedef struct {
  char      data[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64], scale[16], network[512], scale_by_mass[256];
  PetscInt  seed, folds, members, group_size, window, fit_params, injection, n_eps;
  PetscReal sr_min, sr_max, sr_width, sr_step, sb_width, bin_width;
  double    eps[HD_CWOLA_EPS_MAX];
  PetscBool log_scale, list_windows;
  char      classifier[32]; /* nn or bdt (hd_cwola_classifier_read) */
  PetscBool use_bdt;
  hd_bdt_config bdt;
  PetscInt  noise_features;
} hd_cwola_options;

/* ---- the classifier: a network (the default) or boosted decision trees ---- */

/* Collective on PETSC_COMM_WORLD. -classifier, the tree options (include/hadal/bdt.h; the
 * validation fraction is the engine's -val_fraction, so both classifiers hold out the same events)
 * and -noise_features. */
static PetscErrorCode hd_cwola_classifier_read(hd_cwola_options *o, const hd_train_config *cfg)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_string("-classifier", "nn: the network of -network; bdt: boosted decision trees (XGBoost, -bdt_* options)", "nn", o->classifier, sizeof(o->classifier), NULL));
  o->bdt              = hd_bdt_defaults();
  o->bdt.val_fraction = cfg->val_fraction;
  PetscCall(hd_bdt_read_options(&o->bdt));
  PetscCall(hd_opt_int("-noise_features", "features of pure noise (standard normal) added to every event, for robustness studies", 0, &o->noise_features, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (every rank holds the same values). */
static PetscErrorCode hd_cwola_classifier_check(hd_comm world, hd_cwola_options *o)
{
  PetscFunctionBegin;
  PetscCheck(!strcmp(o->classifier, "nn") || !strcmp(o->classifier, "bdt"), world, HD_ERR_USER_INPUT, "option -classifier: '%s' is neither nn nor bdt", o->classifier);
  o->use_bdt = !strcmp(o->classifier, "bdt");
  if (o->use_bdt) PetscCall(hd_bdt_check(world, &o->bdt));
  PetscCheck(o->noise_features >= 0 && o->noise_features <= 1000, world, HD_ERR_USER_INPUT, "option -noise_features must lie in [0, 1000] (got %" PetscInt_FMT ")", o->noise_features);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- options ---- */

static PetscErrorCode hd_cwola_options_read(hd_cwola_options *o, hd_train_config *cfg)
{
  PetscReal eps[HD_CWOLA_EPS_MAX];

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-data", "event file with /events/features and /events/mass", NULL, o->data, sizeof(o->data), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, o->out, sizeof(o->out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of folds, initialisation, splits and minibatch order", 1, &o->seed, NULL));
  PetscCall(hd_opt_string("-window_scale", "log: widths relative to the mass; linear: widths in GeV", "log", o->scale, sizeof(o->scale), NULL));
  PetscCall(hd_opt_real("-sr_min", "lower edge of the first signal region (GeV)", 3300, &o->sr_min, NULL));
  PetscCall(hd_opt_real("-sr_max", "no signal region reaches above this (GeV)", 6000, &o->sr_max, NULL));
  PetscCall(hd_opt_real("-sr_width", "signal-region width (relative, or GeV with -window_scale linear)", 0.12, &o->sr_width, NULL));
  PetscCall(hd_opt_real("-sr_step", "step between signal regions (relative, or GeV)", 0.06, &o->sr_step, NULL));
  PetscCall(hd_opt_real("-sb_width", "width of each sideband (relative to its SR edge, or GeV)", 0.12, &o->sb_width, NULL));
  PetscCall(hd_opt_real("-bin_width", "bin width of the fitted spectra (relative, or GeV)", 0.02, &o->bin_width, NULL));
  PetscCall(hd_opt_int("-fit_params", "parameters of the dijet fit (3: p3 = 0, or 4)", 3, &o->fit_params, NULL));
  PetscCall(hd_opt_bool("-list_windows", "print the windows of the scan (one per line, after a line 'windows: N') and stop", PETSC_FALSE, &o->list_windows, NULL));
  PetscCall(hd_opt_int("-window", "run only this window (for job arrays; hadal merge combines them); -1: all", -1, &o->window, NULL));
  PetscCall(hd_opt_int("-folds", "k of the k-fold scoring", 5, &o->folds, NULL));
  PetscCall(hd_opt_int("-ensemble_size", "classifiers per (window, fold), averaged after quantile scaling", 50, &o->members, NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one classifier together (a divisor of the rank count)", 1, &o->group_size, NULL));
  PetscCall(hd_opt_string("-network", "the classifier", "dense 64 relu, dense 64 relu, dense 64 relu, dense 1", o->network, sizeof(o->network), NULL));
  o->n_eps = HD_CWOLA_EPS_MAX;
  PetscCall(hd_opt_real_list("-eps", "selection efficiencies: the top eps of events by score", "1,0.1,0.01,0.002", eps, &o->n_eps, NULL));
  for (PetscInt i = 0; i < o->n_eps; i++) o->eps[i] = eps[i];
  PetscCall(hd_opt_string("-scale_by_mass", "features divided by the event's mass before training (decorrelates them from it)", "", o->scale_by_mass, sizeof(o->scale_by_mass), NULL));
  PetscCall(hd_opt_int("-signal_injection", "keep this many signal (label > 0) events, drop the rest; -1 keeps all", -1, &o->injection, NULL));
  *cfg               = hd_train_defaults();
  cfg->epochs        = 20;
  cfg->batch         = 128;
  cfg->objective     = hd_objective_standard(HD_TRAIN_LOSS_BCE);
  cfg->stop_patience = 5;
  cfg->progress      = PETSC_FALSE;
  PetscCall(hd_train_read_options(cfg));
  PetscCall(hd_cwola_classifier_read(o, cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (every rank holds the same values): the option values make a scan. */
static PetscErrorCode hd_cwola_options_check(hd_comm world, hd_cwola_options *o)
{
  PetscFunctionBegin;
  PetscCheck(o->data[0] || o->list_windows, world, HD_ERR_USER_INPUT, "option -data is required: the event file to scan");
  PetscCheck(o->out[0] || o->list_windows, world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(o->seed >= 0, world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", o->seed);
  PetscCheck(!strcmp(o->scale, "log") || !strcmp(o->scale, "linear"), world, HD_ERR_USER_INPUT, "option -window_scale: '%s' is neither log nor linear", o->scale);
  o->log_scale = !strcmp(o->scale, "log");
  PetscCheck(o->sr_width > 0 && o->sr_step > 0 && o->sb_width > 0 && o->bin_width > 0, world, HD_ERR_USER_INPUT, "options -sr_width, -sr_step, -sb_width and -bin_width must be positive (got %g, %g, %g, %g)", o->sr_width, o->sr_step, o->sb_width, o->bin_width);
  PetscCheck(o->sr_min > 0 && o->sr_max > o->sr_min, world, HD_ERR_USER_INPUT, "options -sr_min %g and -sr_max %g do not make a mass range", o->sr_min, o->sr_max);
  PetscCheck(o->fit_params == 3 || o->fit_params == 4, world, HD_ERR_USER_INPUT, "option -fit_params must be 3 or 4 (got %" PetscInt_FMT ")", o->fit_params);
  PetscCheck(o->folds >= 2 && o->folds <= 20, world, HD_ERR_USER_INPUT, "option -folds must lie in [2, 20] (got %" PetscInt_FMT ")", o->folds);
  PetscCheck(o->members >= 1 && o->members <= 10000, world, HD_ERR_USER_INPUT, "option -ensemble_size must lie in [1, 10000] (got %" PetscInt_FMT ")", o->members);
  for (PetscInt i = 0; i < o->n_eps; i++) {
    char v[32];
    snprintf(v, sizeof(v), "%g", o->eps[i]); /* PETSc's formatter would print 0 as "0." */
    PetscCheck(o->eps[i] > 0 && o->eps[i] <= 1, world, HD_ERR_USER_INPUT, "option -eps: %s is outside (0, 1]", v);
  }
  PetscCheck(o->window >= -1, world, HD_ERR_USER_INPUT, "option -window must be a window index, or -1 for all (got %" PetscInt_FMT ")", o->window);
  PetscCheck(o->injection >= -1, world, HD_ERR_USER_INPUT, "option -signal_injection must be -1 (keep all) or a count (got %" PetscInt_FMT ")", o->injection);
  PetscCall(hd_cwola_classifier_check(world, o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The windows of the scan: SR [lo, hi) stepping up from sr_min while hi <= sr_max; sidebands of
 * sb_width on both sides. Log scale: hi = lo (1 + w), next lo = lo (1 + step), SB [lo / (1 + sb),
 * lo) and [hi, hi (1 + sb)). */
static PetscErrorCode hd_cwola_windows(hd_comm world, const hd_cwola_options *o, PetscInt *n, hd_cwola_window *w)
{
  double lo = o->sr_min;

  PetscFunctionBegin;
  *n = 0;
  for (;;) {
    double hi = o->log_scale ? lo * (1 + o->sr_width) : lo + o->sr_width;
    if (hi > o->sr_max * (1 + 1e-12)) break;
    PetscCheck(*n < HD_CWOLA_MAX_WINDOWS, world, HD_ERR_USER_INPUT, "more than %d windows between -sr_min %g and -sr_max %g: widen -sr_step", HD_CWOLA_MAX_WINDOWS, o->sr_min, o->sr_max);
    w[*n].sr_lo = lo;
    w[*n].sr_hi = hi;
    w[*n].sb_lo = o->log_scale ? lo / (1 + o->sb_width) : lo - o->sb_width;
    w[*n].sb_hi = o->log_scale ? hi * (1 + o->sb_width) : hi + o->sb_width;
    (*n)++;
    lo = o->log_scale ? lo * (1 + o->sr_step) : lo + o->sr_step;
  }
  PetscCheck(*n > 0, world, HD_ERR_USER_INPUT, "no signal region of width %g fits between -sr_min %g and -sr_max %g", o->sr_width, o->sr_min, o->sr_max);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Bin edges of a window: the SB below, the SR and the SB above are binned separately so that the
 * SR edges are bin edges (no bin straddles them). */
static PetscErrorCode hd_cwola_edges(const hd_cwola_options *o, const hd_cwola_window *w, PetscInt *n_bins, double **edges)
{
  const double    seg[4] = {w->sb_lo, w->sr_lo, w->sr_hi, w->sb_hi};
  PetscInt        nb[3], k = 0;
  hd_bump_binning kind = o->log_scale ? HD_BUMP_BINS_LOG : HD_BUMP_BINS_LINEAR;

  PetscFunctionBegin;
  for (int s = 0; s < 3; s++) PetscCall(hd_bump_n_bins(seg[s], seg[s + 1], o->bin_width, kind, &nb[s]));
  *n_bins = nb[0] + nb[1] + nb[2];
  PetscCall(PetscMalloc1(*n_bins + 1, edges));
  for (int s = 0; s < 3; s++) {
    PetscCall(hd_bump_edges(seg[s], seg[s + 1], nb[s], kind, *edges + k));
    k += nb[s];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the data every rank holds ---- */

typedef struct {
  hd_table  table; /* the event file's table, once per node */
  PetscInt  n, F;
  float    *x;     /* (n, F) standardised features: table.features, standardised in place */
  float    *mass;  /* (n) table.mass */
  int32_t  *label; /* (n) table.label */
  PetscBool *use;  /* (n) false for signal events dropped by -signal_injection */
  int8_t   *fold;  /* (n) */
  PetscBool has_truth;
  double    mass_lo, mass_hi;
} hd_cwola_table;

/* Collective on world. The table every rank trains on: features (those named by -scale_by_mass
 * divided by the mass) standardised in place with exact moments reduced across ranks, masses and
 * labels, held once per node (hd_events_read_shared). The one place that reads the data. */
static PetscErrorCode hd_cwola_load(hd_comm world, const hd_cwola_options *o, hd_cwola_table *t)
{
  static const char *const need[] = {"features", "mass", NULL};
  hd_table                *ev = &t->table;
  double                  *mean, *std;

  PetscFunctionBegin;
  PetscCall(hd_events_read_shared(world, o->data, need, ev));
  t->n = ev->layout.n_events;
  t->F = ev->layout.n_features;
  PetscInt N = t->n, F = t->F;
  /* features that scale with the mass (jet masses grow with pT, hence with mjj) would let the
   * classifier tell SR from SB on background alone and sculpt a bump: divide them by the mass */
  char list[256];
  snprintf(list, sizeof(list), "%s", o->scale_by_mass);
  for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
    PetscInt j = hd_events_feature_index(&ev->layout, name);
    PetscCheck(j >= 0, world, HD_ERR_USER_INPUT, "option -scale_by_mass: '%s' has no feature named '%s'", o->data, name);
    for (PetscInt i = ev->fill_offset; i < ev->fill_offset + ev->fill_count; i++) {
      PetscCheck(ev->mass[i] > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "'%s': event %" PetscInt_FMT " has mass %g: cannot scale features by it", o->data, i, (double)ev->mass[i]);
      ev->features[(size_t)i * F + j] /= ev->mass[i];
    }
  }
  /* standardise in place with exact moments reduced across ranks: one table per node */
  PetscCall(hd_table_sync(ev));
  PetscCall(PetscMalloc2(F, &mean, F, &std));
  PetscCall(hd_stats_moments(world, ev->n_local, F, ev->features + (size_t)ev->offset * F, N, mean, std));
  PetscCall(hd_table_sync(ev));
  for (PetscInt i = ev->fill_offset; i < ev->fill_offset + ev->fill_count; i++)
    for (PetscInt j = 0; j < F; j++) ev->features[(size_t)i * F + j] = (float)((ev->features[(size_t)i * F + j] - mean[j]) / (std[j] > 0 ? std[j] : 1.0));
  PetscCall(hd_table_sync(ev));
  t->x     = ev->features;
  t->mass  = ev->mass;
  t->label = ev->label;
  PetscCall(PetscMalloc1(N, &t->use));
  PetscCall(PetscMalloc1(N, &t->fold));
  PetscCall(PetscFree2(mean, std));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Folds and the signal injection: fixed draws per event, (seed, HD_STREAM_FOLD, event) and
 * (seed, HD_STREAM_INJECT, event). */
static PetscErrorCode hd_cwola_folds(hd_comm world, const hd_cwola_options *o, hd_cwola_table *t)
{
  PetscInt N = t->n, n_signal = 0;

  PetscFunctionBegin;
  t->mass_lo        = INFINITY;
  t->mass_hi        = -INFINITY;
  for (PetscInt i = 0; i < N; i++) {
    hd_rng r;
    hd_rng_init(&r, (uint64_t)o->seed, HD_STREAM_FOLD, (uint64_t)i);
    t->fold[i] = (int8_t)hd_rng_below(&r, (uint32_t)o->folds);
    t->use[i]  = PETSC_TRUE;
    n_signal += t->label[i] > 0;
    t->mass_lo = PetscMin(t->mass_lo, t->mass[i]);
    t->mass_hi = PetscMax(t->mass_hi, t->mass[i]);
  }
  t->has_truth = n_signal > 0 || o->injection >= 0;
  if (o->injection >= 0) {
    /* keep the `injection` signal events with the smallest keys: a fixed random subset */
    PetscCheck(o->injection <= n_signal, world, HD_ERR_USER_INPUT, "option -signal_injection %" PetscInt_FMT ": '%s' holds only %" PetscInt_FMT " signal events", o->injection, o->data, n_signal);
    double *key;
    PetscCall(PetscMalloc1(PetscMax(n_signal, 1), &key));
    PetscInt k = 0;
    for (PetscInt i = 0; i < N; i++) {
      if (t->label[i] <= 0) continue;
      hd_rng r;
      hd_rng_init(&r, (uint64_t)o->seed, HD_STREAM_INJECT, (uint64_t)i);
      key[k++] = hd_rng_uniform(&r);
    }
    double cut = -1;
    if (o->injection > 0) {
      double *sorted;
      PetscCall(PetscMalloc1(n_signal, &sorted));
      PetscCall(PetscArraycpy(sorted, key, n_signal));
      PetscCall(PetscSortReal(n_signal, sorted));
      cut = sorted[o->injection - 1];
      PetscCall(PetscFree(sorted));
    }
    k = 0;
    for (PetscInt i = 0; i < N; i++)
      if (t->label[i] > 0) t->use[i] = key[k++] <= cut;
    PetscCall(PetscFree(key));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cwola_table_free(hd_cwola_table *t)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(t->use));
  PetscCall(PetscFree(t->fold));
  PetscCall(hd_table_destroy(&t->table));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. -noise_features K: K columns appended to the standardised features, each a
 * standard normal draw from (seed, HD_STREAM_CWOLA_NOISE, event), the k-th draw of the event's
 * stream in column F + k: the same numbers on every rank and at any rank count. A node-shared
 * table of the F + K columns replaces t->x. */
static PetscErrorCode hd_cwola_noise_features(hd_comm world, const hd_cwola_options *o, hd_cwola_table *t)
{
  hd_table *ev = &t->table;
  PetscInt  F = t->F, K = o->noise_features, G = F + K;
  float    *x;

  PetscFunctionBegin;
  if (K == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_table_alloc1(ev, (size_t)t->n * G, &x));
  for (PetscInt i = ev->fill_offset; i < ev->fill_offset + ev->fill_count; i++) {
    hd_rng r;
    hd_rng_init(&r, (uint64_t)o->seed, HD_STREAM_CWOLA_NOISE, (uint64_t)i);
    PetscCall(PetscArraycpy(x + (size_t)i * G, t->x + (size_t)i * F, F));
    for (PetscInt k = 0; k < K; k++) x[(size_t)i * G + F + k] = (float)hd_rng_normal(&r);
  }
  PetscCall(hd_table_sync(ev));
  t->x = x;
  t->F = G;
  PetscCall(hd_log(world, "cwola: %" PetscInt_FMT " features of noise added (-noise_features): %" PetscInt_FMT " features\n", K, G));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The events of window w: rows (sorted), and which are in the SR. */
static PetscErrorCode hd_cwola_window_events(hd_comm world, const hd_cwola_table *t, const hd_cwola_window *w, PetscInt index, hd_cwola_part *p)
{
  PetscFunctionBegin;
  p->n_win = p->n_sr = p->n_sb = 0;
  for (PetscInt i = 0; i < t->n; i++) {
    double m = t->mass[i];
    if (!t->use[i] || m < w->sb_lo || m >= w->sb_hi) continue;
    p->n_win++;
    if (m >= w->sr_lo && m < w->sr_hi) p->n_sr++;
  }
  p->n_sb = p->n_win - p->n_sr;
  PetscCheck(p->n_sr > 0, world, HD_ERR_USER_INPUT, "window %" PetscInt_FMT ": the signal region [%.0f, %.0f) GeV holds no events", index, w->sr_lo, w->sr_hi);
  PetscCheck(p->n_sb > 0, world, HD_ERR_USER_INPUT, "window %" PetscInt_FMT ": the sidebands [%.0f, %.0f) and [%.0f, %.0f) GeV hold no events", index, w->sb_lo, w->sr_lo, w->sr_hi, w->sb_hi);
  PetscCall(PetscMalloc2(p->n_win, &p->rows, p->n_win, &p->score));
  PetscInt k = 0;
  for (PetscInt i = 0; i < t->n; i++) {
    double m = t->mass[i];
    if (t->use[i] && m >= w->sb_lo && m < w->sb_hi) p->rows[k++] = i;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- one classifier ---- */

/* Quantile ranks with ties shared: the odd ranks 2 r + 1 of hd_stats_quantile_ranks, except that
 * the c scores of a group of equal ones, ranks r0 .. r0 + c - 1, each get the group's mean
 * 2 r0 + c (the sum over the fold stays n^2, exact). A tree model has few distinct outputs (one
 * tree of depth 5 at most 32), and ties ordered by position would let the order of the file's
 * rows rank events. Not collective. */
static PetscErrorCode hd_cwola_shared_ranks(PetscInt n, const float *score, int64_t *odd)
{
  PetscInt *at; /* at[r] = the event of rank r */

  PetscFunctionBegin;
  PetscCall(hd_stats_quantile_ranks(n, score, odd));
  PetscCall(PetscMalloc1(n, &at));
  for (PetscInt k = 0; k < n; k++) at[(odd[k] - 1) / 2] = k;
  for (PetscInt r0 = 0, r1; r0 < n; r0 = r1) {
    for (r1 = r0 + 1; r1 < n && score[at[r1]] == score[at[r0]]; r1++) {}
    for (PetscInt r = r0; r < r1; r++) odd[at[r]] = 2 * (int64_t)r0 + (r1 - r0);
  }
  PetscCall(PetscFree(at));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -classifier bdt, the tree counterpart of the network below: one tree model (include/hadal/bdt.h)
 * trained on the n_tr events x_tr (n_tr, F) with labels y_tr and the SR/SB weights wt_tr, early
 * stopping on the validation events of the trainer's split rule, the n_te events of the fold
 * scored by its logit and quantile-ranked into rank_sum as for the network, ties sharing their
 * mean rank (hd_cwola_shared_ranks). The tree model is
 * trained by one process: the group's rank 0 (the one that holds rank_sum) trains it, the other
 * ranks of the group wait for it. Collective on group. */
static PetscErrorCode hd_cwola_unit_bdt(hd_comm group, const hd_cwola_options *o, PetscInt n_tr, PetscInt F, const float *x_tr, const float *y_tr, const float *wt_tr, PetscInt n_te, const float *x_te, const PetscInt *te_pos, PetscInt unit, int64_t *rank_sum, PetscBool *interrupted)
{
  int       rank, size;
  PetscBool stopped = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(hd_par_rank_size(group, &rank, &size));
  if (rank == 0) {
    hd_bdt_data   d = {.n = n_tr, .F = F, .x = x_tr, .y = y_tr, .weight = wt_tr};
    hd_bdt        model;
    hd_bdt_result res;
    PetscCall(hd_bdt_train(&o->bdt, (uint64_t)o->seed, unit, &d, &model, &res));
    stopped = res.interrupted;
    if (!stopped && n_te > 0 && rank_sum) {
      float   *out;
      int64_t *odd;
      PetscCall(PetscMalloc2(n_te, &out, n_te, &odd));
      PetscCall(hd_bdt_predict(model, n_te, x_te, out));
      PetscCall(hd_cwola_shared_ranks(n_te, out, odd));
      for (PetscInt k = 0; k < n_te; k++) rank_sum[te_pos[k]] += odd[k];
      PetscCall(PetscFree2(out, odd));
    }
    PetscCall(hd_bdt_destroy(&model));
  }
  PetscCall(hd_par_any(group, stopped, interrupted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Train member m of (window, fold) on the window's events outside the fold, score the fold, and add
 * each scored event's quantile rank 2 r + 1 (of 2 n) to rank_sum (NULL on the ranks of the group
 * that do not keep the sums). Collective on group. */
static PetscErrorCode hd_cwola_unit(hd_comm group, const hd_cwola_options *o, const hd_train_config *cfg0, const hd_cwola_table *t, const hd_cwola_window *w, const hd_cwola_part *p, PetscInt fold, PetscInt unit, int64_t *rank_sum, PetscBool *interrupted)
{
  PetscInt         F = t->F, n_tr = 0, n_te = 0;
  float           *x_tr, *y_tr, *wt_tr, *x_te, *out;
  PetscInt        *te_pos;
  hd_nn           *net;
  hd_train_config  cfg = *cfg0;
  hd_train_result  res;
  int64_t         *odd;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < p->n_win; k++) {
    if (t->fold[p->rows[k]] == fold) n_te++;
    else n_tr++;
  }
  PetscCall(PetscMalloc3(n_tr * F, &x_tr, n_tr, &y_tr, n_tr, &wt_tr));
  PetscCall(PetscMalloc3(PetscMax(n_te, 1) * F, &x_te, PetscMax(n_te, 1), &out, PetscMax(n_te, 1), &te_pos));
  PetscInt a = 0, b = 0, n_tr_sr = 0;
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt i  = p->rows[k];
    double   m  = t->mass[i];
    PetscBool sr = m >= w->sr_lo && m < w->sr_hi;
    if (t->fold[i] == fold) {
      PetscCall(PetscArraycpy(x_te + b * F, t->x + i * F, F));
      te_pos[b++] = k;
    } else {
      PetscCall(PetscArraycpy(x_tr + a * F, t->x + i * F, F));
      y_tr[a] = sr ? 1.0f : 0.0f;
      n_tr_sr += sr;
      a++;
    }
  }
  /* class weights: SR and SB carry equal total weight, so the classifier is not pulled to the
   * larger sample; the mean weight is 1 */
  double w_sr = n_tr_sr > 0 ? 0.5 * (double)n_tr / (double)n_tr_sr : 1.0, w_sb = n_tr > n_tr_sr ? 0.5 * (double)n_tr / (double)(n_tr - n_tr_sr) : 1.0;
  for (PetscInt k = 0; k < n_tr; k++) wt_tr[k] = (float)(y_tr[k] > 0.5f ? w_sr : w_sb);

  if (o->use_bdt) {
    /* the same events, labels and weights; a tree model instead of the network */
    PetscCall(hd_cwola_unit_bdt(group, o, n_tr, F, x_tr, y_tr, wt_tr, n_te, x_te, te_pos, unit, rank_sum, interrupted));
    PetscCall(PetscFree3(x_tr, y_tr, wt_tr));
    PetscCall(PetscFree3(x_te, out, te_pos));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscInt in_shape[3] = {F, 1, 1};
  PetscCall(hd_nn_create(o->network, in_shape, PetscMax(cfg.batch, 1024), &net));
  PetscCheck(net->out_size == 1, group, HD_ERR_USER_INPUT, "option -network: the classifier must end in one output (got %" PetscInt_FMT ")", net->out_size);
  PetscCall(hd_nn_init(net, (uint64_t)o->seed, (uint64_t)unit, HD_INIT_AUTO));
  cfg.seed   = (uint64_t)o->seed;
  cfg.member = unit;
  cfg.objective = hd_objective_standard(HD_TRAIN_LOSS_BCE);
  hd_train_data tr = {.n = n_tr, .in_size = F, .x = x_tr, .target = y_tr, .target_ld = 1, .weight = wt_tr};
  PetscCall(hd_train(group, net, &tr, &cfg, &res));
  *interrupted = res.interrupted;
  hd_train_data te = {.n = n_te, .in_size = F, .x = x_te, .target = NULL};
  if (n_te > 0 && !res.interrupted) PetscCall(hd_train_evaluate(group, net, &te, hd_objective_standard(HD_TRAIN_LOSS_BCE), HD_EVAL_OUTPUT, out));

  /* quantile scaling (seed 004): the member's r-th smallest output becomes (2 r + 1) / (2 n); the
   * integers 2 r + 1 are summed over members exactly */
  if (rank_sum && n_te > 0 && !res.interrupted) {
    PetscCall(PetscMalloc1(n_te, &odd));
    PetscCall(hd_stats_quantile_ranks(n_te, out, odd));
    for (PetscInt k = 0; k < n_te; k++) rank_sum[te_pos[k]] += odd[k];
    PetscCall(PetscFree(odd));
  }
  PetscCall(hd_nn_destroy(&net));
  PetscCall(PetscFree3(x_tr, y_tr, wt_tr));
  PetscCall(PetscFree3(x_te, out, te_pos));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- selection, fits and metrics of one window ---- */

typedef struct {
  float    score;
  PetscInt k;
} hd_cwola_sel;

static int hd_cwola_sel_cmp(const void *pa, const void *pb)
{
  const hd_cwola_sel *a = pa, *b = pb;
  if (a->score > b->score) return -1;
  if (a->score < b->score) return 1;
  return (a->k > b->k) - (a->k < b->k);
}

static PetscErrorCode hd_cwola_window_evaluate(const hd_cwola_options *o, const hd_cwola_table *t, const hd_cwola_window *w, hd_cwola_part *p)
{
  hd_cwola_sel *order;
  float        *m_sel;

  PetscFunctionBegin;
  p->n_eps = o->n_eps;
  PetscCall(hd_cwola_edges(o, w, &p->n_bins, &p->edges));
  PetscCall(PetscCalloc2((o->n_eps + 1) * p->n_bins, &p->counts, (o->n_eps + 1) * p->n_bins, &p->fit_mu));
  PetscCall(PetscMalloc1(p->n_win, &order));
  PetscCall(PetscMalloc1(p->n_win, &m_sel));
  for (PetscInt k = 0; k < p->n_win; k++) {
    order[k].score = p->score[k];
    order[k].k     = k;
  }
  qsort(order, (size_t)p->n_win, sizeof(*order), hd_cwola_sel_cmp);

  /* row 0: all events (before selection); row 1 + e: the top eps[e] */
  PetscInt n_sig_sr = 0;
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt i = p->rows[k];
    n_sig_sr += t->label[i] > 0 && t->mass[i] >= w->sr_lo && t->mass[i] < w->sr_hi;
  }
  p->n_sig_sr = n_sig_sr;
  for (PetscInt e = 0; e <= o->n_eps; e++) {
    double   eps   = e == 0 ? 1.0 : o->eps[e - 1];
    PetscInt n_sel = (PetscInt)ceil(eps * (double)p->n_win - 1e-9), sig_sel = 0;
    n_sel          = PetscMax(1, PetscMin(n_sel, p->n_win));
    for (PetscInt s = 0; s < n_sel; s++) {
      PetscInt i = p->rows[order[s].k];
      m_sel[s]   = t->mass[i];
      sig_sel += t->label[i] > 0 && t->mass[i] >= w->sr_lo && t->mass[i] < w->sr_hi;
    }
    PetscCall(hd_bump_histogram(n_sel, m_sel, p->n_bins, p->edges, p->counts + e * p->n_bins));
    hd_bump_input  in = {.n_bins = p->n_bins, .edges = p->edges, .counts = p->counts + e * p->n_bins, .sr_lo = w->sr_lo, .sr_hi = w->sr_hi, .sqrt_s = 0, .n_params = o->fit_params, .tolerate_failure = PETSC_TRUE};
    hd_bump_result fit;
    PetscCall(hd_bump_fit(&in, &fit));
    PetscBool usable = fit.converged && isfinite(fit.p[0]) && isfinite(fit.p[1]) && isfinite(fit.p[2]) && isfinite(fit.p[3]) && fit.p[0] >= 0;
    if (usable) PetscCall(hd_bump_predict(&in, fit.p, p->fit_mu + e * p->n_bins));
    else {
      /* a fit that failed gives no significance: the table and summary show null */
      for (PetscInt j = 0; j < p->n_bins; j++) p->fit_mu[e * p->n_bins + j] = NAN;
      fit.b_sr = fit.sigma_b = fit.z_local = NAN;
    }
    p->n_sr_sel[e] = fit.n_sr;
    p->b_sr[e]     = fit.b_sr;
    p->sigma_b[e]  = fit.sigma_b;
    p->z[e]        = fit.z_local;
    p->chi2_ndf[e] = fit.ndf > 0 ? fit.chi2 / fit.ndf : NAN;
    p->eff_s[e]    = n_sig_sr > 0 ? (double)sig_sel / (double)n_sig_sr : NAN;
    for (int q = 0; q < 4; q++) p->params[e * 4 + q] = fit.p[q];
  }
  /* S / sqrt(B) before selection, from the same fit, as seed 004 states it */
  p->s_over_sqrt_b = p->b_sr[0] > 0 ? (p->n_sr_sel[0] - p->b_sr[0]) / sqrt(p->b_sr[0]) : NAN;
  p->best_e = 1;
  for (PetscInt e = 1; e <= o->n_eps; e++)
    if (isnan(p->z[p->best_e]) || p->z[e] > p->z[p->best_e]) p->best_e = e;

  /* sculpting check: how well the score tells SR from SB events (0.5 when it cannot) */
  {
    int32_t *l;
    hd_stats_roc roc;
    PetscCall(PetscMalloc1(p->n_win, &l));
    for (PetscInt k = 0; k < p->n_win; k++) l[k] = t->mass[p->rows[k]] >= w->sr_lo && t->mass[p->rows[k]] < w->sr_hi;
    PetscCall(hd_stats_roc_compute(p->n_win, p->score, l, 2, &roc));
    p->auc_sr_sb = roc.auc;
    PetscCall(hd_stats_roc_free(&roc));
    PetscCall(PetscFree(l));
  }

  /* truth metrics on the SR events: AUC and SIC of the ensemble score */
  p->auc     = NAN;
  p->sic_max = NAN;
  if (t->has_truth) {
    float   *s;
    int32_t *l;
    PetscInt n = 0;
    PetscCall(PetscMalloc2(p->n_sr, &s, p->n_sr, &l));
    for (PetscInt k = 0; k < p->n_win; k++) {
      PetscInt i = p->rows[k];
      if (t->mass[i] < w->sr_lo || t->mass[i] >= w->sr_hi) continue;
      s[n]   = p->score[k];
      l[n++] = t->label[i];
    }
    hd_stats_roc roc;
    PetscCall(hd_stats_roc_compute(n, s, l, 200, &roc));
    p->auc     = roc.auc;
    p->sic_max = roc.sic_max;
    p->n_roc   = roc.n_points;
    if (roc.n_points > 0) {
      PetscCall(PetscMalloc2(roc.n_points, &p->roc_eps_b, roc.n_points, &p->roc_eps_s));
      PetscCall(PetscArraycpy(p->roc_eps_b, roc.eps_b, roc.n_points));
      PetscCall(PetscArraycpy(p->roc_eps_s, roc.eps_s, roc.n_points));
    }
    PetscCall(hd_stats_roc_free(&roc));
    PetscCall(PetscFree2(s, l));
  }
  PetscCall(PetscFree(order));
  PetscCall(PetscFree(m_sel));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the scan ---- */

/* ---- the scan: the steps of include/hadal/methods.h ---- */

typedef struct {
  hd_cwola_options o;
  hd_train_config  cfg;
  hd_cwola_window  win[HD_CWOLA_MAX_WINDOWS];
  PetscInt         n_win, w0, w1; /* the scan's windows; this run does [w0, w1) */
  hd_cwola_table   t;
  hd_cwola_part   *parts;         /* (n_win) */
  PetscInt        *sum_at;        /* (n_win) where window k's rank sums start in the ensemble's */
} hd_cwola;

static PetscErrorCode hd_cwola_read_options(hd_run *run, void *ctx)
{
  hd_cwola *c = ctx;

  PetscFunctionBegin;
  (void)run;
  PetscCall(hd_cwola_options_read(&c->o, &c->cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The windows, the table, the events of each window, and the ensemble: units (window, fold,
 * member) with the window's event count as cost, and one rank-sum accumulator per window event. */
/* Where the scan's finished classifiers and checkpoints go: DIR/members, or DIR/members/window_NNN
 * for a part of a job array (-window), whose unit numbers are the part's own. */
static void hd_cwola_store(const hd_cwola_options *o, PetscBool resume, hd_ensemble_config *ec, char *dir, size_t len)
{
  if (o->window >= 0) snprintf(dir, len, "%s/members/window_%03d", o->out, (int)o->window);
  else snprintf(dir, len, "%s/members", o->out);
  ec->store_dir = dir;
  ec->resume    = resume;
}

static PetscErrorCode hd_cwola_setup(hd_run *run, void *ctx, hd_ensemble *ens)
{
  hd_cwola         *c = ctx;
  hd_cwola_options *o = &c->o;
  hd_comm           world = run->world;

  PetscFunctionBegin;
  PetscCall(hd_cwola_options_check(world, o));
  PetscCall(hd_cwola_windows(world, o, &c->n_win, c->win));
  if (o->list_windows) {
    /* for job arrays: the size of the array, without reading the data */
    PetscCall(hd_log(world, "windows: %" PetscInt_FMT "\n", c->n_win));
    for (PetscInt k = 0; k < c->n_win; k++) PetscCall(hd_log(world, "%4" PetscInt_FMT "  SR [%.1f, %.1f)  SB [%.1f, %.1f) GeV\n", k, c->win[k].sr_lo, c->win[k].sr_hi, c->win[k].sb_lo, c->win[k].sb_hi));
    run->done = PETSC_TRUE;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(o->window < c->n_win, world, HD_ERR_USER_INPUT, "option -window %" PetscInt_FMT ": the scan has windows 0 to %" PetscInt_FMT, o->window, c->n_win - 1);
  c->w0 = o->window >= 0 ? o->window : 0;
  c->w1 = o->window >= 0 ? o->window + 1 : c->n_win;

  PetscCall(hd_cwola_load(world, o, &c->t));
  PetscCall(hd_cwola_noise_features(world, o, &c->t));
  PetscCall(hd_cwola_folds(world, o, &c->t));
  for (PetscInt k = c->w0; k < c->w1; k++)
    /* below the lowest mass the spectrum is cut (a trigger, a generator threshold): no fit can
     * describe a sideband there; above the highest, a falling spectrum simply has no events */
    PetscCheck(c->win[k].sb_lo >= c->t.mass_lo && c->win[k].sr_hi <= c->t.mass_hi, world, HD_ERR_USER_INPUT, "window %" PetscInt_FMT " (SR [%.0f, %.0f), sidebands from %.0f GeV) reaches outside the data's mass range [%.0f, %.0f] GeV in '%s': change -sr_min, -sr_max or -sb_width", k, c->win[k].sr_lo, c->win[k].sr_hi, c->win[k].sb_lo, c->t.mass_lo, c->t.mass_hi, o->data);

  PetscInt per_window = o->folds * o->members, n_units = (c->w1 - c->w0) * per_window, n_sums = 0;
  double  *costs;
  PetscCall(PetscCalloc1(c->n_win, &c->parts));
  PetscCall(PetscCalloc1(c->n_win, &c->sum_at));
  PetscCall(PetscMalloc1(n_units, &costs));
  for (PetscInt k = c->w0; k < c->w1; k++) {
    PetscCall(hd_cwola_window_events(world, &c->t, &c->win[k], k, &c->parts[k]));
    for (PetscInt u = 0; u < per_window; u++) costs[(k - c->w0) * per_window + u] = (double)c->parts[k].n_win;
    c->sum_at[k] = n_sums;
    n_sums += c->parts[k].n_win;
  }
  hd_ensemble_config ec = {.n_members = n_units, .costs = costs, .group_size = o->group_size, .n_sums = n_sums, .progress = "cwola: classifiers of group 0"};
  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_cwola_store(o, c->cfg.resume, &ec, members, sizeof(members));
  PetscCall(hd_ensemble_create(world, &ec, ens));
  PetscCall(PetscFree(costs));
  PetscCall(hd_results_mkdir(world, o->out));
  PetscInt nw = c->w1 - c->w0;
  PetscCall(hd_log(world, "cwola: %" PetscInt_FMT " events x %" PetscInt_FMT " features from '%s'; %" PetscInt_FMT " window%s x %" PetscInt_FMT " folds x %" PetscInt_FMT " members = %" PetscInt_FMT " classifiers on %d ranks (%" PetscInt_FMT " groups)\n", c->t.n, c->t.F, o->data, nw, nw > 1 ? "s" : "", o->folds, o->members, n_units, run->size, ens->groups.n_groups));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Unit u of this run is classifier `member` of (window, fold); its id (seed stream) is the same
 * in a whole scan and in a -window run. Its trainer checkpoint is the one the driver names. */
static PetscErrorCode hd_cwola_member(hd_ensemble_member *m, void *ctx)
{
  hd_cwola       *c  = ctx;
  PetscInt        pw = c->o.folds * c->o.members, u = m->member;
  PetscInt        wk = c->w0 + u / pw, fold = (u / c->o.members) % c->o.folds, unit = (wk * c->o.folds + fold) * c->o.members + u % c->o.members;
  hd_train_config cfg = c->cfg;

  PetscFunctionBegin;
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  PetscCall(hd_cwola_unit(m->group, &c->o, &cfg, &c->t, &c->win[wk], &c->parts[wk], fold, unit, m->sums ? m->sums + c->sum_at[wk] : NULL, &m->interrupted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Per window: every event's score is its summed quantile ranks (exact integers) over the
 * 2 n_fold x members of its fold's classifiers; then selections, fits and metrics, and the
 * window's file (DIR/windows/window_NNN.h5). */
static PetscErrorCode hd_cwola_evaluate(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_cwola         *c = ctx;
  hd_cwola_options *o = &c->o;

  PetscFunctionBegin;
  for (PetscInt k = c->w0; k < c->w1; k++) {
    hd_cwola_part *p          = &c->parts[k];
    const int64_t *sum        = ens->sums + c->sum_at[k];
    PetscInt       n_fold[32] = {0};
    for (PetscInt j = 0; j < p->n_win; j++) n_fold[c->t.fold[p->rows[j]]]++;
    for (PetscInt j = 0; j < p->n_win; j++) p->score[j] = (float)((double)sum[j] / (2.0 * (double)n_fold[c->t.fold[p->rows[j]]] * (double)o->members));
    PetscCall(hd_cwola_window_evaluate(o, &c->t, &c->win[k], p));
    p->window         = c->win[k];
    p->index          = k;
    p->models_trained = o->folds * o->members;
    p->n_windows      = c->n_win;
    for (PetscInt e = 0; e < o->n_eps; e++) p->eps[e] = o->eps[e];
    snprintf(p->data, sizeof(p->data), "%s", o->data);
    PetscCall(PetscOptionsGetAll(NULL, &p->options));
    /* the scan's options, as a single job would have them: without "-window INDEX" */
    char *at = strstr(p->options, "-window ");
    if (at && (at == p->options || at[-1] == ' ')) {
      char *end = at + 8;
      while (*end && *end != ' ') end++;
      while (*end == ' ') end++;
      memmove(at, end, strlen(end) + 1);
    }
    p->wall_s = hd_wtime() - run->t0;
    PetscCall(hd_cwola_part_write(run->world, o->out, p, c->t.n));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cwola_report(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_cwola *c = ctx;

  PetscFunctionBegin;
  (void)ens;
  if (c->o.window < 0) PetscCall(hd_cwola_write_report(run->world, c->o.out, c->n_win, c->parts, c->t.n, hd_wtime() - run->t0));
  else PetscCall(hd_log(run->world, "cwola: window %" PetscInt_FMT " done (%.1f s); combine the windows with: hadal merge -out %s\n", c->o.window, hd_wtime() - run->t0, c->o.out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A scan cut short by SIGTERM/SIGUSR1 writes no result, but its finished classifiers are stored
 * and those in training checkpointed: -resume continues it. */
static PetscErrorCode hd_cwola_stopped(hd_run *run, void *ctx)
{
  hd_cwola *c = ctx;

  PetscFunctionBegin;
  PetscCall(hd_log(run->world, "cwola: interrupted before the scan finished, no results written; run again with -resume to continue from the finished classifiers and the checkpoints in '%s'\n", c->o.out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cwola_destroy(void *ctx)
{
  hd_cwola *c = ctx;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < c->n_win && c->parts; k++) PetscCall(hd_cwola_part_free(&c->parts[k]));
  PetscCall(PetscFree(c->parts));
  PetscCall(PetscFree(c->sum_at));
  PetscCall(hd_cwola_table_free(&c->t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_method hd_method_cwola = {
  .name         = "cwola",
  .summary      = "CWoLa hunting: SR-vs-sideband classifiers in a scan of mass windows, then bump hunts (seeds 001, 004)",
  .usage        = "hadal run -method cwola -data FILE -out DIR [-options_file inputs/cwola_lhco.opts] ...",
  .ctx_size     = sizeof(hd_cwola),
  .read_options = hd_cwola_read_options,
  .setup        = hd_cwola_setup,
  .run_member   = hd_cwola_member,
  .evaluate     = hd_cwola_evaluate,
  .report       = hd_cwola_report,
  .stopped      = hd_cwola_stopped,
  .destroy      = hd_cwola_destroy,
};

/* The scan's maximum local significance for global significance (src/app/cwola_global.c): the
 * choice of hd_cwola_write_report's best window. */
PetscErrorCode hd_cwola_scan_max(const void *ctx, double *z, PetscInt *window, double *eps)
{
  const hd_cwola *c = ctx;

  PetscFunctionBegin;
  *z      = NAN;
  *window = -1;
  *eps    = NAN;
  for (PetscInt k = c->w0; k < c->w1; k++) {
    const hd_cwola_part *p = &c->parts[k];
    if (isnan(p->z[p->best_e]) || (!isnan(*z) && p->z[p->best_e] <= *z)) continue;
    *z      = p->z[p->best_e];
    *window = k;
    *eps    = p->eps[p->best_e - 1];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
