/* `hadal bench WORKLOAD [-steps N]`: trains a reference workload on random data through the real
 * training loop (shards, exact reducer, optimiser) and prints `WORKLOAD samples/s: X` as its last
 * line. bench/ holds the PyTorch twin of every workload and the script that compares them. */
#include <string.h>
#include <sys/resource.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/par.h>
#include <hadal/rng.h>
#include <hadal/train.h>
#include "commands.h"

/* How a workload's network is built and what it minimises. */
typedef enum {
  HD_BENCH_CHAIN = 0, /* hd_nn_create(spec), a standard loss */
  HD_BENCH_FLOW,      /* hd_nn_create_flow(spec, D = in_shape[0]), flow NLL */
  HD_BENCH_SET,       /* hd_nn_create_deepset(spec, P = in_shape[1], C = in_shape[2], 1), BCE */
  HD_BENCH_DISCO      /* two copies of the chain spec side by side (hd_nn_create_parallel), MSE
                       * of each + lambda DisCo^2 of their reconstruction errors */
} hd_bench_kind;

typedef struct {
  const char   *name;
  hd_bench_kind kind;
  const char   *spec;
  PetscInt      in_shape[3];
  PetscInt      batch;
  hd_train_loss loss;
  PetscBool     sgd;
  const char   *what;
} hd_workload;

#define HD_BENCH_AE_SPEC "dense 256 relu, dense 128 relu, dense 64 relu, dense 32 relu, dense 5, dense 32 relu, dense 64 relu, dense 128 relu, dense 256 relu, dense 57"
/* seed 002: the pair of autoencoders has no biases */
#define HD_BENCH_DAE_SPEC "dense 256 relu nobias, dense 128 relu nobias, dense 64 relu nobias, dense 32 relu nobias, dense 5 nobias, dense 32 relu nobias, dense 64 relu nobias, dense 128 relu nobias, dense 256 relu nobias, dense 57 nobias"
#define HD_BENCH_PFN_MIN_SIZE 2 /* pfn: set sizes are uniform in [2, P] */
#define HD_BENCH_DISCO_LAMBDA 100.0

/* The reference workloads of the performance targets (bench/README.md). pfn's in_shape is
 * (P C + 1, P, C): the input row is the P x C element features, then the set size. */
static const hd_workload hd_workloads[] = {
  {"svdd", HD_BENCH_CHAIN, "dense 512 elu, dense 256 elu, dense 128 elu, dense 34", {69, 1, 1}, 10000, HD_TRAIN_LOSS_MSE, PETSC_FALSE, "Deep SVDD member: 69-512-256-128-34 ELU, MSE to a constant vector, Adam"},
  {"ae", HD_BENCH_CHAIN, HD_BENCH_AE_SPEC, {57, 1, 1}, 10000, HD_TRAIN_LOSS_MSE, PETSC_FALSE, "autoencoder 57-256-128-64-32-5 mirrored, ReLU, MSE, Adam"},
  {"cwola", HD_BENCH_CHAIN, "dense 64 relu, dense 64 relu, dense 64 relu, dense 1", {5, 1, 1}, 128, HD_TRAIN_LOSS_BCE, PETSC_FALSE, "CWoLa classifier 5-64-64-64-1 ReLU, BCE with logits, Adam"},
  {"cnn", HD_BENCH_CHAIN, "conv 8 3x3 p1 relu, maxpool 2, conv 16 3x3 p1 relu, maxpool 2, flatten, dense 64 relu, dense 2", {1, 40, 40}, 100, HD_TRAIN_LOSS_SOFTMAX_CE, PETSC_TRUE, "jet-image CNN, softmax cross-entropy, SGD momentum 0.9"},
  {"flow", HD_BENCH_FLOW, "maf 11 layers, made 7x200, 35 knots, bound 3", {20, 1, 1}, 512, HD_TRAIN_LOSS_MSE, PETSC_FALSE, "MAF of 11 RQ-spline layers (K 35 on [-3, 3]), MADE 7x200 ReLU, 20 inputs, NLL, Adam"},
  {"pfn", HD_BENCH_SET, "pfn phi 100,100,128 f 100,100,100", {15 * 10 + 1, 15, 10}, 128, HD_TRAIN_LOSS_BCE, PETSC_FALSE, "PFN on sets of 2-15 x 10: Phi 10-100-100-128, sum, F 128-100-100-100-1, ReLU, BCE with logits, Adam"},
  {"dae", HD_BENCH_DISCO, HD_BENCH_DAE_SPEC, {57, 1, 1}, 10000, HD_TRAIN_LOSS_MSE, PETSC_FALSE, "two autoencoders 57-256-128-64-32-5 mirrored, ReLU, no biases, mean R1 + mean R2 + 100 DisCo^2(R1, R2), Adam"},
};

PetscErrorCode hd_cmd_bench(MPI_Comm comm, int nargs, char **args)
{
  const char        *usage = "hadal bench svdd|ae|cwola|cnn|flow|pfn|dae [-steps N] [-warmup N] [-batch B]";
  const hd_workload *w     = NULL;
  PetscInt           steps;
  PetscBool          help_only;
  int                size;

  PetscFunctionBegin;
  PetscInt max_shards;
  PetscInt warmup;
  PetscInt batch;
  PetscCall(hd_opt_int("-steps", "training steps to time", 20, &steps, NULL));
  PetscCall(hd_opt_int("-warmup", "untimed training steps first (page faults, caches), as the PyTorch twin does", 3, &warmup, NULL));
  PetscCall(hd_opt_int("-batch", "events per step instead of the workload's own (0: its own; for quick checks)", 0, &batch, NULL));
  PetscCall(hd_opt_int("-max_shards", "most shards per minibatch (the reproducible-sum granularity)", HD_PAR_MAX_SHARDS, &max_shards, NULL));
  PetscCall(hd_opt_finish(comm, usage, &help_only));
  if (help_only) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(nargs == 1, comm, HD_ERR_USER_INPUT, "hadal bench takes one workload (usage: %s)", usage);
  for (size_t i = 0; i < sizeof(hd_workloads) / sizeof(hd_workloads[0]); i++)
    if (!strcmp(args[0], hd_workloads[i].name)) w = &hd_workloads[i];
  PetscCheck(w, comm, HD_ERR_USER_INPUT, "unknown workload '%s' (known: svdd, ae, cwola, cnn, flow, pfn, dae)", args[0]);
  PetscCheck(steps >= 1, comm, HD_ERR_USER_INPUT, "option -steps must be at least 1 (got %" PetscInt_FMT ")", steps);
  PetscCheck(warmup >= 0, comm, HD_ERR_USER_INPUT, "option -warmup must be non-negative (got %" PetscInt_FMT ")", warmup);
  PetscCheck(batch >= 0, comm, HD_ERR_USER_INPUT, "option -batch must be non-negative (got %" PetscInt_FMT ")", batch);
  if (batch == 0) batch = w->batch;
  PetscCallMPI(MPI_Comm_size(comm, &size));

  /* random inputs and targets from the counter RNG: steps x batch events, one epoch */
  PetscInt               in_size = w->kind == HD_BENCH_SET ? w->in_shape[0] : w->in_shape[0] * w->in_shape[1] * w->in_shape[2], n = steps * batch;
  hd_nn                 *net;
  float                 *x, *t = NULL;
  hd_objective           flow_obj, disco_obj;
  hd_objective_flow_ctx  flow_ctx;
  hd_objective_disco_ctx disco_ctx = {0};
  const hd_objective    *objective = hd_objective_standard(w->loss);
  switch (w->kind) {
  case HD_BENCH_CHAIN:
    PetscCall(hd_nn_create(w->spec, w->in_shape, batch, &net));
    break;
  case HD_BENCH_FLOW:
    PetscCall(hd_nn_create_flow(w->spec, w->in_shape[0], batch, &net));
    PetscCall(hd_objective_flow_nll(net, NULL, &flow_ctx, &flow_obj));
    objective = &flow_obj;
    break;
  case HD_BENCH_SET:
    PetscCall(hd_nn_create_deepset(w->spec, w->in_shape[1], w->in_shape[2], 1, batch, &net));
    break;
  case HD_BENCH_DISCO: {
    const char *specs[2] = {w->spec, w->spec}, *names[2] = {"ae1", "ae2"};
    PetscCall(hd_nn_create_parallel(specs, names, 2, w->in_shape, batch, &net));
    PetscCall(hd_objective_disco_ae(net, HD_BENCH_DISCO_LAMBDA, batch, &disco_ctx, &disco_obj));
    objective = &disco_obj;
  } break;
  }
  PetscCall(hd_nn_init(net, 1, 0, HD_INIT_AUTO));
  PetscCall(PetscMalloc1(n * in_size, &x));
  for (PetscInt i = 0; i < n; i++) {
    hd_rng r;
    float *row = x + i * in_size;
    hd_rng_init(&r, 1, HD_STREAM_USER, (uint64_t)i);
    for (PetscInt j = 0; j < in_size; j++) row[j] = (float)hd_rng_normal(&r);
    if (w->kind == HD_BENCH_SET) { /* sets of 2..P elements, zero padding, then the size */
      PetscInt P = w->in_shape[1], C = w->in_shape[2];
      PetscInt size = HD_BENCH_PFN_MIN_SIZE + (PetscInt)hd_rng_below(&r, (uint32_t)(P - HD_BENCH_PFN_MIN_SIZE + 1));
      for (PetscInt j = size * C; j < P * C; j++) row[j] = 0;
      row[P * C] = (float)size;
    }
  }
  hd_train_data data = {.n = n, .in_size = in_size, .x = x};
  if (w->loss == HD_TRAIN_LOSS_MSE && strcmp(w->name, "svdd") == 0) {
    PetscCall(PetscMalloc1(net->out_size, &t)); /* Deep SVDD: one constant target for all events */
    for (PetscInt k = 0; k < net->out_size; k++) t[k] = 1.0f;
    data.target    = t;
    data.target_ld = 0;
  } else if (w->loss != HD_TRAIN_LOSS_MSE) {
    PetscCall(PetscCalloc1(n * net->out_size, &t)); /* class or label targets */
    for (PetscInt i = 0; i < n; i++) t[i * net->out_size + (net->out_size > 1 ? i % 2 : 0)] = (float)(net->out_size > 1 || i % 2);
    data.target    = t;
    data.target_ld = net->out_size;
  }
  hd_train_config cfg = hd_train_defaults();
  hd_train_result res;
  cfg.epochs       = 1;
  cfg.batch        = batch;
  cfg.val_fraction = 0;
  cfg.objective    = objective;
  cfg.progress     = PETSC_FALSE;
  cfg.label        = w->name;
  cfg.max_shards   = max_shards;
  if (w->sgd) {
    cfg.optim          = hd_nn_optim_sgd_defaults();
    cfg.optim.momentum = 0.9;
  }
  if (warmup > 0) {
    hd_train_data first = data;
    first.n             = PetscMin(warmup, steps) * batch;
    PetscCall(hd_train(comm, net, &first, &cfg, &res));
  }
  PetscCall(hd_train(comm, net, &data, &cfg, &res));

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  PetscCall(hd_log(comm, "%s: %s; %" PetscInt_FMT " parameters, batch %" PetscInt_FMT ", %" PetscInt_FMT " steps, %d ranks\n", w->name, w->what, net->n_params, batch, steps, size));
  PetscCall(hd_log(comm, "final training loss: %.6g\n", res.last_train_loss));
  PetscCall(hd_log(comm, "peak RSS MiB (rank 0): %.1f\n", ru.ru_maxrss / 1024.0));
  PetscCall(hd_log(comm, "%s samples/s: %.1f\n", w->name, res.events_per_s));
  if (w->kind == HD_BENCH_DISCO) PetscCall(hd_objective_disco_destroy(&disco_ctx));
  PetscCall(PetscFree(t));
  PetscCall(PetscFree(x));
  PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}
