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
 * holds all of it. */
typedef struct {
  PetscInt     n, in_size;
  const float *x;          /* (n, in_size) */
  const float *target;     /* (n, target_ld) rows, or one shared row when target_ld == 0; NULL:
                            * the target is the input (autoencoders) */
  PetscInt     target_ld;
  const float *weight;     /* (n) per-event loss weights, or NULL */
} hd_train_data;

typedef struct {
  uint64_t           seed;
  PetscInt           member;
  PetscInt           epochs;        /* at most */
  PetscInt           batch;         /* global minibatch size: a property of the experiment */
  hd_train_loss      loss;
  hd_nn_optim_config optim;
  double             val_fraction;  /* held out for validation, early stopping and lr plateau */
  PetscInt           lr_patience, stop_patience;
  double             lr_factor;
  PetscBool          restore_best;  /* end with the parameters of the best validation epoch */
  PetscInt           min_shard, max_shards; /* shard sizes: see hd_train_shards */
  PetscInt           checkpoint_every;      /* epochs; 0: only on a signal */
  char               checkpoint[PETSC_MAX_PATH_LEN]; /* "" disables checkpoints */
  PetscBool          resume;        /* continue from `checkpoint` when it exists */
  PetscBool          progress;      /* a line per epoch on rank 0 of the group */
  const char        *label;         /* names the member in progress lines */
} hd_train_config;

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
 * -lr_factor, -stop_patience, -checkpoint_every, -resume) with c's values as defaults. Values are
 * checked by hd_train. */
PetscErrorCode hd_train_read_options(hd_train_config *c);

/* Collective on group. Trains net (already initialised, or restored from the checkpoint when
 * resuming) on data. */
PetscErrorCode hd_train(MPI_Comm group, hd_nn *net, const hd_train_data *data, const hd_train_config *cfg, hd_train_result *res);

/* Collective on group. Per-event loss of a trained network (the anomaly score of an
 * autoencoder, the classifier output...): out (n) for the n rows of data, computed in fixed
 * chunks shared out over the group so every value is the same at any rank count. With
 * want_output, out (n, out_size) receives the network output instead. */
PetscErrorCode hd_train_evaluate(MPI_Comm group, hd_nn *net, const hd_train_data *data, hd_train_loss loss, PetscBool want_output, float *out);

#endif
