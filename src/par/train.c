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
  c.loss         = HD_TRAIN_LOSS_MSE;
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
  PetscCall(hd_opt_int("-checkpoint_every", "write a checkpoint every this many epochs (0: only on SIGTERM/SIGUSR1)", c->checkpoint_every, &c->checkpoint_every, NULL));
  PetscCall(hd_opt_bool("-resume", "continue from the checkpoint in the output folder", c->resume, &c->resume, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The loss of rows [0, B) of a gathered batch, accumulated into net->dout (when grad) with the
 * normalisation `norm` (the global minibatch size). */
static PetscErrorCode hd_train_loss_eval(hd_nn *net, hd_train_loss kind, const float *target, PetscInt target_ld, const float *weight, PetscInt B, double norm, PetscBool grad, float *per_event, double *loss)
{
  float *dz = grad ? net->dout : NULL;
  PetscInt K = net->out_size;

  PetscFunctionBegin;
  switch (kind) {
  case HD_TRAIN_LOSS_MSE:
    PetscCall(hd_nn_loss_mse(loss, dz, per_event, net->output, target, target_ld, weight, B, K, norm));
    break;
  case HD_TRAIN_LOSS_BCE:
    PetscCall(hd_nn_loss_bce_logits(loss, dz, per_event, net->output, target, target_ld, weight, B, K, norm));
    break;
  case HD_TRAIN_LOSS_SOFTMAX_CE:
    PetscCall(hd_nn_loss_softmax_ce(loss, dz, per_event, net->output, target, target_ld, weight, B, K, norm));
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Scratch for gathering rows of the table into contiguous batch buffers. */
typedef struct {
  float *x, *t, *w;
} hd_train_rows;

static PetscErrorCode hd_train_rows_create(const hd_train_data *d, PetscInt max_rows, hd_train_rows *r)
{
  PetscFunctionBegin;
  PetscCall(PetscMalloc1(max_rows * d->in_size, &r->x));
  r->t = NULL;
  r->w = NULL;
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
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Gather rows idx[0..B) into r; returns the target pointer and leading dimension to use. */
static void hd_train_gather(const hd_train_data *d, const PetscInt *idx, PetscInt B, hd_train_rows *r, const float **target, PetscInt *target_ld)
{
  for (PetscInt i = 0; i < B; i++) memcpy(r->x + i * d->in_size, d->x + idx[i] * d->in_size, (size_t)d->in_size * sizeof(float));
  if (d->weight)
    for (PetscInt i = 0; i < B; i++) r->w[i] = d->weight[idx[i]];
  if (!d->target) { /* autoencoder: the target is the input */
    *target    = r->x;
    *target_ld = d->in_size;
  } else if (d->target_ld == 0) {
    *target    = d->target;
    *target_ld = 0;
  } else {
    for (PetscInt i = 0; i < B; i++) memcpy(r->t + i * d->target_ld, d->target + idx[i] * d->target_ld, (size_t)d->target_ld * sizeof(float));
    *target    = r->t;
    *target_ld = d->target_ld;
  }
}

/* Loss of the events idx[0..n) without gradients, in fixed chunks dealt to the group: the sum over
 * chunks is formed in chunk order on every rank. Events outside every chunk do not exist. */
static PetscErrorCode hd_train_loss_over(MPI_Comm group, hd_nn *net, const hd_train_data *d, hd_train_loss kind, const PetscInt *idx, PetscInt n, hd_train_rows *rows, double *loss)
{
  PetscInt n_chunks = (n + HD_EVAL_CHUNK - 1) / HD_EVAL_CHUNK, c0, nc;
  int      rank, size;
  double  *part, *all;

  PetscFunctionBegin;
  *loss = 0;
  if (n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCall(PetscCalloc1(n_chunks, &part));
  PetscCall(PetscMalloc1(n_chunks, &all));
  c0 = (n_chunks * rank) / size;
  nc = (n_chunks * (rank + 1)) / size - c0;
  for (PetscInt c = c0; c < c0 + nc; c++) {
    PetscInt     b0 = c * HD_EVAL_CHUNK, B = PetscMin(HD_EVAL_CHUNK, n - b0), ld;
    const float *t;
    hd_train_gather(d, idx + b0, B, rows, &t, &ld);
    PetscCall(hd_nn_forward(net, rows->x, B));
    PetscCall(hd_train_loss_eval(net, kind, t, ld, rows->w, B, (double)n, PETSC_FALSE, NULL, &part[c]));
  }
  /* each chunk has one owner and losses are >= 0, so the sum with zeros is exact */
  PetscCallMPI(MPI_Allreduce(part, all, (int)n_chunks, MPI_DOUBLE, MPI_SUM, group));
  for (PetscInt c = 0; c < n_chunks; c++) *loss += all[c];
  PetscCall(PetscFree(part));
  PetscCall(PetscFree(all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode hd_train_check_config(MPI_Comm group, const hd_nn *net, const hd_train_data *d, const hd_train_config *c)
{
  PetscFunctionBegin;
  PetscCheck(d->in_size == net->in_size, group, HD_ERR_USER_INPUT, "%s: the data has %" PetscInt_FMT " inputs per event, the network takes %" PetscInt_FMT, c->label, d->in_size, net->in_size);
  PetscCheck(d->target || d->in_size == net->out_size, group, HD_ERR_USER_INPUT, "%s: an autoencoder needs as many outputs (%" PetscInt_FMT ") as inputs (%" PetscInt_FMT ")", c->label, net->out_size, d->in_size);
  PetscCheck(!d->target || d->target_ld == 0 || d->target_ld == net->out_size, group, HD_ERR_USER_INPUT, "%s: targets have %" PetscInt_FMT " values per event, the network gives %" PetscInt_FMT, c->label, d->target_ld, net->out_size);
  PetscCheck(c->epochs >= 1, group, HD_ERR_USER_INPUT, "-epochs must be at least 1 (got %" PetscInt_FMT ")", c->epochs);
  PetscCheck(c->batch >= 1, group, HD_ERR_USER_INPUT, "-batch_size must be at least 1 (got %" PetscInt_FMT ")", c->batch);
  PetscCheck(c->val_fraction >= 0 && c->val_fraction < 1, group, HD_ERR_USER_INPUT, "-val_fraction must lie in [0, 1) (got %g)", c->val_fraction);
  PetscCheck(c->min_shard >= 1 && c->max_shards >= 1, group, HD_ERR_INTERNAL, "shard sizes must be positive");
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
  PetscCall(hd_checkpoint_write(group, c->checkpoint, net->spec, ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_train(MPI_Comm group, hd_nn *net, const hd_train_data *d, const hd_train_config *c, hd_train_result *res)
{
  int            rank, size;
  PetscInt      *train_idx, *train_base, *val_idx, n_train = 0, n_val = 0, n_params = net->n_params;
  PetscInt       B, steps_per_epoch, max_shards_local, *bounds, S_full;
  float        **shard_grads, *best;
  double        *step_losses, *step_losses_all;
  hd_nn_optim    opt;
  hd_nn_plateau  plateau;
  hd_par_reducer reducer = {0};
  hd_train_rows  rows;
  PetscInt      *offsets, *sizes;
  PetscInt       epoch0 = 0, step0 = 0;
  double         train_events = 0, events_at_start = 0, t_start;
  PetscBool      stop = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(HD_STAGE_TRAIN));
  PetscCall(hd_train_check_config(group, net, d, c));
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
  PetscCall(PetscMalloc1(n_train, &train_base));
  PetscCall(PetscArraycpy(train_base, train_idx, n_train));
  B               = PetscMin(c->batch, n_train);
  steps_per_epoch = (n_train + B - 1) / B;

  PetscCall(PetscMalloc1(c->max_shards + 1, &bounds));
  PetscCall(hd_par_shards(B, c->min_shard, c->max_shards, &S_full, bounds));
  max_shards_local = PetscMax((S_full + size - 1) / size, 1);
  PetscCall(PetscMalloc1(max_shards_local, &shard_grads));
  for (PetscInt k = 0; k < max_shards_local; k++) PetscCall(PetscMalloc1(n_params, &shard_grads[k]));
  /* the largest batch a forward sees: a shard, or a validation chunk */
  PetscInt max_rows = PetscMax(bounds[1] - bounds[0], PetscMin(HD_EVAL_CHUNK, n_val));
  PetscCall(hd_train_rows_create(d, max_rows, &rows));
  PetscCheck(net->max_batch >= max_rows, group, HD_ERR_INTERNAL, "%s: the network was built for batches of %" PetscInt_FMT " events, training needs %" PetscInt_FMT, c->label, net->max_batch, max_rows);
  PetscCall(PetscCalloc1(steps_per_epoch * S_full, &step_losses));
  PetscCall(PetscMalloc1(steps_per_epoch * S_full, &step_losses_all));
  PetscCall(PetscMalloc1(n_params, &best));
  PetscCall(PetscArraycpy(best, net->params, n_params));

  PetscCall(PetscMalloc2(net->n_tensors, &offsets, net->n_tensors, &sizes));
  for (PetscInt t = 0; t < net->n_tensors; t++) {
    offsets[t] = net->tensors[t].offset;
    sizes[t]   = net->tensors[t].size;
  }
  PetscCall(hd_par_reducer_create(group, n_params, net->n_tensors, offsets, sizes, &reducer));
  {
    const char **names;
    PetscCall(PetscMalloc1(net->n_tensors, &names));
    for (PetscInt t = 0; t < net->n_tensors; t++) names[t] = net->tensors[t].name;
    PetscCall(hd_par_reducer_set_names(&reducer, names));
    PetscCall(PetscFree(names));
  }
  PetscCall(hd_nn_optim_create(&c->optim, n_params, &opt));
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
      plateau        = ck.plateau;
      train_events   = ck.train_events;
      PetscCall(hd_log(group, "%s: resuming from '%s' at epoch %" PetscInt_FMT " step %" PetscInt_FMT "\n", c->label, c->checkpoint, epoch0 + 1, step0));
    }
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
      PetscInt S, s0, ns;
      PetscCall(hd_par_shards(Bb, c->min_shard, c->max_shards, &S, bounds));
      hd_par_rank_shards(S, rank, size, &s0, &ns);
      float   *grads = net->grads;

      for (PetscInt k = 0; k < ns; k++) {
        PetscInt     s = s0 + k, Bs = bounds[s + 1] - bounds[s], ld;
        const float *t;
        double       l = 0;
        hd_train_gather(d, train_idx + b0 + bounds[s], Bs, &rows, &t, &ld);
        net->grads = shard_grads[k];
        PetscCall(hd_nn_zero_grad(net));
        PetscCall(PetscLogEventBegin(HD_EVENT_FORWARD, 0, 0, 0, 0));
        PetscCall(hd_nn_forward(net, rows.x, Bs));
        PetscCall(hd_train_loss_eval(net, c->loss, t, ld, rows.w, Bs, (double)Bb, PETSC_TRUE, NULL, &l));
        PetscCall(PetscLogEventEnd(HD_EVENT_FORWARD, 0, 0, 0, 0));
        PetscCall(PetscLogEventBegin(HD_EVENT_BACKWARD, 0, 0, 0, 0));
        PetscCall(hd_nn_backward(net, NULL));
        PetscCall(PetscLogEventEnd(HD_EVENT_BACKWARD, 0, 0, 0, 0));
        step_losses[step * S_full + s] = l;
      }
      net->grads = grads;
      PetscCall(PetscLogEventBegin(HD_EVENT_ALLREDUCE, 0, 0, 0, 0));
      PetscCall(hd_par_reducer_sum(&reducer, ns, (const float *const *)shard_grads, net->grads));
      PetscCall(PetscLogEventEnd(HD_EVENT_ALLREDUCE, 0, 0, 0, 0));
      PetscCall(PetscLogEventBegin(HD_EVENT_OPTIM, 0, 0, 0, 0));
      PetscCall(hd_nn_optim_step(&opt, net->params, net->grads));
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
    if (n_val > 0) PetscCall(hd_train_loss_over(group, net, d, c->loss, val_idx, n_val, &rows, &val_loss));
    else val_loss = train_loss;
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
      PetscCall(hd_train_save(group, c, net, &ck, epoch + 1, 0, 0, &opt, &plateau, train_events));
    }
    if (stop) {
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
    PetscCall(hd_train_save(group, c, net, &ck, c->epochs, 0, 0, &opt, &plateau, train_events));
  }
  if (c->restore_best && !res->interrupted && plateau.best_epoch >= 0) PetscCall(PetscArraycpy(net->params, best, n_params));

  PetscCall(hd_par_reducer_destroy(&reducer));
  PetscCall(hd_nn_optim_destroy(&opt));
  PetscCall(hd_train_rows_destroy(&rows));
  for (PetscInt k = 0; k < max_shards_local; k++) PetscCall(PetscFree(shard_grads[k]));
  PetscCall(PetscFree(shard_grads));
  PetscCall(PetscFree(bounds));
  PetscCall(PetscFree(step_losses));
  PetscCall(PetscFree(step_losses_all));
  PetscCall(PetscFree(best));
  PetscCall(PetscFree2(offsets, sizes));
  PetscCall(PetscFree(train_idx));
  PetscCall(PetscFree(train_base));
  PetscCall(PetscFree(val_idx));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_train_evaluate(MPI_Comm group, hd_nn *net, const hd_train_data *d, hd_train_loss loss, PetscBool want_output, float *out)
{
  PetscInt      n_chunks = (d->n + HD_EVAL_CHUNK - 1) / HD_EVAL_CHUNK, width = want_output ? net->out_size : 1;
  int           rank, size, *counts, *displs;
  hd_train_rows rows;
  PetscInt     *idx;

  PetscFunctionBegin;
  PetscCall(PetscLogStagePush(HD_STAGE_EVALUATE));
  PetscCallMPI(MPI_Comm_rank(group, &rank));
  PetscCallMPI(MPI_Comm_size(group, &size));
  PetscCall(hd_train_rows_create(d, PetscMin(HD_EVAL_CHUNK, PetscMax(d->n, 1)), &rows));
  PetscCall(PetscMalloc1(HD_EVAL_CHUNK, &idx));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  /* rank r computes chunks [n_chunks r / P, n_chunks (r+1) / P): a contiguous range of events */
  for (int r = 0; r < size; r++) {
    PetscInt c0 = (n_chunks * r) / size, c1 = (n_chunks * (r + 1)) / size;
    PetscInt e0 = PetscMin(c0 * HD_EVAL_CHUNK, d->n), e1 = PetscMin(c1 * HD_EVAL_CHUNK, d->n);
    PetscCheck((e1 - e0) * width < PETSC_MAX_INT && e0 * width < PETSC_MAX_INT, group, HD_ERR_INTERNAL, "evaluation buffer too large");
    counts[r] = (int)((e1 - e0) * width);
    displs[r] = (int)(e0 * width);
  }
  for (PetscInt c = (n_chunks * rank) / size; c < (n_chunks * (rank + 1)) / size; c++) {
    PetscInt     b0 = c * HD_EVAL_CHUNK, B = PetscMin(HD_EVAL_CHUNK, d->n - b0), ld;
    const float *t;
    double       l = 0;
    for (PetscInt i = 0; i < B; i++) idx[i] = b0 + i;
    hd_train_gather(d, idx, B, &rows, &t, &ld);
    PetscCall(hd_nn_forward(net, rows.x, B));
    if (want_output) PetscCall(PetscArraycpy(out + b0 * width, net->output, B * width));
    else PetscCall(hd_train_loss_eval(net, loss, t, ld, NULL, B, (double)B, PETSC_FALSE, out + b0, &l));
  }
  PetscCallMPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, counts, displs, MPI_FLOAT, group));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(idx));
  PetscCall(hd_train_rows_destroy(&rows));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
