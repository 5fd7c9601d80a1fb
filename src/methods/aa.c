/* Anomaly Awareness (seed 000, Khosa and Sanz).
 *
 *   1. Prior run: a classifier of the n >= 2 normal classes (-normal_classes), softmax
 *      cross-entropy on one-hot targets, SGD with batch 100 (seed 000 sections 3 and 4.2): a CNN
 *      on images (scaled by their RMS pixel value), an MLP on standardised features. Trained once on the whole world
 *      (data-parallel), before the ensemble.
 *   2. AA run: started from the prior's weights (or afresh with -aa_from_prior false) and trained
 *      on the normal events plus the anomalies it is made aware of (-aware_classes) with
 *        L = CE(normal, one-hot) + lambda_AA CE(anomaly, uniform 1/n)     (seed 000 eqs. 1-2)
 *      as per-event soft targets and weights (1 for normal rows, lambda_AA for anomalies). Every
 *      lambda of -lambda_aa is one member of the ensemble, dealt to rank groups (app. A's scan as
 *      one run). Classes in neither list are held out: never trained on.
 *   3. Every event gets the softmax probabilities of both runs. On the test split (-test_fraction
 *      of the events, drawn per event from (seed, HD_STREAM_AA_TEST, i), never trained on):
 *      the normal classes' one-vs-rest AUC, each class's central fraction (all probabilities
 *      within delta/2 of 1/n), and for each anomaly class the window scan of R (eq. 6) on
 *      P(-scan_class), R_max and sigma_min(L) of eq. 8 (include/hadal/stats.h).
 *
 * The steps are those of include/hadal/methods.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/rng.h>
#include <hadal/sha256.h>
#include <hadal/stats.h>
#include <hadal/train.h>

#define HD_AA_MAX_CLASSES 64
#define HD_AA_MAX_LIST    64

enum { HD_AA_EPOCHS, HD_AA_VAL_LOSS, HD_AA_RATE, HD_AA_N_METRICS };

/* What a class is in this run. */
typedef enum { HD_AA_HELD_OUT = 0, HD_AA_NORMAL, HD_AA_AWARE } hd_aa_role;

/* The measurements of one set of outputs (the prior, or the AA run of one lambda). */
typedef struct {
  double           normal_auc;
  double           central[HD_AA_MAX_CLASSES];
  hd_stats_aa_scan scan[HD_AA_MAX_CLASSES]; /* per anomaly class (n_bkg 0 elsewhere) */
} hd_aa_eval;

typedef struct {
  /* options */
  char            data[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64], input[16], network[1024];
  char            normal_s[512], aware_s[512], scan_s[HD_NAME_LEN], target_s[HD_NAME_LEN], xsec_s[1024];
  PetscReal       lambda[HD_AA_MAX_LIST], deltas[8], lumi[16];
  PetscInt        n_lambda, n_deltas, n_lumi, seed, group_size, prior_epochs;
  PetscReal       step, max_bkg_error, test_fraction, central_delta;
  PetscBool       from_prior;
  hd_train_config cfg;
  /* data */
  hd_table        table;
  PetscInt        N, in_size, in_shape[3], n_classes;
  char            names[HD_AA_MAX_CLASSES][HD_NAME_LEN];
  hd_aa_role      role[HD_AA_MAX_CLASSES];
  PetscInt        out_of[HD_AA_MAX_CLASSES]; /* output index of a normal class, -1 otherwise */
  PetscInt        n, normal[HD_AA_MAX_CLASSES], n_aware, aware[HD_AA_MAX_CLASSES];
  PetscInt        scan_out, target;          /* output scanned, class whose R_max is summarised */
  double          sigma[HD_AA_MAX_CLASSES];  /* cross-sections of the normal classes, fb */
  const float    *x;                         /* (N, in_size) the network inputs */
  const int32_t  *label;
  char           *test;                      /* (N) 1: test split */
  char            spec[1200];
  /* training tables: the normal training rows first (the prior's), then the aware ones */
  float          *xt, *target_rows;          /* (n_aa, in_size) node-shared; (n_aa, n) */
  PetscInt        n_prior, n_aa;
  /* results */
  float          *prior_params;
  PetscInt        n_params;
  char            prior_sha[HD_SHA256_HEX_LEN], sha[HD_SHA256_HEX_LEN];
  float          *prior_prob, *aa_prob;      /* (N, n) and (n_lambda, N, n), every rank */
  hd_aa_eval      ev_prior, *ev_aa;
  double          prior_wall;
} hd_aa;

static PetscErrorCode hd_aa_read_options(hd_run *run, void *ctx)
{
  hd_aa *aa = ctx;

  PetscFunctionBegin;
  aa->n_lambda = HD_AA_MAX_LIST;
  aa->n_deltas = 8;
  aa->n_lumi   = 16;
  PetscCall(hd_opt_string("-data", "event file (HDF5) with /events/label and a 'classes' attribute", NULL, aa->data, sizeof(aa->data), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, aa->out, sizeof(aa->out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of test split, initialisation and minibatch order", 1, &aa->seed, NULL));
  PetscCall(hd_opt_string("-input", "images (a CNN on /events/images) or features (an MLP on standardised /events/features)", "images", aa->input, sizeof(aa->input), NULL));
  PetscCall(hd_opt_string("-network", "hidden layers (nn chain spec); a final 'dense n' is appended. Default: images 'conv 8 3x3 relu, maxpool 2, conv 16 3x3 relu, maxpool 2, flatten, dense 64 relu', features 'dense 64 relu, dense 64 relu'", "", aa->network, sizeof(aa->network), NULL));
  PetscCall(hd_opt_string("-normal_classes", "normal classes (names or label numbers, at least two): the prior run's classes, in output order", "qcd,top", aa->normal_s, sizeof(aa->normal_s), NULL));
  PetscCall(hd_opt_string("-aware_classes", "anomaly classes shown to the AA run (names or numbers, may be empty); every other class is held out", "w", aa->aware_s, sizeof(aa->aware_s), NULL));
  PetscCall(hd_opt_real_list("-lambda_aa", "lambda_AA of the AA term (seed 000 eq. 2); a list is a scan, one ensemble member each", "0.5", aa->lambda, &aa->n_lambda, NULL));
  PetscCall(hd_opt_bool("-aa_from_prior", "start the AA run from the prior run's weights (false: afresh)", PETSC_TRUE, &aa->from_prior, NULL));
  PetscCall(hd_opt_int("-prior_epochs", "epochs of the prior run (-epochs: of the AA run)", 100, &aa->prior_epochs, NULL));
  PetscCall(hd_opt_real("-test_fraction", "events kept out of training for every measurement", 0.3, &aa->test_fraction, NULL));
  PetscCall(hd_opt_real("-central_delta", "central fraction: all probabilities within delta/2 of 1/n", 0.1, &aa->central_delta, NULL));
  PetscCall(hd_opt_string("-scan_class", "normal class whose probability the windows slide over (default: the second normal class)", "", aa->scan_s, sizeof(aa->scan_s), NULL));
  PetscCall(hd_opt_string("-target_class", "anomaly whose R_max and sigma_min are summarised (default: the first held-out class, else the first aware one)", "", aa->target_s, sizeof(aa->target_s), NULL));
  PetscCall(hd_opt_real_list("-window_deltas", "window widths delta in (0, 1) (seed 000 Fig. 10)", "0.08,0.1,0.12", aa->deltas, &aa->n_deltas, NULL));
  PetscCall(hd_opt_real("-window_step", "step of the sliding windows and of the cumulative threshold", 0.01, &aa->step, NULL));
  PetscCall(hd_opt_real("-max_bkg_error", "largest relative statistical error of a window's background; windows above it are skipped", 0.3, &aa->max_bkg_error, NULL));
  PetscCall(hd_opt_string("-cross_sections", "name:fb of the normal classes after the selection (others: 1 fb)", "qcd:50000,top:1000,w:1000", aa->xsec_s, sizeof(aa->xsec_s), NULL));
  PetscCall(hd_opt_real_list("-luminosities", "luminosities of sigma_min (fb^-1)", "100,300,1000,3000", aa->lumi, &aa->n_lumi, NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one lambda together (a divisor of the rank count)", run->size, &aa->group_size, NULL));
  aa->cfg               = hd_train_defaults();
  aa->cfg.epochs        = 100;
  aa->cfg.batch         = 100;
  aa->cfg.optim         = hd_nn_optim_sgd_defaults();
  aa->cfg.optim.lr      = 0.01;
  aa->cfg.optim.momentum = 0.9;
  aa->cfg.val_fraction  = 0.1;
  aa->cfg.label         = "aa";
  PetscCall(hd_train_read_options(&aa->cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A class by name or label number; -1 when the file has no such class. */
static PetscInt hd_aa_find_class(const hd_aa *aa, const char *tok)
{
  char *end;
  long  v;

  for (PetscInt k = 0; k < aa->n_classes; k++)
    if (!strcmp(aa->names[k], tok)) return k;
  v = strtol(tok, &end, 10);
  if (*tok && !*end && v >= 0 && v < aa->n_classes) return (PetscInt)v;
  return -1;
}

/* Parses a comma list of classes into idx, checking each is in the file and named once in any
 * list (role still HELD_OUT). Collective (same values on every rank). */
static PetscErrorCode hd_aa_parse_classes(hd_comm comm, hd_aa *aa, const char *opt, const char *text, hd_aa_role role, PetscInt *idx, PetscInt *n)
{
  char buf[512], *save = NULL;

  PetscFunctionBegin;
  *n = 0;
  snprintf(buf, sizeof(buf), "%s", text);
  for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    PetscInt k = hd_aa_find_class(aa, tok);
    if (k < 0) {
      char   known[512] = "";
      size_t used      = 0;
      for (PetscInt c = 0; c < aa->n_classes && used < sizeof(known); c++) used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", c ? ", " : "", aa->names[c]);
      SETERRQ(comm, HD_ERR_USER_INPUT, "option %s: class '%s' is not in '%s' (its classes: %s)", opt, tok, aa->data, known);
    }
    PetscCheck(aa->role[k] == HD_AA_HELD_OUT, comm, HD_ERR_USER_INPUT, "option %s: class '%s' is named twice", opt, tok);
    aa->role[k] = role;
    idx[(*n)++] = k;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "qcd:50000,top:1000" -> sigma of the normal classes named; others 1 fb. */
static PetscErrorCode hd_aa_parse_xsec(hd_comm comm, hd_aa *aa)
{
  char buf[1024], *save = NULL;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < aa->n_classes; k++) aa->sigma[k] = 1;
  snprintf(buf, sizeof(buf), "%s", aa->xsec_s);
  for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    char  *colon = strchr(tok, ':'), *end;
    double v;
    PetscCheck(colon, comm, HD_ERR_USER_INPUT, "option -cross_sections: '%s' is not name:fb", tok);
    *colon = 0;
    v      = strtod(colon + 1, &end);
    PetscCheck(!*end && v > 0 && isfinite(v), comm, HD_ERR_USER_INPUT, "option -cross_sections: '%s' needs a positive cross-section in fb (got '%s')", tok, colon + 1);
    PetscInt k = hd_aa_find_class(aa, tok);
    if (k >= 0) aa->sigma[k] = v; /* a class not in this file (w in a two-class file) is no error */
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. Options checked against the file's classes. */
static PetscErrorCode hd_aa_classes(hd_run *run, hd_aa *aa)
{
  PetscInt n_names, max_label = -1;
  char (*names)[HD_NAME_LEN];

  PetscFunctionBegin;
  for (PetscInt i = 0; i < aa->N; i++) max_label = PetscMax(max_label, (PetscInt)aa->label[i]);
  for (PetscInt i = 0; i < aa->N; i++) PetscCheck(aa->label[i] >= 0, run->world, HD_ERR_USER_INPUT, "'%s': event %" PetscInt_FMT " has label %d: Anomaly Awareness needs every event's class", aa->data, i, (int)aa->label[i]);
  PetscCall(hd_events_read_names(run->world, aa->data, "classes", &n_names, &names));
  aa->n_classes = PetscMax(max_label + 1, n_names);
  PetscCheck(aa->n_classes <= HD_AA_MAX_CLASSES, run->world, HD_ERR_USER_INPUT, "'%s' has %" PetscInt_FMT " classes, more than %d", aa->data, aa->n_classes, HD_AA_MAX_CLASSES);
  for (PetscInt k = 0; k < aa->n_classes; k++) {
    if (k < n_names) snprintf(aa->names[k], HD_NAME_LEN, "%s", names[k]);
    else snprintf(aa->names[k], HD_NAME_LEN, "%" PetscInt_FMT, k);
    aa->role[k]   = HD_AA_HELD_OUT;
    aa->out_of[k] = -1;
  }
  PetscCall(PetscFree(names));
  PetscCall(hd_aa_parse_classes(run->world, aa, "-normal_classes", aa->normal_s, HD_AA_NORMAL, aa->normal, &aa->n));
  PetscCheck(aa->n >= 2, run->world, HD_ERR_USER_INPUT, "option -normal_classes: at least two normal classes are needed (got %" PetscInt_FMT ": '%s')", aa->n, aa->normal_s);
  PetscCall(hd_aa_parse_classes(run->world, aa, "-aware_classes", aa->aware_s, HD_AA_AWARE, aa->aware, &aa->n_aware));
  for (PetscInt j = 0; j < aa->n; j++) aa->out_of[aa->normal[j]] = j;
  aa->scan_out = 1;
  if (aa->scan_s[0]) {
    PetscInt k = hd_aa_find_class(aa, aa->scan_s);
    PetscCheck(k >= 0 && aa->role[k] == HD_AA_NORMAL, run->world, HD_ERR_USER_INPUT, "option -scan_class: '%s' is not one of the normal classes", aa->scan_s);
    aa->scan_out = aa->out_of[k];
  }
  aa->target = -1;
  if (aa->target_s[0]) {
    aa->target = hd_aa_find_class(aa, aa->target_s);
    PetscCheck(aa->target >= 0 && aa->role[aa->target] != HD_AA_NORMAL, run->world, HD_ERR_USER_INPUT, "option -target_class: '%s' is not an anomaly class of '%s'", aa->target_s, aa->data);
  }
  for (PetscInt k = 0; k < aa->n_classes && aa->target < 0; k++)
    if (aa->role[k] == HD_AA_HELD_OUT) aa->target = k;
  for (PetscInt k = 0; k < aa->n_classes && aa->target < 0; k++)
    if (aa->role[k] == HD_AA_AWARE) aa->target = k;
  PetscCall(hd_aa_parse_xsec(run->world, aa));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. Reads the inputs, standardises features, draws the test split and builds
 * the node-shared training table. */
static PetscErrorCode hd_aa_load(hd_run *run, hd_aa *aa)
{
  PetscBool          images = !strcmp(aa->input, "images");
  const char *const  need_img[] = {"images", NULL}, *const need_feat[] = {"features", NULL};
  hd_table          *t = &aa->table;
  PetscInt          *dest;

  PetscFunctionBegin;
  PetscCheck(images || !strcmp(aa->input, "features"), run->world, HD_ERR_USER_INPUT, "option -input: '%s' is neither images nor features", aa->input);
  PetscCall(hd_events_read_shared(run->world, aa->data, images ? need_img : need_feat, t));
  aa->N     = t->layout.n_events;
  aa->label = t->label;
  if (images) {
    aa->in_shape[0] = 1;
    aa->in_shape[1] = t->layout.image_h;
    aa->in_shape[2] = t->layout.image_w;
  } else {
    aa->in_shape[0] = t->layout.n_features;
    aa->in_shape[1] = aa->in_shape[2] = 1;
  }
  {
    /* features: each column standardised with its exact mean and standard deviation over all
     * events. Images: one scale for every pixel, the root mean square of all pixel values, and no
     * centring, so that empty pixels stay 0 and rarely hit pixels do not become outliers (images
     * normalised to sum 1 have pixels of order 1/(H W), far too small for SGD at rate 0.01). */
    PetscInt F = aa->in_shape[0] * aa->in_shape[1] * aa->in_shape[2];
    float   *v = images ? t->images : t->features;
    double  *mean, *std, rms = 0;
    PetscCall(PetscMalloc2(F, &mean, F, &std));
    PetscCall(hd_stats_moments(run->world, t->n_local, F, v + (size_t)t->offset * F, aa->N, mean, std));
    for (PetscInt j = 0; j < F; j++) rms += (std[j] * std[j] + mean[j] * mean[j]) / (double)F;
    rms = rms > 0 ? sqrt(rms) : 1;
    for (PetscInt j = 0; j < F; j++) {
      if (images) {
        mean[j] = 0;
        std[j]  = rms;
      } else if (std[j] == 0) std[j] = 1;
    }
    PetscCall(hd_table_sync(t));
    for (PetscInt i = t->fill_offset; i < t->fill_offset + t->fill_count; i++)
      for (PetscInt j = 0; j < F; j++) v[(size_t)i * F + j] = (float)((v[(size_t)i * F + j] - mean[j]) / std[j]);
    PetscCall(hd_table_sync(t));
    PetscCall(PetscFree2(mean, std));
    aa->x = v;
  }
  aa->in_size = aa->in_shape[0] * aa->in_shape[1] * aa->in_shape[2];
  PetscCall(hd_aa_classes(run, aa));

  /* test split, then the training rows: normal ones first (the prior's table is their prefix) */
  PetscCall(PetscMalloc1(aa->N, &aa->test));
  PetscCall(PetscMalloc1(aa->N, &dest));
  for (PetscInt i = 0; i < aa->N; i++) {
    hd_rng r;
    hd_rng_init(&r, (uint64_t)aa->seed, HD_STREAM_AA_TEST, (uint64_t)i);
    aa->test[i] = hd_rng_uniform(&r) < aa->test_fraction;
  }
  aa->n_prior = aa->n_aa = 0;
  for (PetscInt i = 0; i < aa->N; i++) dest[i] = !aa->test[i] && aa->role[aa->label[i]] == HD_AA_NORMAL ? aa->n_prior++ : -1;
  aa->n_aa = aa->n_prior;
  for (PetscInt i = 0; i < aa->N; i++)
    if (!aa->test[i] && aa->role[aa->label[i]] == HD_AA_AWARE) dest[i] = aa->n_aa++;
  PetscCheck(aa->n_prior >= aa->cfg.batch, run->world, HD_ERR_USER_INPUT, "'%s': %" PetscInt_FMT " normal training events, fewer than one batch (-batch_size %" PetscInt_FMT ")", aa->data, aa->n_prior, aa->cfg.batch);
  PetscCall(hd_table_alloc1(t, (size_t)aa->n_aa * aa->in_size, &aa->xt));
  for (PetscInt i = t->fill_offset; i < t->fill_offset + t->fill_count; i++)
    if (dest[i] >= 0) memcpy(aa->xt + (size_t)dest[i] * aa->in_size, aa->x + (size_t)i * aa->in_size, (size_t)aa->in_size * sizeof(float));
  PetscCall(hd_table_sync(t));
  /* soft targets: one-hot for normal rows, the uniform 1/n for anomalies (seed 000 eq. 2) */
  PetscCall(PetscMalloc1((size_t)aa->n_aa * aa->n, &aa->target_rows));
  for (PetscInt i = 0; i < aa->N; i++) {
    if (dest[i] < 0) continue;
    PetscInt j = aa->out_of[aa->label[i]];
    for (PetscInt c = 0; c < aa->n; c++) aa->target_rows[(size_t)dest[i] * aa->n + c] = j < 0 ? 1.0f / (float)aa->n : (float)(c == j);
  }
  PetscCall(PetscFree(dest));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. Softmax of logits (N, n) in place, in double per row. */
static void hd_aa_softmax(PetscInt N, PetscInt n, float *z)
{
  for (PetscInt i = 0; i < N; i++) {
    float *r = z + (size_t)i * n;
    double m = r[0], s = 0;
    for (PetscInt c = 1; c < n; c++) m = PetscMax(m, (double)r[c]);
    for (PetscInt c = 0; c < n; c++) s += exp((double)r[c] - m);
    for (PetscInt c = 0; c < n; c++) r[c] = (float)(exp((double)r[c] - m) / s);
  }
}

/* Collective on comm. Probabilities (N, n) of every event. */
static PetscErrorCode hd_aa_outputs(hd_comm comm, hd_aa *aa, hd_nn *net, float *prob)
{
  hd_train_data all = {.n = aa->N, .in_size = aa->in_size, .x = aa->x, .target = NULL, .target_ld = 0, .weight = NULL};

  PetscFunctionBegin;
  PetscCall(hd_train_evaluate(comm, net, &all, hd_objective_standard(HD_TRAIN_LOSS_SOFTMAX_CE), HD_EVAL_OUTPUT, prob));
  hd_aa_softmax(aa->N, aa->n, prob);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The prior run, on every rank together: its weights start every AA run. */
static PetscErrorCode hd_aa_prior(hd_run *run, hd_aa *aa)
{
  hd_train_config cfg  = aa->cfg;
  hd_train_data   data = {.n = aa->n_prior, .in_size = aa->in_size, .x = aa->xt, .target = aa->target_rows, .target_ld = aa->n, .weight = NULL};
  hd_train_result tres;
  hd_nn          *net;
  double          t0 = hd_wtime();

  PetscFunctionBegin;
  cfg.epochs        = aa->prior_epochs;
  cfg.member        = 0;
  cfg.label         = "aa prior";
  cfg.objective     = hd_objective_standard(HD_TRAIN_LOSS_SOFTMAX_CE);
  cfg.checkpoint[0] = 0;
  PetscCall(hd_nn_create(aa->spec, aa->in_shape, PetscMax(1024, cfg.batch), &net));
  PetscCall(hd_nn_init(net, cfg.seed, 0, HD_INIT_AUTO));
  PetscCall(hd_train(run->world, net, &data, &cfg, &tres));
  aa->n_params = net->n_params;
  PetscCall(PetscMalloc1(net->n_params, &aa->prior_params));
  PetscCall(PetscArraycpy(aa->prior_params, net->params, net->n_params));
  PetscCall(PetscMalloc1((size_t)aa->N * aa->n, &aa->prior_prob));
  PetscCall(hd_aa_outputs(run->world, aa, net, aa->prior_prob));
  PetscCall(hd_sha256_floats(net->params, (size_t)net->n_params, aa->prior_sha));
  aa->prior_wall = hd_wtime() - t0;
  PetscCall(hd_log(run->world, "aa: prior run: %" PetscInt_FMT " epochs on %" PetscInt_FMT " normal events, validation loss %.4f, %.1f s\n", tres.epochs_run, aa->n_prior, tres.best_val_loss, aa->prior_wall));
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_aa_setup(hd_run *run, void *ctx, hd_ensemble *ens)
{
  hd_aa *aa = ctx;

  PetscFunctionBegin;
  PetscCheck(aa->data[0], run->world, HD_ERR_USER_INPUT, "option -data is required: the event file");
  PetscCheck(aa->out[0], run->world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(aa->seed >= 0, run->world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", aa->seed);
  PetscCheck(aa->n_lambda >= 1, run->world, HD_ERR_USER_INPUT, "option -lambda_aa: at least one value is needed");
  for (PetscInt m = 0; m < aa->n_lambda; m++) PetscCheck(aa->lambda[m] >= 0 && isfinite(aa->lambda[m]), run->world, HD_ERR_USER_INPUT, "option -lambda_aa: lambda_AA must be >= 0 (got %g)", (double)aa->lambda[m]);
  PetscCheck(aa->n_deltas >= 1, run->world, HD_ERR_USER_INPUT, "option -window_deltas: at least one width is needed");
  for (PetscInt d = 0; d < aa->n_deltas; d++) PetscCheck(aa->deltas[d] > 0 && aa->deltas[d] < 1, run->world, HD_ERR_USER_INPUT, "option -window_deltas: delta must lie in (0, 1) (got %g)", (double)aa->deltas[d]);
  PetscCheck(aa->central_delta > 0 && aa->central_delta < 1, run->world, HD_ERR_USER_INPUT, "option -central_delta: delta must lie in (0, 1) (got %g)", (double)aa->central_delta);
  PetscCheck(aa->step > 0 && aa->step < 1, run->world, HD_ERR_USER_INPUT, "option -window_step must lie in (0, 1) (got %g)", (double)aa->step);
  PetscCheck(aa->max_bkg_error > 0, run->world, HD_ERR_USER_INPUT, "option -max_bkg_error must be positive (got %g)", (double)aa->max_bkg_error);
  PetscCheck(aa->test_fraction > 0 && aa->test_fraction < 1, run->world, HD_ERR_USER_INPUT, "option -test_fraction must lie in (0, 1) (got %g)", (double)aa->test_fraction);
  PetscCheck(aa->prior_epochs >= 1, run->world, HD_ERR_USER_INPUT, "option -prior_epochs must be at least 1 (got %" PetscInt_FMT ")", aa->prior_epochs);
  for (PetscInt l = 0; l < aa->n_lumi; l++) PetscCheck(aa->lumi[l] > 0, run->world, HD_ERR_USER_INPUT, "option -luminosities: values must be positive (got %g)", (double)aa->lumi[l]);
  aa->cfg.seed = (uint64_t)aa->seed;
  PetscCall(hd_aa_load(run, aa));
  {
    const char *hidden = aa->network[0] ? aa->network : aa->in_shape[1] > 1 ? "conv 8 3x3 relu, maxpool 2, conv 16 3x3 relu, maxpool 2, flatten, dense 64 relu" : "dense 64 relu, dense 64 relu";
    snprintf(aa->spec, sizeof(aa->spec), "%s, dense %" PetscInt_FMT, hidden, aa->n);
  }
  PetscCall(hd_results_mkdir(run->world, aa->out));
  PetscCall(hd_log(run->world, "aa: %" PetscInt_FMT " events, %" PetscInt_FMT " normal classes, %" PetscInt_FMT " aware, network '%s', %" PetscInt_FMT " training rows (%" PetscInt_FMT " normal), %" PetscInt_FMT " lambda%s\n", aa->N, aa->n, aa->n_aware, aa->spec, aa->n_aa, aa->n_prior, aa->n_lambda, aa->n_lambda > 1 ? "s" : ""));
  PetscCall(hd_aa_prior(run, aa));

  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_ensemble_config ec = {.n_members = aa->n_lambda, .group_size = aa->group_size, .n_events = aa->N * aa->n, .n_metrics = HD_AA_N_METRICS, .text_len = HD_SHA256_HEX_LEN, .store_dir = members, .checkpoint_dir = aa->out, .resume = aa->cfg.resume, .keep_checkpoints = PETSC_TRUE};
  snprintf(members, sizeof(members), "%s/members", aa->out); /* finished members, for -resume */
  PetscCall(hd_ensemble_create(run->world, &ec, ens));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One lambda_AA: the AA run from the prior's weights (or afresh), scored on every event.
 * Collective on m->group. */
static PetscErrorCode hd_aa_member(hd_ensemble_member *m, void *ctx)
{
  hd_aa          *aa  = ctx;
  hd_train_config cfg = aa->cfg;
  hd_train_result tres;
  hd_nn          *net;
  float          *w;
  char            label[48];

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(PetscMax(aa->n_aa, 1), &w));
  for (PetscInt i = 0; i < aa->n_aa; i++) w[i] = i < aa->n_prior ? 1.0f : (float)aa->lambda[m->member];
  hd_train_data data = {.n = aa->n_aa, .in_size = aa->in_size, .x = aa->xt, .target = aa->target_rows, .target_ld = aa->n, .weight = w};
  snprintf(label, sizeof(label), "aa lambda %g", (double)aa->lambda[m->member]);
  cfg.member        = 1 + m->member;
  cfg.label         = label;
  cfg.objective     = hd_objective_standard(HD_TRAIN_LOSS_SOFTMAX_CE);
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  PetscCall(hd_nn_create(aa->spec, aa->in_shape, PetscMax(1024, cfg.batch), &net));
  if (aa->from_prior) PetscCall(PetscArraycpy(net->params, aa->prior_params, net->n_params));
  else PetscCall(hd_nn_init(net, cfg.seed, (uint64_t)cfg.member, HD_INIT_AUTO));
  PetscCall(hd_train(m->group, net, &data, &cfg, &tres));
  m->interrupted = tres.interrupted;
  if (!tres.interrupted) PetscCall(hd_aa_outputs(m->group, aa, net, m->scores));
  if (!tres.interrupted && m->group_rank == 0) {
    m->metrics[HD_AA_EPOCHS]   = (double)tres.epochs_run;
    m->metrics[HD_AA_VAL_LOSS] = tres.best_val_loss;
    m->metrics[HD_AA_RATE]     = tres.events_per_s;
    PetscCall(hd_sha256_floats(net->params, (size_t)net->n_params, m->text));
  }
  PetscCall(hd_nn_destroy(&net));
  PetscCall(PetscFree(w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective. The measurements of one set of probabilities (N, n) on the test split. */
static PetscErrorCode hd_aa_measure(hd_aa *aa, const float *prob, hd_aa_eval *e)
{
  PetscInt  N = aa->N, n = aa->n, nt = 0, cnt[HD_AA_MAX_CLASSES] = {0}, in[HD_AA_MAX_CLASSES] = {0};
  float    *score, *pc[HD_AA_MAX_CLASSES];
  int32_t  *lab;
  PetscInt  nk[HD_AA_MAX_CLASSES] = {0};

  PetscFunctionBegin;
  memset(e, 0, sizeof(*e));
  PetscCall(PetscMalloc2(N, &score, N, &lab));
  for (PetscInt k = 0; k < aa->n_classes; k++) PetscCall(PetscMalloc1(N, &pc[k]));
  /* one-vs-rest AUC of each normal class on the normal test events, averaged */
  for (PetscInt j = 0; j < n; j++) {
    hd_stats_roc roc;
    nt = 0;
    for (PetscInt i = 0; i < N; i++) {
      if (!aa->test[i] || aa->role[aa->label[i]] != HD_AA_NORMAL) continue;
      score[nt] = prob[(size_t)i * n + j];
      lab[nt++] = aa->out_of[aa->label[i]] == j;
    }
    PetscCall(hd_stats_roc_compute(nt, score, lab, 2, &roc));
    e->normal_auc += roc.auc / (double)n;
    PetscCall(hd_stats_roc_free(&roc));
  }
  /* central fraction: every probability within delta/2 of 1/n; and P(scan class) by class */
  for (PetscInt i = 0; i < N; i++) {
    PetscInt  k = aa->label[i];
    PetscBool c = PETSC_TRUE;
    if (!aa->test[i]) continue;
    for (PetscInt j = 0; j < n; j++) c = c && fabs((double)prob[(size_t)i * n + j] - 1.0 / (double)n) <= aa->central_delta / 2;
    cnt[k]++;
    in[k] += c;
    pc[k][nk[k]++] = prob[(size_t)i * n + aa->scan_out];
  }
  for (PetscInt k = 0; k < aa->n_classes; k++) e->central[k] = cnt[k] ? (double)in[k] / (double)cnt[k] : NAN;
  /* the window scan of every anomaly class against the normal classes */
  {
    double       sig[HD_AA_MAX_CLASSES];
    PetscInt     nb[HD_AA_MAX_CLASSES];
    const float *pb[HD_AA_MAX_CLASSES];
    for (PetscInt j = 0; j < n; j++) {
      sig[j] = aa->sigma[aa->normal[j]];
      nb[j]  = nk[aa->normal[j]];
      pb[j]  = pc[aa->normal[j]];
    }
    hd_stats_aa_scan_config sc = {.n_deltas = aa->n_deltas, .deltas = aa->deltas, .step = aa->step, .max_bkg_error = aa->max_bkg_error, .n_bkg = n, .sigma = sig};
    for (PetscInt k = 0; k < aa->n_classes; k++)
      if (aa->role[k] != HD_AA_NORMAL) PetscCall(hd_stats_aa_scan_compute(&sc, nk[k], pc[k], nb, pb, &e->scan[k]));
  }
  for (PetscInt k = 0; k < aa->n_classes; k++) PetscCall(PetscFree(pc[k]));
  PetscCall(PetscFree2(score, lab));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_aa_eval_free(hd_aa *aa, hd_aa_eval *e)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < aa->n_classes; k++) PetscCall(hd_stats_aa_scan_free(&e->scan[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world: every rank gathers every lambda's outputs and measures them. */
static PetscErrorCode hd_aa_evaluate(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_aa   *aa = ctx;
  PetscInt M = aa->n_lambda, rows = aa->N * aa->n;
  float   *all;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1((size_t)rows * M, &all));
  PetscCall(hd_par_allgather_blocks(run->world, rows, M, HD_PAR_FLOAT, ens->columns, all));
  PetscCall(PetscMalloc1((size_t)rows * M, &aa->aa_prob));
  for (PetscInt m = 0; m < M; m++)
    for (PetscInt r = 0; r < rows; r++) aa->aa_prob[(size_t)m * rows + r] = all[(size_t)r * M + m];
  PetscCall(PetscFree(all));
  PetscCall(hd_aa_measure(aa, aa->prior_prob, &aa->ev_prior));
  PetscCall(PetscCalloc1(M, &aa->ev_aa));
  for (PetscInt m = 0; m < M; m++) PetscCall(hd_aa_measure(aa, aa->aa_prob + (size_t)m * rows, &aa->ev_aa[m]));
  {
    char  *txt;
    size_t L = HD_SHA256_HEX_LEN;
    PetscCall(PetscMalloc1((M + 1) * L, &txt));
    memcpy(txt, aa->prior_sha, L);
    memcpy(txt + L, ens->text, M * L);
    PetscCall(hd_sha256_hex(txt, (M + 1) * L, aa->sha));
    PetscCall(PetscFree(txt));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. /scan/<run>/<class>/... of one scan. */
static PetscErrorCode hd_aa_write_scan(hd_results *res, const char *run_name, const char *cls, const hd_stats_aa_scan *s)
{
  char        name[256];
  const char *what[]          = {"delta", "lo", "hi", "eps_anomaly", "bkg_rel_error", "R"};
  const double *const vals[]  = {s->delta, s->lo, s->hi, s->eps_a, s->err, s->r};

  PetscFunctionBegin;
  for (int q = 0; q < 6; q++) {
    snprintf(name, sizeof(name), "/scan/%s/%s/%s", run_name, cls, what[q]);
    PetscCall(hd_results_write_array(res, name, s->n_windows, vals[q]));
  }
  snprintf(name, sizeof(name), "/scan/%s/%s/eps_background", run_name, cls);
  PetscCall(hd_results_write_array(res, name, s->n_windows * s->n_bkg, s->eps_b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_aa_report(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_aa                  *aa = ctx;
  const hd_table         *t  = &aa->table;
  PetscInt                M = aa->n_lambda, rows = aa->N * aa->n;
  hd_stats_aa_scan        none = {.best = -1, .r_max = NAN}; /* a file of normal classes only */
  const hd_stats_aa_scan *tp = aa->target >= 0 ? &aa->ev_prior.scan[aa->target] : &none, *ta = aa->target >= 0 ? &aa->ev_aa[0].scan[aa->target] : &none;
  const char             *target = aa->target >= 0 ? aa->names[aa->target] : "none";
  double                  cf_prior = aa->target >= 0 ? aa->ev_prior.central[aa->target] : NAN, cf_aa = aa->target >= 0 ? aa->ev_aa[0].central[aa->target] : NAN;
  hd_results              res;
  hd_summary              s;
  char                    key[64];
  double                 *sm, *sn, *sp;
  float                  *test;

  PetscFunctionBegin;
  for (PetscInt c = 0; c < aa->n; c++) none.sigma_b += aa->sigma[aa->normal[c]];
  PetscCall(hd_results_create(run->world, aa->out, "aa", NULL, &res));
  PetscCall(hd_results_write_table(&res, "/outputs/prior", aa->N, aa->n, t->offset, t->n_local, aa->prior_prob + (size_t)t->offset * aa->n));
  for (PetscInt m = 0; m < M; m++) {
    if (m == 0) snprintf(key, sizeof(key), "/outputs/aa");
    else snprintf(key, sizeof(key), "/outputs/aa_lambda%" PetscInt_FMT, m);
    PetscCall(hd_results_write_table(&res, key, aa->N, aa->n, t->offset, t->n_local, aa->aa_prob + (size_t)m * rows + (size_t)t->offset * aa->n));
  }
  PetscCall(PetscMalloc1(PetscMax(t->n_local, 1), &test));
  for (PetscInt i = 0; i < t->n_local; i++) test[i] = (float)aa->test[t->offset + i];
  PetscCall(hd_results_write_rows(&res, "/outputs/test", aa->N, t->offset, t->n_local, test));
  PetscCall(PetscFree(test));
  for (PetscInt k = 0; k < aa->n_classes; k++) {
    if (aa->role[k] == HD_AA_NORMAL) continue;
    PetscCall(hd_aa_write_scan(&res, "prior", aa->names[k], &aa->ev_prior.scan[k]));
    PetscCall(hd_aa_write_scan(&res, "aa", aa->names[k], &aa->ev_aa[0].scan[k]));
  }
  PetscCall(PetscMalloc3(aa->n_lumi, &sm, aa->n_lumi, &sn, aa->n_lumi, &sp));
  for (PetscInt l = 0; l < aa->n_lumi; l++) {
    sm[l] = hd_stats_aa_sigma_min(ta, aa->lumi[l]);
    sn[l] = hd_stats_aa_sigma_naive(ta, aa->lumi[l]);
    sp[l] = hd_stats_aa_sigma_min(tp, aa->lumi[l]);
  }
  PetscCall(hd_results_write_array(&res, "/sigma_min/luminosity", aa->n_lumi, aa->lumi));
  PetscCall(hd_results_write_array(&res, "/sigma_min/aa", aa->n_lumi, sm));
  PetscCall(hd_results_write_array(&res, "/sigma_min/prior", aa->n_lumi, sp));
  PetscCall(hd_results_write_array(&res, "/sigma_min/naive", aa->n_lumi, sn));
  PetscCall(hd_results_close(&res));

  double wall = hd_wtime() - run->t0;
  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", "aa"));
  PetscCall(hd_summary_string(&s, "data", aa->data));
  PetscCall(hd_summary_int(&s, "events", aa->N));
  PetscCall(hd_summary_int(&s, "ranks", run->size));
  PetscCall(hd_summary_int(&s, "seed", aa->seed));
  PetscCall(hd_summary_string(&s, "network", aa->spec));
  PetscCall(hd_summary_open(&s, "normal_classes", '['));
  for (PetscInt j = 0; j < aa->n; j++) PetscCall(hd_summary_string(&s, NULL, aa->names[aa->normal[j]]));
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_open(&s, "aware_classes", '['));
  for (PetscInt j = 0; j < aa->n_aware; j++) PetscCall(hd_summary_string(&s, NULL, aa->names[aa->aware[j]]));
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_open(&s, "held_out_classes", '['));
  for (PetscInt k = 0; k < aa->n_classes; k++)
    if (aa->role[k] == HD_AA_HELD_OUT) PetscCall(hd_summary_string(&s, NULL, aa->names[k]));
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_double(&s, "lambda_aa", aa->lambda[0]));
  PetscCall(hd_summary_double(&s, "normal_auc_prior", aa->ev_prior.normal_auc));
  PetscCall(hd_summary_double(&s, "normal_auc_aa", aa->ev_aa[0].normal_auc));
  PetscCall(hd_summary_double(&s, "central_delta", aa->central_delta));
  PetscCall(hd_summary_open(&s, "central_fraction", '{'));
  for (PetscInt k = 0; k < aa->n_classes; k++) {
    PetscCall(hd_summary_open(&s, aa->names[k], '{'));
    PetscCall(hd_summary_double(&s, "prior", aa->ev_prior.central[k]));
    PetscCall(hd_summary_double(&s, "aa", aa->ev_aa[0].central[k]));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_string(&s, "scan_class", aa->names[aa->normal[aa->scan_out]]));
  PetscCall(hd_summary_string(&s, "target_class", target));
  PetscCall(hd_summary_double(&s, "sigma_b_fb", ta->sigma_b));
  PetscCall(hd_summary_double(&s, "r_max", ta->r_max));
  PetscCall(hd_summary_double(&s, "delta_best", ta->best >= 0 ? ta->delta[ta->best] : NAN));
  PetscCall(hd_summary_double(&s, "window_lo", ta->best >= 0 ? ta->lo[ta->best] : NAN));
  PetscCall(hd_summary_double(&s, "window_hi", ta->best >= 0 ? ta->hi[ta->best] : NAN));
  PetscCall(hd_summary_double(&s, "r_max_prior", tp->r_max));
  PetscCall(hd_summary_open(&s, "sigma_min_fb", '{'));
  for (PetscInt l = 0; l < aa->n_lumi; l++) {
    snprintf(key, sizeof(key), "%g", (double)aa->lumi[l]);
    PetscCall(hd_summary_double(&s, key, sm[l]));
  }
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_open(&s, "sigma_min_prior_fb", '{'));
  for (PetscInt l = 0; l < aa->n_lumi; l++) {
    snprintf(key, sizeof(key), "%g", (double)aa->lumi[l]);
    PetscCall(hd_summary_double(&s, key, sp[l]));
  }
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_open(&s, "sigma_naive_fb", '{'));
  for (PetscInt l = 0; l < aa->n_lumi; l++) {
    snprintf(key, sizeof(key), "%g", (double)aa->lumi[l]);
    PetscCall(hd_summary_double(&s, key, sn[l]));
  }
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_open(&s, "r_max_per_class", '{'));
  for (PetscInt k = 0; k < aa->n_classes; k++) {
    if (aa->role[k] == HD_AA_NORMAL) continue;
    PetscCall(hd_summary_open(&s, aa->names[k], '{'));
    PetscCall(hd_summary_double(&s, "prior", aa->ev_prior.scan[k].r_max));
    PetscCall(hd_summary_double(&s, "aa", aa->ev_aa[0].scan[k].r_max));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, '}'));
  PetscCall(hd_summary_open(&s, "lambda_scan", '['));
  for (PetscInt m = 0; m < M; m++) {
    const double *r = ens->metrics + m * HD_AA_N_METRICS;
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_double(&s, "lambda_aa", aa->lambda[m]));
    PetscCall(hd_summary_int(&s, "epochs", (int64_t)r[HD_AA_EPOCHS]));
    PetscCall(hd_summary_double(&s, "val_loss", r[HD_AA_VAL_LOSS]));
    PetscCall(hd_summary_double(&s, "normal_auc", aa->ev_aa[m].normal_auc));
    PetscCall(hd_summary_double(&s, "r_max", aa->target >= 0 ? aa->ev_aa[m].scan[aa->target].r_max : NAN));
    PetscCall(hd_summary_open(&s, "central_fraction", '{'));
    for (PetscInt k = 0; k < aa->n_classes; k++) PetscCall(hd_summary_double(&s, aa->names[k], aa->ev_aa[m].central[k]));
    PetscCall(hd_summary_close(&s, '}'));
    PetscCall(hd_summary_string(&s, "parameters_sha256", ens->text + m * HD_SHA256_HEX_LEN));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_double(&s, "prior_wall_s", aa->prior_wall));
  PetscCall(hd_summary_double(&s, "wall_s", wall));
  PetscCall(hd_summary_string(&s, "parameters_sha256", aa->sha));
  PetscCall(hd_summary_write(run->world, aa->out, &s));
  PetscCall(hd_log(run->world, "aa: normal AUC %.4f -> %.4f, %s: central fraction %.3f -> %.3f, R_max %.3f -> %.3f, sigma_min(%g) %.3g fb (naive %.3g); %.1f s; outputs in %s\n", aa->ev_prior.normal_auc, aa->ev_aa[0].normal_auc, target, cf_prior, cf_aa, tp->r_max, ta->r_max, (double)aa->lumi[aa->n_lumi - 1], sm[aa->n_lumi - 1], sn[aa->n_lumi - 1], wall, aa->out));
  PetscCall(PetscFree3(sm, sn, sp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_aa_stopped(hd_run *run, void *ctx)
{
  hd_aa *aa = ctx;

  PetscFunctionBegin;
  PetscCall(hd_log(run->world, "aa: interrupted; run again with -resume to continue from the finished runs and the checkpoints in '%s' (the prior run is trained again)\n", aa->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_aa_destroy(void *ctx)
{
  hd_aa *aa = ctx;

  PetscFunctionBegin;
  PetscCall(hd_table_destroy(&aa->table));
  PetscCall(PetscFree(aa->test));
  PetscCall(PetscFree(aa->target_rows));
  PetscCall(PetscFree(aa->prior_params));
  PetscCall(PetscFree(aa->prior_prob));
  PetscCall(PetscFree(aa->aa_prob));
  if (aa->ev_aa) {
    PetscCall(hd_aa_eval_free(aa, &aa->ev_prior));
    for (PetscInt m = 0; m < aa->n_lambda; m++) PetscCall(hd_aa_eval_free(aa, &aa->ev_aa[m]));
  }
  PetscCall(PetscFree(aa->ev_aa));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_method hd_method_aa = {
  .name         = "aa",
  .summary      = "Anomaly Awareness: a classifier of normal classes made aware of anomalies, R and sigma_min window scan (seed 000)",
  .usage        = "hadal run -method aa -data FILE -out DIR [-normal_classes qcd,top] [-aware_classes w] [-lambda_aa 0.5] ...",
  .ctx_size     = sizeof(hd_aa),
  .read_options = hd_aa_read_options,
  .setup        = hd_aa_setup,
  .run_member   = hd_aa_member,
  .evaluate     = hd_aa_evaluate,
  .report       = hd_aa_report,
  .stopped      = hd_aa_stopped,
  .destroy      = hd_aa_destroy,
};
