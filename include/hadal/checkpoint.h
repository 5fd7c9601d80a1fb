/* Training checkpoints: everything needed to continue a member's training exactly where it
 * stopped (parameters, optimiser moments, the best parameters so far, the plateau state, the
 * epoch and step, the per-shard losses of the epoch in progress). One HDF5 file per member,
 * written by rank 0 of the group under a temporary name and renamed. Layout in docs/training.md. */
#ifndef HADAL_CHECKPOINT_H
#define HADAL_CHECKPOINT_H

#include <hadal/nn.h>

#define HD_CHECKPOINT_VERSION 2 /* 2: the data identity and the BLAS kernel */

typedef struct {
  uint64_t      seed;
  PetscInt      member;
  PetscInt      epoch;       /* the epoch in progress, from 0 */
  PetscInt      step;        /* the next step of that epoch */
  int64_t       optim_step;  /* optimiser steps taken */
  double        lr;          /* current learning rate (after plateau reductions) */
  hd_nn_plateau plateau;
  PetscInt      n_ranks;     /* ranks of the group that wrote it (informational: any may resume) */
  PetscInt      n_params;
  float        *params, *m, *v, *best; /* (n_params) each; m, v NULL when the optimiser has none */
  PetscInt      n_losses;    /* per-shard training losses of the epoch in progress so far */
  double       *losses;
  double        train_events; /* training events processed (for the events/s figure) */
} hd_checkpoint;

/* Collective on group (rank 0 writes, the others wait for the outcome). Beside ck, the file records
 * the data the run read (hd_events_data_identity) and the BLAS library, kernel and threads. */
PetscErrorCode hd_checkpoint_write(MPI_Comm group, const char *path, const char *spec, const hd_checkpoint *ck);
/* Collective on group. Reads into ck's buffers (allocated by the caller for n_params and
 * n_losses values; n_losses on entry is the capacity). *found is false when the file does not
 * exist; a file for another network, seed, member or data (shape and content hash) is an error
 * naming the difference; one written with another BLAS kernel is resumed with a warning (the
 * result will differ from an uninterrupted run's). */
PetscErrorCode hd_checkpoint_read(MPI_Comm group, const char *path, const char *spec, hd_checkpoint *ck, PetscBool *found);

#endif
