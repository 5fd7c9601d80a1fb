/* Plain autoencoder (the outlier-detection baseline of seed 001, section 3).
 *
 *   1. Standardise the features with their mean and standard deviation over all events.
 *   2. Train an ensemble of M dense autoencoders (mirrored encoder and decoder, linear bottleneck
 *      and output) on all events, minimising the mean squared reconstruction error; member m
 *      differs from the others only by its random streams (seed, m).
 *   3. The anomaly score of an event is its reconstruction error, averaged over the members:
 *      s(x) = (1/M) sum_m (1/F) |x - AE_m(x)|^2.
 *   4. With truth labels, the ROC of s (signal = label > 0) gives AUC, SIC and eps_S at fixed eps_B.
 *
 * The steps are those of include/hadal/methods.h; the ensemble driver (include/hadal/ensemble.h)
 * deals the members to rank groups and brings each member's scores to the ranks that write them. */
#include <math.h>
#include <string.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/model.h>
#include <hadal/options.h>
#include <hadal/results.h>
#include <hadal/sha256.h>
#include <hadal/stats.h>
#include <hadal/train.h>

#define HD_AE_MAX_LAYERS 16

/* What each member hands back besides its scores (doubles of the ensemble's metric table). */
enum { HD_AE_EPOCHS, HD_AE_BEST_EPOCH, HD_AE_VAL_LOSS, HD_AE_RATE, HD_AE_PARAMS, HD_AE_AUC, HD_AE_N_METRICS };

typedef struct {
  /* options */
  char            data[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64], act[32], spec[1024];
  PetscInt        hidden[HD_AE_MAX_LAYERS], n_hidden, seed, n_members, group_size;
  PetscBool       member_scores;
  hd_train_config cfg;
  /* the table every rank trains on, once per node */
  hd_table        table;
  PetscInt        N, F;
  float          *x;          /* (N, F) table.features, standardised in place */
  int32_t        *label;      /* (N) table.label */
  float          *mean, *std; /* (F) the standardisation, stored with every model */
  /* results */
  float          *block;      /* this rank's block of the ensemble score */
  float          *score;      /* (N) the ensemble score, every rank */
  hd_stats_roc    roc;
  char            sha[HD_SHA256_HEX_LEN]; /* of the members' parameter fingerprints */
} hd_ae;

static PetscErrorCode hd_ae_read_options(hd_run *run, void *ctx)
{
  hd_ae *ae = ctx;

  PetscFunctionBegin;
  ae->n_hidden = HD_AE_MAX_LAYERS;
  PetscCall(hd_opt_string("-data", "event file (HDF5) to train on and score", NULL, ae->data, sizeof(ae->data), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, ae->out, sizeof(ae->out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of initialisation, split and minibatch order", 1, &ae->seed, NULL));
  PetscCall(hd_opt_int_list("-hidden", "encoder layer sizes, the last is the bottleneck; the decoder mirrors them", "64,32,3", ae->hidden, &ae->n_hidden, NULL));
  PetscCall(hd_opt_string("-activation", "activation of the hidden layers", "relu", ae->act, sizeof(ae->act), NULL));
  PetscCall(hd_opt_int("-ensemble_size", "autoencoders trained (members differ by seed stream); the score is their mean", 1, &ae->n_members, NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one member together (a divisor of the rank count)", run->size, &ae->group_size, NULL));
  PetscCall(hd_opt_bool("-member_scores", "also write every member's score: /scores/ae_members, float32 [events, ensemble_size]", PETSC_FALSE, &ae->member_scores, NULL));
  ae->cfg               = hd_train_defaults();
  ae->cfg.epochs        = 20;
  ae->cfg.batch         = 256;
  ae->cfg.stop_patience = 10;
  ae->cfg.label         = "ae";
  PetscCall(hd_train_read_options(&ae->cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "64,32,8" with activation A -> "dense 64 A, dense 32 A, dense 8, dense 32 A, dense 64 A, dense F":
 * mirrored, linear bottleneck and linear output. */
static PetscErrorCode hd_ae_spec(hd_comm comm, hd_ae *ae)
{
  size_t used = 0, len = sizeof(ae->spec);
  char  *spec = ae->spec;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < ae->n_hidden; i++) PetscCheck(ae->hidden[i] > 0, comm, HD_ERR_USER_INPUT, "option -hidden: layer sizes must be positive (got %" PetscInt_FMT ")", ae->hidden[i]);
  for (PetscInt i = 0; i < ae->n_hidden; i++) used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT "%s%s, ", ae->hidden[i], i + 1 < ae->n_hidden ? " " : "", i + 1 < ae->n_hidden ? ae->act : "");
  for (PetscInt i = ae->n_hidden - 2; i >= 0; i--) used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT " %s, ", ae->hidden[i], ae->act);
  used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT, ae->F);
  PetscCheck(used < len, comm, HD_ERR_USER_INPUT, "option -hidden: too many layers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on world. The training table: features standardised in place with exact moments
 * reduced across ranks (a constant feature is centred, not scaled), and labels, held once per node
 * (hd_events_read_shared). The one place that reads the data. */
static PetscErrorCode hd_ae_load(hd_comm world, hd_ae *ae)
{
  static const char *const need[] = {"features", NULL};
  hd_table                *ev = &ae->table;
  double                  *mean, *std;

  PetscFunctionBegin;
  PetscCall(hd_events_read_shared(world, ae->data, need, ev));
  PetscInt N = ev->layout.n_events, F = ev->layout.n_features;
  ae->N = N;
  ae->F = F;
  PetscCall(PetscMalloc2(F, &mean, F, &std));
  PetscCall(hd_stats_moments(world, ev->n_local, F, ev->features + (size_t)ev->offset * F, N, mean, std));
  for (PetscInt j = 0; j < F; j++) {
    if (std[j] == 0) {
      PetscCall(hd_log(world, "ae: feature '%s' is constant (%g): it is centred but not scaled\n", ev->layout.feature_names[j], mean[j]));
      std[j] = 1;
    }
  }
  PetscCall(hd_table_sync(ev)); /* every rank's moments are summed before any row changes */
  for (PetscInt i = ev->fill_offset; i < ev->fill_offset + ev->fill_count; i++)
    for (PetscInt j = 0; j < F; j++) ev->features[(size_t)i * F + j] = (float)((ev->features[(size_t)i * F + j] - mean[j]) / std[j]);
  PetscCall(hd_table_sync(ev));
  ae->x     = ev->features;
  ae->label = ev->label;
  PetscCall(PetscMalloc2(F, &ae->mean, F, &ae->std));
  for (PetscInt j = 0; j < F; j++) {
    ae->mean[j] = (float)mean[j];
    ae->std[j]  = (float)std[j];
  }
  PetscCall(PetscFree2(mean, std));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_ae_setup(hd_run *run, void *ctx, hd_ensemble *ens)
{
  hd_ae *ae = ctx;

  PetscFunctionBegin;
  PetscCheck(ae->data[0], run->world, HD_ERR_USER_INPUT, "option -data is required: the event file to train on");
  PetscCheck(ae->out[0], run->world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(ae->seed >= 0, run->world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", ae->seed);
  PetscCheck(ae->n_members >= 1 && ae->n_members <= 100000, run->world, HD_ERR_USER_INPUT, "option -ensemble_size must lie in [1, 100000] (got %" PetscInt_FMT ")", ae->n_members);
  ae->cfg.seed = (uint64_t)ae->seed;
  PetscCall(hd_ae_load(run->world, ae));
  PetscCall(hd_ae_spec(run->world, ae));

  char               members[PETSC_MAX_PATH_LEN + 16];
  hd_ensemble_config ec = {.n_members = ae->n_members, .group_size = ae->group_size, .n_events = ae->N, .n_metrics = HD_AE_N_METRICS, .text_len = HD_SHA256_HEX_LEN, .store_dir = members, .checkpoint_dir = ae->out, .resume = ae->cfg.resume, .keep_checkpoints = PETSC_TRUE};
  snprintf(members, sizeof(members), "%s/members", ae->out); /* finished members, for -resume */
  PetscCall(hd_ensemble_create(run->world, &ec, ens));
  PetscCall(hd_results_mkdir(run->world, ae->out));
  if (ae->n_members > 1) {
    char models[PETSC_MAX_PATH_LEN];
    snprintf(models, sizeof(models), "%s/models", ae->out);
    PetscCall(hd_results_mkdir(run->world, models));
  }
  PetscInt G = ens->groups.n_groups;
  PetscCall(hd_log(run->world, "ae: %" PetscInt_FMT " events x %" PetscInt_FMT " features, network '%s', %" PetscInt_FMT " member%s on %d ranks in %" PetscInt_FMT " group%s\n", ae->N, ae->F, ae->spec, ae->n_members, ae->n_members > 1 ? "s" : "", run->size, G, G > 1 ? "s" : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One member: build, initialise from (seed, member), train on the group, score every event with
 * its reconstruction error, write its model file. Collective on m->group. */
static PetscErrorCode hd_ae_member(hd_ensemble_member *m, void *ctx)
{
  hd_ae          *ae  = ctx;
  hd_train_config cfg = ae->cfg;
  hd_train_data   data = {.n = ae->N, .in_size = ae->F, .x = ae->x, .target = NULL, .target_ld = 0, .weight = NULL};
  hd_train_result tres;
  hd_nn          *net;
  PetscInt        in_shape[3] = {ae->F, 1, 1};
  char            label[32], path[PETSC_MAX_PATH_LEN + 32];

  PetscFunctionBegin;
  snprintf(label, sizeof(label), ae->n_members > 1 ? "ae[%" PetscInt_FMT "]" : "ae", m->member);
  cfg.member = m->member;
  cfg.label  = label;
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", m->checkpoint ? m->checkpoint : "");
  PetscCall(hd_nn_create(ae->spec, in_shape, PetscMax(1024, PetscMin(cfg.batch, ae->N)), &net));
  PetscCall(hd_nn_init(net, cfg.seed, (uint64_t)m->member, HD_INIT_AUTO));
  PetscCall(hd_train(m->group, net, &data, &cfg, &tres));
  m->interrupted = tres.interrupted;
  if (!tres.interrupted) {
    PetscCall(hd_train_evaluate(m->group, net, &data, hd_objective_standard(HD_TRAIN_LOSS_MSE), HD_EVAL_SCORE, m->scores));
    if (ae->n_members > 1) snprintf(path, sizeof(path), "%s/models/member_%03d.h5", ae->out, (int)m->member);
    else snprintf(path, sizeof(path), "%s/model.h5", ae->out);
    hd_model_array arrays[2] = {{"input_mean", ae->mean, ae->F}, {"input_std", ae->std, ae->F}};
    hd_model_meta  meta      = {.name = "ae", .has_seed = PETSC_TRUE, .seed = cfg.seed, .member = m->member, .n_arrays = 2, .arrays = arrays};
    PetscCall(hd_results_write_model(m->group, path, net, &meta));
  }
  if (!tres.interrupted && m->group_rank == 0) {
    hd_stats_roc roc;
    PetscCall(hd_stats_roc_compute(ae->N, m->scores, ae->label, 2, &roc));
    m->metrics[HD_AE_EPOCHS]     = (double)tres.epochs_run;
    m->metrics[HD_AE_BEST_EPOCH] = (double)tres.best_epoch + 1;
    m->metrics[HD_AE_VAL_LOSS]   = tres.best_val_loss;
    m->metrics[HD_AE_RATE]       = tres.events_per_s;
    m->metrics[HD_AE_PARAMS]     = (double)net->n_params;
    m->metrics[HD_AE_AUC]        = roc.n_signal > 0 && roc.n_background > 0 ? roc.auc : NAN;
    PetscCall(hd_stats_roc_free(&roc));
    PetscCall(hd_sha256_floats(net->params, (size_t)net->n_params, m->text));
  }
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The ensemble score: the members' errors averaged in member order (double), on this rank's block
 * of events, then on every rank for the ROC. */
static PetscErrorCode hd_ae_evaluate(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_ae   *ae = ctx;
  PetscInt M  = ae->n_members;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(PetscMax(ens->block_count, 1), &ae->block));
  PetscCall(PetscMalloc1(ae->N, &ae->score));
  for (PetscInt i = 0; i < ens->block_count; i++) {
    double sum = 0;
    for (PetscInt m = 0; m < M; m++) sum += ens->columns[i * M + m];
    ae->block[i] = (float)(sum / (double)M);
  }
  PetscCall(hd_par_allgather_blocks(run->world, ae->N, 1, HD_PAR_FLOAT, ae->block, ae->score));
  PetscCall(hd_stats_roc_compute(ae->N, ae->score, ae->label, 1000, &ae->roc));
  if (M == 1) memcpy(ae->sha, ens->text, HD_SHA256_HEX_LEN);
  else PetscCall(hd_sha256_hex(ens->text, (size_t)(M * HD_SHA256_HEX_LEN), ae->sha));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* results.h5 (scores aligned with the input rows, each member's with -member_scores, the ROC
 * curve) and summary.json. */
static PetscErrorCode hd_ae_report(hd_run *run, void *ctx, const hd_ensemble *ens)
{
  hd_ae              *ae  = ctx;
  const hd_stats_roc *roc = &ae->roc;
  const double       *rec = ens->metrics;
  hd_results          res;
  hd_summary          s;

  PetscFunctionBegin;
  PetscCall(hd_results_create(run->world, ae->out, "ae", NULL, &res));
  PetscCall(hd_results_write_rows(&res, "/scores/ae", ae->N, ens->block_offset, ens->block_count, ae->block));
  if (ae->member_scores) PetscCall(hd_ensemble_write_columns(ens, &res, "/scores/ae_members"));
  if (roc->n_points > 0) {
    PetscCall(hd_results_write_array(&res, "/curves/ae/eps_b", roc->n_points, roc->eps_b));
    PetscCall(hd_results_write_array(&res, "/curves/ae/eps_s", roc->n_points, roc->eps_s));
    PetscCall(hd_results_write_array(&res, "/curves/ae/threshold", roc->n_points, roc->threshold));
    PetscCall(hd_results_attr_double(&res, "auc", roc->auc));
  }
  PetscCall(hd_results_close(&res));

  double wall = hd_wtime() - run->t0;
  PetscCall(hd_summary_begin(&s));
  PetscCall(hd_summary_string(&s, "method", "ae"));
  PetscCall(hd_summary_string(&s, "data", ae->data));
  PetscCall(hd_summary_int(&s, "events", ae->N));
  PetscCall(hd_summary_int(&s, "features", ae->F));
  PetscCall(hd_summary_int(&s, "ranks", run->size));
  PetscCall(hd_summary_int(&s, "group_size", ens->groups.group_size));
  PetscCall(hd_summary_int(&s, "seed", (int64_t)ae->cfg.seed));
  PetscCall(hd_summary_string(&s, "network", ae->spec));
  PetscCall(hd_summary_int(&s, "parameters", (int64_t)rec[HD_AE_PARAMS]));
  PetscCall(hd_summary_int(&s, "members", ae->n_members));
  PetscCall(hd_summary_int(&s, "epochs", (int64_t)rec[HD_AE_EPOCHS]));
  PetscCall(hd_summary_double(&s, "wall_s", wall));
  if (roc->n_signal > 0 && roc->n_background > 0) {
    PetscCall(hd_summary_double(&s, "auc", roc->auc));
    PetscCall(hd_summary_double(&s, "sic_max", roc->sic_max));
    PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-2", roc->eps_s_at[0]));
    PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-3", roc->eps_s_at[1]));
    PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-4", roc->eps_s_at[2]));
  }
  PetscCall(hd_summary_string(&s, "parameters_sha256", ae->sha));
  PetscCall(hd_summary_open(&s, "member_results", '['));
  for (PetscInt m = 0; m < ae->n_members; m++) {
    const double *r = rec + m * HD_AE_N_METRICS;
    PetscCall(hd_summary_open(&s, NULL, '{'));
    PetscCall(hd_summary_int(&s, "member", m));
    PetscCall(hd_summary_int(&s, "epochs", (int64_t)r[HD_AE_EPOCHS]));
    PetscCall(hd_summary_int(&s, "best_epoch", (int64_t)r[HD_AE_BEST_EPOCH]));
    PetscCall(hd_summary_double(&s, "val_loss", r[HD_AE_VAL_LOSS]));
    PetscCall(hd_summary_double(&s, "train_events_per_s", r[HD_AE_RATE]));
    if (!isnan(r[HD_AE_AUC])) PetscCall(hd_summary_double(&s, "auc", r[HD_AE_AUC]));
    PetscCall(hd_summary_string(&s, "parameters_sha256", ens->text + m * HD_SHA256_HEX_LEN));
    PetscCall(hd_summary_close(&s, '}'));
  }
  PetscCall(hd_summary_close(&s, ']'));
  PetscCall(hd_summary_write(run->world, ae->out, &s));
  PetscCall(hd_log(run->world, "ae: %" PetscInt_FMT " member%s, AUC %.4f, %.1f s; outputs in %s\n", ae->n_members, ae->n_members > 1 ? "s" : "", roc->auc, wall, ae->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every member in training has written a checkpoint: a later run with -resume continues it. */
static PetscErrorCode hd_ae_stopped(hd_run *run, void *ctx)
{
  hd_ae *ae = ctx;

  PetscFunctionBegin;
  PetscCall(hd_log(run->world, "ae: interrupted; run again with -resume to continue from the finished members and the checkpoints in '%s'\n", ae->out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_ae_destroy(void *ctx)
{
  hd_ae *ae = ctx;

  PetscFunctionBegin;
  PetscCall(hd_table_destroy(&ae->table));
  PetscCall(PetscFree2(ae->mean, ae->std));
  PetscCall(PetscFree(ae->block));
  PetscCall(PetscFree(ae->score));
  PetscCall(hd_stats_roc_free(&ae->roc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const hd_method hd_method_ae = {
  .name         = "ae",
  .summary      = "plain autoencoder: the reconstruction error is the anomaly score (seed 001)",
  .usage        = "hadal run -method ae -data FILE -out DIR [-seed S] [-epochs N] [-hidden 64,32,3] ...",
  .ctx_size     = sizeof(hd_ae),
  .read_options = hd_ae_read_options,
  .setup        = hd_ae_setup,
  .run_member   = hd_ae_member,
  .evaluate     = hd_ae_evaluate,
  .report       = hd_ae_report,
  .stopped      = hd_ae_stopped,
  .destroy      = hd_ae_destroy,
};
