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
 *      window's events outside the fold (SR half the weight, each sideband a
 *      quarter); it scores the fold's events of the window and of the rest of
 *      the fit range                                                              hd_cwola_unit,
 *      (-model_selection tail: the best of several per validation fold)          hd_cwola_unit_tail
 *   4. Each member's fold scores made uniform (quantile scaling, seed 004) and
 *      averaged over the members: score = sum_j (2 r_j + 1) / (2 n_fold M)       hd_cwola_evaluate
 *   5. Per eps: the top eps of the fit range's events selected; the dijet
 *      function fitted to every bin outside the SR (and its gap); observed SR
 *      count against the prediction gives the local significance; a
 *      signal-plus-background fit beside it                                       hd_cwola_window_evaluate
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
  /* background fit, class weights, signal cross-check, metrics, model selection (hd_cwola_fit_options_read) */
  char      sb_weights[16], bkg_fit[16], sig_shape[16], model_selection[16], bkg_error[16];
  PetscReal fit_lo, fit_hi, fit_gap, sig_width, sig_alpha, sig_n, tail_eff;
  PetscInt  sic_min_bkg, tail_tries;
  PetscBool split_weights, spectrum_fit, tail;
} hd_cwola_options;

static PetscErrorCode hd_cwola_fit_options_read(hd_cwola_options *o);
static PetscErrorCode hd_cwola_fit_options_check(hd_comm world, hd_cwola_options *o);

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
  PetscCall(hd_cwola_fit_options_read(o));
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
  PetscCall(hd_cwola_fit_options_check(world, o));
  PetscCheck(!(o->use_bdt && o->tail), world, HD_ERR_USER_INPUT, "option -model_selection tail trains networks only: not with -classifier bdt");
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

/* ---- background fit, class weights, cross-check, metrics, model selection: options ---- */

static PetscErrorCode hd_cwola_fit_options_read(hd_cwola_options *o)
{
  PetscFunctionBegin;
  PetscCall(hd_opt_string("-sb_weights", "split: SR 0.5, each sideband 0.25 of the training weight; pooled: SR 0.5, both sidebands together 0.5", "split", o->sb_weights, sizeof(o->sb_weights), NULL));
  PetscCall(hd_opt_string("-bkg_fit", "spectrum: each window's classifiers score the whole fit range and the fit uses every bin outside the SR; sidebands: the window's sidebands only", "spectrum", o->bkg_fit, sizeof(o->bkg_fit), NULL));
  PetscCall(hd_opt_real("-fit_lo", "lower edge of the background fit range (GeV); 0: the lowest sideband edge of the scan", 0, &o->fit_lo, NULL));
  PetscCall(hd_opt_real("-fit_hi", "upper edge of the background fit range (GeV); 0: the highest sideband edge of the scan", 0, &o->fit_hi, NULL));
  PetscCall(hd_opt_real("-fit_gap", "bins within this distance of the SR (relative, or GeV with -window_scale linear) are left out of the fit", 0, &o->fit_gap, NULL));
  PetscCall(hd_opt_string("-bkg_error", "how the local significance takes the fitted background's error: lognormal (ln B Gaussian, as the log-linear fit gives it) or poisson (a control count of mean B, variance sigma_B^2)", "lognormal", o->bkg_error, sizeof(o->bkg_error), NULL));
  PetscCall(hd_opt_string("-signal_shape", "shape of the signal-plus-background cross-check fit: gauss, cb (Crystal Ball) or none", "gauss", o->sig_shape, sizeof(o->sig_shape), NULL));
  PetscCall(hd_opt_real("-signal_width", "width of the cross-check's signal shape, relative to the SR centre", 0.04, &o->sig_width, NULL));
  PetscCall(hd_opt_real("-signal_cb_alpha", "Crystal Ball: the low-mass tail starts this many widths below the peak", 1.5, &o->sig_alpha, NULL));
  PetscCall(hd_opt_real("-signal_cb_n", "Crystal Ball: exponent of the low-mass tail (> 1)", 3, &o->sig_n, NULL));
  PetscCall(hd_opt_int("-sic_min_bkg", "SIC only where at least this many SR background events pass", 10, &o->sic_min_bkg, NULL));
  PetscCall(hd_opt_string("-model_selection", "ensemble: every member kept; tail: per test fold, each other fold as validation, the best of -tail_tries by SR efficiency at SB efficiency -tail_eff", "ensemble", o->model_selection, sizeof(o->model_selection), NULL));
  PetscCall(hd_opt_int("-tail_tries", "trainings per (test fold, validation fold) of which -model_selection tail keeps the best", 3, &o->tail_tries, NULL));
  PetscCall(hd_opt_real("-tail_eff", "SB efficiency at which -model_selection tail compares the SR efficiencies", 0.01, &o->tail_eff, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cwola_fit_options_check(hd_comm world, hd_cwola_options *o)
{
  PetscFunctionBegin;
  PetscCheck(!strcmp(o->sb_weights, "split") || !strcmp(o->sb_weights, "pooled"), world, HD_ERR_USER_INPUT, "option -sb_weights: '%s' is neither split nor pooled", o->sb_weights);
  PetscCheck(!strcmp(o->bkg_fit, "spectrum") || !strcmp(o->bkg_fit, "sidebands"), world, HD_ERR_USER_INPUT, "option -bkg_fit: '%s' is neither spectrum nor sidebands", o->bkg_fit);
  PetscCheck(!strcmp(o->bkg_error, "lognormal") || !strcmp(o->bkg_error, "poisson"), world, HD_ERR_USER_INPUT, "option -bkg_error: '%s' is neither lognormal nor poisson", o->bkg_error);
  PetscCheck(!strcmp(o->sig_shape, "gauss") || !strcmp(o->sig_shape, "cb") || !strcmp(o->sig_shape, "none"), world, HD_ERR_USER_INPUT, "option -signal_shape: '%s' is not gauss, cb or none", o->sig_shape);
  PetscCheck(!strcmp(o->model_selection, "ensemble") || !strcmp(o->model_selection, "tail"), world, HD_ERR_USER_INPUT, "option -model_selection: '%s' is neither ensemble nor tail", o->model_selection);
  o->split_weights = !strcmp(o->sb_weights, "split");
  o->spectrum_fit  = !strcmp(o->bkg_fit, "spectrum");
  o->tail          = !strcmp(o->model_selection, "tail");
  PetscCheck(o->fit_lo >= 0 && o->fit_hi >= 0 && (o->fit_hi == 0 || o->fit_hi > o->fit_lo), world, HD_ERR_USER_INPUT, "options -fit_lo %g and -fit_hi %g do not make a mass range", o->fit_lo, o->fit_hi);
  PetscCheck(o->fit_gap >= 0, world, HD_ERR_USER_INPUT, "option -fit_gap must be >= 0 (got %g)", o->fit_gap);
  PetscCheck(o->sig_width > 0 && o->sig_alpha > 0 && o->sig_n > 1, world, HD_ERR_USER_INPUT, "options -signal_width %g, -signal_cb_alpha %g, -signal_cb_n %g: need a positive width and alpha, n > 1", o->sig_width, o->sig_alpha, o->sig_n);
  PetscCheck(o->sic_min_bkg >= 1, world, HD_ERR_USER_INPUT, "option -sic_min_bkg must be >= 1 (got %" PetscInt_FMT ")", o->sic_min_bkg);
  PetscCheck(o->tail_tries >= 1 && o->tail_tries <= 100, world, HD_ERR_USER_INPUT, "option -tail_tries must lie in [1, 100] (got %" PetscInt_FMT ")", o->tail_tries);
  PetscCheck(o->tail_eff > 0 && o->tail_eff < 1, world, HD_ERR_USER_INPUT, "option -tail_eff must lie in (0, 1) (got %g)", o->tail_eff);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The bins of window w over the fit range [lo, hi): the edges of the SR and of the gap around it
 * are bin edges, so no bin straddles them; a gap of 0 adds no edges. With -bkg_fit sidebands the
 * range is the window itself, and these are the bins of hd_cwola_edges. */
static PetscErrorCode hd_cwola_fit_edges(hd_comm world, const hd_cwola_options *o, const hd_cwola_window *w, double lo, double hi, PetscInt *n_bins, double **edges, double *gap_lo, double *gap_hi)
{
  double          seg[6];
  PetscInt        nb[5], k = 0, n_seg = 0;
  hd_bump_binning kind = o->log_scale ? HD_BUMP_BINS_LOG : HD_BUMP_BINS_LINEAR;

  PetscFunctionBegin;
  *gap_lo = o->log_scale ? w->sr_lo / (1 + o->fit_gap) : w->sr_lo - o->fit_gap;
  *gap_hi = o->log_scale ? w->sr_hi * (1 + o->fit_gap) : w->sr_hi + o->fit_gap;
  PetscCheck(*gap_lo > lo && *gap_hi < hi, world, HD_ERR_USER_INPUT, "window SR [%.0f, %.0f) GeV: the SR with its -fit_gap [%.0f, %.0f) leaves no fit range on one side within [%.0f, %.0f) GeV", w->sr_lo, w->sr_hi, *gap_lo, *gap_hi, lo, hi);
  seg[n_seg++] = lo;
  if (o->fit_gap > 0) seg[n_seg++] = *gap_lo;
  seg[n_seg++] = w->sr_lo;
  seg[n_seg++] = w->sr_hi;
  if (o->fit_gap > 0) seg[n_seg++] = *gap_hi;
  seg[n_seg++] = hi;
  *n_bins = 0;
  for (PetscInt s = 0; s + 1 < n_seg; s++) {
    PetscCall(hd_bump_n_bins(seg[s], seg[s + 1], o->bin_width, kind, &nb[s]));
    *n_bins += nb[s];
  }
  PetscCall(PetscMalloc1(*n_bins + 1, edges));
  for (PetscInt s = 0; s + 1 < n_seg; s++) {
    PetscCall(hd_bump_edges(seg[s], seg[s + 1], nb[s], kind, *edges + k));
    k += nb[s];
  }
  if (o->fit_gap == 0) *gap_lo = *gap_hi = 0;
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

/* The spectrum of window w beyond the window itself: the events of the fit range [lo, hi) outside
 * [sb_lo, sb_hi), which the window's classifiers never train on but score (-bkg_fit spectrum). */
static PetscErrorCode hd_cwola_spectrum_events(const hd_cwola_table *t, const hd_cwola_window *w, double lo, double hi, hd_cwola_part *p)
{
  PetscFunctionBegin;
  p->n_out = 0;
  for (PetscInt pass = 0; pass < 2; pass++) {
    PetscInt k = 0;
    for (PetscInt i = 0; i < t->n; i++) {
      double m = t->mass[i];
      if (!t->use[i] || m < lo || m >= hi || (m >= w->sb_lo && m < w->sb_hi)) continue;
      if (pass == 1) p->out_rows[k] = i;
      k++;
    }
    if (pass == 0) {
      p->n_out = k;
      PetscCall(PetscMalloc2(PetscMax(k, 1), &p->out_rows, PetscMax(k, 1), &p->out_score));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Class weights of the n_tr training events of a unit: the window's events outside `fold` and
 * `fold2` (-1: none), in the order of p->rows, y_tr their labels (1: SR). The SR carries half of
 * the total weight; with -sb_weights split each sideband a quarter (the reference CWoLa hunting
 * code's weights), so the lower sideband, several times as populated as the upper one on a
 * falling spectrum, does not make the SB class mostly low-mass events (the classifier would then
 * learn the mass trend); with pooled both sidebands share one half. The mean weight is 1. A
 * sideband without events gives its quarter to the other. */
static PetscErrorCode hd_cwola_weights(const hd_cwola_options *o, const hd_cwola_table *t, const hd_cwola_window *w, const hd_cwola_part *p, PetscInt fold, PetscInt fold2, PetscInt n_tr, const float *y_tr, float *wt_tr)
{
  PetscInt n_sr = 0, n_lo = 0, n_hi = 0, a = 0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt i = p->rows[k];
    if (t->fold[i] == fold || t->fold[i] == fold2) continue;
    n_sr += y_tr[a] > 0.5f;
    n_lo += y_tr[a] <= 0.5f && t->mass[i] < w->sr_lo;
    n_hi += y_tr[a] <= 0.5f && t->mass[i] >= w->sr_hi;
    a++;
  }
  PetscCheck(a == n_tr, PETSC_COMM_SELF, PETSC_ERR_PLIB, "cwola: %" PetscInt_FMT " training events, the weights count %" PetscInt_FMT, n_tr, a);
  double q_lo = o->split_weights ? 0.25 : 0.5 * (double)n_lo / PetscMax((double)(n_lo + n_hi), 1.0), q_hi = o->split_weights ? 0.25 : 0.5 * (double)n_hi / PetscMax((double)(n_lo + n_hi), 1.0);
  if (n_lo == 0) q_hi = 0.5;
  if (n_hi == 0) q_lo = 0.5;
  double w_sr = n_sr > 0 ? 0.5 * (double)n_tr / (double)n_sr : 1.0, w_lo = n_lo > 0 ? q_lo * (double)n_tr / (double)n_lo : 1.0, w_hi = n_hi > 0 ? q_hi * (double)n_tr / (double)n_hi : 1.0;
  a = 0;
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt i = p->rows[k];
    if (t->fold[i] == fold || t->fold[i] == fold2) continue;
    wt_tr[a] = (float)(y_tr[a] > 0.5f ? w_sr : (t->mass[i] < w->sr_lo ? w_lo : w_hi));
    a++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int hd_cwola_float_cmp(const void *pa, const void *pb)
{
  float a = *(const float *)pa, b = *(const float *)pb;
  return (a > b) - (a < b);
}

/* Not collective. The events of `fold` in the spectrum outside the window: *n of them, their
 * features *x (n, F) and their positions *pos in p->out_rows (PetscFree2(x, pos) after; nothing
 * allocated when *n is 0). */
static PetscErrorCode hd_cwola_outside_rows(const hd_cwola_table *t, const hd_cwola_part *p, PetscInt fold, PetscInt *n, float **x, PetscInt **pos)
{
  PetscInt F = t->F, k0 = 0;

  PetscFunctionBegin;
  *n = 0;
  for (PetscInt k = 0; k < p->n_out; k++) *n += t->fold[p->out_rows[k]] == fold;
  if (*n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc2(*n * F, x, *n, pos));
  for (PetscInt k = 0; k < p->n_out; k++) {
    PetscInt i = p->out_rows[k];
    if (t->fold[i] != fold) continue;
    PetscCall(PetscArraycpy(*x + k0 * F, t->x + i * F, F));
    (*pos)[k0++] = k;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. The n outputs `out` of events outside the window made uniform against the
 * classifier's outputs on the fold's window events, out_win (n_te): an output above `below` of
 * them and equal to `equal` adds 2 below + equal to sums[pos[k]], on the scale of the window
 * events' 2 r + 1 (equal outputs share their mean rank, as hd_cwola_shared_ranks does). */
static PetscErrorCode hd_cwola_rank_outside(PetscInt n_te, const float *out_win, PetscInt n, const float *out, const PetscInt *pos, int64_t *sums)
{
  float *sorted;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n_te, &sorted));
  PetscCall(PetscArraycpy(sorted, out_win, n_te));
  qsort(sorted, (size_t)n_te, sizeof(float), hd_cwola_float_cmp);
  for (PetscInt k = 0; k < n; k++) {
    PetscInt lo = 0, hi = n_te; /* below = first index with sorted >= out, then the equal ones */
    while (lo < hi) {
      PetscInt mid = (lo + hi) / 2;
      if (sorted[mid] < out[k]) lo = mid + 1;
      else hi = mid;
    }
    PetscInt eq = lo;
    while (eq < n_te && sorted[eq] == out[k]) eq++;
    sums[pos[k]] += 2 * (int64_t)lo + (int64_t)(eq - lo);
  }
  PetscCall(PetscFree(sorted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on group. The events of `fold` in the spectrum outside the window, scored by the
 * unit's network `net` (trained without them: they lie outside the window) and ranked against its
 * outputs on the fold's window events, out_win (n_te), by hd_cwola_rank_outside (sums: the
 * window's sums from position n_win on; NULL on the ranks that keep none). So every event of the
 * spectrum is scored by the members of its own fold, as in the k-fold scoring, and the scores of
 * events inside and outside the window mean the same. */
static PetscErrorCode hd_cwola_score_outside(hd_comm group, const hd_cwola_table *t, const hd_cwola_part *p, PetscInt fold, hd_nn *net, PetscInt n_te, const float *out_win, int64_t *sums)
{
  PetscInt n;
  float   *x, *out;
  PetscInt *pos;

  PetscFunctionBegin;
  if (p->n_out == 0 || n_te == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_cwola_outside_rows(t, p, fold, &n, &x, &pos));
  if (n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(n, &out));
  hd_train_data te = {.n = n, .in_size = t->F, .x = x, .target = NULL};
  PetscCall(hd_train_evaluate(group, net, &te, hd_objective_standard(HD_TRAIN_LOSS_BCE), HD_EVAL_OUTPUT, out));
  if (sums) PetscCall(hd_cwola_rank_outside(n_te, out_win, n, out, pos, sums));
  PetscCall(PetscFree(out));
  PetscCall(PetscFree2(x, pos));
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
 * mean rank (hd_cwola_shared_ranks), and the fold's events of the spectrum outside the window
 * ranked against them (hd_cwola_rank_outside), as the network's are. The tree model is
 * trained by one process: the group's rank 0 (the one that holds rank_sum) trains it, the other
 * ranks of the group wait for it. Collective on group. */
static PetscErrorCode hd_cwola_unit_bdt(hd_comm group, const hd_cwola_options *o, const hd_cwola_table *t, const hd_cwola_part *p, PetscInt fold, PetscInt n_tr, PetscInt F, const float *x_tr, const float *y_tr, const float *wt_tr, PetscInt n_te, const float *x_te, const PetscInt *te_pos, PetscInt unit, int64_t *rank_sum, PetscBool *interrupted)
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
      if (p->n_out > 0) { /* the fold's events of the spectrum outside the window (hd_cwola_score_outside) */
        PetscInt n_o, *pos;
        float   *x_o, *out_o;
        PetscCall(hd_cwola_outside_rows(t, p, fold, &n_o, &x_o, &pos));
        if (n_o > 0) {
          PetscCall(PetscMalloc1(n_o, &out_o));
          PetscCall(hd_bdt_predict(model, n_o, x_o, out_o));
          PetscCall(hd_cwola_rank_outside(n_te, out, n_o, out_o, pos, rank_sum + p->n_win));
          PetscCall(PetscFree(out_o));
          PetscCall(PetscFree2(x_o, pos));
        }
      }
      PetscCall(PetscFree2(out, odd));
    }
    PetscCall(hd_bdt_destroy(&model));
  }
  PetscCall(hd_par_any(group, stopped, interrupted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on group. A classifier network of -network with the id `id` (its initialisation,
 * validation split and minibatch order), trained on the n_tr events x_tr (n_tr, F) with labels
 * y_tr and weights wt_tr by the weighted cross-entropy; *net to be destroyed by the caller. */
static PetscErrorCode hd_cwola_train_net(hd_comm group, const hd_cwola_options *o, const hd_train_config *cfg0, PetscInt id, PetscInt n_tr, PetscInt F, const float *x_tr, const float *y_tr, const float *wt_tr, hd_nn **net, hd_train_result *res)
{
  hd_train_config cfg         = *cfg0;
  PetscInt        in_shape[3] = {F, 1, 1};

  PetscFunctionBegin;
  PetscCall(hd_nn_create(o->network, in_shape, PetscMax(cfg.batch, 1024), net));
  PetscCheck((*net)->out_size == 1, group, HD_ERR_USER_INPUT, "option -network: the classifier must end in one output (got %" PetscInt_FMT ")", (*net)->out_size);
  PetscCall(hd_nn_init(*net, (uint64_t)o->seed, (uint64_t)id, HD_INIT_AUTO));
  cfg.seed      = (uint64_t)o->seed;
  cfg.member    = id;
  cfg.objective = hd_objective_standard(HD_TRAIN_LOSS_BCE);
  hd_train_data tr = {.n = n_tr, .in_size = F, .x = x_tr, .target = y_tr, .target_ld = 1, .weight = wt_tr};
  PetscCall(hd_train(group, *net, &tr, &cfg, res));
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
  /* class weights: the SR half of the total weight, each sideband a quarter (-sb_weights) */
  (void)n_tr_sr;
  PetscCall(hd_cwola_weights(o, t, w, p, fold, -1, n_tr, y_tr, wt_tr));

  if (o->use_bdt) {
    /* the same events, labels and weights; a tree model instead of the network */
    PetscCall(hd_cwola_unit_bdt(group, o, t, p, fold, n_tr, F, x_tr, y_tr, wt_tr, n_te, x_te, te_pos, unit, rank_sum, interrupted));
    PetscCall(PetscFree3(x_tr, y_tr, wt_tr));
    PetscCall(PetscFree3(x_te, out, te_pos));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(hd_cwola_train_net(group, o, cfg0, unit, n_tr, F, x_tr, y_tr, wt_tr, &net, &res));
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
  if (!res.interrupted) PetscCall(hd_cwola_score_outside(group, t, p, fold, net, n_te, out, rank_sum ? rank_sum + p->n_win : NULL));
  PetscCall(hd_nn_destroy(&net));
  PetscCall(PetscFree3(x_tr, y_tr, wt_tr));
  PetscCall(PetscFree3(x_te, out, te_pos));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The SR efficiency of a classifier at SB efficiency eff on n events (sr: 1 for SR events): the
 * threshold lets the top eff of the SB events pass, the figure of merit by which the reference
 * CWoLa hunting code picks its models (a good classifier of a rare signal is good in the tail). */
static PetscErrorCode hd_cwola_tail_efficiency(PetscInt n, const float *out, const int32_t *sr, double eff, double *eff_sr)
{
  float   *sb;
  PetscInt n_sb = 0, n_sr = 0, pass = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(PetscMax(n, 1), &sb));
  for (PetscInt k = 0; k < n; k++)
    if (!sr[k]) sb[n_sb++] = out[k];
  *eff_sr = 0;
  if (n_sb > 0) {
    qsort(sb, (size_t)n_sb, sizeof(float), hd_cwola_float_cmp);
    PetscInt at  = PetscMin(n_sb - 1, (PetscInt)floor((1 - eff) * (double)n_sb));
    float    cut = sb[at];
    for (PetscInt k = 0; k < n; k++)
      if (sr[k]) {
        n_sr++;
        pass += out[k] > cut;
      }
    *eff_sr = n_sr > 0 ? (double)pass / (double)n_sr : 0;
  }
  PetscCall(PetscFree(sb));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -model_selection tail (the reference CWoLa hunting code's nested k-fold): unit (window, test
 * fold, validation fold `vfold`, member) trains -tail_tries classifiers on the window's events
 * outside both folds (class weights of hd_cwola_weights; early stopping on the trainer's own
 * -val_fraction of them), keeps the one with the highest SR efficiency at SB efficiency -tail_eff
 * on the validation fold (the first on ties), and adds its quantile ranks on the test fold (and
 * its scores of the spectrum outside the window) to the sums like any member. The test fold's
 * score is then the mean over its folds - 1 validation folds (times -ensemble_size) of the kept
 * classifiers. Collective on group. */
static PetscErrorCode hd_cwola_unit_tail(hd_comm group, const hd_cwola_options *o, const hd_train_config *cfg0, const hd_cwola_table *t, const hd_cwola_window *w, const hd_cwola_part *p, PetscInt fold, PetscInt vfold, PetscInt unit, int64_t *rank_sum, PetscBool *interrupted)
{
  PetscInt        F = t->F, n_tr = 0, n_va = 0, n_te = 0, a = 0, b = 0, c = 0;
  float          *x_tr, *y_tr, *wt_tr, *x_va, *out_va, *x_te, *out_te;
  int32_t        *sr_va;
  PetscInt       *te_pos;
  hd_nn          *best = NULL;
  double          best_eff = -1;

  PetscFunctionBegin;
  *interrupted = PETSC_FALSE;
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt f = t->fold[p->rows[k]];
    n_te += f == fold;
    n_va += f == vfold;
  }
  n_tr = p->n_win - n_te - n_va;
  PetscCall(PetscMalloc3(PetscMax(n_tr, 1) * F, &x_tr, PetscMax(n_tr, 1), &y_tr, PetscMax(n_tr, 1), &wt_tr));
  PetscCall(PetscMalloc3(PetscMax(n_va, 1) * F, &x_va, PetscMax(n_va, 1), &out_va, PetscMax(n_va, 1), &sr_va));
  PetscCall(PetscMalloc3(PetscMax(n_te, 1) * F, &x_te, PetscMax(n_te, 1), &out_te, PetscMax(n_te, 1), &te_pos));
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt  i = p->rows[k], f = t->fold[i];
    PetscBool sr = t->mass[i] >= w->sr_lo && t->mass[i] < w->sr_hi;
    if (f == fold) {
      PetscCall(PetscArraycpy(x_te + c * F, t->x + i * F, F));
      te_pos[c++] = k;
    } else if (f == vfold) {
      PetscCall(PetscArraycpy(x_va + b * F, t->x + i * F, F));
      sr_va[b++] = sr;
    } else {
      PetscCall(PetscArraycpy(x_tr + a * F, t->x + i * F, F));
      y_tr[a++] = sr ? 1.0f : 0.0f;
    }
  }
  PetscCall(hd_cwola_weights(o, t, w, p, fold, vfold, n_tr, y_tr, wt_tr));
  for (PetscInt r = 0; r < o->tail_tries && !*interrupted; r++) {
    hd_nn          *net;
    hd_train_result res;
    double          eff = 0;

    PetscCall(hd_cwola_train_net(group, o, cfg0, unit * o->tail_tries + r, n_tr, F, x_tr, y_tr, wt_tr, &net, &res));
    *interrupted = res.interrupted;
    if (!res.interrupted && n_va > 0) {
      hd_train_data va = {.n = n_va, .in_size = F, .x = x_va, .target = NULL};
      PetscCall(hd_train_evaluate(group, net, &va, hd_objective_standard(HD_TRAIN_LOSS_BCE), HD_EVAL_OUTPUT, out_va));
      PetscCall(hd_cwola_tail_efficiency(n_va, out_va, sr_va, o->tail_eff, &eff));
    }
    if (!res.interrupted && eff > best_eff) {
      if (best) PetscCall(hd_nn_destroy(&best));
      best     = net;
      best_eff = eff;
    } else PetscCall(hd_nn_destroy(&net));
  }
  if (!*interrupted && best && n_te > 0) {
    hd_train_data te = {.n = n_te, .in_size = F, .x = x_te, .target = NULL};
    PetscCall(hd_train_evaluate(group, best, &te, hd_objective_standard(HD_TRAIN_LOSS_BCE), HD_EVAL_OUTPUT, out_te));
    if (rank_sum) {
      int64_t *odd;
      PetscCall(PetscMalloc1(n_te, &odd));
      PetscCall(hd_stats_quantile_ranks(n_te, out_te, odd));
      for (PetscInt k = 0; k < n_te; k++) rank_sum[te_pos[k]] += odd[k];
      PetscCall(PetscFree(odd));
    }
    PetscCall(hd_cwola_score_outside(group, t, p, fold, best, n_te, out_te, rank_sum ? rank_sum + p->n_win : NULL));
  }
  if (best) PetscCall(hd_nn_destroy(&best));
  PetscCall(PetscFree3(x_tr, y_tr, wt_tr));
  PetscCall(PetscFree3(x_va, out_va, sr_va));
  PetscCall(PetscFree3(x_te, out_te, te_pos));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- selection, fits and metrics of one window ---- */

typedef struct {
  float    score;
  PetscInt row;
} hd_cwola_sel;

/* descending score, ties by row: the selection does not depend on how the events were gathered */
static int hd_cwola_sel_cmp(const void *pa, const void *pb)
{
  const hd_cwola_sel *a = pa, *b = pb;
  if (a->score > b->score) return -1;
  if (a->score < b->score) return 1;
  return (a->row > b->row) - (a->row < b->row);
}

/* SIC = eps_S / sqrt(eps_B) of the score on the n SR events (label > 0: signal), only at
 * thresholds that at least p->sic_min_bkg background events pass: below that, eps_B comes from a
 * handful of events and the ratio from its fluctuation (a single event gave eps_B = 4e-5). Band:
 * binomial errors of eps_S and eps_B, sigma_SIC^2 / SIC^2 = var(eps_S) / eps_S^2 +
 * var(eps_B) / (4 eps_B^2). The maximum and the curve that is stored (thinned to steps of 2 % in
 * eps_B, the maximum always kept) come from the same points, so the summary and the plot agree. */
static PetscErrorCode hd_cwola_sic(PetscInt n, const float *score, const int32_t *label, hd_cwola_part *p)
{
  hd_cwola_sel *it;
  PetscInt      ns = 0, nb = 0, tp = 0, fp = 0, m = 0, best = -1;
  double       *eb, *es, *sic, *err, last = 0;

  PetscFunctionBegin;
  p->sic_max = p->sic_max_err = p->sic_max_eps_b = NAN;
  p->n_sic                                       = 0;
  for (PetscInt k = 0; k < n; k++) {
    ns += label[k] > 0;
    nb += label[k] == 0;
  }
  if (ns == 0 || nb < p->sic_min_bkg) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(n, &it));
  PetscCall(PetscMalloc4(n, &eb, n, &es, n, &sic, n, &err));
  for (PetscInt k = 0; k < n; k++) {
    it[k].score = score[k];
    it[k].row   = k;
  }
  qsort(it, (size_t)n, sizeof(*it), hd_cwola_sel_cmp);
  for (PetscInt i = 0; i < n;) {
    PetscInt j = i;
    while (j < n && it[j].score == it[i].score) {
      PetscInt l = label[it[j].row];
      tp += l > 0;
      fp += l == 0;
      j++;
    }
    i = j;
    if (fp < p->sic_min_bkg) continue;
    double b = (double)fp / nb, s = (double)tp / ns;
    eb[m]  = b;
    es[m]  = s;
    sic[m] = s / sqrt(b);
    err[m] = sic[m] * sqrt((s > 0 ? (1 - s) / (s * ns) : 0) + 0.25 * (1 - b) / (b * nb));
    if (best < 0 || sic[m] > sic[best]) best = m;
    m++;
  }
  PetscCall(PetscMalloc4(PetscMax(m, 1), &p->sic_eps_b, PetscMax(m, 1), &p->sic_eps_s, PetscMax(m, 1), &p->sic, PetscMax(m, 1), &p->sic_err));
  for (PetscInt q = 0; q < m; q++) {
    if (!(q == 0 || q == best || q == m - 1 || eb[q] >= last * 1.02)) continue;
    p->sic_eps_b[p->n_sic] = eb[q];
    p->sic_eps_s[p->n_sic] = es[q];
    p->sic[p->n_sic]       = sic[q];
    p->sic_err[p->n_sic]   = err[q];
    p->n_sic++;
    last = eb[q];
  }
  if (best >= 0) {
    p->sic_max       = sic[best];
    p->sic_max_err   = err[best];
    p->sic_max_eps_b = eb[best];
  }
  PetscCall(PetscFree(it));
  PetscCall(PetscFree4(eb, es, sic, err));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Selections, fits and metrics of one window. The spectrum is the window's events and, with
 * -bkg_fit spectrum, the other events of the fit range (all scored by the window's classifiers).
 * Per eps: the top eps of the spectrum by score (one threshold over the whole spectrum), binned
 * over the fit range; the dijet function fitted to every bin outside the SR and its gap; the SR
 * prediction against the observed count; the signal-plus-background fit beside it. Not
 * collective (every rank computes the same numbers). */
static PetscErrorCode hd_cwola_window_evaluate(hd_comm world, const hd_cwola_options *o, const hd_cwola_table *t, const hd_cwola_window *w, hd_cwola_part *p)
{
  hd_cwola_sel  *order;
  float         *m_sel;
  PetscInt       n_spec = 0;
  hd_bump_signal sig = {.kind = !strcmp(o->sig_shape, "cb") ? HD_BUMP_SIGNAL_CRYSTAL_BALL : HD_BUMP_SIGNAL_GAUSS, .mass = 0.5 * (w->sr_lo + w->sr_hi), .alpha = o->sig_alpha, .n = o->sig_n};

  PetscFunctionBegin;
  sig.sigma   = o->sig_width * sig.mass;
  p->n_eps    = o->n_eps;
  p->sic_min_bkg = o->sic_min_bkg;
  PetscCall(hd_cwola_fit_edges(world, o, w, p->fit_lo, p->fit_hi, &p->n_bins, &p->edges, &p->gap_lo, &p->gap_hi));
  PetscCall(PetscCalloc2((o->n_eps + 1) * p->n_bins, &p->counts, (o->n_eps + 1) * p->n_bins, &p->fit_mu));
  PetscCall(PetscMalloc1(p->n_win + p->n_out, &order));
  PetscCall(PetscMalloc1(p->n_win + p->n_out, &m_sel));
  /* the spectrum is the fit range: a sideband may reach below -fit_lo (into a trigger turn-on the
   * dijet function cannot follow) and trains the classifiers, but is neither selected nor fitted */
  for (PetscInt k = 0; k < p->n_win + p->n_out; k++) {
    PetscInt i = k < p->n_win ? p->rows[k] : p->out_rows[k - p->n_win];
    if (t->mass[i] < p->fit_lo || t->mass[i] >= p->fit_hi) continue;
    order[n_spec].score = k < p->n_win ? p->score[k] : p->out_score[k - p->n_win];
    order[n_spec].row   = i;
    n_spec++;
  }
  PetscCheck(n_spec > 0, world, HD_ERR_USER_INPUT, "window SR [%.0f, %.0f) GeV: no events in the fit range [%.0f, %.0f) GeV", w->sr_lo, w->sr_hi, p->fit_lo, p->fit_hi);
  qsort(order, (size_t)n_spec, sizeof(*order), hd_cwola_sel_cmp);

  /* row 0: all events (before selection); row 1 + e: the top eps[e] of the spectrum */
  PetscInt n_sig_sr = 0;
  for (PetscInt k = 0; k < p->n_win; k++) {
    PetscInt i = p->rows[k];
    n_sig_sr += t->label[i] > 0 && t->mass[i] >= w->sr_lo && t->mass[i] < w->sr_hi;
  }
  p->n_sig_sr = n_sig_sr;
  PetscInt n_labelled = 0; /* label < 0: unknown (data) */
  for (PetscInt k = 0; k < p->n_win; k++) n_labelled += t->label[p->rows[k]] >= 0;
  for (PetscInt e = 0; e <= o->n_eps; e++) {
    double   eps   = e == 0 ? 1.0 : o->eps[e - 1];
    PetscInt n_sel = (PetscInt)ceil(eps * (double)n_spec - 1e-9), sig_sel = 0, bkg_sel = 0;
    n_sel          = PetscMax(1, PetscMin(n_sel, n_spec));
    for (PetscInt s = 0; s < n_sel; s++) {
      PetscInt  i  = order[s].row;
      PetscBool sr = t->mass[i] >= w->sr_lo && t->mass[i] < w->sr_hi;
      m_sel[s]     = t->mass[i];
      sig_sel += sr && t->label[i] > 0;
      bkg_sel += sr && t->label[i] == 0;
    }
    PetscCall(hd_bump_histogram(n_sel, m_sel, p->n_bins, p->edges, p->counts + e * p->n_bins));
    hd_bump_input  in = {.n_bins = p->n_bins, .edges = p->edges, .counts = p->counts + e * p->n_bins, .sr_lo = w->sr_lo, .sr_hi = w->sr_hi, .sqrt_s = 0, .n_params = o->fit_params, .tolerate_failure = PETSC_TRUE, .gap_lo = p->gap_lo, .gap_hi = p->gap_hi, .bkg_error = strcmp(o->bkg_error, "poisson") ? HD_BUMP_BKG_LOGNORMAL : HD_BUMP_BKG_POISSON};
    hd_bump_result fit;
    PetscCall(hd_bump_fit(&in, &fit));
    PetscBool usable = fit.converged && isfinite(fit.p[0]) && isfinite(fit.p[1]) && isfinite(fit.p[2]) && isfinite(fit.p[3]) && fit.p[0] >= 0;
    if (usable) PetscCall(hd_bump_predict(&in, fit.p, p->fit_mu + e * p->n_bins));
    else {
      /* a fit that failed gives no significance: the table and summary show null */
      for (PetscInt j = 0; j < p->n_bins; j++) p->fit_mu[e * p->n_bins + j] = NAN;
      fit.b_sr = fit.sigma_b = fit.z_local = NAN;
      fit.converged = PETSC_FALSE;
    }
    p->n_sr_sel[e]    = fit.n_sr;
    p->b_sr[e]        = fit.b_sr;
    p->sigma_b[e]     = fit.sigma_b;
    p->z[e]           = fit.z_local;
    p->chi2_ndf[e]    = fit.ndf > 0 && usable ? fit.chi2 / fit.ndf : NAN;
    p->eff_s[e]       = n_sig_sr > 0 ? (double)sig_sel / (double)n_sig_sr : NAN;
    p->bkg_sr_true[e] = n_labelled > 0 ? (double)bkg_sel : NAN; /* label 0: background (also in background-only files) */
    for (int q = 0; q < 4; q++) p->params[e * 4 + q] = fit.p[q];
    /* the cross-check: dijet function plus a resonance at the SR centre, over all bins */
    p->sig_s[e] = p->sig_sigma_s[e] = p->sig_s_sr[e] = p->sig_z[e] = p->sig_b_sr[e] = p->sig_sigma_b_sr[e] = NAN;
    if (strcmp(o->sig_shape, "none") && usable) {
      hd_bump_signal_result sr;
      PetscCall(hd_bump_fit_signal(&in, &sig, &fit, &sr));
      if (sr.converged) {
        p->sig_s[e]       = sr.s;
        p->sig_sigma_s[e] = sr.sigma_s;
        p->sig_s_sr[e]    = sr.s_sr;
        p->sig_z[e]       = sr.z;
        p->sig_b_sr[e]       = sr.b_sr;
        p->sig_sigma_b_sr[e] = sr.sigma_b_sr;
      }
    }
  }
  /* S / sqrt(B) before selection, from the same fit, as seed 004 states it */
  p->s_over_sqrt_b = p->b_sr[0] > 0 ? (p->n_sr_sel[0] - p->b_sr[0]) / sqrt(p->b_sr[0]) : NAN;
  p->best_e = 1;
  for (PetscInt e = 1; e <= o->n_eps; e++)
    if (isnan(p->z[p->best_e]) || p->z[e] > p->z[p->best_e]) p->best_e = e;

  /* sculpting check: how well the score tells SR from SB events of the window (0.5 when it cannot) */
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

  /* truth metrics on the SR events: AUC, and SIC with its floor and band */
  p->auc     = NAN;
  p->sic_max = p->sic_max_err = p->sic_max_eps_b = NAN;
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
    PetscCall(hd_stats_roc_compute(n, s, l, 2, &roc));
    p->auc = roc.auc;
    PetscCall(hd_stats_roc_free(&roc));
    PetscCall(hd_cwola_sic(n, s, l, p));
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
  double           fit_lo, fit_hi; /* GeV: the background fit range (-bkg_fit spectrum) */
  PetscInt         per_fold;       /* members averaged per (window, fold): -ensemble_size, times folds - 1 with -model_selection tail */
  hd_cwola_table   t;
  hd_cwola_part   *parts;         /* (n_win) */
  PetscInt        *sum_at;        /* (n_win) where window k's rank sums start in the ensemble's */
} hd_cwola;

/* The background fit range: -fit_lo and -fit_hi, by default the scan's whole range from the
 * lowest sideband edge to the highest (clipped to the data above, where a falling spectrum simply
 * ends). Every SR of this run must lie inside it; a sideband may reach outside (it trains the
 * classifiers; selections and fits see only the fit range). Collective (same values on every rank). */
static PetscErrorCode hd_cwola_fit_range(hd_comm world, hd_cwola *c)
{
  const hd_cwola_options *o = &c->o;

  PetscFunctionBegin;
  c->fit_lo = o->fit_lo > 0 ? o->fit_lo : c->win[0].sb_lo;
  c->fit_hi = o->fit_hi > 0 ? o->fit_hi : c->win[c->n_win - 1].sb_hi;
  if (!o->spectrum_fit) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(c->fit_lo >= c->t.mass_lo, world, HD_ERR_USER_INPUT, "option -fit_lo: the fit range starts at %.0f GeV, below the data's lowest mass %.0f GeV in '%s' (a cut spectrum cannot be fitted)", c->fit_lo, c->t.mass_lo, o->data);
  for (PetscInt k = c->w0; k < c->w1; k++)
    PetscCheck(c->win[k].sr_lo >= c->fit_lo && c->win[k].sr_hi <= c->fit_hi, world, HD_ERR_USER_INPUT, "window %" PetscInt_FMT ": its SR [%.0f, %.0f) GeV reaches outside the fit range [%.0f, %.0f) GeV of -fit_lo and -fit_hi", k, c->win[k].sr_lo, c->win[k].sr_hi, c->fit_lo, c->fit_hi);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective (same values on every rank). Before any training: every window of this run keeps
 * fitted bins on both sides of its SR and gap (hd_cwola_fit_edges checks the same later). */
static PetscErrorCode hd_cwola_gap_check(hd_comm world, const hd_cwola *c)
{
  const hd_cwola_options *o = &c->o;

  PetscFunctionBegin;
  for (PetscInt k = c->w0; k < c->w1; k++) {
    const hd_cwola_window *w  = &c->win[k];
    double                 lo = o->spectrum_fit ? c->fit_lo : w->sb_lo, hi = o->spectrum_fit ? c->fit_hi : w->sb_hi;
    double                 g_lo = o->log_scale ? w->sr_lo / (1 + o->fit_gap) : w->sr_lo - o->fit_gap, g_hi = o->log_scale ? w->sr_hi * (1 + o->fit_gap) : w->sr_hi + o->fit_gap;
    PetscCheck(g_lo > lo && g_hi < hi, world, HD_ERR_USER_INPUT, "option -fit_gap %g: window %" PetscInt_FMT " (SR [%.0f, %.0f) GeV) with its gap [%.0f, %.0f) leaves no bins to fit on one side within [%.0f, %.0f) GeV", o->fit_gap, k, w->sr_lo, w->sr_hi, g_lo, g_hi, lo, hi);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Unit u of a -model_selection tail scan: (window, test fold, validation fold, member), the
 * validation fold the j-th of the other folds. */
static PetscErrorCode hd_cwola_member_tail(hd_ensemble_member *m, hd_cwola *c)
{
  PetscInt nv = c->o.folds - 1, pw = c->o.folds * nv * c->o.members, u = m->member;
  PetscInt wk = c->w0 + u / pw, r = u % pw, fold = r / (nv * c->o.members), j = (r / c->o.members) % nv, member = r % c->o.members;
  PetscInt vfold = j < fold ? j : j + 1, unit = ((wk * c->o.folds + fold) * c->o.folds + vfold) * c->o.members + member;

  PetscFunctionBegin;
  PetscCall(hd_cwola_unit_tail(m->group, &c->o, &c->cfg, &c->t, &c->win[wk], &c->parts[wk], fold, vfold, unit, m->sums ? m->sums + c->sum_at[wk] : NULL, &m->interrupted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

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

  PetscCall(hd_cwola_fit_range(world, c));
  PetscCall(hd_cwola_gap_check(world, c));
  c->per_fold         = o->tail ? (o->folds - 1) * o->members : o->members;
  PetscInt per_window = o->folds * c->per_fold, n_units = (c->w1 - c->w0) * per_window, n_sums = 0;
  double  *costs;
  PetscCall(PetscCalloc1(c->n_win, &c->parts));
  PetscCall(PetscCalloc1(c->n_win, &c->sum_at));
  PetscCall(PetscMalloc1(n_units, &costs));
  for (PetscInt k = c->w0; k < c->w1; k++) {
    PetscCall(hd_cwola_window_events(world, &c->t, &c->win[k], k, &c->parts[k]));
    c->parts[k].fit_lo = o->spectrum_fit ? c->fit_lo : c->win[k].sb_lo;
    c->parts[k].fit_hi = o->spectrum_fit ? c->fit_hi : c->win[k].sb_hi;
    PetscCall(hd_cwola_spectrum_events(&c->t, &c->win[k], c->parts[k].fit_lo, c->parts[k].fit_hi, &c->parts[k]));
    for (PetscInt u = 0; u < per_window; u++) costs[(k - c->w0) * per_window + u] = (double)c->parts[k].n_win * (o->tail ? (double)o->tail_tries : 1.0);
    c->sum_at[k] = n_sums;
    n_sums += c->parts[k].n_win + c->parts[k].n_out;
  }
  hd_ensemble_config ec = {.n_members = n_units, .costs = costs, .group_size = o->group_size, .n_sums = n_sums, .progress = "cwola: classifiers of group 0"};
  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_cwola_store(o, c->cfg.resume, &ec, members, sizeof(members));
  PetscCall(hd_ensemble_create(world, &ec, ens));
  PetscCall(PetscFree(costs));
  PetscCall(hd_results_mkdir(world, o->out));
  PetscInt nw = c->w1 - c->w0;
  PetscCall(hd_log(world, "cwola: %" PetscInt_FMT " events x %" PetscInt_FMT " features from '%s'; %" PetscInt_FMT " window%s x %" PetscInt_FMT " folds x %" PetscInt_FMT " members = %" PetscInt_FMT " classifiers on %d ranks (%" PetscInt_FMT " groups)\n", c->t.n, c->t.F, o->data, nw, nw > 1 ? "s" : "", o->folds, c->per_fold, n_units, run->size, ens->groups.n_groups));
  if (o->tail) PetscCall(hd_log(world, "cwola: -model_selection tail: each member the best of %" PetscInt_FMT " trainings (%" PetscInt_FMT " in all)\n", o->tail_tries, n_units * o->tail_tries));
  if (o->spectrum_fit) PetscCall(hd_log(world, "cwola: background fit over [%.0f, %.0f) GeV, SR bins%s left out\n", c->fit_lo, c->fit_hi, o->fit_gap > 0 ? " and the gap around them" : ""));
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
  if (c->o.tail) {
    PetscCall(hd_cwola_member_tail(m, c));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
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
    for (PetscInt j = 0; j < p->n_win; j++) p->score[j] = (float)((double)sum[j] / (2.0 * (double)n_fold[c->t.fold[p->rows[j]]] * (double)c->per_fold));
    /* the spectrum outside the window: 2 below + equal against the fold's window events, on the
     * same scale (hd_cwola_score_outside) */
    for (PetscInt j = 0; j < p->n_out; j++) p->out_score[j] = (float)((double)sum[p->n_win + j] / (2.0 * (double)PetscMax(n_fold[c->t.fold[p->out_rows[j]]], 1) * (double)c->per_fold));
    PetscCall(hd_cwola_window_evaluate(run->world, o, &c->t, &c->win[k], p));
    p->window         = c->win[k];
    p->index          = k;
    p->models_trained = o->folds * c->per_fold * (o->tail ? o->tail_tries : 1);
    p->n_windows      = c->n_win;
    for (PetscInt e = 0; e < o->n_eps; e++) p->eps[e] = o->eps[e];
    snprintf(p->data, sizeof(p->data), "%s", o->data);
    if (run->rank == 0) { /* what hadal merge compares: the contents, not only the path */
      char paths[PETSC_MAX_PATH_LEN];
      PetscCall(hd_events_data_identity(p->data_identity, sizeof(p->data_identity), paths, sizeof(paths)));
    }
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
