/* The one training loop every method uses (DESIGN.md section 2).
 *
 * A member (one network of an ensemble) is trained by one group of ranks, data-parallel: every
 * rank of the group holds the whole training table; each global minibatch of B events is cut into
 * shards whose boundaries depend only on B; each rank computes the gradients of its shards and the
 * shard gradients are added exactly (include/hadal/par.h), so the trained parameters are the same,
 * bit for bit, for any number of ranks in the group and any number of groups.
 *
 * Randomness (all from include/hadal/rng.h):
 *   validation split   event i is held out when U(seed, HD_STREAM_SPLIT, (member << 32) | i) < f
 *   minibatch order    Fisher-Yates over the training events with draws from
 *                      (seed, HD_STREAM_SHUFFLE, (member << 32) | epoch)
 * so a member's training is a pure function of (seed, member, data, configuration). */
#ifndef HADAL_TRAIN_H
#define HADAL_TRAIN_H

#include <hadal/nn.h>

typedef enum { HD_TRAIN_LOSS_MSE = 0, HD_TRAIN_LOSS_BCE, HD_TRAIN_LOSS_SOFTMAX_CE } hd_train_loss;

/* The training table: n events, each an input row and a target row. Every rank of the group
 * reads all of it (DESIGN.md section 2: once per node). */
typedef struct {
  PetscInt     n, in_size;
  const float *x;          /* (n, in_size) */
  const float *target;     /* (n, target_ld) rows, or one shared row when target_ld == 0; NULL:
                            * the target is the input (autoencoders) */
  PetscInt     target_ld;
  const float *weight;     /* (n) per-event loss weights, or NULL */
  const int32_t *category; /* (n) per-event categories >= 0 for objectives that treat categories
                            * apart (the DisCo term within event topologies), or NULL */
} hd_train_data;

/* ---------------------------------------------------------------------------------------------
 * Objectives: what a method hands the trainer (docs/training.md, "Objectives").
 *
 * A training step over a global minibatch of `batch` events cut into shards runs, on every rank
 * of the group, for each of its shards:
 *   transform (optional)  the gathered inputs are changed in place (dequantisation, seed 003 §5)
 *   forward               the network on the shard
 *   loss                  the separable part: the shard's share of the loss, its gradient
 *                         ACCUMULATED into the network's output gradients, and (n_values > 0)
 *                         the per-event values of the coupling step
 * then, when n_values > 0, the values of every shard of the global batch are shared in shard
 * order (each rank holds the same (batch, n_values) table) and
 *   couple                the coupling term over the whole global batch (DisCo^2, seed 002 eq. 2):
 *                         its value and its gradient wrt every value, identically on every rank,
 * and for each of its shards again (forward recomputed, so memory stays O(shard)):
 *   forward, loss (grad), couple_backward   the chain rule of the coupling gradient of the
 *                         shard's rows, ACCUMULATED into the output gradients;
 * then backward of the network into the shard's gradient buffer, and the exact shard sum.
 * Every callback is local (not collective) and must be a pure function of its arguments, so that
 * the trained parameters are identical at any rank count and group size. */

/* One shard of a global minibatch (or an evaluation chunk), as an objective sees it. */
typedef struct {
  PetscInt        n;         /* events in the shard (may be 0) */
  const PetscInt *rows;      /* (n) their rows in the training table */
  const float    *x;         /* (n, in_size) their inputs, after the transform */
  const float    *target;    /* (n, target_ld) rows, a shared row (target_ld 0), or the inputs */
  PetscInt        target_ld;
  const float    *weight;    /* (n) or NULL */
  const int32_t  *category;  /* (n) or NULL */
  double          norm;      /* the normalisation: events of the global minibatch, so shard sums
                              * of the loss and its gradient add up to the batch mean */
  PetscInt        first;     /* the shard's first event's position in the global minibatch */
  PetscInt        batch;     /* events in the global minibatch */
  PetscInt        epoch;     /* training epoch (0-based); -1 in validation and evaluation */
  uint64_t        seed;      /* the member's seed and index, for per-batch randomness */
  PetscInt        member;
} hd_train_shard;

typedef struct hd_objective hd_objective;
struct hd_objective {
  const char *name;      /* in progress lines and errors */
  /* Not collective. After a forward on s: *loss = the shard's share of the separable part (sum of
   * per-event losses / s->norm); with grad, ACCUMULATES its gradient into the network's output
   * gradients (hd_nn_output_grad); per_event (s->n), when not NULL, receives each event's
   * unweighted loss (the score hd_train_evaluate returns); values (s->n, n_values), when not
   * NULL, receives the per-event values of the coupling step. */
  PetscErrorCode (*loss)(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, PetscBool grad, double *loss, float *per_event, float *values);
  PetscInt n_values;     /* per-event values of the coupling step; 0: the objective is separable */
  /* Not collective. The coupling term over a whole global batch of n events: *loss and, when
   * dvalues is not NULL, dvalues (n, n_values) = d loss / d values. Deterministic. */
  PetscErrorCode (*couple)(const hd_objective *obj, PetscInt n, const float *values, double *loss, float *dvalues);
  /* Not collective. ACCUMULATES into the output gradients the chain rule of dvalues (s->n,
   * n_values) of the shard's events, after a forward and loss of the same shard. */
  PetscErrorCode (*couple_backward)(const hd_objective *obj, hd_nn *net, const hd_train_shard *s, const float *dvalues);
  /* Not collective; optional (NULL). Changes the shard's gathered inputs x (s->n, in_size) in
   * place before the training forward (not in validation or evaluation). */
  PetscErrorCode (*transform)(const hd_objective *obj, const hd_train_shard *s, float *x);
  void *ctx;             /* the objective's own settings */
  double coupling;       /* lambda of the coupling term (seed 002: 100); its loss is scaled by it */
};

/* Not collective. The separable losses of include/hadal/nn.h on output 0 of the network, as an
 * objective: MSE (target: the input when the data has none), BCE with logits, soft-target softmax
 * cross-entropy (per-event weights: Anomaly Awareness's lambda_AA on its anomaly rows). */
const hd_objective *hd_objective_standard(hd_train_loss loss);

typedef struct {
  uint64_t           seed;
  PetscInt           member;
  PetscInt           epochs;        /* at most */
  PetscInt           batch;         /* global minibatch size: a property of the experiment */
  const hd_objective *objective;    /* what is minimised (NULL: MSE) */
  hd_nn_optim_config optim;
  double             val_fraction;  /* held out for validation, early stopping and lr plateau */
  PetscInt           lr_patience, stop_patience;
  double             lr_factor;
  PetscBool          restore_best;  /* end with the parameters of the best validation epoch */
  PetscInt           min_shard, max_shards; /* shards of a minibatch: min(max_shards, ceil(B / min_shard)) (hd_par_shards) */
  PetscInt           checkpoint_every;      /* epochs; 0: only on a signal */
  char               checkpoint[PETSC_MAX_PATH_LEN]; /* "" disables checkpoints */
  PetscBool          resume;        /* continue from `checkpoint` when it exists */
  PetscBool          progress;      /* a line per epoch on rank 0 of the group */
  const char        *label;         /* names the member in progress lines */
} hd_train_config;

/* ---------------------------------------------------------------------------------------------
 * The objectives of the methods beyond the separable losses (src/par/objectives.c). Each fills an
 * hd_objective whose ctx points into the caller's context struct; both must outlive training. */

/* Negative log-likelihood of a normalising flow with a standard-normal base (seed 003 §3):
 *   l_b = 0.5 |z_b|^2 + 0.5 D log(2 pi) - logdet_b,   z = outputs "z" (D), logdet = output "logdet",
 * weighted by the data's per-event weights when it has them. With dequantisation widths (one per
 * input column, 0 for a continuous column), training inputs get x_j += width_j (u - 1/2), u ~ U(0, 1)
 * drawn from (seed, HD_STREAM_DEQUANT, (member << 48) | (epoch << 32) | event), so a discrete
 * column's unit steps are filled in (seed 003 §5: U(-0.5, 0.5) in the column's own units; a
 * method that standardises the column passes 1 / std). The score is l_b = -log p(x) of the
 * network's inputs. */
typedef struct {
  PetscInt     z, logdet;  /* output indices */
  PetscInt     D;
  const float *dequant;    /* (in_size) widths, or NULL: no dequantisation */
  PetscInt     in_size;
} hd_objective_flow_ctx;
/* Not collective. dequant (net->in_size values >= 0, or NULL) is kept by pointer. */
PetscErrorCode hd_objective_flow_nll(const hd_nn *net, const float *dequant, hd_objective_flow_ctx *ctx, hd_objective *obj);

/* Autoencoders decorrelated with DisCo^2 (seed 002 eq. 2): n_ae reconstructions of the input,
 * outputs 0 .. n_ae-1 of the network (hd_nn_create_parallel), R_k(x) = (1/F) sum_j (x'_kj - x_j)^2,
 *   L = sum_k mean_b R_k + lambda DisCo^2(R_1, R_2) over the global batch.
 * The coupling values of an event are (R_1, R_2); the score is R_1 + R_2. Two autoencoders
 * (the seed's case); lambda is obj->coupling. DisCo^2 is unweighted; per-event weights weight
 * the reconstruction terms only. */
typedef struct {
  PetscInt n_ae, F;
  PetscInt out[2];
  PetscInt max_rows;       /* scratch is sized for shards, evaluation chunks and global batches */
  float   *scratch;        /* (4 max_rows) */
  PetscInt n_categories;   /* 0: DisCo^2 over the whole batch; else within each category */
  PetscInt min_events;     /* categories with fewer events in a batch are left out */
  PetscInt *order;         /* (max_rows + n_categories + 1) the batch grouped by category */
} hd_objective_disco_ctx;
/* Not collective. max_batch: the global minibatch size (and at least any shard or evaluation
 * chunk). Allocates scratch; hd_objective_disco_destroy frees it. */
PetscErrorCode hd_objective_disco_ae(const hd_nn *net, double lambda, PetscInt max_batch, hd_objective_disco_ctx *ctx, hd_objective *obj);
/* Not collective. Makes the coupling term conditional on a per-event category (the data's
 * `category`, values 0 .. n_categories-1):
 *   lambda sum_c (n_c / n) DisCo^2(R_1, R_2 | events of category c in the batch),
 * so R1 and R2 are pushed to independence inside each category rather than over the mixture
 * (an ABCD estimate summed over the categories then closes; docs/methods/dae.md). Categories
 * with fewer than min_events events in a batch are left out (the distance correlation of a
 * handful of points is mostly its small-sample bias: that of two points is 1). The coupling
 * values of an event become (R_1, R_2, category). */
PetscErrorCode hd_objective_disco_by_category(PetscInt n_categories, PetscInt min_events, hd_objective_disco_ctx *ctx, hd_objective *obj);
PetscErrorCode hd_objective_disco_destroy(hd_objective_disco_ctx *ctx);

/* Defaults: 20 epochs, batch 256, MSE, Adam (lr 1e-3), 20% validation, no plateau handling,
 * shards of at least 32 events and at most 64 of them. */
hd_train_config hd_train_defaults(void);

typedef struct {
  PetscInt  epochs_run;
  PetscInt  best_epoch;
  double    best_val_loss, last_train_loss, last_val_loss;
  double    events_per_s;
  PetscBool interrupted;   /* stopped by SIGTERM/SIGUSR1 after writing a checkpoint */
  PetscBool early_stopped;
} hd_train_result;

/* Collective on PETSC_COMM_WORLD. Reads the training options (-epochs, -batch_size, -optimizer,
 * -adam_lr, -sgd_lr, -momentum, -nesterov, -weight_decay, -val_fraction, -lr_patience,
 * -lr_factor, -stop_patience, -min_shard, -max_shards, -checkpoint_every, -resume) with c's values as defaults. Values are
 * checked by hd_train. */
PetscErrorCode hd_train_read_options(hd_train_config *c);

/* Collective on group. Trains net (already initialised, or restored from the checkpoint when
 * resuming) on data. */
PetscErrorCode hd_train(MPI_Comm group, hd_nn *net, const hd_train_data *data, const hd_train_config *cfg, hd_train_result *res);

/* Collective on group. Per-event loss of a trained network (the anomaly score of an
 * autoencoder, the classifier output...): out (n) for the n rows of data, computed in fixed
 * chunks shared out over the group so every value is the same at any rank count. With
 * want_output, out (n, out_size) receives the network output instead. */
/* Collective on group. The loss and gradient (into net->grads) of one global minibatch, the n
 * events rows[0..n) of data, exactly as a training step at `epoch` computes them (the transform
 * applies when epoch >= 0): shards, coupling step and exact sum. For tests and benchmarks. */
PetscErrorCode hd_train_gradient(MPI_Comm group, hd_nn *net, const hd_train_data *data, const hd_train_config *cfg, const PetscInt *rows, PetscInt n, PetscInt epoch, double *loss);

typedef enum {
  HD_EVAL_SCORE = 0, /* out (n): the objective's per-event loss */
  HD_EVAL_OUTPUT,    /* out (n, out_size): network output 0 */
  HD_EVAL_VALUES     /* out (n, n_values): the per-event values of the coupling step */
} hd_train_eval_what;
PetscErrorCode hd_train_evaluate(MPI_Comm group, hd_nn *net, const hd_train_data *data, const hd_objective *obj, hd_train_eval_what what, float *out);

#endif
