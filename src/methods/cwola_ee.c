/* CWoLa in e+e- radiative-return events (seed 004): one window of sqrt(s-hat), a signal region (SR)
 * and sidebands (SB) on both sides; a classifier learns SR data against SB data (weak supervision)
 * or, with -reference, SR data against simulated background in the same SR (semi-supervised,
 * seed 004's "data vs simulation"). Its inputs are the jets as a set (a Particle Flow Network,
 * Komiske et al. 2019) or the event-level variables (a dense network, seed 004 Fig. 7).
 *
 *   1. Data: the sets normalised per event (eta, phi centred on the pT-weighted mean, pT divided by
 *      the event's sum, seed 004 section 3) and standardised, or the event-level variables;
 *      one node-shared table of network input rows                                hd_cwola_ee_inputs
 *   2. Events split once into a training and a test part (counter RNG); the training part's
 *      background and signal events of the window in pools                       hd_cwola_ee_pools
 *   3. The contamination scan as one ensemble: unit (level, member) trains on the background plus
 *      its OWN random draw of n = sigma sqrt(B_SR) signal events (seed 004: "50 models per setup
 *      with random signal injections") and scores the test events of the window   hd_cwola_ee_unit
 *   4. Per level: each member's test scores quantile-scaled (ranks summed exactly) and averaged;
 *      the significance after a cut, sigma eps_S / sqrt(eps_B) (seed 004 section 4), its best value
 *      per member (median and spread) and of the averaged score; the background-only SR-vs-SB
 *      AUC of the score (seed 004 Fig. 4)                                         hd_cwola_ee_level
 *   5. results.h5, summary.json and the table                                     hd_cwola_ee_report
 *
 * Every result is a pure function of (seed, data, options): identical at any rank count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/nn.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/rng.h>
#include <hadal/stats.h>
#include <hadal/train.h>

#define HD_CWOLA_EE_MAX_LEVELS 16
#define HD_CWOLA_EE_PI         3.14159265358979323846

/* RNG streams of this method (methods' ids from 76 to 79) */
enum {
  HD_STREAM_CWOLA_EE_SPLIT  = 76, /* training or test part: index = event */
  HD_STREAM_CWOLA_EE_INJECT = 77, /* a member's signal draw: index = (unit << 32) | event */
};

/* per-member metrics */
enum { HD_CWOLA_EE_BEST_SIG, HD_CWOLA_EE_SIC, HD_CWOLA_EE_AUC, HD_CWOLA_EE_AUC_SRSB, HD_CWOLA_EE_EPOCHS, HD_CWOLA_EE_N_METRICS };

typedef struct {
  char      data[PETSC_MAX_PATH_LEN], reference[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN], inputs[16], network[512], levels_text[256], scale_by_mass[256], drop_features[256];
  PetscInt  seed, members, group_size, min_background, n_levels;
  PetscReal sr_lo, sr_hi, sb_width, test_fraction;
  double    levels[HD_CWOLA_EE_MAX_LEVELS]; /* injected sigma; INFINITY: all signal against background */
  char      level_names[HD_CWOLA_EE_MAX_LEVELS][16], sr_text[64], sb_text[96]; /* for messages (PETSc prints 675 as "675.") */
  PetscBool normalize, use_sets;
} hd_cwola_ee_options;

/* One file's network inputs. */
typedef struct {
  hd_table table;
  PetscInt n, D;   /* events, input width */
  float   *x;      /* (n, D) node-shared: the network input rows */
} hd_cwola_ee_data;

typedef struct {
  hd_cwola_ee_options o;
  hd_train_config     cfg;
  hd_cwola_ee_data    d, r;                    /* data, reference (semi-supervised) */
  PetscInt            P, C;                    /* set size and width (sets) */
  /* pools of rows of d (training part), and of r */
  PetscInt           *bkg_sr, *bkg_sb, *sig, *ref_sr, *test;
  PetscInt            n_bkg_sr, n_bkg_sb, n_sig, n_sig_sr, n_ref_sr, n_test;
  PetscInt            n_inject[HD_CWOLA_EE_MAX_LEVELS];
  /* per level after the run */
  double              auc[HD_CWOLA_EE_MAX_LEVELS], auc_srsb[HD_CWOLA_EE_MAX_LEVELS], sic[HD_CWOLA_EE_MAX_LEVELS], ens_sig[HD_CWOLA_EE_MAX_LEVELS];
  double              med_sig[HD_CWOLA_EE_MAX_LEVELS], q16_sig[HD_CWOLA_EE_MAX_LEVELS], q84_sig[HD_CWOLA_EE_MAX_LEVELS], med_auc_srsb[HD_CWOLA_EE_MAX_LEVELS];
  float              *score;                   /* (n_levels, n_test) ensemble scores */
} hd_cwola_ee;

static PetscBool hd_cwola_ee_in_sr(const hd_cwola_ee_options *o, double m) { return m >= o->sr_lo && m < o->sr_hi; }
static PetscBool hd_cwola_ee_in_window(const hd_cwola_ee_options *o, double m) { return m >= o->sr_lo - o->sb_width && m < o->sr_hi + o->sb_width; }

static int hd_cwola_ee_cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return isnan(x) ? (isnan(y) ? 0 : 1) : (isnan(y) ? -1 : (x > y) - (x < y));
}

/* ---- options ---- */

static PetscErrorCode hd_cwola_ee_read_options(hd_run *run, void *ctx)
{
  hd_cwola_ee         *c = ctx;
  hd_cwola_ee_options *o = &c->o;

  PetscFunctionBegin;
  (void)run;
  PetscCall(hd_opt_string("-data", "event file: /events/sets + set_size (or features), mass, label", NULL, o->data, sizeof(o->data), NULL));
  PetscCall(hd_opt_string("-reference", "simulated background (semi-supervised): SR data is learnt against its SR events instead of the sidebands", "", o->reference, sizeof(o->reference), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, o->out, sizeof(o->out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of the split, the injections, initialisation and minibatch order", 1, &o->seed, NULL));
  PetscCall(hd_opt_real("-sr_lo", "lower edge of the signal region (GeV)", 675, &o->sr_lo, NULL));
  PetscCall(hd_opt_real("-sr_hi", "upper edge of the signal region (GeV)", 725, &o->sr_hi, NULL));
  PetscCall(hd_opt_real("-sb_width", "width of each sideband (GeV)", 50, &o->sb_width, NULL));
  PetscCall(hd_opt_string("-inputs", "sets: a PFN on /events/sets; features: a dense network on /events/features", "sets", o->inputs, sizeof(o->inputs), NULL));
  PetscCall(hd_opt_string("-network", "the classifier (sets: an hd_nn_create_deepset spec; features: an hd_nn_create chain)", "", o->network, sizeof(o->network), NULL));
  PetscCall(hd_opt_bool("-normalize", "sets: per event, eta and phi centred on the pT-weighted mean and pT divided by the sum (seed 004)", PETSC_TRUE, &o->normalize, NULL));
  PetscCall(hd_opt_string("-scale_by_mass", "features: these columns divided by the event's mass", "", o->scale_by_mass, sizeof(o->scale_by_mass), NULL));
  PetscCall(hd_opt_string("-drop_features", "features: these columns are not used (set to 0 after standardising)", "", o->drop_features, sizeof(o->drop_features), NULL));
  PetscCall(hd_opt_string("-contamination", "injected signal in sigma = S / sqrt(B) of the training SR, comma-separated; inf: all signal", "0,0.5,1,2,3,5,inf", o->levels_text, sizeof(o->levels_text), NULL));
  PetscCall(hd_opt_int("-ensemble_size", "classifiers per contamination, each with its own signal draw", 50, &o->members, NULL));
  PetscCall(hd_opt_real("-test_fraction", "fraction of the events kept for testing (never trained on)", 0.5, &o->test_fraction, NULL));
  PetscCall(hd_opt_int("-min_background", "a cut must keep at least this many test background events of the SR to count", 20, &o->min_background, NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one classifier together (a divisor of the rank count)", 1, &o->group_size, NULL));
  c->cfg               = hd_train_defaults();
  c->cfg.epochs        = 30;
  c->cfg.batch         = 100;
  c->cfg.stop_patience = 5;
  c->cfg.progress      = PETSC_FALSE;
  PetscCall(hd_train_read_options(&c->cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cwola_ee_options_check(hd_comm world, hd_cwola_ee_options *o)
{
  char text[256];

  PetscFunctionBegin;
  PetscCheck(o->data[0], world, HD_ERR_USER_INPUT, "option -data is required: the event file");
  PetscCheck(o->out[0], world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(o->seed >= 0, world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", o->seed);
  snprintf(o->sr_text, sizeof(o->sr_text), "[%g, %g)", o->sr_lo, o->sr_hi);
  snprintf(o->sb_text, sizeof(o->sb_text), "[%g, %g) and [%g, %g)", o->sr_lo - o->sb_width, o->sr_lo, o->sr_hi, o->sr_hi + o->sb_width);
  PetscCheck(o->sr_hi > o->sr_lo && o->sb_width > 0 && o->sr_lo - o->sb_width > 0, world, HD_ERR_USER_INPUT, "options -sr_lo, -sr_hi and -sb_width do not make a window: SR %s, sidebands %s GeV", o->sr_text, o->sb_text);
  PetscCheck(!strcmp(o->inputs, "sets") || !strcmp(o->inputs, "features"), world, HD_ERR_USER_INPUT, "option -inputs: '%s' is neither sets nor features", o->inputs);
  o->use_sets = !strcmp(o->inputs, "sets");
  if (!o->network[0]) snprintf(o->network, sizeof(o->network), "%s", o->use_sets ? "pfn phi 100,100,128 f 100,100,100" : "dense 100 relu, dense 100 relu, dense 1");
  PetscCheck(o->members >= 1 && o->members <= 10000, world, HD_ERR_USER_INPUT, "option -ensemble_size must lie in [1, 10000] (got %" PetscInt_FMT ")", o->members);
  PetscCheck(o->test_fraction > 0 && o->test_fraction < 1, world, HD_ERR_USER_INPUT, "option -test_fraction must lie in (0, 1) (got %g)", (double)(float)o->test_fraction);
  PetscCheck(o->min_background >= 1, world, HD_ERR_USER_INPUT, "option -min_background must be at least 1 (got %" PetscInt_FMT ")", o->min_background);
  if (o->reference[0]) {
    /* the same file under two names too: SR data learnt against itself separates nothing */
    PetscBool same;
    PetscCall(hd_results_same_file(world, o->data, o->reference, &same));
    PetscCheck(!same, world, HD_ERR_USER_INPUT, "option -reference: '%s' is the -data file '%s' itself; give simulated background (the SR data learnt against itself tells nothing)", o->reference, o->data);
  }
  /* the contamination list: numbers >= 0 or "inf" */
  snprintf(text, sizeof(text), "%s", o->levels_text);
  o->n_levels = 0;
  for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ",")) {
    char  *end;
    double v;
    while (*tok == ' ') tok++;
    PetscCheck(o->n_levels < HD_CWOLA_EE_MAX_LEVELS, world, HD_ERR_USER_INPUT, "option -contamination: more than %d values", HD_CWOLA_EE_MAX_LEVELS);
    if (!strcmp(tok, "inf") || !strcmp(tok, "all")) v = INFINITY;
    else {
      v = strtod(tok, &end);
      PetscCheck(end != tok && *end == '\0' && isfinite(v) && v >= 0, world, HD_ERR_USER_INPUT, "option -contamination: '%s' is neither a number of sigma >= 0 nor inf", tok);
    }
    snprintf(o->level_names[o->n_levels], sizeof(o->level_names[0]), "%s", isinf(v) ? "inf" : tok);
    o->levels[o->n_levels++] = v;
  }
  PetscCheck(o->n_levels > 0, world, HD_ERR_USER_INPUT, "option -contamination: no values in '%s'", o->levels_text);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- step 1: the network inputs ---- */

/* Not collective. One event's set, normalised (seed 004 section 3) in place: rows j < n of
 * s (P, C) with columns pt, eta, phi first. pT-weighted mean eta; the mean phi is the direction of
 * sum_j pT_j (cos phi_j, sin phi_j), so the centring does not break at phi = +-pi. */
static void hd_cwola_ee_normalize(PetscInt n, PetscInt C, float *s)
{
  double sum = 0, eta = 0, cx = 0, cy = 0, phi0;
  for (PetscInt j = 0; j < n; j++) {
    double pt = s[j * C];
    sum += pt;
    eta += pt * s[j * C + 1];
    cx += pt * cos(s[j * C + 2]);
    cy += pt * sin(s[j * C + 2]);
  }
  if (sum <= 0) return;
  eta /= sum;
  phi0 = atan2(cy, cx);
  for (PetscInt j = 0; j < n; j++) {
    double dphi = s[j * C + 2] - phi0;
    while (dphi > HD_CWOLA_EE_PI) dphi -= 2 * HD_CWOLA_EE_PI;
    while (dphi <= -HD_CWOLA_EE_PI) dphi += 2 * HD_CWOLA_EE_PI;
    s[j * C]     = (float)(s[j * C] / sum);
    s[j * C + 1] = (float)(s[j * C + 1] - eta);
    s[j * C + 2] = (float)dphi;
  }
}

/* Collective on world. Reads `path` and fills the node-shared input table: sets, row = P C
 * normalised (-normalize) and standardised element features (zero past the set size) then the set
 * size; features: the standardised event-level variables. mean and std (D values) are computed
 * from this file when `given` is false, else used as they are (the reference file is
 * standardised like the data). */
static PetscErrorCode hd_cwola_ee_inputs(hd_comm world, hd_cwola_ee *c, const char *path, hd_cwola_ee_data *d, double *mean, double *std, PetscBool given)
{
  const hd_cwola_ee_options *o            = &c->o;
  static const char *const   need_sets[]  = {"sets", "mass", NULL};
  static const char *const   need_feats[] = {"features", "mass", NULL};
  hd_table                  *t            = &d->table;

  PetscFunctionBegin;
  PetscCall(hd_events_read_shared(world, path, o->use_sets ? need_sets : need_feats, t));
  d->n = t->layout.n_events;
  if (o->use_sets) {
    PetscCheck(t->sets && t->layout.set_size > 0, world, HD_ERR_USER_INPUT, "'%s' has no /events/sets: -inputs sets needs the jets as sets", path);
    if (given) PetscCheck(t->layout.set_size == c->P && t->layout.set_width == c->C, world, HD_ERR_USER_INPUT, "-reference '%s' has sets of %" PetscInt_FMT " x %" PetscInt_FMT " but -data has %" PetscInt_FMT " x %" PetscInt_FMT ": the files must have the same columns", path, t->layout.set_size, t->layout.set_width, c->P, c->C);
    c->P = t->layout.set_size;
    c->C = t->layout.set_width;
    PetscCheck(!o->normalize || c->C >= 3, world, HD_ERR_USER_INPUT, "'%s': -normalize needs the set columns pt, eta, phi first, but the sets have %" PetscInt_FMT " columns", path, c->C);
    PetscCheck(c->C <= 1024, world, HD_ERR_USER_INPUT, "'%s': sets of %" PetscInt_FMT " columns: at most 1024 are supported", path, c->C);
    d->D = c->P * c->C + 1;
  } else {
    PetscCheck(t->layout.n_features > 0, world, HD_ERR_USER_INPUT, "'%s' has no /events/features: -inputs features needs them", path);
    if (given) {
      PetscCheck(t->layout.n_features == c->d.table.layout.n_features, world, HD_ERR_USER_INPUT, "-reference '%s' has %" PetscInt_FMT " features but -data has %" PetscInt_FMT ": the files must have the same columns", path, t->layout.n_features, c->d.table.layout.n_features);
      for (PetscInt j = 0; j < t->layout.n_features; j++)
        PetscCheck(!strcmp(t->layout.feature_names[j], c->d.table.layout.feature_names[j]), world, HD_ERR_USER_INPUT, "-reference '%s': feature %" PetscInt_FMT " is '%s' but -data has '%s': the files must have the same columns", path, j, t->layout.feature_names[j], c->d.table.layout.feature_names[j]);
    }
    PetscCheck(t->layout.n_features <= 1024, world, HD_ERR_USER_INPUT, "'%s': %" PetscInt_FMT " features: at most 1024 are supported", path, t->layout.n_features);
    d->D = t->layout.n_features;
  }
  PetscInt N = d->n, D = d->D, P = c->P, C = c->C, F = t->layout.n_features;
  /* every rank checks and normalises all rows into a private copy of the moments; the shared
   * table is written only in the rank's fill rows */
  if (o->use_sets)
    for (PetscInt i = 0; i < N; i++) PetscCheck(t->set_n[i] >= 0 && t->set_n[i] <= P, world, HD_ERR_USER_INPUT, "'%s': event %" PetscInt_FMT " has set_size %d outside [0, %" PetscInt_FMT "] (the set dimension of /events/sets)", path, i, (int)t->set_n[i], P);
  PetscInt scaled[64], n_scaled = 0;
  if (!o->use_sets && o->scale_by_mass[0]) {
    char list[256];
    snprintf(list, sizeof(list), "%s", o->scale_by_mass);
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
      PetscInt j = hd_events_feature_index(&t->layout, name);
      PetscCheck(j >= 0, world, HD_ERR_USER_INPUT, "option -scale_by_mass: '%s' has no feature named '%s'", path, name);
      PetscCheck(n_scaled < 64, world, HD_ERR_USER_INPUT, "option -scale_by_mass: too many names");
      scaled[n_scaled++] = j;
    }
  }
  PetscBool dropped[1024] = {PETSC_FALSE};
  if (!o->use_sets && o->drop_features[0]) {
    char list[256];
    snprintf(list, sizeof(list), "%s", o->drop_features);
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
      PetscInt j = hd_events_feature_index(&t->layout, name);
      PetscCheck(j >= 0, world, HD_ERR_USER_INPUT, "option -drop_features: '%s' has no feature named '%s'", path, name);
      dropped[j] = PETSC_TRUE;
    }
  }
  PetscCall(hd_table_alloc1(t, (size_t)N * D, &d->x));
  float *row;
  PetscCall(PetscMalloc1(D, &row));
  if (!given) {
    /* moments over the valid elements (sets) or the events (features), in double */
    PetscInt W = o->use_sets ? C : F;
    double  *s1, *s2, *cnt;
    PetscCall(PetscCalloc3(W, &s1, W, &s2, W, &cnt));
    for (PetscInt i = 0; i < N; i++) {
      PetscInt nv = o->use_sets ? t->set_n[i] : 1;
      if (o->use_sets) {
        PetscCall(PetscArraycpy(row, t->sets + (size_t)i * P * C, P * C));
        if (o->normalize) hd_cwola_ee_normalize(nv, C, row);
      } else {
        PetscCall(PetscArraycpy(row, t->features + (size_t)i * F, F));
        for (PetscInt k = 0; k < n_scaled; k++) row[scaled[k]] /= t->mass[i] > 0 ? t->mass[i] : 1.0f;
      }
      for (PetscInt j = 0; j < nv; j++)
        for (PetscInt k = 0; k < W; k++) {
          double v = row[j * W + k];
          s1[k] += v;
          s2[k] += v * v;
          cnt[k] += 1;
        }
    }
    for (PetscInt k = 0; k < W; k++) {
      mean[k] = cnt[k] > 0 ? s1[k] / cnt[k] : 0.0;
      double var = cnt[k] > 0 ? s2[k] / cnt[k] - mean[k] * mean[k] : 0.0;
      std[k]     = var > 1e-24 ? sqrt(var) : 1.0;
    }
    PetscCall(PetscFree3(s1, s2, cnt));
  }
  PetscCall(hd_table_sync(t));
  for (PetscInt i = t->fill_offset; i < t->fill_offset + t->fill_count; i++) {
    float *x = d->x + (size_t)i * D;
    if (o->use_sets) {
      PetscInt nv = t->set_n[i];
      PetscCall(PetscArraycpy(x, t->sets + (size_t)i * P * C, P * C));
      if (o->normalize) hd_cwola_ee_normalize(nv, C, x);
      for (PetscInt j = 0; j < P; j++)
        for (PetscInt k = 0; k < C; k++) x[j * C + k] = j < nv ? (float)((x[j * C + k] - mean[k]) / std[k]) : 0.0f;
      x[P * C] = (float)nv;
    } else {
      PetscCall(PetscArraycpy(x, t->features + (size_t)i * F, F));
      for (PetscInt k = 0; k < n_scaled; k++) x[scaled[k]] /= t->mass[i] > 0 ? t->mass[i] : 1.0f;
      for (PetscInt k = 0; k < F; k++) x[k] = dropped[k] ? 0.0f : (float)((x[k] - mean[k]) / std[k]);
    }
  }
  PetscCall(hd_table_sync(t));
  PetscCall(PetscFree(row));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- step 2: split and pools ---- */

static PetscErrorCode hd_cwola_ee_pools(hd_comm world, hd_cwola_ee *c)
{
  hd_cwola_ee_options *o = &c->o;
  const hd_table      *t = &c->d.table;
  PetscInt             N = c->d.n;

  PetscFunctionBegin;
  PetscCall(PetscMalloc5(N, &c->bkg_sr, N, &c->bkg_sb, N, &c->sig, N, &c->test, PetscMax(c->r.n, 1), &c->ref_sr));
  for (PetscInt i = 0; i < N; i++) {
    double m = t->mass[i];
    hd_rng r;
    if (!hd_cwola_ee_in_window(o, m)) continue;
    hd_rng_init(&r, (uint64_t)o->seed, HD_STREAM_CWOLA_EE_SPLIT, (uint64_t)i);
    if (hd_rng_uniform(&r) < o->test_fraction) c->test[c->n_test++] = i;
    else if (t->label[i] > 0) c->sig[c->n_sig++] = i;
    else if (hd_cwola_ee_in_sr(o, m)) c->bkg_sr[c->n_bkg_sr++] = i;
    else c->bkg_sb[c->n_bkg_sb++] = i;
  }
  for (PetscInt k = 0; k < c->n_sig; k++) c->n_sig_sr += hd_cwola_ee_in_sr(o, t->mass[c->sig[k]]);
  for (PetscInt i = 0; i < c->r.n; i++)
    if (c->r.table.label[i] == 0 && hd_cwola_ee_in_sr(o, c->r.table.mass[i])) c->ref_sr[c->n_ref_sr++] = i;
  PetscCheck(c->n_bkg_sr > 0, world, HD_ERR_USER_INPUT, "'%s': no background (label 0) training events in the signal region %s GeV", o->data, o->sr_text);
  PetscCheck(o->reference[0] || c->n_bkg_sb > 0, world, HD_ERR_USER_INPUT, "'%s': no background training events in the sidebands %s GeV", o->data, o->sb_text);
  PetscCheck(!o->reference[0] || c->n_ref_sr > 0, world, HD_ERR_USER_INPUT, "-reference '%s' has no background events in the signal region %s GeV", o->reference, o->sr_text);
  for (PetscInt l = 0; l < o->n_levels; l++) {
    double v = o->levels[l];
    c->n_inject[l] = isinf(v) ? c->n_sig_sr : (PetscInt)floor(v * sqrt((double)c->n_bkg_sr) + 0.5);
    PetscCheck(c->n_inject[l] <= c->n_sig_sr, world, HD_ERR_USER_INPUT, "option -contamination: %s sigma needs %" PetscInt_FMT " signal events in the training SR but '%s' has %" PetscInt_FMT " (generate it with a larger -signal_fraction)", o->level_names[l], c->n_inject[l], o->data, c->n_sig_sr);
    PetscCheck(!isinf(v) || c->n_sig_sr > 0, world, HD_ERR_USER_INPUT, "option -contamination inf: '%s' has no signal events in the SR", o->data);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective; pure. Which training signal events unit `unit` injects: the n events of the SR
 * with the smallest keys u(seed, unit, event), and the SB signal events with keys below the
 * largest of those (the same density of signal on both sides of the SR edges, as data would have).
 * take (n_sig) is set for an injected event; key and sr_key are scratch (n_sig). */
static void hd_cwola_ee_draw(const hd_cwola_ee *c, PetscInt unit, PetscInt n, double *key, double *sr_key, PetscBool *take)
{
  const float *mass = c->d.table.mass;
  double       cut  = -1.0;
  for (PetscInt k = 0; k < c->n_sig; k++) {
    hd_rng r;
    hd_rng_init(&r, (uint64_t)c->o.seed, HD_STREAM_CWOLA_EE_INJECT, ((uint64_t)unit << 32) | (uint64_t)c->sig[k]);
    key[k]  = hd_rng_uniform(&r);
    take[k] = PETSC_FALSE;
  }
  if (n <= 0) return;
  /* the n-th smallest key of the SR signal events (keys are distinct with probability 1; equal
   * keys would all be taken) */
  PetscInt m = 0;
  for (PetscInt k = 0; k < c->n_sig; k++)
    if (hd_cwola_ee_in_sr(&c->o, mass[c->sig[k]])) sr_key[m++] = key[k];
  qsort(sr_key, (size_t)m, sizeof(double), hd_cwola_ee_cmp_double);
  cut = sr_key[PetscMin(n, m) - 1];
  for (PetscInt k = 0; k < c->n_sig; k++) take[k] = key[k] <= cut;
}

/* ---- step 3: one classifier ---- */

/* The best significance of a cut on `score` of the SR test events: max over cuts keeping at least
 * min_b background events of sigma eps_S / sqrt(eps_B), and the max of eps_S / sqrt(eps_B). */
static PetscErrorCode hd_cwola_ee_sic(PetscInt n, const float *score, const int32_t *label, PetscInt min_b, double sigma, double *best, double *sic, double *auc)
{
  hd_stats_roc roc;

  PetscFunctionBegin;
  PetscCall(hd_stats_roc_compute(n, score, label, 2000, &roc));
  *auc = roc.auc;
  *sic = NAN;
  for (PetscInt k = 0; k < roc.n_points; k++)
    if (roc.eps_b[k] * roc.n_background >= min_b - 1e-9 && roc.eps_b[k] > 0) {
      double v = roc.eps_s[k] / sqrt(roc.eps_b[k]);
      if (isnan(*sic) || v > *sic) *sic = v;
    }
  *best = isfinite(sigma) ? sigma * *sic : NAN;
  PetscCall(hd_stats_roc_free(&roc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Truth metrics of scores of the test events: SR signal against SR background; SR background
 * against SB background (the sculpting check). */
static PetscErrorCode hd_cwola_ee_metrics(const hd_cwola_ee *c, const float *score, double sigma, double *best, double *sic, double *auc, double *auc_srsb)
{
  const hd_table *t = &c->d.table;
  float          *s1, *s2;
  int32_t        *l1, *l2;
  PetscInt        n1 = 0, n2 = 0;
  hd_stats_roc    roc;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(c->n_test, &s1, c->n_test, &l1, c->n_test, &s2, c->n_test, &l2));
  for (PetscInt k = 0; k < c->n_test; k++) {
    PetscInt  i  = c->test[k];
    PetscBool sr = hd_cwola_ee_in_sr(&c->o, t->mass[i]);
    if (sr) s1[n1] = score[k], l1[n1++] = t->label[i] > 0;
    if (t->label[i] == 0) s2[n2] = score[k], l2[n2++] = sr;
  }
  PetscCall(hd_cwola_ee_sic(n1, s1, l1, c->o.min_background, sigma, best, sic, auc));
  PetscCall(hd_stats_roc_compute(n2, s2, l2, 2, &roc));
  *auc_srsb = roc.auc;
  PetscCall(hd_stats_roc_free(&roc));
  PetscCall(PetscFree4(s1, l1, s2, l2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on m->group. Unit (level, member): the training set, the classifier, its scores of
 * the window's test events, their quantile ranks added to the level's sums, and its metrics. */
static PetscErrorCode hd_cwola_ee_unit(hd_ensemble_member *m, void *ctx)
{
  hd_cwola_ee               *c = ctx;
  const hd_cwola_ee_options *o = &c->o;
  PetscInt                   level = m->member / o->members, D = c->d.D, n_tr = 0, n_one = 0;
  double                     sigma = o->levels[level], *key, *sr_key;
  PetscBool                  semi = o->reference[0] ? PETSC_TRUE : PETSC_FALSE, all_signal = isinf(sigma) ? PETSC_TRUE : PETSC_FALSE, *take;
  const float               *mass = c->d.table.mass;
  float                     *x, *y, *w, *out;
  hd_nn                     *net;
  hd_train_config            cfg = c->cfg;
  hd_train_result            res;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(PetscMax(c->n_sig, 1), &key, PetscMax(c->n_sig, 1), &sr_key, PetscMax(c->n_sig, 1), &take));
  hd_cwola_ee_draw(c, m->member, c->n_inject[level], key, sr_key, take);
  PetscInt cap = c->n_bkg_sr + c->n_bkg_sb + c->n_sig + c->n_ref_sr;
  PetscCall(PetscMalloc3((size_t)cap * D, &x, cap, &y, cap, &w));
  /* class 1: SR data (background + injection; only signal with -contamination inf);
   * class 0: SB data (background + injection), or the reference's SR background */
#define HD_CWOLA_EE_ADD(src, row, cls) \
  do { \
    PetscCall(PetscArraycpy(x + (size_t)n_tr * D, (src) + (size_t)(row) * D, D)); \
    y[n_tr++] = (cls); \
  } while (0)
  if (!all_signal)
    for (PetscInt k = 0; k < c->n_bkg_sr; k++) HD_CWOLA_EE_ADD(c->d.x, c->bkg_sr[k], 1.0f);
  for (PetscInt k = 0; k < c->n_sig; k++)
    if (take[k] && hd_cwola_ee_in_sr(o, mass[c->sig[k]])) HD_CWOLA_EE_ADD(c->d.x, c->sig[k], 1.0f);
  n_one = n_tr;
  if (semi) {
    for (PetscInt k = 0; k < c->n_ref_sr; k++) HD_CWOLA_EE_ADD(c->r.x, c->ref_sr[k], 0.0f);
  } else {
    for (PetscInt k = 0; k < c->n_bkg_sb; k++) HD_CWOLA_EE_ADD(c->d.x, c->bkg_sb[k], 0.0f);
    for (PetscInt k = 0; k < c->n_sig; k++)
      if (take[k] && !all_signal && !hd_cwola_ee_in_sr(o, mass[c->sig[k]])) HD_CWOLA_EE_ADD(c->d.x, c->sig[k], 0.0f);
  }
#undef HD_CWOLA_EE_ADD
  /* the two classes carry equal total weight; the mean weight is 1 */
  for (PetscInt k = 0; k < n_tr; k++) w[k] = (float)(0.5 * (double)n_tr / (double)(y[k] > 0.5f ? n_one : n_tr - n_one));

  if (o->use_sets) PetscCall(hd_nn_create_deepset(o->network, c->P, c->C, 1, PetscMax(cfg.batch, 1024), &net));
  else {
    PetscInt in_shape[3] = {D, 1, 1};
    PetscCall(hd_nn_create(o->network, in_shape, PetscMax(cfg.batch, 1024), &net));
  }
  PetscCheck(net->out_size == 1, m->group, HD_ERR_USER_INPUT, "option -network: the classifier must end in one output (got %" PetscInt_FMT ")", net->out_size);
  PetscCall(hd_nn_init(net, (uint64_t)o->seed, (uint64_t)m->member, HD_INIT_AUTO));
  cfg.seed      = (uint64_t)o->seed;
  cfg.member    = m->member;
  cfg.objective = hd_objective_standard(HD_TRAIN_LOSS_BCE);
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  hd_train_data tr = {.n = n_tr, .in_size = D, .x = x, .target = y, .target_ld = 1, .weight = w};
  PetscCall(hd_train(m->group, net, &tr, &cfg, &res));
  m->interrupted = res.interrupted;
  PetscCall(PetscFree3(x, y, w));
  PetscCall(PetscFree3(key, sr_key, take));
  if (res.interrupted) {
    PetscCall(hd_nn_destroy(&net));
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  /* score the window's test events */
  PetscCall(PetscMalloc2((size_t)c->n_test * D, &x, c->n_test, &out));
  for (PetscInt k = 0; k < c->n_test; k++) PetscCall(PetscArraycpy(x + (size_t)k * D, c->d.x + (size_t)c->test[k] * D, D));
  hd_train_data te = {.n = c->n_test, .in_size = D, .x = x, .target = NULL};
  PetscCall(hd_train_evaluate(m->group, net, &te, hd_objective_standard(HD_TRAIN_LOSS_BCE), HD_EVAL_OUTPUT, out));
  /* quantile scaling (seed 004): rank r of n becomes (2 r + 1) / (2 n), summed over members exactly */
  if (m->sums) {
    int64_t *odd;
    PetscCall(PetscMalloc1(c->n_test, &odd));
    PetscCall(hd_stats_quantile_ranks(c->n_test, out, odd));
    for (PetscInt k = 0; k < c->n_test; k++) m->sums[level * c->n_test + k] += odd[k];
    PetscCall(PetscFree(odd));
  }
  PetscCall(hd_cwola_ee_metrics(c, out, sigma, &m->metrics[HD_CWOLA_EE_BEST_SIG], &m->metrics[HD_CWOLA_EE_SIC], &m->metrics[HD_CWOLA_EE_AUC], &m->metrics[HD_CWOLA_EE_AUC_SRSB]));
  m->metrics[HD_CWOLA_EE_EPOCHS] = (double)res.epochs_run;
  PetscCall(PetscFree2(x, out));
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the steps of include/hadal/methods.h ---- */

static PetscErrorCode hd_cwola_ee_setup(hd_run *run, void *ctx, hd_ensemble *ens)
{
  hd_cwola_ee         *c = ctx;
  hd_cwola_ee_options *o = &c->o;
  hd_comm              world = run->world;
  double               mean[1024], std[1024];

  PetscFunctionBegin;
  PetscCall(hd_cwola_ee_options_check(world, o));
  PetscCall(hd_cwola_ee_inputs(world, c, o->data, &c->d, mean, std, PETSC_FALSE));
  if (o->reference[0]) PetscCall(hd_cwola_ee_inputs(world, c, o->reference, &c->r, mean, std, PETSC_TRUE));
  PetscCall(hd_cwola_ee_pools(world, c));
  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_ensemble_config ec = {.n_members = o->n_levels * o->members, .group_size = o->group_size, .n_sums = o->n_levels * c->n_test, .n_metrics = HD_CWOLA_EE_N_METRICS, .progress = "cwola_ee: classifiers of group 0", .store_dir = members, .resume = c->cfg.resume};
  snprintf(members, sizeof(members), "%s/members", o->out); /* finished classifiers, for -resume */
  PetscCall(hd_ensemble_create(world, &ec, ens));
  PetscCall(hd_results_mkdir(world, o->out));
  PetscCall(hd_log(world, "cwola_ee: %s '%s'%s%s; SR %s GeV: training %" PetscInt_FMT " SR + %" PetscInt_FMT " SB background, %" PetscInt_FMT " signal (%" PetscInt_FMT " in the SR)%s; %" PetscInt_FMT " test events; %" PetscInt_FMT " levels x %" PetscInt_FMT " members on %d ranks (%" PetscInt_FMT " groups)\n", o->use_sets ? "PFN on the sets of" : "dense network on the features of", o->data, o->reference[0] ? ", reference " : "", o->reference, o->sr_text, c->n_bkg_sr, c->n_bkg_sb, c->n_sig, c->n_sig_sr, o->reference[0] ? "" : " (weak)", c->n_test, o->n_levels, o->members, run->size, ens->groups.n_groups));
  if (o->reference[0]) PetscCall(hd_log(world, "cwola_ee: semi-supervised: %" PetscInt_FMT " reference background events in the SR\n", c->n_ref_sr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Quantile q of the non-NaN values v (n), linear interpolation; NaN when none. */
static double hd_cwola_ee_quantile(PetscInt n, double *v, double q)
{
  PetscInt m = 0;
  qsort(v, (size_t)n, sizeof(double), hd_cwola_ee_cmp_double);
  while (m < n && !isnan(v[m])) m++;
  if (m == 0) return NAN;
  double pos = q * (double)(m - 1);
  PetscInt a = (PetscInt)floor(pos);
  return a + 1 < m ? v[a] + (pos - a) * (v[a + 1] - v[a]) : v[a];
}

static PetscErrorCode hd_cwola_ee_evaluate(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_cwola_ee         *c = ctx;
  hd_cwola_ee_options *o = &c->o;
  double              *v;

  PetscFunctionBegin;
  (void)run;
  PetscCall(PetscMalloc1((size_t)o->n_levels * PetscMax(c->n_test, 1), &c->score));
  PetscCall(PetscMalloc1(o->members, &v));
  for (PetscInt l = 0; l < o->n_levels; l++) {
    float *s = c->score + (size_t)l * c->n_test;
    for (PetscInt k = 0; k < c->n_test; k++) s[k] = (float)((double)ens->sums[l * c->n_test + k] / (2.0 * (double)c->n_test * (double)o->members));
    PetscCall(hd_cwola_ee_metrics(c, s, o->levels[l], &c->ens_sig[l], &c->sic[l], &c->auc[l], &c->auc_srsb[l]));
    for (PetscInt j = 0; j < o->members; j++) v[j] = ens->metrics[(l * o->members + j) * HD_CWOLA_EE_N_METRICS + HD_CWOLA_EE_BEST_SIG];
    c->med_sig[l] = hd_cwola_ee_quantile(o->members, v, 0.5);
    c->q16_sig[l] = hd_cwola_ee_quantile(o->members, v, 0.16);
    c->q84_sig[l] = hd_cwola_ee_quantile(o->members, v, 0.84);
    for (PetscInt j = 0; j < o->members; j++) v[j] = ens->metrics[(l * o->members + j) * HD_CWOLA_EE_N_METRICS + HD_CWOLA_EE_AUC_SRSB];
    c->med_auc_srsb[l] = hd_cwola_ee_quantile(o->members, v, 0.5);
  }
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The level whose background-only SR-vs-SB AUC is the sculpting check: sigma = 0 when scanned,
 * else the smallest injection. */
static PetscInt hd_cwola_ee_check_level(const hd_cwola_ee_options *o)
{
  PetscInt best = 0;
  for (PetscInt l = 1; l < o->n_levels; l++)
    if (o->levels[l] < o->levels[best]) best = l;
  return best;
}

static PetscErrorCode hd_cwola_ee_report(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_cwola_ee         *c = ctx;
  hd_cwola_ee_options *o = &c->o;
  hd_results           res;
  hd_summary           s;
  double               wall = hd_wtime() - run->t0, *buf;
  PetscInt             chk  = hd_cwola_ee_check_level(o);

  PetscFunctionBegin;
  PetscCall(hd_results_create(run->world, o->out, "cwola_ee", NULL, &res));
  PetscCall(PetscMalloc1((size_t)o->n_levels * PetscMax(c->n_test, 1), &buf));
  for (PetscInt k = 0; k < c->n_test; k++) buf[k] = (double)c->test[k];
  PetscCall(hd_results_write_array(&res, "/contamination/test_rows", c->n_test, buf));
  for (size_t k = 0; k < (size_t)o->n_levels * c->n_test; k++) buf[k] = (double)c->score[k];
  PetscCall(hd_results_write_array(&res, "/contamination/scores", o->n_levels * c->n_test, buf));
  for (PetscInt l = 0; l < o->n_levels; l++) buf[l] = isinf(o->levels[l]) ? -1.0 : o->levels[l];
  PetscCall(hd_results_write_array(&res, "/contamination/injected_sigma", o->n_levels, buf));
  PetscCall(hd_results_write_array(&res, "/contamination/member_metrics", o->n_levels * o->members * HD_CWOLA_EE_N_METRICS, ens->metrics));
  PetscCall(hd_results_attr_double(&res, "sr_vs_sb_auc_background", c->auc_srsb[chk]));
  PetscCall(hd_results_close(&res));
  PetscCall(PetscFree(buf));

  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", "cwola_ee"));
  PetscCall(hd_summary_string(&s, "data", o->data));
  PetscCall(hd_summary_string(&s, "mode", o->reference[0] ? "semi-supervised" : "weak"));
  if (o->reference[0]) PetscCall(hd_summary_string(&s, "reference", o->reference));
  PetscCall(hd_summary_string(&s, "inputs", o->inputs));
  PetscCall(hd_summary_string(&s, "network", o->network));
  PetscCall(hd_summary_int(&s, "normalize", o->normalize ? 1 : 0));
  PetscCall(hd_summary_int(&s, "events", c->d.n));
  PetscCall(hd_summary_double(&s, "sr_lo", o->sr_lo));
  PetscCall(hd_summary_double(&s, "sr_hi", o->sr_hi));
  PetscCall(hd_summary_double(&s, "sb_width", o->sb_width));
  PetscCall(hd_summary_int(&s, "train_background_sr", c->n_bkg_sr));
  PetscCall(hd_summary_int(&s, "train_background_sb", c->n_bkg_sb));
  PetscCall(hd_summary_int(&s, "reference_sr", c->n_ref_sr));
  PetscCall(hd_summary_int(&s, "test_events", c->n_test));
  PetscCall(hd_summary_int(&s, "members", o->members));
  PetscCall(hd_summary_int(&s, "seed", o->seed));
  PetscCall(hd_summary_int(&s, "ranks", run->size));
  PetscCall(hd_summary_int(&s, "group_size", ens->groups.group_size));
  PetscCall(hd_summary_double(&s, "wall_s", wall));
  PetscCall(hd_summary_double(&s, "sr_vs_sb_auc_background", c->auc_srsb[chk]));
  PetscCall(hd_summary_open(&s, "contamination", '['));
  for (PetscInt l = 0; l < o->n_levels; l++) {
    PetscCall(hd_summary_open(&s, NULL, '{'));
    if (isinf(o->levels[l])) PetscCall(hd_summary_string(&s, "injected_sigma", "inf"));
    else PetscCall(hd_summary_double(&s, "injected_sigma", o->levels[l]));
    PetscCall(hd_summary_int(&s, "injected_events", c->n_inject[l]));
    PetscCall(hd_summary_double(&s, "contamination", isinf(o->levels[l]) ? 1.0 : (double)c->n_inject[l] / (double)(c->n_inject[l] + c->n_bkg_sr)));
    PetscCall(hd_summary_double(&s, "significance_before", isinf(o->levels[l]) ? NAN : o->levels[l]));
    PetscCall(hd_summary_double(&s, "best_significance", c->med_sig[l]));
    PetscCall(hd_summary_double(&s, "best_significance_q16", c->q16_sig[l]));
    PetscCall(hd_summary_double(&s, "best_significance_q84", c->q84_sig[l]));
    PetscCall(hd_summary_double(&s, "ensemble_best_significance", c->ens_sig[l]));
    PetscCall(hd_summary_double(&s, "sic_max", c->sic[l]));
    PetscCall(hd_summary_double(&s, "auc", c->auc[l]));
    PetscCall(hd_summary_double(&s, "sr_vs_sb_auc_background", c->auc_srsb[l]));
    PetscCall(hd_summary_double(&s, "member_sr_vs_sb_auc_background", c->med_auc_srsb[l]));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_write(run->world, o->out, &s));

  PetscCall(hd_log(run->world, "\ncwola_ee %s, %s: significance after the best cut (eps_S / sqrt(eps_B) x sigma on the test SR, cuts keeping >= %" PetscInt_FMT " background)\n", o->reference[0] ? "semi-supervised" : "weak", o->use_sets ? "PFN" : "dense", o->min_background));
  PetscCall(hd_log(run->world, "  sigma  injected   contam.   median best [q16, q84]      ensemble   SIC_max    AUC   AUC(SR vs SB, bkg)\n"));
  for (PetscInt l = 0; l < o->n_levels; l++) {
    char sg[16];
    if (isinf(o->levels[l])) snprintf(sg, sizeof(sg), "%s", "inf");
    else snprintf(sg, sizeof(sg), "%.2f", o->levels[l]);
    PetscCall(hd_log(run->world, "  %5s  %8" PetscInt_FMT "  %8.4f   %6.2f [%6.2f, %6.2f]  %8.2f  %8.2f  %6.3f  %6.3f\n", sg, c->n_inject[l], isinf(o->levels[l]) ? 1.0 : (double)c->n_inject[l] / (double)(c->n_inject[l] + c->n_bkg_sr), c->med_sig[l], c->q16_sig[l], c->q84_sig[l], c->ens_sig[l], c->sic[l], c->auc[l], c->auc_srsb[l]));
  }
  PetscCall(hd_log(run->world, "cwola_ee: %.1f s; results in %s\n", wall, o->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The finished classifiers are stored and those in training checkpointed: -resume continues. */
static PetscErrorCode hd_cwola_ee_stopped(hd_run *run, void *ctx)
{
  hd_cwola_ee *c = ctx;

  PetscFunctionBegin;
  PetscCall(hd_log(run->world, "cwola_ee: interrupted before the contamination scan finished, no results written; run again with -resume to continue from the finished classifiers and the checkpoints in '%s'\n", c->o.out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_cwola_ee_destroy(void *ctx)
{
  hd_cwola_ee *c = ctx;

  PetscFunctionBegin;
  PetscCall(PetscFree5(c->bkg_sr, c->bkg_sb, c->sig, c->test, c->ref_sr));
  PetscCall(PetscFree(c->score));
  PetscCall(hd_table_destroy(&c->r.table));
  PetscCall(hd_table_destroy(&c->d.table));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_method hd_method_cwola_ee = {
  .name         = "cwola_ee",
  .summary      = "CWoLa in e+e- radiative return: PFN on jet sets, weak or semi-supervised, contamination scan (seed 004)",
  .usage        = "hadal run -options_file inputs/cwola_ee.opts -data FILE -out DIR [-reference SIM]",
  .ctx_size     = sizeof(hd_cwola_ee),
  .read_options = hd_cwola_ee_read_options,
  .setup        = hd_cwola_ee_setup,
  .run_member   = hd_cwola_ee_unit,
  .evaluate     = hd_cwola_ee_evaluate,
  .report       = hd_cwola_ee_report,
  .stopped      = hd_cwola_ee_stopped,
  .destroy      = hd_cwola_ee_destroy,
};
