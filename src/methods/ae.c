/* Plain autoencoder: the reconstruction error of a dense autoencoder trained on all events is the
 * anomaly score (the outlier-detection baseline of seed 001, section 3). */
#include <string.h>
#include <hadal/events.h>
#include <hadal/log.h>
#include <hadal/methods.h>
#include <hadal/model.h>
#include <hadal/options.h>
#include <hadal/par.h>
#include <hadal/results.h>
#include <hadal/sha256.h>
#include <hadal/stats.h>
#include <hadal/train.h>

#define HD_AE_MAX_LAYERS 16

/* "64,32,8" with activation A -> "dense 64 A, dense 32 A, dense 8, dense 32 A, dense 64 A, dense F":
 * mirrored, linear bottleneck and linear output. */
static PetscErrorCode hd_ae_spec(MPI_Comm comm, const PetscInt *hidden, PetscInt n_hidden, const char *act, PetscInt n_features, char *spec, size_t len)
{
  size_t used = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n_hidden; i++) PetscCheck(hidden[i] > 0, comm, HD_ERR_USER_INPUT, "option -hidden: layer sizes must be positive (got %" PetscInt_FMT ")", hidden[i]);
  for (PetscInt i = 0; i < n_hidden; i++) used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT "%s%s, ", hidden[i], i + 1 < n_hidden ? " " : "", i + 1 < n_hidden ? act : "");
  for (PetscInt i = n_hidden - 2; i >= 0; i--) used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT " %s, ", hidden[i], act);
  used += (size_t)snprintf(spec + used, len - used, "dense %" PetscInt_FMT, n_features);
  PetscCheck(used < len, comm, HD_ERR_USER_INPUT, "option -hidden: too many layers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* SHA-256 of the parameters as little-endian float32, so two runs compare without tools. */
static PetscErrorCode hd_ae_params_sha256(const float *p, PetscInt n, char hex[HD_SHA256_HEX_LEN])
{
  hd_sha256     s;
  unsigned char digest[HD_SHA256_BYTES];

  PetscFunctionBegin;
  PetscCall(hd_sha256_init(&s));
  for (PetscInt i = 0; i < n; i++) {
    uint32_t      u;
    unsigned char b[4];
    memcpy(&u, &p[i], 4);
    for (int k = 0; k < 4; k++) b[k] = (unsigned char)(u >> (8 * k));
    PetscCall(hd_sha256_update(&s, b, 4));
  }
  PetscCall(hd_sha256_final(&s, digest));
  hd_sha256_to_hex(digest, hex);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One member: build, initialise from (seed, member), train on the group, score every event. */
static PetscErrorCode hd_ae_member(MPI_Comm group, const char *spec, PetscInt F, const hd_train_data *data, hd_train_config *cfg, const char *out, PetscInt member, PetscInt n_members, float *scores, hd_nn **net_out, hd_train_result *tres)
{
  hd_nn   *net;
  PetscInt in_shape[3] = {F, 1, 1};
  char     label[32];

  PetscFunctionBegin;
  snprintf(label, sizeof(label), n_members > 1 ? "ae[%" PetscInt_FMT "]" : "ae", member);
  cfg->member = member;
  cfg->label  = label;
  snprintf(cfg->checkpoint, sizeof(cfg->checkpoint), "%s/checkpoint_m%03d.h5", out, (int)member);
  PetscCall(hd_nn_create(spec, in_shape, PetscMax(1024, PetscMin(cfg->batch, data->n)), &net));
  PetscCall(hd_nn_init(net, cfg->seed, (uint64_t)member, HD_INIT_AUTO));
  PetscCall(hd_train(group, net, data, cfg, tres));
  if (!tres->interrupted) PetscCall(hd_train_evaluate(group, net, data, hd_objective_standard(HD_TRAIN_LOSS_MSE), HD_EVAL_SCORE, scores));
  cfg->label = "ae";
  *net_out   = net;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 of the group writes the member's model file with the input standardisation. */
static PetscErrorCode hd_ae_write_model(MPI_Comm group, const char *path, const hd_nn *net, uint64_t seed, PetscInt member, PetscInt F, const double *mean, const double *std)
{
  int rank, ok = 1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  if (rank == 0) {
    float *fm, *fs;
    PetscCall(PetscMalloc2(F, &fm, F, &fs));
    for (PetscInt j = 0; j < F; j++) {
      fm[j] = (float)mean[j];
      fs[j] = (float)std[j];
    }
    hd_model_array arrays[2] = {{"input_mean", fm, F}, {"input_std", fs, F}};
    hd_model_meta  meta      = {.name = "ae", .has_seed = PETSC_TRUE, .seed = seed, .member = member, .n_arrays = 2, .arrays = arrays};
    ok = hd_model_write(path, net, &meta) == PETSC_SUCCESS;
    PetscCall(PetscFree2(fm, fs));
  }
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, group));
  PetscCheck(ok, group, HD_ERR_FILE_WRITE, "cannot write the model file '%s'", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_method_ae(MPI_Comm world, const char *usage, PetscBool *help_only)
{
  char            data_path[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64], act[32], spec[1024];
  PetscInt        hidden[HD_AE_MAX_LAYERS], n_hidden = HD_AE_MAX_LAYERS, seed_opt, n_members, group_size;
  hd_train_config cfg = hd_train_defaults();
  static const char *const need[] = {"features", NULL};
  hd_table        ev;
  int             rank, size;
  double          t0 = hd_wtime();

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  PetscCallMPI(MPI_Comm_size(world, &size));
  PetscCall(hd_opt_string("-data", "event file (HDF5) to train on and score", NULL, data_path, sizeof(data_path), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, out, sizeof(out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of initialisation, split and minibatch order", 1, &seed_opt, NULL));
  PetscCall(hd_opt_int_list("-hidden", "encoder layer sizes, the last is the bottleneck; the decoder mirrors them", "64,32,3", hidden, &n_hidden, NULL));
  PetscCall(hd_opt_string("-activation", "activation of the hidden layers", "relu", act, sizeof(act), NULL));
  PetscCall(hd_opt_int("-ensemble_size", "autoencoders trained (members differ by seed stream); the score is their mean", 1, &n_members, NULL));
  PetscCall(hd_opt_int("-group_size", "ranks that train one member together (a divisor of the rank count)", size, &group_size, NULL));
  cfg.epochs        = 20;
  cfg.batch         = 256;
  cfg.stop_patience = 10;
  cfg.label         = "ae";
  PetscCall(hd_train_read_options(&cfg));
  PetscCall(hd_opt_finish(world, usage, help_only));
  if (*help_only) PetscFunctionReturn(PETSC_SUCCESS);

  PetscCheck(data_path[0], world, HD_ERR_USER_INPUT, "option -data is required: the event file to train on");
  PetscCheck(out[0], world, HD_ERR_USER_INPUT, "option -out is required: the output folder");
  PetscCheck(seed_opt >= 0, world, HD_ERR_USER_INPUT, "option -seed must be non-negative (got %" PetscInt_FMT ")", seed_opt);
  PetscCheck(n_members >= 1 && n_members <= 100000, world, HD_ERR_USER_INPUT, "option -ensemble_size must lie in [1, 100000] (got %" PetscInt_FMT ")", n_members);
  cfg.seed = (uint64_t)seed_opt;

  hd_par_groups   groups = {0};
  hd_par_schedule sched  = {0};
  PetscCall(hd_par_groups_create(world, group_size, &groups));
  PetscCall(hd_par_schedule_create(&groups, n_members, NULL, &sched));

  /* read, then standardise with exact moments reduced across ranks */
  PetscCall(hd_events_read_shared(world, data_path, need, &ev));
  PetscInt N = ev.layout.n_events, F = ev.layout.n_features;
  double  *mean, *std;
  PetscCall(PetscMalloc2(F, &mean, F, &std));
  PetscCall(hd_stats_moments(world, ev.n_local, F, ev.features + (size_t)ev.offset * F, N, mean, std));
  for (PetscInt j = 0; j < F; j++) {
    if (std[j] == 0) {
      PetscCall(hd_log(world, "ae: feature '%s' is constant (%g): it is centred but not scaled\n", ev.layout.feature_names[j], mean[j]));
      std[j] = 1;
    }
  }
  /* every rank trains on the whole table, standardised in place, once per node */
  float   *x = ev.features, *scores, *member_scores, *all_scores;
  int32_t *labels = ev.label;
  PetscCall(PetscMalloc1(N, &scores));
  PetscCall(PetscCalloc1(N * n_members, &member_scores));
  PetscCall(PetscMalloc1(N * n_members, &all_scores));
  PetscCall(hd_table_sync(&ev)); /* every rank's moments are summed before any row changes */
  for (PetscInt i = ev.fill_offset; i < ev.fill_offset + ev.fill_count; i++)
    for (PetscInt j = 0; j < F; j++) x[(size_t)i * F + j] = (float)((x[(size_t)i * F + j] - mean[j]) / std[j]);
  PetscCall(hd_table_sync(&ev));

  PetscCall(hd_ae_spec(world, hidden, n_hidden, act, F, spec, sizeof(spec)));
  PetscCall(hd_results_mkdir(world, out));
  if (n_members > 1) {
    char models[PETSC_MAX_PATH_LEN];
    snprintf(models, sizeof(models), "%s/models", out);
    PetscCall(hd_results_mkdir(world, models));
  }
  PetscCall(hd_log(world, "ae: %" PetscInt_FMT " events x %" PetscInt_FMT " features, network '%s', %" PetscInt_FMT " member%s on %d ranks in %" PetscInt_FMT " group%s\n", N, F, spec, n_members, n_members > 1 ? "s" : "", size, groups.n_groups, groups.n_groups > 1 ? "s" : ""));

  /* members: each group trains its share; the group's rank 0 keeps the records */
  hd_train_data data = {.n = N, .in_size = F, .x = x, .target = NULL, .target_ld = 0, .weight = NULL};
  double       *rec, *all_rec; /* per member: epochs, best epoch, best val loss, events/s, params */
  char         *sha, *all_sha;
  int           interrupted = 0, any_interrupted;
  PetscCall(PetscCalloc2(5 * n_members, &rec, 5 * n_members, &all_rec));
  PetscCall(PetscCalloc2(n_members * HD_SHA256_HEX_LEN, &sha, n_members * HD_SHA256_HEX_LEN, &all_sha));
  for (PetscInt k = 0, m; hd_par_schedule_next(&sched, groups.group_index, &k, &m);) {
    hd_nn          *net;
    hd_train_result tres;
    PetscCall(hd_ae_member(groups.group, spec, F, &data, &cfg, out, m, n_members, scores, &net, &tres));
    if (tres.interrupted) {
      interrupted = 1;
      PetscCall(hd_nn_destroy(&net));
      break;
    }
    char model_path[PETSC_MAX_PATH_LEN + 32];
    if (n_members > 1) snprintf(model_path, sizeof(model_path), "%s/models/member_%03d.h5", out, (int)m);
    else snprintf(model_path, sizeof(model_path), "%s/model.h5", out);
    PetscCall(hd_ae_write_model(groups.group, model_path, net, cfg.seed, m, F, mean, std));
    if (groups.group_rank == 0) {
      PetscCall(PetscArraycpy(member_scores + m * N, scores, N));
      rec[5 * m + 0] = (double)tres.epochs_run;
      rec[5 * m + 1] = (double)tres.best_epoch + 1;
      rec[5 * m + 2] = tres.best_val_loss;
      rec[5 * m + 3] = tres.events_per_s;
      rec[5 * m + 4] = (double)net->n_params;
      PetscCall(hd_ae_params_sha256(net->params, net->n_params, sha + m * HD_SHA256_HEX_LEN));
    }
    PetscCall(hd_nn_destroy(&net));
  }
  PetscCallMPI(MPI_Allreduce(&interrupted, &any_interrupted, 1, MPI_INT, MPI_MAX, world));
  if (any_interrupted) {
    PetscCall(hd_log(world, "ae: interrupted; run again with -resume to continue from the checkpoints in '%s'\n", out));
  } else {
    /* each member's values come from its group's rank 0 alone (zeros elsewhere; scores are >= 0),
     * so these sums are exact copies, and the ensemble mean is formed in member order */
    PetscCallMPI(MPI_Allreduce(member_scores, all_scores, (int)(N * n_members), MPI_FLOAT, MPI_SUM, world));
    PetscCallMPI(MPI_Allreduce(rec, all_rec, (int)(5 * n_members), MPI_DOUBLE, MPI_SUM, world));
    PetscCallMPI(MPI_Allreduce(sha, all_sha, (int)(n_members * HD_SHA256_HEX_LEN), MPI_CHAR, MPI_MAX, world));
    for (PetscInt i = 0; i < N; i++) {
      double sum = 0;
      for (PetscInt m = 0; m < n_members; m++) sum += all_scores[m * N + i];
      scores[i] = (float)(sum / (double)n_members);
    }
    char top_sha[HD_SHA256_HEX_LEN];
    if (n_members == 1) memcpy(top_sha, all_sha, HD_SHA256_HEX_LEN);
    else PetscCall(hd_sha256_hex(all_sha, (size_t)(n_members * HD_SHA256_HEX_LEN), top_sha));

    hd_stats_roc roc;
    PetscCall(hd_stats_roc_compute(N, scores, labels, 1000, &roc));

    hd_results res;
    PetscCall(hd_results_create(world, out, "ae", NULL, &res));
    PetscCall(hd_results_write_rows(&res, "/scores/ae", N, ev.offset, ev.n_local, scores + ev.offset));
    if (roc.n_points > 0) {
      PetscCall(hd_results_write_array(&res, "/curves/ae/eps_b", roc.n_points, roc.eps_b));
      PetscCall(hd_results_write_array(&res, "/curves/ae/eps_s", roc.n_points, roc.eps_s));
      PetscCall(hd_results_write_array(&res, "/curves/ae/threshold", roc.n_points, roc.threshold));
      PetscCall(hd_results_attr_double(&res, "auc", roc.auc));
    }
    PetscCall(hd_results_close(&res));

    double     wall = hd_wtime() - t0;
    hd_summary s;
    PetscCall(hd_summary_begin(&s));
    PetscCall(hd_summary_string(&s, "method", "ae"));
    PetscCall(hd_summary_string(&s, "data", data_path));
    PetscCall(hd_summary_int(&s, "events", N));
    PetscCall(hd_summary_int(&s, "features", F));
    PetscCall(hd_summary_int(&s, "ranks", size));
    PetscCall(hd_summary_int(&s, "group_size", groups.group_size));
    PetscCall(hd_summary_int(&s, "seed", (int64_t)cfg.seed));
    PetscCall(hd_summary_string(&s, "network", spec));
    PetscCall(hd_summary_int(&s, "parameters", (int64_t)all_rec[4]));
    PetscCall(hd_summary_int(&s, "members", n_members));
    PetscCall(hd_summary_int(&s, "epochs", (int64_t)all_rec[0]));
    PetscCall(hd_summary_double(&s, "wall_s", wall));
    if (roc.n_signal > 0 && roc.n_background > 0) {
      PetscCall(hd_summary_double(&s, "auc", roc.auc));
      PetscCall(hd_summary_double(&s, "sic_max", roc.sic_max));
      PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-2", roc.eps_s_at[0]));
      PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-3", roc.eps_s_at[1]));
      PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-4", roc.eps_s_at[2]));
    }
    PetscCall(hd_summary_string(&s, "parameters_sha256", top_sha));
    PetscCall(hd_summary_open(&s, "member_results", '['));
    for (PetscInt m = 0; m < n_members; m++) {
      hd_stats_roc mroc;
      PetscCall(hd_stats_roc_compute(N, all_scores + m * N, labels, 2, &mroc));
      PetscCall(hd_summary_open(&s, NULL, '{'));
      PetscCall(hd_summary_int(&s, "member", m));
      PetscCall(hd_summary_int(&s, "epochs", (int64_t)all_rec[5 * m]));
      PetscCall(hd_summary_int(&s, "best_epoch", (int64_t)all_rec[5 * m + 1]));
      PetscCall(hd_summary_double(&s, "val_loss", all_rec[5 * m + 2]));
      PetscCall(hd_summary_double(&s, "train_events_per_s", all_rec[5 * m + 3]));
      if (mroc.n_signal > 0 && mroc.n_background > 0) PetscCall(hd_summary_double(&s, "auc", mroc.auc));
      PetscCall(hd_summary_string(&s, "parameters_sha256", all_sha + m * HD_SHA256_HEX_LEN));
      PetscCall(hd_summary_close(&s, '}'));
      PetscCall(hd_stats_roc_free(&mroc));
    }
    PetscCall(hd_summary_close(&s, ']'));
    PetscCall(hd_summary_write(world, out, &s));
    PetscCall(hd_log(world, "ae: %" PetscInt_FMT " member%s trained, AUC %.4f, %.1f s; outputs in %s\n", n_members, n_members > 1 ? "s" : "", roc.auc, wall, out));
    PetscCall(hd_stats_roc_free(&roc));
  }
  PetscCall(PetscFree2(rec, all_rec));
  PetscCall(PetscFree2(sha, all_sha));
  PetscCall(hd_par_schedule_destroy(&sched));
  PetscCall(hd_par_groups_destroy(&groups));
  PetscCall(PetscFree(scores));
  PetscCall(PetscFree(member_scores));
  PetscCall(PetscFree(all_scores));
  PetscCall(PetscFree2(mean, std));
  PetscCall(hd_table_destroy(&ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}
