/* The trainer with every objective: identical trained parameters at any rank count and group size,
 * and the gradient of a whole global batch (shards, coupling step, exact sum) against central
 * finite differences of the loss the trainer reports.
 *
 *   test_objectives [-group_size G] [-fd]
 * prints one line per objective, "objective NAME gradient HASH parameters HASH val_loss LOSS" (FNV-1a
 * hashes of the gradient of one global batch and of the trained parameters), on world rank 0; the
 * script tests/train/objectives_repro.sh runs it at 1, 2, 3 and 4 ranks and compares the lines.
 * Every group trains the same member; the groups' hashes must agree (checked here).
 *
 * Objectives: mse (autoencoder), bce (classifier), softmax_ce with per-event weights and soft
 * targets (Anomaly Awareness: one-hot rows for normal events, a uniform 1/n row with weight
 * lambda_AA for anomalies), a coupled toy (MSE + lambda cov^2 of the network's two outputs), the
 * flow NLL with dequantisation of a discrete column, and the DisCo-coupled autoencoders. */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include <hadal/log.h>
#include <hadal/par.h>
#include <hadal/rng.h>
#include <hadal/train.h>
#include "check.h"

#define N_EVENTS 1100
#define N_IN     6

static uint64_t fnv1a64(const float *p, PetscInt n)
{
  uint64_t h = 1469598103934665603ULL;
  const unsigned char *b = (const unsigned char *)p;
  for (size_t i = 0; i < (size_t)n * sizeof(float); i++) {
    h ^= b[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* A toy objective with a smooth coupling step: MSE of outputs 0..1 to the targets, plus lambda
 * cov(z_0, z_1)^2 over the global batch. It exercises exactly the trainer's coupled path (values
 * shared in shard order, the coupling gradient scattered back to the shards); being smooth, its
 * gradient can be checked by finite differences, which DisCo^2 (|a_i - a_j| has kinks) cannot to
 * better than a few per cent: the DisCo kernel's gradient is checked on its own in tests/nn. */
static PetscErrorCode toy_loss(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, PetscBool grad, double *loss, float *per_event, float *values)
{
  PetscFunctionBegin;
  PetscCall(hd_nn_loss_mse(loss, grad ? net->dout : NULL, per_event, net->output, s->target, s->target_ld, s->weight, s->n, 2, s->norm));
  if (values)
    for (PetscInt i = 0; i < 2 * s->n; i++) values[i] = net->output[i];
  (void)obj;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode toy_couple(const hd_objective *obj, PetscInt n, const float *v, double *loss, float *dv)
{
  double ma = 0, mb = 0, cov = 0;

  PetscFunctionBegin;
  (void)obj;
  for (PetscInt i = 0; i < n; i++) {
    ma += v[2 * i];
    mb += v[2 * i + 1];
  }
  ma /= n;
  mb /= n;
  for (PetscInt i = 0; i < n; i++) cov += (v[2 * i] - ma) * (v[2 * i + 1] - mb);
  cov /= n;
  *loss = cov * cov;
  if (dv)
    for (PetscInt i = 0; i < n; i++) {
      dv[2 * i] += (float)(2 * cov * (v[2 * i + 1] - mb) / n);
      dv[2 * i + 1] += (float)(2 * cov * (v[2 * i] - ma) / n);
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode toy_couple_backward(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, const float *dv)
{
  PetscFunctionBegin;
  (void)obj;
  for (PetscInt i = 0; i < 2 * s->n; i++) net->dout[i] += dv[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Deterministic data, the same on every rank: inputs, 2-column regression targets, 3-class soft
 * targets with weights, binary labels, and an integer-valued column for dequantisation. */
typedef struct {
  float   x[N_EVENTS * N_IN], y2[N_EVENTS * 2], y1[N_EVENTS], soft[N_EVENTS * 2], w[N_EVENTS];
  int32_t cat[N_EVENTS];
} toy_data;

static void make_data(toy_data *t)
{
  for (PetscInt i = 0; i < N_EVENTS; i++) {
    hd_rng r;
    hd_rng_init(&r, 7, HD_STREAM_USER, (uint64_t)i);
    for (PetscInt j = 0; j < N_IN; j++) t->x[i * N_IN + j] = (float)hd_rng_normal(&r);
    t->x[i * N_IN + N_IN - 1] = (float)floor(4 * hd_rng_uniform(&r)); /* a discrete column */
    t->cat[i] = (int32_t)t->x[i * N_IN + N_IN - 1]; /* categories 0..3 of the DisCo term within categories */
    t->y2[2 * i]     = t->x[i * N_IN] + 0.5f * t->x[i * N_IN + 1];
    t->y2[2 * i + 1] = t->x[i * N_IN] * t->x[i * N_IN + 2];
    t->y1[i]         = t->x[i * N_IN] + t->x[i * N_IN + 1] > 0 ? 1.0f : 0.0f;
    if (i % 10 == 0) { /* an "anomaly": uniform target, weight lambda_AA */
      t->soft[2 * i] = t->soft[2 * i + 1] = 0.5f;
      t->w[i]                               = 0.5f;
    } else {
      t->soft[2 * i]     = t->y1[i];
      t->soft[2 * i + 1] = 1 - t->y1[i];
      t->w[i]            = 1;
    }
  }
}

/* fd_h: the finite-difference step (relative to max(1, |theta|)), fd_tol its relative tolerance:
 * ReLU and DisCo's |a_i - a_j| have kinks, so a step small enough not to straddle many of them is
 * needed (the differences converge to the gradient as the step shrinks, measured from 3e-2 to
 * 1e-5), and float rounding of the network's outputs limits how small it can be; fd_n: the events of
 * the checked batch (DisCo's kinks grow as its square). */
static PetscErrorCode train_one(const hd_par_groups *g, const char *name, const char *spec, hd_nn *prebuilt, const hd_objective *obj, const hd_train_data *d, PetscInt batch, PetscBool fd, PetscInt fd_n, double fd_h, double fd_tol)
{
  hd_nn          *net = prebuilt;
  PetscInt        in[3] = {N_IN, 1, 1};
  hd_train_config c     = hd_train_defaults();
  hd_train_result res;
  uint64_t        h, gh, *all;
  double          loss = 0;

  PetscFunctionBegin;
  if (!net) PetscCall(hd_nn_create(spec, in, 1024, &net));
  PetscCall(hd_nn_init(net, 5, 0, HD_INIT_AUTO));
  c.objective    = obj;
  c.epochs       = 3;
  c.batch        = batch;
  c.val_fraction = 0.2;
  c.progress     = PETSC_FALSE;
  c.seed         = 5;
  c.label        = name;
  c.optim.lr     = 3e-3;

  if (fd) {
    /* d loss / d theta of one global batch against central differences of the same loss */
    PetscInt  rows[300], n = fd_n, np = net->n_params;
    float    *grad;
    int       worst_ok = 1;
    for (PetscInt i = 0; i < n; i++) rows[i] = (i * 7) % d->n;
    PetscCall(PetscMalloc1(np, &grad));
    PetscCall(hd_train_gradient(g->group, net, d, &c, rows, n, -1, &loss));
    PetscCall(PetscArraycpy(grad, net->grads, np));
    for (PetscInt k = 0; k < 12; k++) {
      PetscInt p = (k * 7919) % np;
      float    save = net->params[p];
      double   h_ = fd_h * PetscMax(1.0, fabs(save)), lp, lm, num;
      net->params[p] = save + (float)h_;
      PetscCall(hd_train_gradient(g->group, net, d, &c, rows, n, -1, &lp));
      net->params[p] = save - (float)h_;
      PetscCall(hd_train_gradient(g->group, net, d, &c, rows, n, -1, &lm));
      net->params[p] = save;
      num            = (lp - lm) / (2 * ((double)(save + (float)h_) - save));
      if (fabs(num - grad[p]) > fd_tol * fabs(num) + 2e-4) {
        worst_ok = 0;
        if (g->world_rank == 0) CHECK(0, "%s: parameter %" PetscInt_FMT ": gradient %.6g, finite difference %.6g", name, p, (double)grad[p], num);
      }
    }
    if (worst_ok && g->world_rank == 0) printf("ok: %s gradient of a global batch matches finite differences\n", name);
    PetscCall(PetscFree(grad));
  }

  {
    /* the gradient of one global batch, twice: the same bits (no state carried between calls),
     * and its fingerprint joins the line that the rank counts compare */
    PetscInt rows[250];
    uint64_t g1;
    for (PetscInt i = 0; i < 250; i++) rows[i] = (i * 13) % d->n;
    PetscCall(hd_train_gradient(g->group, net, d, &c, rows, 250, 0, &loss));
    g1 = fnv1a64(net->grads, net->n_params);
    PetscCall(hd_train_gradient(g->group, net, d, &c, rows, 250, 0, &loss));
    gh = fnv1a64(net->grads, net->n_params);
    CHECK(g1 == gh, "%s: the same batch gave two different gradients", name);
  }
  PetscCall(hd_train(g->group, net, d, &c, &res));
  h = fnv1a64(net->params, net->n_params);
  /* every group trained the same member: the groups must agree */
  PetscCall(PetscMalloc1(g->world_size, &all));
  PetscCallMPI(MPI_Allgather(&h, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, g->world));
  for (int r = 0; r < g->world_size; r++) CHECK(all[r] == h, "%s: rank %d trained different parameters", name, r);
  PetscCall(PetscFree(all));
  CHECK(isfinite(res.last_train_loss) && isfinite(res.last_val_loss), "%s: losses not finite", name);
  if (g->world_rank == 0) printf("objective %-12s gradient %016llx parameters %016llx val_loss %.17g\n", name, (unsigned long long)gh, (unsigned long long)h, res.last_val_loss);
  if (!prebuilt) PetscCall(hd_nn_destroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  hd_par_groups g   = {0};
  PetscInt      gs  = 1;
  PetscBool     fd  = PETSC_FALSE;
  toy_data     *t;
  int           total = 0;

  /* one BLAS thread per rank, as hadal runs: a threaded sgemm may round differently */
  openblas_set_num_threads(1);
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(hd_log_events_register());
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-group_size", &gs, NULL));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-fd", &fd));
  PetscCall(hd_par_groups_create(PETSC_COMM_WORLD, gs, &g));
  PetscCall(PetscNew(&t));
  make_data(t);

  hd_train_data ae = {.n = N_EVENTS, .in_size = N_IN, .x = t->x};
  hd_train_data cl = {.n = N_EVENTS, .in_size = N_IN, .x = t->x, .target = t->y1, .target_ld = 1};
  hd_train_data aa = {.n = N_EVENTS, .in_size = N_IN, .x = t->x, .target = t->soft, .target_ld = 2, .weight = t->w};
  hd_train_data rg = {.n = N_EVENTS, .in_size = N_IN, .x = t->x, .target = t->y2, .target_ld = 2};

  /* batch 250: 8 shards of 31-32 events, uneven over 3 ranks; the last batch is shorter */
  PetscCall(train_one(&g, "mse", "dense 16 relu, dense 3, dense 16 relu, dense 6", NULL, hd_objective_standard(HD_TRAIN_LOSS_MSE), &ae, 250, fd, 300, 1e-2, 2e-2));
  PetscCall(train_one(&g, "bce", "dense 16 relu, dense 16 relu, dense 1", NULL, hd_objective_standard(HD_TRAIN_LOSS_BCE), &cl, 250, fd, 300, 1e-2, 2e-2));
  PetscCall(train_one(&g, "softmax_ce", "dense 16 relu, dense 2", NULL, hd_objective_standard(HD_TRAIN_LOSS_SOFTMAX_CE), &aa, 250, fd, 300, 1e-2, 2e-2));
  {
    hd_objective toy = {.name = "toy_cov", .loss = toy_loss, .n_values = 2, .couple = toy_couple, .couple_backward = toy_couple_backward, .coupling = 10.0};
    PetscCall(train_one(&g, "toy_cov", "dense 16 tanh, dense 2", NULL, &toy, &rg, 250, fd, 300, 1e-2, 2e-2));
  }
  {
    hd_nn                 *flow;
    hd_objective_flow_ctx  fc;
    hd_objective           fo;
    float                  deq[N_IN] = {0, 0, 0, 0, 0, 1};
    PetscCall(hd_nn_create_flow("maf 2 layers, made 2x16, 5 knots, bound 3", N_IN, 1024, &flow));
    PetscCall(hd_objective_flow_nll(flow, deq, &fc, &fo));
    PetscCall(train_one(&g, "flow_nll", NULL, flow, &fo, &ae, 250, fd, 300, 3e-4, 2e-2));
    PetscCall(hd_nn_destroy(&flow));
  }
  {
    hd_nn                 *dae;
    hd_objective_disco_ctx dc;
    hd_objective           dob;
    const char            *specs[2] = {"dense 8 relu, dense 2, dense 8 relu, dense 6", "dense 8 relu, dense 2, dense 8 relu, dense 6"};
    const char            *names[2] = {"ae1", "ae2"};
    PetscInt               in[3]    = {N_IN, 1, 1};
    PetscCall(hd_nn_create_parallel(specs, names, 2, in, 1024, &dae));
    PetscCall(hd_objective_disco_ae(dae, 10.0, 250, &dc, &dob));
    PetscCall(train_one(&g, "ae_disco", NULL, dae, &dob, &ae, 250, fd, 80, 1.2e-4, 2e-2));
    PetscCall(hd_objective_disco_destroy(&dc));
    PetscCall(hd_nn_destroy(&dae));
  }
  { /* DisCo^2 within 4 categories (about 62 events of each in a batch of 250, 50 in the 200 events
     * of the finite-difference check (200 events: at 80, 20 per category, the kinks of DisCo^2's
     * |a_i - a_j| move the central differences by 3%); a category is left out below 10) */
    hd_nn                 *dae;
    hd_objective_disco_ctx dc;
    hd_objective           dob;
    hd_train_data          aec      = {.n = N_EVENTS, .in_size = N_IN, .x = t->x, .category = t->cat};
    const char            *specs[2] = {"dense 8 relu, dense 2, dense 8 relu, dense 6", "dense 8 relu, dense 2, dense 8 relu, dense 6"};
    const char            *names[2] = {"ae1", "ae2"};
    PetscInt               in[3]    = {N_IN, 1, 1};
    PetscCall(hd_nn_create_parallel(specs, names, 2, in, 1024, &dae));
    PetscCall(hd_objective_disco_ae(dae, 10.0, 250, &dc, &dob));
    PetscCall(hd_objective_disco_by_category(4, 10, &dc, &dob));
    { /* the coupling term is the share-weighted sum of each category's own DisCo^2; a category
       * with fewer than 10 events in the batch adds nothing */
      float  v[3 * 200], a[200], b[200];
      double got, want = 0;
      for (PetscInt i = 0; i < 200; i++) {
        v[3 * i]     = t->x[i * N_IN];
        v[3 * i + 1] = t->x[i * N_IN] * t->x[i * N_IN + 1] + (float)t->cat[i];
        v[3 * i + 2] = i < 5 ? 3.0f : (float)(t->cat[i] % 3); /* category 3: 5 events only */
      }
      PetscCall(dob.couple(&dob, 200, v, &got, NULL));
      for (int c = 0; c < 3; c++) {
        PetscInt m = 0;
        double   l;
        for (PetscInt i = 5; i < 200; i++)
          if (v[3 * i + 2] == (float)c) a[m] = v[3 * i], b[m] = v[3 * i + 1], m++;
        PetscCall(hd_nn_disco2(&l, NULL, NULL, a, b, NULL, m, 1.0));
        want += (double)m / 200.0 * l;
      }
      CHECK(fabs(got - want) <= 1e-12 * fabs(want) && want > 0, "ae_disco_categories: coupling %.17g, share-weighted DisCo^2 of the categories %.17g", got, want);
    }
    PetscCall(train_one(&g, "ae_disco_categories", NULL, dae, &dob, &aec, 250, fd, 200, 1.2e-4, 2e-2));
    PetscCall(hd_objective_disco_destroy(&dc));
    PetscCall(hd_nn_destroy(&dae));
  }

  PetscCall(PetscFree(t));
  PetscCall(hd_par_groups_destroy(&g));
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (total) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "objectives: %d failures\n", total));
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
