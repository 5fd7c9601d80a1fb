/* The training loop shared by every method (see include/hadal/train.h). */
#include <math.h>
#include <string.h>
#include <hadal/checkpoint.h>
#include <hadal/log.h>
#include <hadal/options.h>
#include <hadal/par.h>
#include <hadal/rng.h>
#include <hadal/signals.h>
#include <hadal/train.h>

/* Evaluation works in chunks of this many events, dealt to the group's ranks in contiguous
 * blocks: each event's value comes from the same call at any rank count. */
#define HD_EVAL_CHUNK 1024

hd_train_config hd_train_defaults(void)
{
  hd_train_config c;

  memset(&c, 0, sizeof(c));
  c.seed         = 1;
  c.epochs       = 20;
  c.batch        = 256;
  c.objective    = NULL;
  c.optim        = hd_nn_optim_adam_defaults();
  c.val_fraction = 0.2;
  c.lr_factor    = 0.5;
  c.restore_best = PETSC_TRUE;
  c.min_shard    = 32;
  c.max_shards   = 64;
  c.progress     = PETSC_TRUE;
  c.label        = "training";
  return c;
}

/* The values every trainer needs, on comm (naming the option): checked when the options are read
 * and again before training, for callers that fill a config themselves. */
static PetscErrorCode hd_train_check_values(MPI_Comm comm, const hd_train_config *c)
{
  PetscFunctionBegin;
  PetscCheck(c->epochs >= 1, comm, HD_ERR_USER_INPUT, "option -epochs must be at least 1 (got %" PetscInt_FMT ")", c->epochs);
  PetscCheck(c->batch >= 1, comm, HD_ERR_USER_INPUT, "option -batch_size must be at least 1 (got %" PetscInt_FMT ")", c->batch);
  PetscCheck(c->val_fraction >= 0 && c->val_fraction < 1, comm, HD_ERR_USER_INPUT, "option -val_fraction must lie in [0, 1) (got %g)", c->val_fraction);
  PetscCheck(c->min_shard >= 1, comm, HD_ERR_USER_INPUT, "option -min_shard must be at least 1 (got %" PetscInt_FMT ")", c->min_shard);
  PetscCheck(c->max_shards >= 1 && c->max_shards <= HD_PAR_SHARD_LIMIT, comm, HD_ERR_USER_INPUT, "option -max_shards must lie in [1, %d] (got %" PetscInt_FMT ")", HD_PAR_SHARD_LIMIT, c->max_shards);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_train_read_options(hd_train_config *c)
{
  char      optim[16];
  PetscReal lr_default;
  PetscBool adam;

  PetscFunctionBegin;
  PetscCall(hd_opt_int("-epochs", "training epochs (at most)", c->epochs, &c->epochs, NULL));
  PetscCall(hd_opt_int("-batch_size", "global minibatch size (the same at any rank count)", c->batch, &c->batch, NULL));
  PetscCall(hd_opt_string("-optimizer", "adam or sgd", c->optim.kind == HD_OPTIM_ADAM ? "adam" : "sgd", optim, sizeof(optim), NULL));
  adam = !strcmp(optim, "adam");
  PetscCheck(adam || !strcmp(optim, "sgd"), PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option -optimizer: unknown optimizer '%s' (adam or sgd)", optim);
  if (adam != (c->optim.kind == HD_OPTIM_ADAM)) c->optim = adam ? hd_nn_optim_adam_defaults() : hd_nn_optim_sgd_defaults();
  lr_default = c->optim.lr;
  PetscCall(hd_opt_real(adam ? "-adam_lr" : "-sgd_lr", "learning rate", lr_default, &c->optim.lr, NULL));
  if (!adam) {
    PetscCall(hd_opt_real("-momentum", "SGD momentum", c->optim.momentum, &c->optim.momentum, NULL));
    PetscCall(hd_opt_bool("-nesterov", "Nesterov momentum", c->optim.nesterov, &c->optim.nesterov, NULL));
  }
  PetscCall(hd_opt_real("-weight_decay", "weight decay (SGD: L2; Adam: decoupled)", c->optim.weight_decay, &c->optim.weight_decay, NULL));
  PetscCall(hd_opt_real("-val_fraction", "fraction of events held out for validation", c->val_fraction, &c->val_fraction, NULL));
  PetscCall(hd_opt_int("-lr_patience", "scale the learning rate by -lr_factor after this many epochs without improvement (0: never)", c->lr_patience, &c->lr_patience, NULL));
  PetscCall(hd_opt_real("-lr_factor", "learning-rate factor on a plateau", c->lr_factor, &c->lr_factor, NULL));
  PetscCall(hd_opt_int("-stop_patience", "stop after this many epochs without improvement (0: never)", c->stop_patience, &c->stop_patience, NULL));
  PetscCall(hd_opt_int("-min_shard", "events per shard at least: a minibatch is cut into min(-max_shards, ceil(batch / -min_shard)) shards, the granularity of the exact gradient sum and the most ranks a group can use (results depend on it, never on the rank count)", c->min_shard, &c->min_shard, NULL));
  PetscCall(hd_opt_int("-max_shards", "most shards per minibatch (see -min_shard)", c->max_shards, &c->max_shards, NULL));
  PetscCall(hd_opt_int("-checkpoint_every", "write a checkpoint every this many epochs (0: only on SIGTERM/SIGUSR1)", c->checkpoint_every, &c->checkpoint_every, NULL));
  PetscCall(hd_opt_bool("-resume", "continue from the checkpoint in the output folder", c->resume, &c->resume, NULL));
  if (hd_opt_help_requested()) PetscFunctionReturn(PETSC_SUCCESS); /* -help lists, never checks */
  /* here, before any data is read (hd_train_check_config checks again for library callers) */
  PetscCall(hd_train_check_values(PETSC_COMM_WORLD, c));
  PetscCheck(c->optim.lr > 0, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option %s must be positive (got %g)", adam ? "-adam_lr" : "-sgd_lr", (double)c->optim.lr);
  PetscCheck(c->lr_patience >= 0 && c->stop_patience >= 0 && c->checkpoint_every >= 0, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "options -lr_patience, -stop_patience and -checkpoint_every must be at least 0 (got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", c->lr_patience, c->stop_patience, c->checkpoint_every);
  PetscCheck(c->lr_factor > 0 && c->lr_factor <= 1, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "option -lr_factor must lie in (0, 1] (got %g)", c->lr_factor);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the separable losses of nn.h as objectives (output 0 against the shard's targets) ---- */

static PetscErrorCode hd_objective_standard_loss(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, PetscBool grad, double *loss, float *per_event, float *values)
{
  float   *dz = grad ? net->dout : NULL;
  PetscInt K  = net->out_size;

  PetscFunctionBegin;
  (void)values;
  switch ((hd_train_loss)(intptr_t)obj->ctx) {
  case HD_TRAIN_LOSS_MSE:
    PetscCall(hd_nn_loss_mse(loss, dz, per_event, net->output, s->target, s->target_ld, s->weight, s->n, K, s->norm));
    break;
  case HD_TRAIN_LOSS_BCE:
    PetscCall(hd_nn_loss_bce_logits(loss, dz, per_event, net->output, s->target, s->target_ld, s->weight, s->n, K, s->norm));
    break;
  case HD_TRAIN_LOSS_SOFTMAX_CE:
    PetscCall(hd_nn_loss_softmax_ce(loss, dz, per_event, net->output, s->target, s->target_ld, s->weight, s->n, K, s->norm));
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const hd_objective hd_objectives_standard[3] = {
  {.name = "mse", .loss = hd_objective_standard_loss, .ctx = (void *)(intptr_t)HD_TRAIN_LOSS_MSE},
  {.name = "bce", .loss = hd_objective_standard_loss, .ctx = (void *)(intptr_t)HD_TRAIN_LOSS_BCE},
  {.name = "softmax_ce", .loss = hd_objective_standard_loss, .ctx = (void *)(intptr_t)HD_TRAIN_LOSS_SOFTMAX_CE},
};

const hd_objective *hd_objective_standard(hd_train_loss loss) { return &hd_objectives_standard[loss]; }

/* Scratch for gathering rows of the table into contiguous batch buffers. */
typedef struct {
  float   *x, *t, *w;
  int32_t *c;
} hd_train_rows;

static PetscErrorCode hd_train_rows_create(const hd_train_data *d, PetscInt max_rows, hd_train_rows *r)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc1(max_rows * d->in_size, &r->x));
  r->t = NULL;
  r->w = NULL;
  r->c = NULL;
  if (d->category) PetscCall(PetscMalloc1(max_rows, &r->c));
  if (d->target && d->target_ld > 0) PetscCall(PetscMalloc1(max_rows * d->target_ld, &r->t));
  if (d->weight) PetscCall(PetscMalloc1(max_rows, &r->w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_train_rows_destroy(hd_train_rows *r)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(r->x));
  PetscCall(PetscFree(r->t));
  PetscCall(PetscFree(r->w));
  PetscCall(PetscFree(r->c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Gathers rows idx[0..B) into r and describes them as a shard of a global minibatch. */
static void hd_train_gather(const hd_train_data *d, const PetscInt *idx, PetscInt B, hd_train_rows *r, hd_train_shard *s)
{
  for (PetscInt i = 0; i < B; i++) memcpy(r->x + i * d->in_size, d->x + idx[i] * d->in_size, (size_t)d->in_size * sizeof(float));
  if (d->weight)
    for (PetscInt i = 0; i < B; i++) r->w[i] = d->weight[idx[i]];
  if (d->category)
    for (PetscInt i = 0; i < B; i++) r->c[i] = d->category[idx[i]];
  s->category = d->category ? r->c : NULL;
  s->n      = B;
  s->rows   = idx;
  s->x      = r->x;
  s->weight = d->weight ? r->w : NULL;
  if (!d->target) { /* autoencoder: the target is the input */
    s->target    = r->x;
    s->target_ld = d->in_size;
  } else if (d->target_ld == 0) {
    s->target    = d->target;
    s->target_ld = 0;
  } else {
    for (PetscInt i = 0; i < B; i++) memcpy(r->t + i * d->target_ld, d->target + idx[i] * d->target_ld, (size_t)d->target_ld * sizeof(float));
    s->target    = r->t;
    s->target_ld = d->target_ld;
  }
}

/* The fixed evaluation chunks [c0, c0 + nc) that `rank` of `size` computes over n events, and the
 * events they cover: a contiguous range, the same chunks at any rank count. */
static void hd_train_rank_chunks(PetscInt n, int rank, int size, PetscInt *e0, PetscInt *e1)
{
  PetscInt n_chunks = (n + HD_EVAL_CHUNK - 1) / HD_EVAL_CHUNK;
  PetscInt c0 = (n_chunks * rank) / size, c1 = (n_chunks * (rank + 1)) / size;

  *e0 = PetscMin(c0 * HD_EVAL_CHUNK, n);
  *e1 = PetscMin(c1 * HD_EVAL_CHUNK, n);
}

/* Shares rows [e0(r), e1(r)) x width of `local` computed by every rank r of the group into all
 * (n x width) on every rank. Collective on group. */
static PetscErrorCode hd_train_allgather_rows(MPI_Comm group, PetscInt n, PetscInt width, const PetscInt *first, float *all)
{
  int  size, *counts, *displs;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  for (int r = 0; r < size; r++) {
    PetscInt64 c = (PetscInt64)(first[r + 1] - first[r]) * width, o = (PetscInt64)first[r] * width;
    PetscCheck(c + o <= PETSC_MPI_INT_MAX, group, HD_ERR_INTERNAL, "%" PetscInt_FMT " x %" PetscInt_FMT " values are too many for one MPI_Allgatherv", n, width);
    counts[r] = (int)c;
    displs[r] = (int)o;
  }
  PetscCallMPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts, displs, MPI_FLOAT, group));
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Separable loss (and, with `values`, the per-event coupling values, n_values each) of events
 * idx[0..n) without gradients, in fixed chunks dealt to the group: the chunk losses are added in
 * chunk order on every rank, and the values of every event reach every rank. */
static PetscErrorCode hd_train_loss_over(MPI_Comm group, hd_nn *net, const hd_train_data *d, const hd_objective *obj, const PetscInt *idx, PetscInt n, hd_train_rows *rows, double *loss, float *values)
{
  PetscInt n_chunks = (n + HD_EVAL_CHUNK - 1) / HD_EVAL_CHUNK, nv = obj->n_values, e0, e1, *first;
  int      rank, size;
  double  *part, *all;

  PetscFunctionBegin;
  *loss = 0;
  if (n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCall(PetscCalloc1(n_chunks, &part));
  PetscCall(PetscMalloc1(n_chunks, &all));
  hd_train_rank_chunks(n, rank, size, &e0, &e1);
  for (PetscInt b0 = e0; b0 < e1; b0 += HD_EVAL_CHUNK) {
    hd_train_shard sh = {0};
    hd_train_gather(d, idx + b0, PetscMin(HD_EVAL_CHUNK, e1 - b0), rows, &sh);
    sh.norm   = (double)n;
    sh.first  = b0;
    sh.batch  = n;
    sh.epoch  = -1;
    PetscCall(hd_nn_forward(net, rows->x, sh.n));
    PetscCall(obj->loss(obj, net, &sh, PETSC_FALSE, &part[b0 / HD_EVAL_CHUNK], NULL, values ? values + b0 * nv : NULL));
  }
  /* each chunk has one owner, so the sum with zeros is exact */
  PetscCallMPI(MPI_Allreduce(part, all, (int)n_chunks, MPI_DOUBLE, MPI_SUM, group));
  for (PetscInt c = 0; c < n_chunks; c++) *loss += all[c];
  if (values) {
    PetscCall(PetscMalloc1(size + 1, &first));
    for (int r = 0; r < size; r++) hd_train_rank_chunks(n, r, size, &first[r], &e1);
    first[size] = n;
    PetscCall(hd_train_allgather_rows(group, n, nv, first, values));
    PetscCall(PetscFree(first));
  }
  PetscCall(PetscFree(part));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The coupling term of a validation set: the mean over consecutive blocks of `batch` events (the
 * last block may be shorter) of lambda x couple(block), the same on every rank. */
static PetscErrorCode hd_train_coupling_over(const hd_objective *obj, PetscInt n, PetscInt batch, const float *values, double *loss)
{
  PetscInt n_blocks = (n + batch - 1) / batch;

  PetscFunctionBegin;
  *loss = 0;
  for (PetscInt k = 0; k < n_blocks; k++) {
    PetscInt b0 = k * batch;
    double   l  = 0;
    PetscCall(obj->couple(obj, PetscMin(batch, n - b0), values + b0 * obj->n_values, &l, NULL));
    *loss += obj->coupling * l;
  }
  if (n_blocks) *loss /= (double)n_blocks;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_train_check_config(MPI_Comm group, const hd_nn *net, const hd_train_data *d, const hd_train_config *c, const hd_objective *obj)
{
  PetscFunctionBegin;
  PetscCheck(d->in_size == net->in_size, group, HD_ERR_USER_INPUT, "%s: the data has %" PetscInt_FMT " inputs per event, the network takes %" PetscInt_FMT, c->label, d->in_size, net->in_size);
  PetscCheck(d->target || obj->n_values > 0 || obj->loss != hd_objective_standard_loss || d->in_size == net->out_size, group, HD_ERR_USER_INPUT, "%s: an autoencoder needs as many outputs (%" PetscInt_FMT ") as inputs (%" PetscInt_FMT ")", c->label, net->out_size, d->in_size);
  PetscCheck(!d->target || d->target_ld == 0 || obj->loss != hd_objective_standard_loss || d->target_ld == net->out_size, group, HD_ERR_USER_INPUT, "%s: targets have %" PetscInt_FMT " values per event, the network gives %" PetscInt_FMT, c->label, d->target_ld, net->out_size);
  PetscCheck(obj->n_values == 0 || (obj->couple && obj->couple_backward), group, HD_ERR_INTERNAL, "%s: objective '%s' has coupling values but no coupling step", c->label, obj->name);
  PetscCall(hd_train_check_values(group, c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Save the loop's state: the position (epoch, next step) and what changes during training; the
 * buffers (parameters, moments, best parameters, epoch losses) are already in ck. Collective. */
static PetscErrorCode hd_train_save(MPI_Comm group, const hd_train_config *c, const hd_nn *net, hd_checkpoint *ck, PetscInt epoch, PetscInt step, PetscInt n_losses, const hd_nn_optim *opt, const hd_nn_plateau *plateau, double train_events)
{
  int size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(group, &size));
  ck->epoch        = epoch;
  ck->step         = step;
  ck->optim_step   = opt->step;
  ck->lr           = opt->cfg.lr;
  ck->plateau      = *plateau;
  ck->n_ranks      = size;
  ck->n_losses     = n_losses;
  ck->train_events = train_events;
  if (n_losses > 0 && size > 1) {
    /* mid-epoch: each rank holds the losses of its own shards only (zeros elsewhere); the file gets
     * their sums, exact (one non-zero contributor per entry), whatever group resumes it */
    double *own = ck->losses, *sum;
    PetscCall(PetscMalloc1(n_losses, &sum));
    PetscCallMPI(MPI_Allreduce(own, sum, (int)n_losses, MPI_DOUBLE, MPI_SUM, group));
    ck->losses = sum;
    PetscCall(hd_checkpoint_write(group, c->checkpoint, net->spec, ck));
    ck->losses = own;
    PetscCall(PetscFree(sum));
  } else PetscCall(hd_checkpoint_write(group, c->checkpoint, net->spec, ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* After a checkpoint was read: the plateau's counters (best loss, epochs since the best...) come
 * from the file, its settings (-stop_patience, -lr_patience, -lr_factor, which the file does not
 * hold) stay this run's, or a resumed member would no longer stop early or lower its learning rate
 * where an uninterrupted one does. The file's epoch losses are the group's sums (hd_train_save):
 * only rank 0 keeps them, so that the epoch-end sum over the ranks counts each once. Collective. */
static PetscErrorCode hd_train_resume_state(MPI_Comm group, hd_checkpoint *ck, hd_nn_plateau *plateau)
{
  int rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  plateau->best         = ck->plateau.best;
  plateau->best_epoch   = ck->plateau.best_epoch;
  plateau->epoch        = ck->plateau.epoch;
  plateau->since_best   = ck->plateau.since_best;
  plateau->since_lr     = ck->plateau.since_lr;
  plateau->n_reductions = ck->plateau.n_reductions;
  if (rank != 0) PetscCall(PetscArrayzero(ck->losses, ck->n_losses));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What one step of training needs besides the network: the scratch rows and, for a coupled
 * objective, the per-event values of the global batch and their gradient. */
typedef struct {
  const hd_train_data *d;
  const hd_objective  *obj;
  hd_train_rows        rows;
  float              **shard_grads; /* (n_local_max) one gradient buffer per local shard */
  PetscInt             n_local_max;
  PetscInt            *bounds;      /* (max_shards + 1) */
  PetscInt            *first;       /* (size + 1) first event of each rank's shards in the batch */
  float               *values;      /* (batch, n_values) */
  float               *dvalues;     /* (batch, n_values) */
} hd_train_step_work;

/* The forward of shard s of the batch at idx (Bb events) and its separable loss; with grad the
 * loss's gradient is in the output gradients. */
static PetscErrorCode hd_train_shard_forward(hd_nn *net, const hd_train_config *c, hd_train_step_work *w, const PetscInt *idx, PetscInt Bb, PetscInt s, PetscInt epoch, PetscBool grad, double *loss, float *values)
{
  hd_train_shard sh = {0};

  PetscFunctionBegin;
  hd_train_gather(w->d, idx + w->bounds[s], w->bounds[s + 1] - w->bounds[s], &w->rows, &sh);
  sh.norm   = (double)Bb;
  sh.first  = w->bounds[s];
  sh.batch  = Bb;
  sh.epoch  = epoch;
  sh.seed   = c->seed;
  sh.member = c->member;
  if (w->obj->transform && epoch >= 0) PetscCall(w->obj->transform(w->obj, &sh, w->rows.x));
  PetscCall(PetscLogEventBegin(HD_EVENT_FORWARD, 0, 0, 0, 0));
  PetscCall(hd_nn_forward(net, w->rows.x, sh.n));
  PetscCall(w->obj->loss(w->obj, net, &sh, grad, loss, NULL, values));
  if (grad && w->obj->n_values > 0) PetscCall(w->obj->couple_backward(w->obj, net, &sh, w->dvalues + sh.first * w->obj->n_values));
  PetscCall(PetscLogEventEnd(HD_EVENT_FORWARD, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One training step on the Bb events idx[0..Bb): this rank's shards [s0, s0 + ns) of S,
 * their gradients summed exactly over the group into net->grads; shard losses into losses[s]
 * (the coupling term counted once, in shard 0's entry). Collective on group. */
static PetscErrorCode hd_train_step(MPI_Comm group, hd_nn *net, const hd_train_config *c, hd_train_step_work *w, hd_par_reducer *reducer, const PetscInt *idx, PetscInt Bb, PetscInt epoch, double *losses)
{
  const hd_objective *obj = w->obj;
  PetscInt            S, s0, ns, nv = obj->n_values;
  int                 rank, size;
  float              *grads = net->grads;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCall(hd_par_shards(Bb, c->min_shard, c->max_shards, &S, w->bounds));
  hd_par_rank_shards(S, rank, size, &s0, &ns);
  if (nv > 0) {
    /* pass 1: every shard's coupling values, shared in shard order; the coupling term and its
     * gradient wrt every value, computed identically on every rank */
    double coupling = 0;
    for (int r = 0; r < size; r++) {
      PetscInt a, k;
      hd_par_rank_shards(S, r, size, &a, &k);
      w->first[r] = w->bounds[PetscMin(a, S)];
    }
    w->first[size] = Bb;
    for (PetscInt k = 0; k < ns; k++) {
      double l = 0;
      PetscCall(hd_train_shard_forward(net, c, w, idx, Bb, s0 + k, epoch, PETSC_FALSE, &l, w->values + w->bounds[s0 + k] * nv));
    }
    PetscCall(hd_train_allgather_rows(group, Bb, nv, w->first, w->values));
    PetscCall(PetscArrayzero(w->dvalues, Bb * nv));
    PetscCall(obj->couple(obj, Bb, w->values, &coupling, w->dvalues));
    for (PetscInt i = 0; i < Bb * nv; i++) w->dvalues[i] *= (float)obj->coupling;
    if (ns > 0 && s0 == 0) losses[0] += obj->coupling * coupling;
  }
  /* pass 2 (the only one for a separable objective): forward, loss, backward per shard */
  for (PetscInt k = 0; k < ns; k++) {
    double l = 0;
    net->grads = w->shard_grads[k];
    PetscCall(hd_nn_zero_grad(net));
    PetscCall(hd_train_shard_forward(net, c, w, idx, Bb, s0 + k, epoch, PETSC_TRUE, &l, NULL));
    PetscCall(PetscLogEventBegin(HD_EVENT_BACKWARD, 0, 0, 0, 0));
    PetscCall(hd_nn_backward(net, NULL));
    PetscCall(PetscLogEventEnd(HD_EVENT_BACKWARD, 0, 0, 0, 0));
    losses[s0 + k] += l;
  }
  net->grads = grads;
  PetscCall(PetscLogEventBegin(HD_EVENT_ALLREDUCE, 0, 0, 0, 0));
  PetscCall(hd_par_reducer_sum(reducer, ns, (const float *const *)w->shard_grads, net->grads));
  PetscCall(PetscLogEventEnd(HD_EVENT_ALLREDUCE, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The block of the parameters each rank of the group updates (hd_par_block): counts and
 * displacements for MPI_Allgatherv. */
static PetscErrorCode hd_train_optim_blocks(MPI_Comm group, PetscInt n, int **counts, int **displs)
{
  int size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCheck(n <= PETSC_MPI_INT_MAX, group, HD_ERR_INTERNAL, "%" PetscInt_FMT " parameters are too many for one MPI_Allgatherv", n);
  PetscCall(PetscMalloc2(size, counts, size, displs));
  for (int r = 0; r < size; r++) {
    PetscInt off, cnt;
    hd_par_block(n, r, size, &off, &cnt);
    (*counts)[r] = (int)cnt;
    (*displs)[r] = (int)off;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The optimiser step split over the group: each rank updates its block of the parameters (and of
 * the optimiser's moments), then the blocks are shared with one MPI_Allgatherv of the parameters.
 * Every update is elementwise with scalars that depend on the step count only, so a parameter gets
 * the same float whichever rank computes it: the parameters are those of a full step on every
 * rank, at any group size. A step repeated on every rank was the part of a data-parallel step that
 * did not shrink with the ranks (docs/scaling.md). The moments are current only in each rank's
 * own block until hd_train_optim_gather. Collective on group. */
static PetscErrorCode hd_train_optim_step(MPI_Comm group, hd_nn_optim *opt, float *params, const float *grads, const int *counts, const int *displs)
{
  int         rank, size;
  hd_nn_optim block;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(group, &size));
  if (size == 1) {
    PetscCall(hd_nn_optim_step(opt, params, grads));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  block   = *opt;
  block.n = counts[rank];
  block.m = opt->m ? opt->m + displs[rank] : NULL;
  block.v = opt->v ? opt->v + displs[rank] : NULL;
  PetscCall(hd_nn_optim_step(&block, params + displs[rank], grads + displs[rank]));
  opt->step = block.step;
  PetscCallMPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, params, counts, displs, MPI_FLOAT, group));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every rank's blocks of the optimiser's moments to every rank, so that a checkpoint holds them
 * whole. Collective on group. */
static PetscErrorCode hd_train_optim_gather(MPI_Comm group, hd_nn_optim *opt, const int *counts, const int *displs)
{
  int size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(group, &size));
  if (size == 1) PetscFunctionReturn(PETSC_SUCCESS);
  if (opt->m) PetscCallMPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, opt->m, counts, displs, MPI_FLOAT, group));
  if (opt->v) PetscCallMPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, opt->v, counts, displs, MPI_FLOAT, group));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The step's work space for global batches of up to B events (rows not included: their size
 * depends on what else the caller evaluates). *S_full: the shard count of a full batch. */
static PetscErrorCode hd_train_work_create(MPI_Comm group, const hd_nn *net, const hd_train_data *d, const hd_objective *obj, const hd_train_config *c, PetscInt B, hd_train_step_work *w, PetscInt *S_full)
{
  int size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(group, &size));
  w->d   = d;
  w->obj = obj;
  PetscCall(PetscMalloc1(c->max_shards + 1, &w->bounds));
  PetscCall(PetscMalloc1(size + 1, &w->first));
  PetscCall(hd_par_shards(B, c->min_shard, c->max_shards, S_full, w->bounds));
  w->n_local_max = PetscMax((*S_full + size - 1) / size, 1);
  PetscCall(PetscMalloc1(w->n_local_max, &w->shard_grads));
  /* Zeroed here so that their pages are touched before the first step: on a virtual machine a
   * first touch costs microseconds per page, which would otherwise land in the first timed step
   * (64 x n_params floats: a 20-step svdd benchmark ran 15-20% faster with them touched here). */
  for (PetscInt k = 0; k < w->n_local_max; k++) {
    PetscCall(PetscMalloc1(net->n_params, &w->shard_grads[k]));
    PetscCall(PetscArrayzero(w->shard_grads[k], net->n_params));
  }
  if (obj->n_values > 0) PetscCall(PetscMalloc2(B * obj->n_values, &w->values, B * obj->n_values, &w->dvalues));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_train_work_destroy(hd_train_step_work *w)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < w->n_local_max; k++) PetscCall(PetscFree(w->shard_grads[k]));
  PetscCall(PetscFree(w->shard_grads));
  PetscCall(PetscFree(w->bounds));
  PetscCall(PetscFree(w->first));
  if (w->values) PetscCall(PetscFree2(w->values, w->dvalues));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The exact shard reducer over the network's tensor table. Not collective. */
static PetscErrorCode hd_train_reducer_create(MPI_Comm group, const hd_nn *net, hd_par_reducer *reducer)
{
  PetscInt    *offsets, *sizes;
  const char **names;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(net->n_tensors, &offsets, net->n_tensors, &sizes, net->n_tensors, &names));
  for (PetscInt t = 0; t < net->n_tensors; t++) {
    offsets[t] = net->tensors[t].offset;
    sizes[t]   = net->tensors[t].size;
    names[t]   = net->tensors[t].name;
  }
  PetscCall(hd_par_reducer_create(group, net->n_params, net->n_tensors, offsets, sizes, reducer));
  PetscCall(hd_par_reducer_set_names(reducer, names));
  PetscCall(PetscFree3(offsets, sizes, names));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_train_gradient(MPI_Comm group, hd_nn *net, const hd_train_data *d, const hd_train_config *c, const PetscInt *rows, PetscInt n, PetscInt epoch, double *loss)
{
  const hd_objective *obj = c->objective ? c->objective : hd_objective_standard(HD_TRAIN_LOSS_MSE);
  hd_train_step_work  w   = {0};
  hd_par_reducer      reducer = {0};
  PetscInt            S;
  double             *losses, *all;

  PetscFunctionBegin;
  PetscCall(hd_train_check_config(group, net, d, c, obj));
  PetscCheck(n >= 1 && n <= net->max_batch * c->max_shards, group, HD_ERR_USER_INPUT, "%s: a batch of %" PetscInt_FMT " events", c->label, n);
  PetscCall(hd_train_work_create(group, net, d, obj, c, n, &w, &S));
  PetscCall(hd_train_rows_create(d, w.bounds[1] - w.bounds[0], &w.rows));
  PetscCall(hd_train_reducer_create(group, net, &reducer));
  PetscCall(PetscCalloc2(S, &losses, S, &all));
  PetscCall(hd_train_step(group, net, c, &w, &reducer, rows, n, epoch, losses));
  PetscCallMPI(MPI_Allreduce(losses, all, (int)S, MPI_DOUBLE, MPI_SUM, group));
  *loss = 0;
  for (PetscInt k = 0; k < S; k++) *loss += all[k];
  PetscCall(PetscFree2(losses, all));
  PetscCall(hd_par_reducer_destroy(&reducer));
  PetscCall(hd_train_rows_destroy(&w.rows));
  PetscCall(hd_train_work_destroy(&w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_train(MPI_Comm group, hd_nn *net, const hd_train_data *d, const hd_train_config *c, hd_train_result *res)
{
  const hd_objective *obj = c->objective ? c->objective : hd_objective_standard(HD_TRAIN_LOSS_MSE);
  int                 rank, size;
  PetscInt           *train_idx, *train_base, *val_idx, n_train = 0, n_val = 0, n_params = net->n_params, nv = obj->n_values;
  PetscInt            B, steps_per_epoch, S_full;
  float              *best, *val_values = NULL;
  double             *step_losses, *step_losses_all;
  hd_nn_optim         opt;
  hd_nn_plateau       plateau;
  hd_par_reducer      reducer = {0};
  hd_train_step_work  w = {0};
  PetscInt            epoch0 = 0, step0 = 0;
  double              train_events = 0, events_at_start = 0, t_start;
  PetscBool           stop = PETSC_FALSE;
  int                *opt_counts = NULL, *opt_displs = NULL; /* each rank's block of the optimiser step */

  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(HD_STAGE_TRAIN));
  PetscCall(hd_train_check_config(group, net, d, c, obj));
  PetscCall(PetscMemzero(res, sizeof(*res)));
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  PetscCallMPI(MPI_Comm_size(group, &size));

  /* validation split: a fixed draw per (member, event) */
  PetscCall(PetscMalloc1(d->n, &train_idx));
  PetscCall(PetscMalloc1(d->n, &val_idx));
  for (PetscInt i = 0; i < d->n; i++) {
    hd_rng r;
    hd_rng_init(&r, c->seed, HD_STREAM_SPLIT, ((uint64_t)c->member << 32) | (uint64_t)i);
    if (c->val_fraction > 0 && hd_rng_uniform(&r) < c->val_fraction) val_idx[n_val++] = i;
    else train_idx[n_train++] = i;
  }
  PetscCheck(n_train > 0, group, HD_ERR_USER_INPUT, "%s: no training events left after the validation split (%" PetscInt_FMT " events, -val_fraction %g)", c->label, d->n, c->val_fraction);
  /* tiny data: say that the validation loss of the progress lines and results is the training loss */
  if (c->val_fraction > 0 && n_val == 0) PetscCall(hd_log(group, "%s: no validation events (%" PetscInt_FMT " events at -val_fraction %g): the best epoch and early stopping follow the training loss\n", c->label, d->n, c->val_fraction));
  PetscCall(PetscMalloc1(n_train, &train_base));
  PetscCall(PetscArraycpy(train_base, train_idx, n_train));
  B               = PetscMin(c->batch, n_train);
  steps_per_epoch = (n_train + B - 1) / B;

  PetscCall(hd_train_work_create(group, net, d, obj, c, B, &w, &S_full));
  if (nv > 0 && n_val > 0) PetscCall(PetscMalloc1(n_val * nv, &val_values));
  /* the largest batch a forward sees: a shard, or a validation chunk */
  PetscInt max_rows = PetscMax(w.bounds[1] - w.bounds[0], PetscMin(HD_EVAL_CHUNK, n_val));
  PetscCall(hd_train_rows_create(d, max_rows, &w.rows));
  PetscCheck(net->max_batch >= max_rows, group, HD_ERR_INTERNAL, "%s: the network was built for batches of %" PetscInt_FMT " events, training needs %" PetscInt_FMT, c->label, net->max_batch, max_rows);
  PetscCall(PetscCalloc1(steps_per_epoch * S_full, &step_losses));
  PetscCall(PetscMalloc1(steps_per_epoch * S_full, &step_losses_all));
  PetscCall(PetscMalloc1(n_params, &best));
  PetscCall(PetscArraycpy(best, net->params, n_params));

  PetscCall(hd_train_reducer_create(group, net, &reducer));
  PetscCall(hd_nn_optim_create(&c->optim, n_params, &opt));
  PetscCall(hd_train_optim_blocks(group, n_params, &opt_counts, &opt_displs));
  PetscCall(hd_nn_plateau_init(&plateau, c->lr_patience, c->lr_factor, c->stop_patience, 0.0));

  hd_checkpoint ck = {0};
  ck.seed     = c->seed;
  ck.member   = c->member;
  ck.n_params = n_params;
  ck.params   = net->params;
  ck.m        = opt.m;
  ck.v        = opt.v;
  ck.best     = best;
  ck.losses   = step_losses;
  if (c->checkpoint[0] && c->resume) {
    PetscBool found;
    ck.n_losses = steps_per_epoch * S_full;
    PetscCall(hd_checkpoint_read(group, c->checkpoint, net->spec, &ck, &found));
    if (found) {
      epoch0         = ck.epoch;
      step0          = ck.step;
      opt.step       = ck.optim_step;
      opt.cfg.lr     = ck.lr;
      train_events   = ck.train_events;
      PetscCall(hd_train_resume_state(group, &ck, &plateau));
      PetscCall(hd_log(group, "%s: resuming from '%s' at epoch %" PetscInt_FMT " step %" PetscInt_FMT "\n", c->label, c->checkpoint, epoch0 + 1, step0));
    } else PetscCall(hd_log(group, "%s: -resume: no checkpoint '%s' yet, starting afresh\n", c->label, c->checkpoint));
  }

  t_start         = hd_wtime();
  events_at_start = train_events;
  PetscInt epoch;
  for (epoch = epoch0; epoch < c->epochs && !stop; epoch++) {
    /* this epoch's order: Fisher-Yates keyed by (seed, member, epoch), the same on every rank */
    hd_rng order;
    PetscCall(PetscArraycpy(train_idx, train_base, n_train));
    hd_rng_init(&order, c->seed, HD_STREAM_SHUFFLE, ((uint64_t)c->member << 32) | (uint64_t)epoch);
    for (PetscInt i = n_train - 1; i > 0; i--) {
      PetscInt j   = (PetscInt)hd_rng_below(&order, (uint32_t)(i + 1)), tmp = train_idx[i];
      train_idx[i] = train_idx[j];
      train_idx[j] = tmp;
    }
    if (epoch != epoch0 || step0 == 0) PetscCall(PetscArrayzero(step_losses, steps_per_epoch * S_full));
    PetscInt step;
    for (step = (epoch == epoch0 ? step0 : 0); step < steps_per_epoch; step++) {
      PetscInt b0 = step * B, Bb = PetscMin(B, n_train - b0);

      PetscCall(hd_train_step(group, net, c, &w, &reducer, train_idx + b0, Bb, epoch, step_losses + step * S_full));
      PetscCall(PetscLogEventBegin(HD_EVENT_OPTIM, 0, 0, 0, 0));
      PetscCall(hd_train_optim_step(group, &opt, net->params, net->grads, opt_counts, opt_displs));
      PetscCall(PetscLogEventEnd(HD_EVENT_OPTIM, 0, 0, 0, 0));
      train_events += (double)Bb;
      PetscCall(hd_signals_agree(group, &stop));
      if (stop) {
        step++;
        break;
      }
    }
    if (stop && step < steps_per_epoch) {
      /* stopped mid-epoch: a resumed run continues at this epoch's next step */
      if (c->checkpoint[0]) {
        PetscCall(hd_train_optim_gather(group, &opt, opt_counts, opt_displs));
        PetscCall(hd_train_save(group, c, net, &ck, epoch, step, steps_per_epoch * S_full, &opt, &plateau, train_events));
        PetscCall(hd_log(group, "%s: signal %d received: checkpoint written to '%s' at epoch %" PetscInt_FMT " step %" PetscInt_FMT "\n", c->label, hd_signals_pending(), c->checkpoint, epoch + 1, step));
      }
      res->interrupted = PETSC_TRUE;
      break;
    }

    /* epoch end: training loss (per-shard sums in shard order), validation loss, plateau */
    double train_loss = 0, val_loss = 0, lr_scale = 1;
    PetscBool improved = PETSC_FALSE, early = PETSC_FALSE;
    PetscCallMPI(MPI_Allreduce(step_losses, step_losses_all, (int)(steps_per_epoch * S_full), MPI_DOUBLE, MPI_SUM, group));
    for (PetscInt k = 0; k < steps_per_epoch * S_full; k++) train_loss += step_losses_all[k];
    train_loss /= steps_per_epoch;
    if (n_val > 0) {
      PetscCall(hd_train_loss_over(group, net, d, obj, val_idx, n_val, &w.rows, &val_loss, val_values));
      if (nv > 0) {
        double coupling;
        PetscCall(hd_train_coupling_over(obj, n_val, B, val_values, &coupling));
        val_loss += coupling;
      }
    } else val_loss = train_loss;
    PetscCheck(isfinite(train_loss), group, HD_ERR_USER_INPUT, "%s: the training loss is %g at epoch %" PetscInt_FMT ": lower the learning rate (-adam_lr / -sgd_lr) or check the inputs", c->label, train_loss, epoch + 1);
    PetscCall(hd_nn_plateau_update(&plateau, val_loss, &improved, &lr_scale, &early));
    if (improved) PetscCall(PetscArraycpy(best, net->params, n_params));
    opt.cfg.lr *= lr_scale;
    res->last_train_loss = train_loss;
    res->last_val_loss   = val_loss;
    if (c->progress) {
      double el = hd_wtime() - t_start;
      PetscCall(hd_log(group, "%s: epoch %3" PetscInt_FMT "/%" PetscInt_FMT "  train %.6g  val %.6g%s  lr %.3g  %.0f events/s\n", c->label, epoch + 1, c->epochs, train_loss, val_loss, improved ? " *" : "  ", opt.cfg.lr, el > 0 ? (train_events - events_at_start) / el : 0.0));
    }
    if (c->checkpoint[0] && (stop || (c->checkpoint_every > 0 && (epoch + 1) % c->checkpoint_every == 0))) {
      PetscCall(hd_train_optim_gather(group, &opt, opt_counts, opt_displs));
      PetscCall(hd_train_save(group, c, net, &ck, epoch + 1, 0, 0, &opt, &plateau, train_events));
    }
    if (stop && !early) { /* a signal in the epoch that stops early: the training is over, not cut */
      res->interrupted = PETSC_TRUE;
      epoch++;
      break;
    }
    if (early) {
      res->early_stopped = PETSC_TRUE;
      epoch++;
      break;
    }
  }
  res->epochs_run    = epoch;
  res->best_epoch    = plateau.best_epoch;
  res->best_val_loss = plateau.best;
  res->events_per_s  = (train_events - events_at_start) / PetscMax(hd_wtime() - t_start, 1e-9);
  if (c->checkpoint[0] && !res->interrupted && epoch0 < c->epochs) {
    /* a finished member: resuming from this file changes nothing (no epoch is left to run) */
    PetscCall(hd_train_optim_gather(group, &opt, opt_counts, opt_displs));
    PetscCall(hd_train_save(group, c, net, &ck, c->epochs, 0, 0, &opt, &plateau, train_events));
  }
  if (c->restore_best && !res->interrupted && plateau.best_epoch >= 0) PetscCall(PetscArraycpy(net->params, best, n_params));

  PetscCall(hd_par_reducer_destroy(&reducer));
  PetscCall(hd_nn_optim_destroy(&opt));
  PetscCall(PetscFree2(opt_counts, opt_displs));
  PetscCall(hd_train_rows_destroy(&w.rows));
  PetscCall(hd_train_work_destroy(&w));
  PetscCall(PetscFree(val_values));
  PetscCall(PetscFree(step_losses));
  PetscCall(PetscFree(step_losses_all));
  PetscCall(PetscFree(best));
  PetscCall(PetscFree(train_idx));
  PetscCall(PetscFree(train_base));
  PetscCall(PetscFree(val_idx));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_train_evaluate(MPI_Comm group, hd_nn *net, const hd_train_data *d, const hd_objective *obj, hd_train_eval_what what, float *out)
{
  PetscInt      width, e0, e1, *idx, *first;
  int           rank, size;
  hd_train_rows rows;

  PetscFunctionBegin;
  if (!obj) obj = hd_objective_standard(HD_TRAIN_LOSS_MSE);
  width = what == HD_EVAL_OUTPUT ? net->out_size : what == HD_EVAL_VALUES ? obj->n_values : 1;
  PetscCheck(width > 0, group, HD_ERR_INTERNAL, "objective '%s' has no per-event values to evaluate", obj->name);
  PetscCall(PetscLogStagePush(HD_STAGE_EVALUATE));
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCall(hd_train_rows_create(d, PetscMin(HD_EVAL_CHUNK, PetscMax(d->n, 1)), &rows));
  PetscCall(PetscMalloc1(HD_EVAL_CHUNK, &idx));
  PetscCall(PetscMalloc1(size + 1, &first));
  /* rank r computes chunks [n_chunks r / P, n_chunks (r+1) / P): a contiguous range of events */
  for (int r = 0; r < size; r++) {
    hd_train_rank_chunks(d->n, r, size, &e0, &e1);
    first[r] = e0;
  }
  first[size] = d->n;
  hd_train_rank_chunks(d->n, rank, size, &e0, &e1);
  for (PetscInt b0 = e0; b0 < e1; b0 += HD_EVAL_CHUNK) {
    PetscInt       B  = PetscMin(HD_EVAL_CHUNK, e1 - b0);
    hd_train_shard sh = {0};
    double         l  = 0;
    for (PetscInt i = 0; i < B; i++) idx[i] = b0 + i;
    hd_train_gather(d, idx, B, &rows, &sh);
    sh.norm  = (double)B;
    sh.first = 0;
    sh.batch = B;
    sh.epoch = -1;
    PetscCall(hd_nn_forward(net, rows.x, B));
    if (what == HD_EVAL_OUTPUT) PetscCall(PetscArraycpy(out + b0 * width, net->output, B * width));
    else PetscCall(obj->loss(obj, net, &sh, PETSC_FALSE, &l, what == HD_EVAL_SCORE ? out + b0 : NULL, what == HD_EVAL_VALUES ? out + b0 * width : NULL));
  }
  PetscCall(hd_train_allgather_rows(group, d->n, width, first, out));
  PetscCall(PetscFree(first));
  PetscCall(PetscFree(idx));
  PetscCall(hd_train_rows_destroy(&rows));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
