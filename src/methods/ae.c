/* Plain autoencoder: the reconstruction error of a dense autoencoder trained on all events is the
 * anomaly score (the outlier-detection baseline of seed 001, section 3). */
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
static void hd_ae_params_sha256(const float *p, PetscInt n, char hex[HD_SHA256_HEX_LEN])
{
  hd_sha256     s;
  unsigned char digest[HD_SHA256_BYTES];

  hd_sha256_init(&s);
  for (PetscInt i = 0; i < n; i++) {
    uint32_t      u;
    unsigned char b[4];
    memcpy(&u, &p[i], 4);
    for (int k = 0; k < 4; k++) b[k] = (unsigned char)(u >> (8 * k));
    hd_sha256_update(&s, b, 4);
  }
  hd_sha256_final(&s, digest);
  hd_sha256_to_hex(digest, hex);
}

PetscErrorCode hd_method_ae(MPI_Comm world, const char *usage, PetscBool *help_only)
{
  char            data_path[PETSC_MAX_PATH_LEN], out[PETSC_MAX_PATH_LEN - 64], act[32], spec[1024];
  PetscInt        hidden[HD_AE_MAX_LAYERS], n_hidden = HD_AE_MAX_LAYERS, seed_opt;
  hd_train_config cfg = hd_train_defaults();
  hd_train_result tres;
  static const char *const need[] = {"features", NULL};
  hd_events       ev;
  int             rank, size;
  double          t0 = hd_wtime();

  PetscFunctionBegin;
  PetscCall(hd_opt_string("-data", "event file (HDF5) to train on and score", NULL, data_path, sizeof(data_path), NULL));
  PetscCall(hd_opt_string("-out", "output folder", NULL, out, sizeof(out), NULL));
  PetscCall(hd_opt_int("-seed", "seed of initialisation, split and minibatch order", 1, &seed_opt, NULL));
  PetscCall(hd_opt_int_list("-hidden", "encoder layer sizes; the decoder mirrors them", "64,32,8", hidden, &n_hidden, NULL));
  PetscCall(hd_opt_string("-activation", "activation of the hidden layers", "relu", act, sizeof(act), NULL));
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
  cfg.seed = (uint64_t)seed_opt;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  PetscCallMPI(MPI_Comm_size(world, &size));

  /* read, then standardise with exact moments reduced across ranks */
  PetscCall(hd_events_read(world, data_path, need, &ev));
  PetscInt N = ev.layout.n_events, F = ev.layout.n_features;
  double  *mean, *std;
  PetscCall(PetscMalloc2(F, &mean, F, &std));
  PetscCall(hd_stats_moments(world, ev.n_local, F, ev.features, N, mean, std));
  for (PetscInt j = 0; j < F; j++) {
    if (std[j] == 0) {
      PetscCall(hd_log(world, "ae: feature '%s' is constant (%g): it is centred but not scaled\n", ev.layout.feature_names[j], mean[j]));
      std[j] = 1;
    }
  }
  /* every rank trains on the whole table: gather the standardised blocks */
  float   *x, *scores;
  int32_t *labels;
  int     *counts, *displs;
  PetscCall(PetscMalloc1(N * F, &x));
  PetscCall(PetscMalloc2(N, &scores, N, &labels));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  for (PetscInt i = 0; i < ev.n_local; i++)
    for (PetscInt j = 0; j < F; j++) ev.features[i * F + j] = (float)((ev.features[i * F + j] - mean[j]) / std[j]);
  for (int r = 0; r < size; r++) {
    PetscInt off, cnt;
    hd_events_block(N, r, size, &off, &cnt);
    counts[r] = (int)(cnt * F);
    displs[r] = (int)(off * F);
  }
  PetscCallMPI(MPI_Allgatherv(ev.features, counts[rank], MPI_FLOAT, x, counts, displs, MPI_FLOAT, world));
  for (int r = 0; r < size; r++) {
    counts[r] /= (int)F;
    displs[r] /= (int)F;
  }
  PetscCallMPI(MPI_Allgatherv(ev.label, counts[rank], MPI_INT32_T, labels, counts, displs, MPI_INT32_T, world));

  /* build, train, score */
  hd_nn *net;
  PetscInt in_shape[3] = {F, 1, 1};
  PetscCall(hd_ae_spec(world, hidden, n_hidden, act, F, spec, sizeof(spec)));
  PetscCall(hd_results_mkdir(world, out));
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s/checkpoint.h5", out);
  PetscCall(hd_nn_create(spec, in_shape, PetscMax(1024, PetscMin(cfg.batch, N)), &net));
  PetscCall(hd_nn_init(net, cfg.seed, 0, HD_INIT_AUTO));
  PetscCall(hd_log(world, "ae: %" PetscInt_FMT " events x %" PetscInt_FMT " features, network '%s' (%" PetscInt_FMT " parameters), %d ranks\n", N, F, net->spec, net->n_params, size));
  hd_train_data data = {.n = N, .in_size = F, .x = x, .target = NULL, .target_ld = 0, .weight = NULL};
  PetscCall(hd_train(world, net, &data, &cfg, &tres));
  if (tres.interrupted) {
    PetscCall(hd_log(world, "ae: interrupted; run again with -resume to continue from '%s'\n", cfg.checkpoint));
  } else {
    PetscCall(hd_train_evaluate(world, net, &data, HD_TRAIN_LOSS_MSE, PETSC_FALSE, scores));

    hd_stats_roc roc;
    PetscCall(hd_stats_roc_compute(N, scores, labels, 1000, &roc));
    char sha[HD_SHA256_HEX_LEN];
    hd_ae_params_sha256(net->params, net->n_params, sha);

    /* outputs: model (rank 0), results (collective), summary (rank 0) */
    char model_path[PETSC_MAX_PATH_LEN + 16];
    snprintf(model_path, sizeof(model_path), "%s/model.h5", out);
    int ok = 1;
    if (rank == 0) {
      float *fm, *fs;
      PetscCall(PetscMalloc2(F, &fm, F, &fs));
      for (PetscInt j = 0; j < F; j++) {
        fm[j] = (float)mean[j];
        fs[j] = (float)std[j];
      }
      hd_model_array arrays[2] = {{"input_mean", fm, F}, {"input_std", fs, F}};
      hd_model_meta  meta      = {.name = "ae", .has_seed = PETSC_TRUE, .seed = cfg.seed, .member = 0, .n_arrays = 2, .arrays = arrays};
      ok = hd_model_write(model_path, net, &meta) == PETSC_SUCCESS;
      PetscCall(PetscFree2(fm, fs));
    }
    PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, world));
    PetscCheck(ok, world, HD_ERR_FILE_WRITE, "cannot write the model file '%s'", model_path);

    hd_results res;
    PetscCall(hd_results_create(world, out, "ae", &res));
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
    PetscCall(hd_summary_int(&s, "seed", (int64_t)cfg.seed));
    PetscCall(hd_summary_string(&s, "network", net->spec));
    PetscCall(hd_summary_int(&s, "parameters", net->n_params));
    PetscCall(hd_summary_int(&s, "epochs", tres.epochs_run));
    PetscCall(hd_summary_int(&s, "best_epoch", tres.best_epoch + 1));
    PetscCall(hd_summary_double(&s, "val_loss", tres.best_val_loss));
    PetscCall(hd_summary_double(&s, "wall_s", wall));
    PetscCall(hd_summary_double(&s, "train_events_per_s", tres.events_per_s));
    if (roc.n_signal > 0 && roc.n_background > 0) {
      PetscCall(hd_summary_double(&s, "auc", roc.auc));
      PetscCall(hd_summary_double(&s, "sic_max", roc.sic_max));
      PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-2", roc.eps_s_at[0]));
      PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-3", roc.eps_s_at[1]));
      PetscCall(hd_summary_double(&s, "eps_s_at_eps_b_1e-4", roc.eps_s_at[2]));
    }
    PetscCall(hd_summary_string(&s, "parameters_sha256", sha));
    PetscCall(hd_summary_write(world, out, &s));
    PetscCall(hd_log(world, "ae: %" PetscInt_FMT " epochs, best validation loss %.6g at epoch %" PetscInt_FMT ", AUC %.4f, %.1f s; outputs in %s\n", tres.epochs_run, tres.best_val_loss, tres.best_epoch + 1, roc.auc, wall, out));
    PetscCall(hd_stats_roc_free(&roc));
  }
  PetscCall(hd_nn_destroy(&net));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree2(scores, labels));
  PetscCall(PetscFree(x));
  PetscCall(PetscFree2(mean, std));
  PetscCall(hd_events_free(&ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}
