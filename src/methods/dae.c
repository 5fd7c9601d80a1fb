/* Decorrelated autoencoders with the ABCD background estimate (seed 002, Mikuni, Nachman & Shih).
 *
 *   1. Split the events: event i is a test event when U(seed, HD_STREAM_DAE_SPLIT, i) <
 *      -test_fraction; the others train (only the SM ones, label 0, unless -train_on all).
 *   2. Standardise the features with the mean and standard deviation of the training rows.
 *   3. Train, per seed k of -seeds, two autoencoders side by side (one model, hd_nn_create_parallel)
 *      on L = mean R1 + mean R2 + lambda DisCo^2(R1, R2) over the global batch (eq. 2 with
 *      R = per-event mean squared error), and, for comparison, a single autoencoder of the same
 *      shape on mean R alone. Members: 0 .. S-1 the pairs, S .. 2S-1 the single AEs.
 *   4. On the test events: the ABCD prediction (eq. 3) of the SM events in the signal region
 *      R1 > c1, R2 > c2 from the three control regions, its closure on SM events, the
 *      significance (N - B) / sqrt(N) of each signal with B predicted and B true, SIC curves (each
 *      AE, the diagonal combination, the single AE), the 2-D SIC grid (app. A) and, with
 *      -trigger, the prescaled trigger (§IV).
 *
 * The ensemble driver hands back one column of 2N values per member: R1 of every event, then R2
 * (a single AE's R twice). Everything after training is computed identically on every rank. */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <hadal/abcd.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/model.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/rng.h>
#include <hadal/sha256.h>
#include <hadal/stats.h>
#include <hadal/train.h>

#define HD_DAE_MAX_LAYERS  16
#define HD_DAE_MAX_EFFS    32
#define HD_DAE_MAX_SIGNALS 16
#define HD_DAE_GRID        8
#define HD_DAE_MIN_SR      10 /* expected SM events in a signal region that ABCD needs */
#define HD_DAE_MIN_CATEGORY 10 /* events of a topology in a batch for its DisCo^2 term */
#define HD_DAE_ADC_COLUMNS 57 /* -scaling objects: MET, 4 e, 4 mu, 10 jets x (pT, eta, phi) */

enum { HD_DAE_EPOCHS, HD_DAE_BEST_EPOCH, HD_DAE_VAL_LOSS, HD_DAE_PARAMS, HD_DAE_N_METRICS };

/* Per signal and per seed: what summary.json reports. */
typedef struct {
  double sic_ae1, sic_ae2, sic_comb, sic_single;
  double sig_pred[HD_DAE_MAX_EFFS], sig_true[HD_DAE_MAX_EFFS], n_sr[HD_DAE_MAX_EFFS];
  double sig_corr[HD_DAE_MAX_EFFS]; /* B predicted x the closure sample's kappa */
  double sig_pred_err[HD_DAE_MAX_EFFS], sig_corr_err[HD_DAE_MAX_EFFS]; /* the same with B's error in the denominator */
} hd_dae_signal_result;

typedef struct {
  /* options */
  char            data[PETSC_MAX_PATH_LEN], closure_sample[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64], act[32], spec[1024], train_on[32], names[512], scaling[32], categories[32];
  PetscInt        hidden[HD_DAE_MAX_LAYERS], n_hidden, seed, n_seeds, group_size, expect_features;
  PetscReal       lambda, test_fraction, effs[HD_DAE_MAX_EFFS], trigger_eff;
  PetscInt        n_effs;
  PetscBool       single, trigger, bias;
  hd_train_config cfg;
  /* data */
  hd_table        table;
  PetscInt        N, F, n_train, n_test, n_test_bkg, n_signals;
  float          *x;        /* (N, F) standardised in place (node-shared) */
  float          *xtrain;   /* (n_train, F) the training rows */
  int32_t        *label;
  unsigned char  *is_test, *test_bkg;
  int32_t        *category, *cat_train; /* (N), (n_train) event topologies; NULL without -categories */
  hd_table        cal;                   /* -closure_sample: SM events (label 0) of another sample */
  PetscInt        Nc, n_cal_sm;
  unsigned char  *cal_sm;
  int32_t        *cal_category;
  PetscInt        n_categories;          /* 1 without -categories */
  float          *mean, *std;
  char            signal_names[HD_DAE_MAX_SIGNALS][64];
  /* results, every rank */
  float          *cols;     /* (2N, M) every member's column */
  float          *r1, *r2;  /* (N) of seed 0's pair; scratch for others */
  double          disco2_test;
  hd_abcd         closure[HD_DAE_MAX_EFFS][3]; /* asymmetry 1, 2, 1/2 */
  hd_abcd         kappa[HD_DAE_MAX_EFFS][3];   /* the closure sample's counts at the same thresholds */
  hd_dae_signal_result *sres; /* (n_seeds, n_signals) */
  double          trig_prescale[3], trig_kept_rate;
  hd_abcd         trig_full, trig_kept;
  char            sha[HD_SHA256_HEX_LEN];
} hd_dae;

static const double hd_dae_asym[3] = {1.0, 2.0, 0.5};

static PetscErrorCode hd_dae_read_options(hd_run *run, void *ctx)
{
  hd_dae *d = ctx;

  PetscFunctionBegin;
  d->n_hidden = HD_DAE_MAX_LAYERS;
  d->n_effs   = HD_DAE_MAX_EFFS;
  PetscCall(hd_opt_string("-data", "event file (HDF5): features, label (0 SM, k > 0 signal k)", NULL, d->data, sizeof(d->data), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, d->out, sizeof(d->out), NULL));
  PetscCall(hd_opt_string("-closure_sample", "event file of SM events (label 0) independent of -data: the ABCD non-closure kappa = N_obs / N_pred measured on it at the same thresholds corrects the prediction", "", d->closure_sample, sizeof(d->closure_sample), NULL));
  PetscCall(hd_opt_int("-seed", "seed of the split, initialisation and minibatch order", 1, &d->seed, NULL));
  PetscCall(hd_opt_int("-seeds", "independent trainings (pairs and single AEs), dealt to rank groups", 1, &d->n_seeds, NULL));
  PetscCall(hd_opt_int_list("-hidden", "encoder layer sizes, the last is the latent space; the decoder mirrors them", "256,128,64,32,5", d->hidden, &d->n_hidden, NULL));
  PetscCall(hd_opt_string("-activation", "activation of the hidden layers", "relu", d->act, sizeof(d->act), NULL));
  PetscCall(hd_opt_bool("-bias", "dense layers with biases (seed 002's autoencoders have none)", PETSC_FALSE, &d->bias, NULL));
  PetscCall(hd_opt_real("-lambda", "weight of DisCo^2(R1, R2) in the loss (seed 002: 100)", 100.0, &d->lambda, NULL));
  PetscCall(hd_opt_string("-scaling", "input scaling on the training rows: columns (each column standardised) or objects (adc2021 layout: per object kind and variable over the objects present; padded objects stay 0)", "columns", d->scaling, sizeof(d->scaling), NULL));
  PetscCall(hd_opt_string("-categories", "none (DisCo^2 and ABCD over all events, seed 002) or topology (adc2021 layout: DisCo^2 within, and ABCD summed over, the 10 classes of jets 0..3, 4+ x leptons 0-1, 2+)", "none", d->categories, sizeof(d->categories), NULL));
  PetscCall(hd_opt_string("-train_on", "background (label 0 only) or all", "background", d->train_on, sizeof(d->train_on), NULL));
  PetscCall(hd_opt_real("-test_fraction", "fraction of the events held out for the ABCD evaluation", 0.5, &d->test_fraction, NULL));
  PetscCall(hd_opt_real_list("-sm_efficiencies", "SM efficiencies of the signal region for closure and significance", "0.005,0.01,0.02,0.03,0.05", d->effs, &d->n_effs, NULL));
  PetscCall(hd_opt_bool("-single_ae", "also train a single AE of the same shape per seed (the comparison of seed 002 Figs. 1, 3)", PETSC_TRUE, &d->single, NULL));
  PetscCall(hd_opt_bool("-trigger", "trigger mode: keep the signal region and a prescaled fraction of the control regions", PETSC_FALSE, &d->trigger, NULL));
  PetscCall(hd_opt_real("-trigger_efficiency", "trigger mode: SM efficiency of the signal region", 0.01, &d->trigger_eff, NULL));
  PetscCall(hd_opt_int("-expect_features", "feature columns the network expects (0: whatever the file has)", 0, &d->expect_features, NULL));
  PetscCall(hd_opt_string("-signal_names", "names of the signals with label 1, 2, ... (comma-separated; default signal_1, ...)", "", d->names, sizeof(d->names), NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one member together (a divisor of the rank count)", run->size, &d->group_size, NULL));
  d->cfg               = hd_train_defaults();
  d->cfg.epochs        = 100;
  d->cfg.batch         = 10000;
  d->cfg.stop_patience = 10;
  d->cfg.restore_best  = PETSC_TRUE;
  d->cfg.label         = "dae";
  PetscCall(hd_train_read_options(&d->cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The mirrored chain "dense 256 relu nobias, ..., dense 5 nobias, ..., dense 256 relu nobias,
 * dense F nobias" (without " nobias" under -bias). */
static PetscErrorCode hd_dae_spec(hd_comm comm, hd_dae *d)
{
  size_t      used = 0, len = sizeof(d->spec);
  const char *nb   = d->bias ? "" : " nobias";

  PetscFunctionBegin;
  for (PetscInt i = 0; i < d->n_hidden; i++) PetscCheck(d->hidden[i] > 0, comm, HD_ERR_USER_INPUT, "option -hidden: layer sizes must be positive (got %" PetscInt_FMT ")", d->hidden[i]);
  for (PetscInt i = 0; i < d->n_hidden; i++) used += (size_t)snprintf(d->spec + used, len - used, "dense %" PetscInt_FMT "%s%s%s, ", d->hidden[i], i + 1 < d->n_hidden ? " " : "", i + 1 < d->n_hidden ? d->act : "", nb);
  for (PetscInt i = d->n_hidden - 2; i >= 0; i--) used += (size_t)snprintf(d->spec + used, len - used, "dense %" PetscInt_FMT " %s%s, ", d->hidden[i], d->act, nb);
  used += (size_t)snprintf(d->spec + used, len - used, "dense %" PetscInt_FMT "%s", d->F, nb);
  PetscCheck(used < len, comm, HD_ERR_USER_INPUT, "option -hidden: too many layers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -categories topology: the event's class of jets (0, 1, 2, 3, 4 or more) x leptons (at most one,
 * two or more), counting the objects present (pT != 0) of the adc2021 layout, before scaling.
 * R1 and R2 rise with the jet multiplicity; DisCo^2 over the mixture leaves them dependent
 * inside each class (docs/methods/dae.md, "Measured"), and these are the classes it is
 * decorrelated and ABCD is summed within. */
#define HD_DAE_TOPOLOGIES 10
static void hd_dae_topologies(const float *x, PetscInt n, int32_t *category)
{
  for (PetscInt i = 0; i < n; i++) {
    const float *row = x + (size_t)i * HD_DAE_ADC_COLUMNS;
    int          leptons = 0, jets = 0;

    for (int o = 1; o <= 8; o++) leptons += row[3 * o] != 0.0f;
    for (int o = 9; o <= 18; o++) jets += row[3 * o] != 0.0f;
    category[i] = (int32_t)(2 * PetscMin(jets, 4) + (leptons >= 2));
  }
}

static PetscErrorCode hd_dae_categories(hd_comm world, hd_dae *d)
{
  PetscFunctionBegin;
  d->n_categories = 1;
  if (!strcmp(d->categories, "none")) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(d->F == HD_DAE_ADC_COLUMNS, world, HD_ERR_USER_INPUT, "-categories topology needs the 57 columns of the adc2021 layout (MET, 4 e, 4 mu, 10 jets x pT, eta, phi); data file '%s' has %" PetscInt_FMT, d->data, d->F);
  d->n_categories = HD_DAE_TOPOLOGIES;
  PetscCall(PetscMalloc2(d->N, &d->category, PetscMax(d->n_train, 1), &d->cat_train));
  hd_dae_topologies(d->table.features, d->N, d->category);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The training rows' scaling applied to a node-shared table in place (each rank its share of the
 * rows); -scaling objects leaves padded objects at 0. */
static PetscErrorCode hd_dae_standardise(const hd_dae *d, hd_table *t)
{
  PetscBool objects = (PetscBool)!strcmp(d->scaling, "objects");

  PetscFunctionBegin;
  PetscCall(hd_table_sync(t));
  for (PetscInt i = t->fill_offset; i < t->fill_offset + t->fill_count; i++) {
    float *row = t->features + (size_t)i * d->F;

    for (PetscInt j = 0; j < d->F; j++) {
      PetscBool absent = (PetscBool)(objects && j % 3 == 0 && row[j] == 0.0f); /* at an object's pT */

      if (absent) { /* a padded object stays zero */
        j += 2;
        continue;
      }
      row[j] = (row[j] - d->mean[j]) / d->std[j];
    }
  }
  PetscCall(hd_table_sync(t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -closure_sample: its SM events, read once per node, in the layout of -data, scaled as the
 * training rows (and their topologies under -categories topology). */
static PetscErrorCode hd_dae_load_closure_sample(hd_comm world, hd_dae *d)
{
  static const char *const need[] = {"features", NULL};

  PetscFunctionBegin;
  if (!d->closure_sample[0]) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(hd_events_read_shared(world, d->closure_sample, need, &d->cal));
  d->Nc = d->cal.layout.n_events;
  PetscCheck(d->cal.layout.n_features == d->F, world, HD_ERR_USER_INPUT, "-closure_sample '%s' has %" PetscInt_FMT " feature columns, the data file '%s' %" PetscInt_FMT, d->closure_sample, d->cal.layout.n_features, d->data, d->F);
  PetscCall(PetscMalloc1(PetscMax(d->Nc, 1), &d->cal_sm));
  for (PetscInt i = 0; i < d->Nc; i++) {
    d->cal_sm[i] = d->cal.label[i] == 0;
    d->n_cal_sm += d->cal_sm[i];
  }
  PetscCheck(d->n_cal_sm > 0, world, HD_ERR_USER_INPUT, "-closure_sample '%s' holds no SM events (label 0)", d->closure_sample);
  if (d->category) {
    PetscCall(PetscMalloc1(d->Nc, &d->cal_category));
    hd_dae_topologies(d->cal.features, d->Nc, d->cal_category);
  }
  PetscCall(hd_dae_standardise(d, &d->cal));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. Reads the table once per node, splits it, standardises on the training
 * rows (moments in double, in row order, the same on every rank) and copies the training rows. */
static PetscErrorCode hd_dae_load(hd_comm world, hd_dae *d)
{
  static const char *const need[] = {"features", NULL};
  hd_table                *ev      = &d->table;
  PetscBool                all     = (PetscBool)!strcmp(d->train_on, "all");
  double                  *s1, *s2;
  PetscInt                 N, F, t = 0, max_label = 0;

  PetscFunctionBegin;
  PetscCall(hd_events_read_shared(world, d->data, need, ev));
  N = d->N = ev->layout.n_events;
  F = d->F = ev->layout.n_features;
  PetscCheck(d->expect_features <= 0 || F == d->expect_features, world, HD_ERR_USER_INPUT, "data file '%s' has %" PetscInt_FMT " feature columns, the network expects %" PetscInt_FMT " (-expect_features)", d->data, F, d->expect_features);
  PetscCheck(F > 0, world, HD_ERR_USER_INPUT, "data file '%s' has no feature columns", d->data);
  d->label = ev->label;
  PetscCall(PetscCalloc2(N, &d->is_test, N, &d->test_bkg));
  for (PetscInt i = 0; i < N; i++) {
    hd_rng r;

    hd_rng_init(&r, (uint64_t)d->seed, HD_STREAM_DAE_SPLIT, (uint64_t)i);
    d->is_test[i]  = hd_rng_uniform(&r) < d->test_fraction;
    d->test_bkg[i] = d->is_test[i] && d->label[i] == 0;
    if (d->is_test[i]) d->n_test++;
    if (d->test_bkg[i]) d->n_test_bkg++;
    if (!d->is_test[i] && (all || d->label[i] == 0)) d->n_train++;
    max_label = PetscMax(max_label, (PetscInt)d->label[i]);
  }
  PetscCheck(d->n_train >= 10, world, HD_ERR_USER_INPUT, "data file '%s': %" PetscInt_FMT " training events after -test_fraction %g and -train_on %s (need at least 10)", d->data, d->n_train, (double)d->test_fraction, d->train_on);
  PetscCheck(max_label < HD_DAE_MAX_SIGNALS, world, HD_ERR_USER_INPUT, "data file '%s': label %" PetscInt_FMT " is above the %d signals dae handles", d->data, max_label, HD_DAE_MAX_SIGNALS - 1);
  d->n_signals = max_label;
  for (PetscInt k = 0; k < d->n_signals; k++) snprintf(d->signal_names[k], sizeof(d->signal_names[k]), "signal_%" PetscInt_FMT, k + 1);
  if (d->names[0]) { /* -signal_names: one name per label 1, 2, ... */
    char    buf[sizeof(d->names)], *save = NULL, *tok;
    PetscInt k = 0;

    snprintf(buf, sizeof(buf), "%s", d->names);
    for (tok = strtok_r(buf, ",", &save); tok && k < d->n_signals; tok = strtok_r(NULL, ",", &save), k++) snprintf(d->signal_names[k], sizeof(d->signal_names[k]), "%s", tok);
  }

  /* Moments per statistics key: the column itself, or (-scaling objects) the pair (object kind,
   * variable) over the objects present (pT != 0), so that a rarely filled slot (a 4th electron)
   * is scaled like the leading one instead of by its own tiny spread. */
  PetscBool objects = (PetscBool)!strcmp(d->scaling, "objects");
  PetscInt *key;
  double   *s0;

  PetscCheck(!objects || F == HD_DAE_ADC_COLUMNS, world, HD_ERR_USER_INPUT, "-scaling objects needs the 57 columns of the adc2021 layout (MET, 4 e, 4 mu, 10 jets x pT, eta, phi); data file '%s' has %" PetscInt_FMT, d->data, F);
  PetscCall(hd_dae_categories(world, d));
  PetscCall(PetscMalloc1(F, &key));
  for (PetscInt j = 0; j < F; j++) {
    PetscInt o = j / 3, kind = o == 0 ? 0 : o <= 4 ? 1 : o <= 8 ? 2 : 3;

    key[j] = objects ? 3 * kind + j % 3 : j;
  }
  PetscCall(PetscCalloc3(F, &s0, F, &s1, F, &s2));
  PetscCall(PetscMalloc1((size_t)d->n_train * F, &d->xtrain));
  for (PetscInt i = 0; i < N; i++) {
    const float *row = ev->features + (size_t)i * F;

    if (d->is_test[i] || !(all || d->label[i] == 0)) continue;
    for (PetscInt j = 0; j < F; j++) {
      double v = row[j];

      if (objects && row[j - j % 3] == 0.0f) continue; /* an absent object */
      s0[key[j]] += 1.0, s1[key[j]] += v, s2[key[j]] += v * v;
    }
  }
  PetscCall(PetscMalloc2(F, &d->mean, F, &d->std));
  for (PetscInt j = 0; j < F; j++) {
    PetscInt k = key[j];
    double   n = s0[k] > 0 ? s0[k] : 1.0, m = s1[k] / n, v = s2[k] / n - m * m;

    d->mean[j] = (float)m;
    d->std[j]  = v > 1e-12 * (1.0 + m * m) ? (float)sqrt(v) : 1.0f; /* a constant column is centred only */
  }
  PetscCall(PetscFree3(s0, s1, s2));
  PetscCall(PetscFree(key));
  PetscCall(hd_dae_standardise(d, ev));
  d->x = ev->features;
  for (PetscInt i = 0; i < N; i++)
    if (!d->is_test[i] && (all || d->label[i] == 0)) {
      if (d->category) d->cat_train[t] = d->category[i];
      PetscCall(PetscArraycpy(d->xtrain + (size_t)(t++) * F, d->x + (size_t)i * F, F));
    }
  PetscCall(hd_dae_load_closure_sample(world, d));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_dae_setup(hd_run *run, void *ctx, hd_ensemble *ens)
{
  hd_dae  *d = ctx;
  PetscInt M;
  char     v[64]; /* numbers formatted here: PETSc's printf writes 0 as "0." */

  PetscFunctionBegin;
  PetscCheck(d->data[0], run->world, HD_ERR_USER_INPUT, "option -data is required: the event file to train on");
  PetscCheck(d->out[0], run->world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(d->seed >= 0, run->world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", d->seed);
  PetscCheck(d->n_seeds >= 1 && d->n_seeds <= 1000, run->world, HD_ERR_USER_INPUT, "option -seeds must lie in [1, 1000] (got %" PetscInt_FMT ")", d->n_seeds);
  snprintf(v, sizeof(v), "%g", (double)d->lambda);
  PetscCheck(d->lambda >= 0 && isfinite(d->lambda), run->world, HD_ERR_USER_INPUT, "option -lambda must be >= 0 (got %s)", v);
  PetscCheck(!strcmp(d->scaling, "columns") || !strcmp(d->scaling, "objects"), run->world, HD_ERR_USER_INPUT, "option -scaling must be columns or objects (got '%s')", d->scaling);
  PetscCheck(!strcmp(d->categories, "none") || !strcmp(d->categories, "topology"), run->world, HD_ERR_USER_INPUT, "option -categories must be none or topology (got '%s')", d->categories);
  PetscCheck(!strcmp(d->train_on, "background") || !strcmp(d->train_on, "all"), run->world, HD_ERR_USER_INPUT, "option -train_on must be background or all (got '%s')", d->train_on);
  snprintf(v, sizeof(v), "%g", (double)d->test_fraction);
  PetscCheck(d->test_fraction > 0 && d->test_fraction < 1, run->world, HD_ERR_USER_INPUT, "option -test_fraction must lie in (0, 1) (got %s)", v);
  PetscCheck(d->n_effs >= 1, run->world, HD_ERR_USER_INPUT, "option -sm_efficiencies needs at least one value");
  for (PetscInt e = 0; e < d->n_effs; e++) {
    snprintf(v, sizeof(v), "%g", (double)d->effs[e]);
    PetscCheck(d->effs[e] > 0 && d->effs[e] < 1, run->world, HD_ERR_USER_INPUT, "option -sm_efficiencies: threshold efficiency %s is outside (0, 1)", v);
  }
  snprintf(v, sizeof(v), "%g", (double)d->trigger_eff);
  PetscCheck(d->trigger_eff > 0 && d->trigger_eff < 1, run->world, HD_ERR_USER_INPUT, "option -trigger_efficiency %s is outside (0, 1)", v);
  d->cfg.seed = (uint64_t)d->seed;
  PetscCall(hd_dae_load(run->world, d));
  for (PetscInt e = 0; e < d->n_effs; e++)
    PetscCheck(d->effs[e] * (double)d->n_test_bkg >= HD_DAE_MIN_SR, run->world, HD_ERR_USER_INPUT, "option -sm_efficiencies: SM efficiency %g leaves %.1f of the %" PetscInt_FMT " SM test events in the signal region; ABCD needs at least %d (use more events or a larger efficiency)", (double)d->effs[e], d->effs[e] * (double)d->n_test_bkg,
               d->n_test_bkg, HD_DAE_MIN_SR);
  PetscCheck(!d->trigger || d->trigger_eff * (double)d->n_test_bkg >= HD_DAE_MIN_SR, run->world, HD_ERR_USER_INPUT, "option -trigger_efficiency %g leaves too few SM test events (%.1f) in the signal region", (double)d->trigger_eff, d->trigger_eff * (double)d->n_test_bkg);
  PetscCall(hd_dae_spec(run->world, d));
  M = d->n_seeds * (d->single ? 2 : 1);
  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_ensemble_config ec = {.n_members = M, .group_size = d->group_size, .n_events = 2 * (d->N + d->Nc), .n_metrics = HD_DAE_N_METRICS, .text_len = HD_SHA256_HEX_LEN, .store_dir = members, .checkpoint_dir = d->out, .resume = d->cfg.resume, .keep_checkpoints = PETSC_TRUE};
  snprintf(members, sizeof(members), "%s/members", d->out); /* finished members, for -resume */
  PetscCall(hd_ensemble_create(run->world, &ec, ens));
  PetscCall(hd_results_mkdir(run->world, d->out));
  {
    char models[PETSC_MAX_PATH_LEN];
    snprintf(models, sizeof(models), "%s/models", d->out);
    PetscCall(hd_results_mkdir(run->world, models));
  }
  PetscCall(hd_log(run->world, "dae: %" PetscInt_FMT " events x %" PetscInt_FMT " features (%" PetscInt_FMT " training on %s, %" PetscInt_FMT " test, %" PetscInt_FMT " signals), autoencoders '%s', lambda %g, %" PetscInt_FMT " member%s on %d ranks\n", d->N, d->F, d->n_train, d->train_on, d->n_test, d->n_signals, d->spec,
                   (double)d->lambda, M, M > 1 ? "s" : "", run->size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* R1 then R2 of the n events of data into out (2n): a pair's two reconstruction errors, or a single
 * AE's one twice. Collective on m->group. */
static PetscErrorCode hd_dae_score(hd_ensemble_member *m, hd_nn *net, const hd_objective *obj, PetscBool pair, const hd_train_data *data, float *out)
{
  PetscInt n = data->n;

  PetscFunctionBegin;
  if (pair) {
    PetscInt nv = obj->n_values; /* R1, R2 (, category) */
    float   *v;

    PetscCall(PetscMalloc1(nv * n, &v));
    PetscCall(hd_train_evaluate(m->group, net, data, obj, HD_EVAL_VALUES, v));
    for (PetscInt i = 0; i < n; i++) out[i] = v[nv * i], out[n + i] = v[nv * i + 1];
    PetscCall(PetscFree(v));
  } else {
    PetscCall(hd_train_evaluate(m->group, net, data, obj, HD_EVAL_SCORE, out));
    PetscCall(PetscArraycpy(out + n, out, n));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One member: a DisCo pair (member < seeds) or a single AE. Collective on m->group. */
static PetscErrorCode hd_dae_member(hd_ensemble_member *m, void *ctx)
{
  hd_dae                *d    = ctx;
  PetscBool              pair = (PetscBool)(m->member < d->n_seeds);
  PetscInt               k    = pair ? m->member : m->member - d->n_seeds;
  hd_train_config        cfg  = d->cfg;
  hd_train_data          tr   = {.n = d->n_train, .in_size = d->F, .x = d->xtrain, .category = pair ? d->cat_train : NULL};
  hd_train_data          all  = {.n = d->N, .in_size = d->F, .x = d->x, .category = pair ? d->category : NULL};
  hd_train_data          cal  = {.n = d->Nc, .in_size = d->F, .x = d->cal.features, .category = pair ? d->cal_category : NULL};
  hd_train_result        tres;
  hd_nn                 *net;
  hd_objective           obj;
  hd_objective_disco_ctx dctx        = {0};
  PetscInt               in_shape[3] = {d->F, 1, 1}, max_batch = PetscMax(1024, PetscMin(cfg.batch, d->n_train));
  char                   label[32], path[PETSC_MAX_PATH_LEN + 32];

  PetscFunctionBegin;
  snprintf(label, sizeof(label), "%s[%d]", pair ? "dae" : "single", (int)k);
  cfg.member = m->member;
  cfg.label  = label;
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  if (pair) {
    const char *specs[2] = {d->spec, d->spec}, *names[2] = {"ae1", "ae2"};

    PetscCall(hd_nn_create_parallel(specs, names, 2, in_shape, max_batch, &net));
    PetscCall(hd_objective_disco_ae(net, d->lambda, PetscMax(cfg.batch, 1024), &dctx, &obj));
    if (d->category) PetscCall(hd_objective_disco_by_category(d->n_categories, HD_DAE_MIN_CATEGORY, &dctx, &obj));
    cfg.objective = &obj;
  } else {
    PetscCall(hd_nn_create(d->spec, in_shape, max_batch, &net));
    cfg.objective = hd_objective_standard(HD_TRAIN_LOSS_MSE);
  }
  PetscCall(hd_nn_init(net, cfg.seed, (uint64_t)m->member, HD_INIT_AUTO));
  PetscCall(hd_train(m->group, net, &tr, &cfg, &tres));
  m->interrupted = tres.interrupted;
  if (!tres.interrupted) {
    /* the column: R1 of the N events, their R2, then R1 and R2 of the Nc closure-sample events
     * (pairs only: a single AE's kappa is never asked for, its tail stays 0) */
    PetscCall(hd_dae_score(m, net, pair ? &obj : cfg.objective, pair, &all, m->scores));
    if (d->Nc && pair) PetscCall(hd_dae_score(m, net, &obj, pair, &cal, m->scores + 2 * d->N));
    else if (d->Nc) PetscCall(PetscArrayzero(m->scores + 2 * d->N, 2 * d->Nc));
    snprintf(path, sizeof(path), "%s/models/%s_%03d.h5", d->out, pair ? "pair" : "single", (int)k);
    hd_model_array arrays[2] = {{"input_mean", d->mean, d->F}, {"input_std", d->std, d->F}};
    hd_model_meta  meta      = {.name = pair ? "dae" : "dae_single", .has_seed = PETSC_TRUE, .seed = cfg.seed, .member = m->member, .n_arrays = 2, .arrays = arrays};
    PetscCall(hd_results_write_model(m->group, path, net, &meta));
    if (m->group_rank == 0) {
      m->metrics[HD_DAE_EPOCHS]     = (double)tres.epochs_run;
      m->metrics[HD_DAE_BEST_EPOCH] = (double)tres.best_epoch + 1;
      m->metrics[HD_DAE_VAL_LOSS]   = tres.best_val_loss;
      m->metrics[HD_DAE_PARAMS]     = (double)net->n_params;
      PetscCall(hd_sha256_floats(net->params, (size_t)net->n_params, m->text));
    }
  }
  if (pair) PetscCall(hd_objective_disco_destroy(&dctx));
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  float   score;
  int32_t sig;
} hd_dae_scored;

static int hd_dae_cmp_desc(const void *a, const void *b)
{
  float x = ((const hd_dae_scored *)a)->score, y = ((const hd_dae_scored *)b)->score;

  return (x < y) - (x > y);
}

/* Max SIC = eps_S / sqrt(eps_B) of `score` (larger = more anomalous) for signal label s against
 * SM on the test events, over cuts that leave at least HD_DAE_MIN_SR SM events (seed 002 Fig. 1
 * cuts the curves off at low background yields: one signal event above every SM event would
 * otherwise give sqrt(n_SM) / n_S). Equal scores are cut together. */
static PetscErrorCode hd_dae_sic(hd_dae *d, const float *score, int32_t s, hd_dae_scored *buf, double *sic)
{
  PetscInt n = 0, ns = 0, nb = 0, ks = 0, kb = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < d->N; i++)
    if (d->is_test[i] && (d->label[i] == 0 || d->label[i] == s)) {
      buf[n].score = score[i];
      buf[n].sig   = d->label[i] == s;
      ns += buf[n].sig, nb += !buf[n].sig, n++;
    }
  qsort(buf, (size_t)n, sizeof(*buf), hd_dae_cmp_desc);
  *sic = NAN;
  for (PetscInt i = 0; i < n && ns > 0 && nb > 0;) {
    PetscInt j = i;

    for (; j < n && buf[j].score == buf[i].score; j++) ks += buf[j].sig, kb += !buf[j].sig;
    i = j;
    if (kb >= HD_DAE_MIN_SR) {
      double v = ((double)ks / (double)ns) / sqrt((double)kb / (double)nb);

      if (isnan(*sic) || v > *sic) *sic = v;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The diagonal combination: min of the two scores' SM-test CDFs, so a cut on it is the same SM
 * efficiency on each AE. */
static PetscErrorCode hd_dae_combined(hd_dae *d, const float *r1, const float *r2, float *comb)
{
  float   *ref1, *ref2, *u1, *u2;
  PetscInt nb = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(d->n_test_bkg, &ref1, d->n_test_bkg, &ref2, d->N, &u1, d->N, &u2));
  for (PetscInt i = 0; i < d->N; i++)
    if (d->test_bkg[i]) ref1[nb] = r1[i], ref2[nb] = r2[i], nb++;
  PetscCall(hd_stats_quantile_transform(nb, ref1, d->N, r1, u1));
  PetscCall(hd_stats_quantile_transform(nb, ref2, d->N, r2, u2));
  for (PetscInt i = 0; i < d->N; i++) comb[i] = PetscMin(u1[i], u2[i]);
  PetscCall(PetscFree4(ref1, ref2, u1, u2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An error naming the closure sample's counts where kappa k is missing. */
static PetscErrorCode hd_dae_kappa_require(const hd_dae *d, const hd_abcd *k)
{
  PetscFunctionBegin;
  PetscCheck(k->valid && k->n_gg > 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "-closure_sample '%s': its %" PetscInt_FMT " SM events give no non-closure at thresholds (%g, %g): N(<,<) = %lld, N(>,<) = %lld, N(<,>) = %lld, N(>,>) = %lld (use a larger sample)", d->closure_sample, d->n_cal_sm, k->c1, k->c2, (long long)k->n_ll, (long long)k->n_gl,
             (long long)k->n_lg, (long long)k->n_gg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The non-closure kappa = N_obs / N_pred of the closure sample's SM events at thresholds (c1, c2)
 * (in out->ratio, its error in out->ratio_err; NaN without a prediction or an event in the signal
 * region, and with `require` a clear error then). The corrected prediction is kappa N_pred. */
static PetscErrorCode hd_dae_kappa(const hd_dae *d, const float *r1c, const float *r2c, double c1, double c2, PetscBool require, hd_abcd *out)
{
  PetscFunctionBegin;
  PetscCall(hd_abcd_count(d->Nc, r1c, r2c, d->cal_sm, d->cal_category, d->n_categories, NULL, NULL, c1, c2, out));
  if (out->valid && out->n_gg == 0) out->ratio = out->ratio_err = NAN; /* kappa 0 would erase the prediction */
  if (require) PetscCall(hd_dae_kappa_require(d, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The prediction corrected by the closure sample's non-closure kappa: kappa N_pred, and the
 * closure N_obs / (kappa N_pred), the errors of N_pred (or of the closure) and of kappa added in
 * quadrature (independent samples). NaN where c has no prediction. */
static void hd_dae_corrected(const hd_abcd *c, const hd_abcd *kappa, double *n_pred, double *n_pred_err, double *ratio, double *ratio_err)
{
  double k = kappa->ratio, rk = kappa->ratio_err / k;

  *n_pred     = c->n_pred * k;
  *n_pred_err = *n_pred * sqrt(pow(c->n_pred_err / c->n_pred, 2) + rk * rk);
  *ratio      = c->ratio / k;
  *ratio_err  = sqrt(pow(c->ratio_err / k, 2) + pow(*ratio * rk, 2));
}

/* Closure on SM, significances and SICs of every seed; the trigger of seed 0. Collective on world
 * only for the gather; the rest is the same computation on every rank. */
static PetscErrorCode hd_dae_evaluate(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_dae        *d = ctx;
  PetscInt       N = d->N, Nc = d->Nc, M = ens->cfg.n_members, S = d->n_seeds;
  float         *r1, *r2, *comb, *sing, *r1c, *r2c;
  hd_dae_scored *sbuf;
  unsigned char *sel;
  double         dc1[HD_DAE_MAX_EFFS], dc2[HD_DAE_MAX_EFFS]; /* a seed's diagonal cuts */
  int64_t        b_true[HD_DAE_MAX_EFFS];
  hd_abcd        dkap[HD_DAE_MAX_EFFS];

  PetscFunctionBegin;
  PetscCall(PetscMalloc1((size_t)2 * (N + Nc) * M, &d->cols));
  PetscCall(hd_par_allgather_blocks(run->world, 2 * (N + Nc), M, HD_PAR_FLOAT, ens->columns, d->cols));
  PetscCall(PetscMalloc2(N, &d->r1, N, &d->r2));
  PetscCall(PetscMalloc5(N, &r1, N, &r2, N, &comb, N, &sbuf, N, &sel));
  PetscCall(PetscMalloc2(PetscMax(Nc, 1), &r1c, PetscMax(Nc, 1), &r2c));
  PetscCall(PetscMalloc1(N, &sing));
  PetscCall(PetscCalloc1(PetscMax(1, S * d->n_signals), &d->sres));
  for (PetscInt k = 0; k < S; k++) {
    for (PetscInt i = 0; i < N; i++) r1[i] = d->cols[(size_t)i * M + k], r2[i] = d->cols[(size_t)(N + i) * M + k];
    for (PetscInt i = 0; i < Nc; i++) r1c[i] = d->cols[(size_t)(2 * N + i) * M + k], r2c[i] = d->cols[(size_t)(2 * N + Nc + i) * M + k];
    /* per efficiency, what seed 0's closure and every signal scenario share: the diagonal cut on
     * the SM test events, their true count in its signal region and the closure sample's kappa
     * there (which seed 0's closure must have) */
    for (PetscInt e = 0; e < d->n_effs && (k == 0 || d->n_signals > 0); e++) {
      PetscCall(hd_abcd_thresholds(N, r1, r2, d->test_bkg, d->effs[e], 1.0, &dc1[e], &dc2[e]));
      b_true[e] = 0;
      for (PetscInt i = 0; i < N; i++)
        if (d->test_bkg[i] && r1[i] > dc1[e] && r2[i] > dc2[e]) b_true[e]++;
      if (Nc) PetscCall(hd_dae_kappa(d, r1c, r2c, dc1[e], dc2[e], (PetscBool)(k == 0), &dkap[e]));
    }
    if (k == 0) {
      float *a, *b;
      PetscInt n = 0;

      PetscCall(PetscArraycpy(d->r1, r1, N));
      PetscCall(PetscArraycpy(d->r2, r2, N));
      PetscCall(PetscMalloc2(d->n_test, &a, d->n_test, &b));
      for (PetscInt i = 0; i < N; i++)
        if (d->is_test[i]) a[n] = r1[i], b[n] = r2[i], n++;
      PetscCall(hd_nn_disco2(&d->disco2_test, NULL, NULL, a, b, NULL, n, 1.0));
      PetscCall(PetscFree2(a, b));
      /* closure on SM test events, three choices of thresholds per efficiency (seed 002 Fig. 2) */
      for (PetscInt e = 0; e < d->n_effs; e++)
        for (int a3 = 0; a3 < 3; a3++) {
          double c1 = dc1[e], c2 = dc2[e]; /* a3 = 0: the diagonal */

          if (a3 > 0) PetscCall(hd_abcd_thresholds(N, r1, r2, d->test_bkg, d->effs[e], hd_dae_asym[a3], &c1, &c2));
          PetscCall(hd_abcd_count(N, r1, r2, d->test_bkg, d->category, d->n_categories, NULL, NULL, c1, c2, &d->closure[e][a3]));
          if (Nc && a3 == 0) d->kappa[e][0] = dkap[e];
          else if (Nc) PetscCall(hd_dae_kappa(d, r1c, r2c, c1, c2, PETSC_FALSE, &d->kappa[e][a3]));
        }
      if (d->trigger) { /* seed 002 §IV on the whole test sample (SM and signals) */
        double   c1, c2, *u;
        PetscInt kept = 0;

        PetscCall(hd_abcd_thresholds(N, r1, r2, d->test_bkg, d->trigger_eff, 1.0, &c1, &c2));
        PetscCall(hd_abcd_count(N, r1, r2, d->is_test, d->category, d->n_categories, NULL, NULL, c1, c2, &d->trig_full));
        PetscCall(hd_abcd_require(&d->trig_full));
        hd_abcd_prescale(&d->trig_full, d->trig_prescale);
        PetscCall(PetscMalloc1(N, &u));
        for (PetscInt i = 0; i < N; i++) {
          hd_rng r;

          hd_rng_init(&r, (uint64_t)d->seed, HD_STREAM_DAE_PRESCALE, (uint64_t)i);
          u[i] = hd_rng_uniform(&r);
        }
        PetscCall(hd_abcd_count(N, r1, r2, d->is_test, d->category, d->n_categories, u, d->trig_prescale, c1, c2, &d->trig_kept));
        kept                = d->trig_kept.n_ll + d->trig_kept.n_gl + d->trig_kept.n_lg + d->trig_kept.n_gg;
        d->trig_kept_rate   = (double)kept / (double)d->n_test;
        PetscCall(PetscFree(u));
      }
    }
    PetscCall(hd_dae_combined(d, r1, r2, comb));
    for (PetscInt s = 1; s <= d->n_signals; s++) {
      hd_dae_signal_result *res = &d->sres[k * d->n_signals + (s - 1)];

      PetscCall(hd_dae_sic(d, r1, (int32_t)s, sbuf, &res->sic_ae1));
      PetscCall(hd_dae_sic(d, r2, (int32_t)s, sbuf, &res->sic_ae2));
      PetscCall(hd_dae_sic(d, comb, (int32_t)s, sbuf, &res->sic_comb));
      if (d->single) {
        for (PetscInt i = 0; i < N; i++) sing[i] = d->cols[(size_t)i * M + S + k];
        PetscCall(hd_dae_sic(d, sing, (int32_t)s, sbuf, &res->sic_single));
      } else res->sic_single = NAN;
      for (PetscInt i = 0; i < N; i++) sel[i] = d->is_test[i] && (d->label[i] == 0 || d->label[i] == s);
      for (PetscInt e = 0; e < d->n_effs; e++) {
        hd_abcd mix;

        PetscCall(hd_abcd_count(N, r1, r2, sel, d->category, d->n_categories, NULL, NULL, dc1[e], dc2[e], &mix));
        res->n_sr[e]         = (double)mix.n_gg;
        res->sig_pred[e]     = mix.valid ? hd_abcd_significance((double)mix.n_gg, mix.n_pred) : NAN;
        res->sig_pred_err[e] = mix.valid ? hd_abcd_significance_err((double)mix.n_gg, mix.n_pred, mix.n_pred_err) : NAN;
        res->sig_true[e]     = hd_abcd_significance((double)mix.n_gg, (double)b_true[e]);
        res->sig_corr[e] = res->sig_corr_err[e] = NAN;
        if (Nc && mix.valid) {
          double p, pe, r, re;

          PetscCall(hd_dae_kappa_require(d, &dkap[e]));
          hd_dae_corrected(&mix, &dkap[e], &p, &pe, &r, &re);
          res->sig_corr[e]     = hd_abcd_significance((double)mix.n_gg, p);
          res->sig_corr_err[e] = hd_abcd_significance_err((double)mix.n_gg, p, pe);
        }
      }
    }
  }
  PetscCall(PetscFree5(r1, r2, comb, sbuf, sel));
  PetscCall(PetscFree2(r1c, r2c));
  PetscCall(PetscFree(sing));
  PetscCall(hd_sha256_hex(ens->text, (size_t)(M * HD_SHA256_HEX_LEN), d->sha));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Mean and standard deviation over the seeds of one number of the per-seed results. */
static void hd_dae_spread(const hd_dae *d, PetscInt s, size_t offset, double *mean, double *sd)
{
  double a = 0, b = 0;

  for (PetscInt k = 0; k < d->n_seeds; k++) {
    double v = *(const double *)((const char *)&d->sres[k * d->n_signals + s] + offset);
    a += v, b += v * v;
  }
  *mean = a / (double)d->n_seeds;
  *sd   = d->n_seeds > 1 ? sqrt(fmax(0.0, (b - a * a / (double)d->n_seeds) / (double)(d->n_seeds - 1))) : 0.0;
}

static PetscErrorCode hd_dae_report(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_dae       *d   = ctx;
  const double *rec = ens->metrics;
  hd_results    res;
  hd_summary    s;
  PetscInt      M = ens->cfg.n_members, o0, nloc;
  float        *blk, *tst;
  double        wall;

  PetscFunctionBegin;
  hd_par_block(d->N, run->rank, run->size, &o0, &nloc);
  PetscCall(PetscMalloc2(PetscMax(nloc, 1), &blk, PetscMax(nloc, 1), &tst));
  PetscCall(hd_results_create(run->world, d->out, "dae", NULL, &res));
  for (PetscInt i = 0; i < nloc; i++) blk[i] = d->r1[o0 + i], tst[i] = d->is_test[o0 + i] ? 1.0f : 0.0f;
  PetscCall(hd_results_write_rows(&res, "/scores/r1", d->N, o0, nloc, blk));
  for (PetscInt i = 0; i < nloc; i++) blk[i] = d->r2[o0 + i];
  PetscCall(hd_results_write_rows(&res, "/scores/r2", d->N, o0, nloc, blk));
  PetscCall(hd_results_write_rows(&res, "/scores/is_test", d->N, o0, nloc, tst));
  if (d->single) {
    for (PetscInt i = 0; i < nloc; i++) blk[i] = d->cols[(size_t)(o0 + i) * M + d->n_seeds];
    PetscCall(hd_results_write_rows(&res, "/scores/single", d->N, o0, nloc, blk));
  }
  if (d->Nc) { /* seed 0's R1 and R2 of the closure sample's events (all of them, in file order) */
    PetscInt c0, cn;
    float   *cb;

    hd_par_block(d->Nc, run->rank, run->size, &c0, &cn);
    PetscCall(PetscMalloc1(PetscMax(cn, 1), &cb));
    for (PetscInt i = 0; i < cn; i++) cb[i] = d->cols[(size_t)(2 * d->N + c0 + i) * M];
    PetscCall(hd_results_write_rows(&res, "/scores/closure_sample_r1", d->Nc, c0, cn, cb));
    for (PetscInt i = 0; i < cn; i++) cb[i] = d->cols[(size_t)(2 * d->N + d->Nc + c0 + i) * M];
    PetscCall(hd_results_write_rows(&res, "/scores/closure_sample_r2", d->Nc, c0, cn, cb));
    PetscCall(PetscFree(cb));
  }
  {
    PetscInt E = d->n_effs;
    double  *t;

    PetscCall(PetscMalloc1(E * 3 * 10, &t));
    for (PetscInt e = 0; e < E; e++)
      for (int a = 0; a < 3; a++) {
        const hd_abcd *c = &d->closure[e][a];
        double        *r = t + (e * 3 + a) * 10;
        r[0] = d->effs[e], r[1] = hd_dae_asym[a], r[2] = c->c1, r[3] = c->c2, r[4] = (double)c->n_ll, r[5] = (double)c->n_gl, r[6] = (double)c->n_lg, r[7] = (double)c->n_gg, r[8] = c->n_pred, r[9] = c->n_pred_err;
      }
    /* rows: sm_efficiency, asymmetry, c1, c2, N(<,<), N(>,<), N(<,>), N(>,>), N_pred, N_pred error */
    PetscCall(hd_results_write_array(&res, "/abcd/closure", E * 30, t));
    if (d->Nc) { /* rows: kappa, its error, kappa N_pred, its error (the rows of /abcd/closure) */
      for (PetscInt e = 0; e < E; e++)
        for (int a = 0; a < 3; a++) {
          double *r = t + (e * 3 + a) * 4, ratio, ratio_err;

          hd_dae_corrected(&d->closure[e][a], &d->kappa[e][a], &r[2], &r[3], &ratio, &ratio_err);
          r[0] = d->kappa[e][a].ratio, r[1] = d->kappa[e][a].ratio_err;
        }
      PetscCall(hd_results_write_array(&res, "/abcd/closure_correction", E * 12, t));
    }
    PetscCall(PetscFree(t));
    for (PetscInt sg = 0; sg < d->n_signals; sg++) {
      char   name[128];
      double g[HD_DAE_GRID * HD_DAE_GRID], effs[HD_DAE_GRID];
      double sp[HD_DAE_MAX_EFFS], st[HD_DAE_MAX_EFFS];
      int32_t *lab;
      float   *a, *b;
      PetscInt n = 0;

      for (PetscInt e = 0; e < E; e++) sp[e] = d->sres[sg].sig_pred[e], st[e] = d->sres[sg].sig_true[e];
      snprintf(name, sizeof(name), "/abcd/%s/significance_pred", d->signal_names[sg]);
      PetscCall(hd_results_write_array(&res, name, E, sp));
      snprintf(name, sizeof(name), "/abcd/%s/significance_true", d->signal_names[sg]);
      PetscCall(hd_results_write_array(&res, name, E, st));
      /* the 2-D SIC grid (app. A) on the test events of seed 0 */
      for (int q = 0; q < HD_DAE_GRID; q++) effs[q] = 0.5 * pow(0.5, q); /* 50% .. 0.4% per axis */
      PetscCall(PetscMalloc3(d->n_test, &a, d->n_test, &b, d->n_test, &lab));
      for (PetscInt i = 0; i < d->N; i++)
        if (d->is_test[i]) a[n] = d->r1[i], b[n] = d->r2[i], lab[n] = d->label[i], n++;
      PetscCall(hd_abcd_sic_grid(n, a, b, lab, (int32_t)(sg + 1), HD_DAE_GRID, effs, g));
      PetscCall(PetscFree3(a, b, lab));
      snprintf(name, sizeof(name), "/abcd/%s/sic_grid", d->signal_names[sg]);
      PetscCall(hd_results_write_array(&res, name, HD_DAE_GRID * HD_DAE_GRID, g));
    }
    PetscCall(hd_results_write_array(&res, "/abcd/sm_efficiencies", E, d->effs));
  }
  PetscCall(hd_results_close(&res));
  PetscCall(PetscFree2(blk, tst));

  wall = hd_wtime() - run->t0;
  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", "dae"));
  PetscCall(hd_summary_string(&s, "data", d->data));
  PetscCall(hd_summary_int(&s, "events", d->N));
  PetscCall(hd_summary_int(&s, "features", d->F));
  PetscCall(hd_summary_int(&s, "train_events", d->n_train));
  PetscCall(hd_summary_int(&s, "test_events", d->n_test));
  PetscCall(hd_summary_string(&s, "train_on", d->train_on));
  PetscCall(hd_summary_string(&s, "scaling", d->scaling));
  PetscCall(hd_summary_string(&s, "categories", d->categories));
  if (d->Nc) {
    PetscCall(hd_summary_string(&s, "closure_sample", d->closure_sample));
    PetscCall(hd_summary_int(&s, "closure_sample_sm_events", d->n_cal_sm));
  }
  PetscCall(hd_summary_int(&s, "ranks", run->size));
  PetscCall(hd_summary_int(&s, "seed", d->seed));
  PetscCall(hd_summary_int(&s, "seeds", d->n_seeds));
  PetscCall(hd_summary_double(&s, "lambda", d->lambda));
  PetscCall(hd_summary_string(&s, "network", d->spec));
  PetscCall(hd_summary_string(&s, "biases", d->bias ? "yes" : "no"));
  PetscCall(hd_summary_int(&s, "parameters", (int64_t)rec[HD_DAE_PARAMS]));
  PetscCall(hd_summary_int(&s, "epochs", (int64_t)rec[HD_DAE_EPOCHS]));
  PetscCall(hd_summary_double(&s, "disco2_test", d->disco2_test));
  PetscCall(hd_summary_open(&s, "closure", '['));
  for (PetscInt e = 0; e < d->n_effs; e++)
    for (int a = 0; a < 3; a++) {
      const hd_abcd *c = &d->closure[e][a];
      PetscCall(hd_summary_open(&s, NULL, '{'));
      PetscCall(hd_summary_double(&s, "sm_efficiency", d->effs[e]));
      PetscCall(hd_summary_double(&s, "asymmetry", hd_dae_asym[a]));
      PetscCall(hd_summary_int(&s, "n_obs", c->n_gg));
      PetscCall(hd_summary_double(&s, "n_pred", c->n_pred));
      PetscCall(hd_summary_double(&s, "n_pred_err", c->n_pred_err));
      PetscCall(hd_summary_double(&s, "ratio", c->ratio));
      PetscCall(hd_summary_double(&s, "ratio_err", c->ratio_err));
      if (d->Nc) {
        double p, pe, r, re;

        hd_dae_corrected(c, &d->kappa[e][a], &p, &pe, &r, &re);
        PetscCall(hd_summary_double(&s, "kappa", d->kappa[e][a].ratio));
        PetscCall(hd_summary_double(&s, "kappa_err", d->kappa[e][a].ratio_err));
        PetscCall(hd_summary_double(&s, "n_pred_corrected", p));
        PetscCall(hd_summary_double(&s, "n_pred_corrected_err", pe));
        PetscCall(hd_summary_double(&s, "ratio_corrected", r));
        PetscCall(hd_summary_double(&s, "ratio_corrected_err", re));
      }
      PetscCall(hd_summary_close(&s, '}'));
    }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_open(&s, "signals", '{'));
  for (PetscInt sg = 0; sg < d->n_signals; sg++) {
    const hd_dae_signal_result *r0 = &d->sres[sg];
    double                      m, sd;

    PetscCall(hd_summary_open(&s, d->signal_names[sg], '{'));
    PetscCall(hd_summary_open(&s, "sic_max", '{'));
    PetscCall(hd_summary_double(&s, "ae1", r0->sic_ae1));
    PetscCall(hd_summary_double(&s, "ae2", r0->sic_ae2));
    PetscCall(hd_summary_double(&s, "combined", r0->sic_comb));
    PetscCall(hd_summary_double(&s, "single_ae", r0->sic_single));
    PetscCall(hd_summary_close(&s, '}'));
    PetscCall(hd_summary_open(&s, "significance", '['));
    for (PetscInt e = 0; e < d->n_effs; e++) {
      PetscCall(hd_summary_open(&s, NULL, '{'));
      PetscCall(hd_summary_double(&s, "sm_efficiency", d->effs[e]));
      PetscCall(hd_summary_double(&s, "n_obs", r0->n_sr[e]));
      PetscCall(hd_summary_double(&s, "predicted_background", r0->sig_pred[e]));
      PetscCall(hd_summary_double(&s, "true_background", r0->sig_true[e]));
      PetscCall(hd_summary_double(&s, "predicted_background_with_error", r0->sig_pred_err[e]));
      if (d->Nc) {
        PetscCall(hd_summary_double(&s, "corrected_background", r0->sig_corr[e]));
        PetscCall(hd_summary_double(&s, "corrected_background_with_error", r0->sig_corr_err[e]));
      }
      if (d->n_seeds > 1) {
        hd_dae_spread(d, sg, offsetof(hd_dae_signal_result, sig_pred) + (size_t)e * sizeof(double), &m, &sd);
        PetscCall(hd_summary_double(&s, "predicted_background_seed_mean", m));
        PetscCall(hd_summary_double(&s, "predicted_background_seed_sd", sd));
        hd_dae_spread(d, sg, offsetof(hd_dae_signal_result, sig_true) + (size_t)e * sizeof(double), &m, &sd);
        PetscCall(hd_summary_double(&s, "true_background_seed_mean", m));
        PetscCall(hd_summary_double(&s, "true_background_seed_sd", sd));
        if (d->Nc) {
          hd_dae_spread(d, sg, offsetof(hd_dae_signal_result, sig_corr) + (size_t)e * sizeof(double), &m, &sd);
          PetscCall(hd_summary_double(&s, "corrected_background_seed_mean", m));
          PetscCall(hd_summary_double(&s, "corrected_background_seed_sd", sd));
        }
      }
      PetscCall(hd_summary_close(&s, '}'));
    }
    PetscCall(hd_summary_close(&s, ']'));
    if (d->n_seeds > 1) {
      hd_dae_spread(d, sg, offsetof(hd_dae_signal_result, sic_comb), &m, &sd);
      PetscCall(hd_summary_double(&s, "sic_combined_seed_mean", m));
      PetscCall(hd_summary_double(&s, "sic_combined_seed_sd", sd));
    }
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, '}'));
  if (d->trigger) {
    PetscCall(hd_summary_open(&s, "trigger", '{'));
    PetscCall(hd_summary_double(&s, "sm_efficiency", d->trigger_eff));
    PetscCall(hd_summary_double(&s, "prescale_ll", d->trig_prescale[0]));
    PetscCall(hd_summary_double(&s, "prescale_gl", d->trig_prescale[1]));
    PetscCall(hd_summary_double(&s, "prescale_lg", d->trig_prescale[2]));
    PetscCall(hd_summary_double(&s, "input_rate_sr", (double)d->trig_full.n_gg / (double)d->n_test));
    PetscCall(hd_summary_double(&s, "kept_rate", d->trig_kept_rate));
    PetscCall(hd_summary_int(&s, "n_obs", d->trig_kept.n_gg));
    PetscCall(hd_summary_double(&s, "n_pred_kept", d->trig_kept.n_pred));
    PetscCall(hd_summary_double(&s, "n_pred_kept_err", d->trig_kept.n_pred_err));
    PetscCall(hd_summary_double(&s, "n_pred_all", d->trig_full.n_pred));
    PetscCall(hd_summary_double(&s, "n_pred_all_err", d->trig_full.n_pred_err));
    PetscCall(hd_summary_double(&s, "ratio_kept", d->trig_kept.ratio));
    PetscCall(hd_summary_double(&s, "ratio_kept_err", d->trig_kept.ratio_err));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_double(&s, "wall_s", wall));
  PetscCall(hd_summary_string(&s, "parameters_sha256", d->sha));
  PetscCall(hd_summary_open(&s, "member_results", '['));
  for (PetscInt m = 0; m < M; m++) {
    const double *r = rec + m * HD_DAE_N_METRICS;
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_string(&s, "kind", m < d->n_seeds ? "pair" : "single"));
    PetscCall(hd_summary_int(&s, "epochs", (int64_t)r[HD_DAE_EPOCHS]));
    PetscCall(hd_summary_int(&s, "best_epoch", (int64_t)r[HD_DAE_BEST_EPOCH]));
    PetscCall(hd_summary_double(&s, "val_loss", r[HD_DAE_VAL_LOSS]));
    PetscCall(hd_summary_string(&s, "parameters_sha256", ens->text + m * HD_SHA256_HEX_LEN));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_write(run->world, d->out, &s));
  {
    char corrected[160] = "";

    if (d->Nc) {
      double p, pe, r, re;

      hd_dae_corrected(&d->closure[0][0], &d->kappa[0][0], &p, &pe, &r, &re);
      snprintf(corrected, sizeof(corrected), ", corrected by the closure sample's %.3f +- %.3f: %.3f +- %.3f", d->kappa[0][0].ratio, d->kappa[0][0].ratio_err, r, re);
    }
    PetscCall(hd_log(run->world, "dae: DisCo^2 on the test events %.4g; closure at SM efficiency %g: %.3f +- %.3f%s; %.1f s; outputs in %s\n", d->disco2_test, (double)d->effs[0], d->closure[0][0].ratio, d->closure[0][0].ratio_err, corrected, wall, d->out));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_dae_stopped(hd_run *run, void *ctx)
{
  hd_dae *d = ctx;

  PetscFunctionBegin;
  PetscCall(hd_log(run->world, "dae: interrupted; run again with -resume to continue from the finished members and the checkpoints in '%s'\n", d->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_dae_destroy(void *ctx)
{
  hd_dae *d = ctx;

  PetscFunctionBegin;
  PetscCall(hd_table_destroy(&d->table));
  PetscCall(hd_table_destroy(&d->cal));
  PetscCall(PetscFree(d->cal_sm));
  PetscCall(PetscFree(d->cal_category));
  PetscCall(PetscFree2(d->is_test, d->test_bkg));
  PetscCall(PetscFree2(d->category, d->cat_train));
  PetscCall(PetscFree(d->xtrain));
  PetscCall(PetscFree2(d->mean, d->std));
  PetscCall(PetscFree(d->cols));
  PetscCall(PetscFree2(d->r1, d->r2));
  PetscCall(PetscFree(d->sres));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_method hd_method_dae = {
  .name         = "dae",
  .summary      = "decorrelated autoencoders (DisCo) with the ABCD background estimate and the trigger mode (seed 002)",
  .usage        = "hadal run -method dae -data FILE -out DIR [-seeds S] [-lambda 100] [-train_on background|all] [-trigger] ...",
  .ctx_size     = sizeof(hd_dae),
  .read_options = hd_dae_read_options,
  .setup        = hd_dae_setup,
  .run_member   = hd_dae_member,
  .evaluate     = hd_dae_evaluate,
  .report       = hd_dae_report,
  .stopped      = hd_dae_stopped,
  .destroy      = hd_dae_destroy,
};
