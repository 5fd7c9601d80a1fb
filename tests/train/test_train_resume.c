/* One classifier trained with early stopping and learning-rate reductions, stopped by a signal at a
 * chosen moment (epoch, step) and resumed from its checkpoint, in separate processes at any rank
 * count: the resumed training must end exactly where an uninterrupted one ends.
 *
 *   test_train_resume OUT [-checkpoint FILE] [-resume] [-stop_epoch E -stop_step S]
 *
 * The group is the world. With -stop_epoch, rank 0 alone raises SIGUSR1 when the forward of step S
 * (-1: the epoch's last) of epoch E begins, so the other ranks learn of it only through the
 * trainer's agreement. OUT gets one line: interrupted, early_stopped, epochs_run, best_epoch, the
 * last losses (%a, exact) and a hash of the parameters' bytes; two runs that agree write the same
 * line. The labels are noise, so the validation loss soon rises: the plateau lowers the learning
 * rate and stops the training early, both after the moments the script picks. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <cblas.h>
#include <hadal/log.h>
#include <hadal/rng.h>
#include <hadal/signals.h>
#include <hadal/train.h>
#include "check.h"

#define N_EVENTS 1200
#define N_IN     6
#define BATCH    64

static const hd_objective *bce;
static PetscInt            stop_epoch = -1, stop_step = -1, steps_seen = 0, last_epoch = -1, steps_per_epoch;

/* The standard BCE loss; on rank 0, the moment's forward raises the signal. Rank 0 holds shard 0
 * of every step (hd_par_rank_shards), so its shards with first == 0 count the steps. */
static PetscErrorCode stop_loss(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, PetscBool grad, double *loss, float *per_event, float *values)
{
  int rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0 && grad && s->first == 0 && s->epoch >= 0) {
    if (s->epoch != last_epoch) steps_seen = 0;
    last_epoch = s->epoch;
    if (s->epoch == stop_epoch && steps_seen == (stop_step < 0 ? steps_per_epoch - 1 : stop_step)) raise(SIGUSR1);
    steps_seen++;
  }
  PetscCall(bce->loss(obj, net, s, grad, loss, per_event, values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static uint64_t fnv1a(const void *p, size_t n)
{
  const unsigned char *b = p;
  uint64_t             h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

int main(int argc, char **argv)
{
  static float    x[N_EVENTS * N_IN], y[N_EVENTS];
  char            out[PETSC_MAX_PATH_LEN] = "", ckpt[PETSC_MAX_PATH_LEN] = "";
  PetscBool       resume = PETSC_FALSE;
  hd_nn          *net;
  hd_objective    obj;
  hd_train_config cfg;
  hd_train_result res;
  PetscInt        in_shape[3] = {N_IN, 1, 1};
  int             rank;

  openblas_set_num_threads(1); /* as hadal runs */
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_log_events_register());
  PetscCall(hd_signals_install());
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCheck(argc >= 2, PETSC_COMM_WORLD, PETSC_ERR_ARG_WRONG, "usage: test_train_resume OUT [-checkpoint FILE] [-resume] [-stop_epoch E -stop_step S]");
  snprintf(out, sizeof(out), "%s", argv[1]);
  PetscCall(PetscOptionsGetString(NULL, NULL, "-checkpoint", ckpt, sizeof(ckpt), NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-resume", &resume, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-stop_epoch", &stop_epoch, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-stop_step", &stop_step, NULL));

  for (PetscInt i = 0; i < N_EVENTS; i++) {
    hd_rng r;
    hd_rng_init(&r, 11, HD_STREAM_USER, (uint64_t)i);
    for (PetscInt j = 0; j < N_IN; j++) x[i * N_IN + j] = (float)hd_rng_normal(&r);
    y[i] = hd_rng_uniform(&r) < 0.5 ? 1.0f : 0.0f;
  }
  bce      = hd_objective_standard(HD_TRAIN_LOSS_BCE);
  obj      = *bce;
  obj.loss = stop_loss;

  cfg               = hd_train_defaults();
  cfg.seed          = 3;
  cfg.member        = 1;
  cfg.epochs        = 60;
  cfg.batch         = BATCH;
  cfg.objective     = &obj;
  cfg.optim.lr      = 3e-3;
  cfg.val_fraction  = 0.25;
  cfg.stop_patience = 4;
  cfg.lr_patience   = 2;
  cfg.lr_factor     = 0.5;
  cfg.progress      = PETSC_FALSE;
  cfg.resume        = resume;
  snprintf(cfg.checkpoint, sizeof(cfg.checkpoint), "%s", ckpt);

  /* the trainer's validation split, redone here only to know an epoch's step count */
  PetscInt n_train = 0;
  for (PetscInt i = 0; i < N_EVENTS; i++) {
    hd_rng r;
    hd_rng_init(&r, cfg.seed, HD_STREAM_SPLIT, ((uint64_t)cfg.member << 32) | (uint64_t)i);
    n_train += !(hd_rng_uniform(&r) < cfg.val_fraction);
  }
  steps_per_epoch = (n_train + BATCH - 1) / BATCH;

  hd_train_data d = {.n = N_EVENTS, .in_size = N_IN, .x = x, .target = y, .target_ld = 1};
  PetscCall(hd_nn_create("dense 32 relu, dense 32 relu, dense 1", in_shape, 1024, &net));
  PetscCall(hd_nn_init(net, cfg.seed, (uint64_t)cfg.member, HD_INIT_AUTO));
  PetscCall(hd_train(PETSC_COMM_WORLD, net, &d, &cfg, &res));
  CHECK(rank != 0 || stop_epoch < 0 || steps_seen > 0 || resume, "the stop moment (epoch %" PetscInt_FMT ", step %" PetscInt_FMT ") was never reached", stop_epoch, stop_step);
  if (rank == 0) {
    FILE *f = fopen(out, "w");
    CHECK(f != NULL, "cannot write '%s'", out);
    if (f) {
      fprintf(f, "interrupted %d early_stopped %d epochs_run %" PetscInt_FMT " best_epoch %" PetscInt_FMT " train %a val %a best %a params %016llx\n", (int)res.interrupted, (int)res.early_stopped, res.epochs_run, res.best_epoch, res.last_train_loss, res.last_val_loss, res.best_val_loss, (unsigned long long)fnv1a(net->params, (size_t)net->n_params * sizeof(float)));
      fclose(f);
    }
  }
  PetscCall(hd_nn_destroy(&net));
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
