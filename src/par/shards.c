/* Shards of a global minibatch: a function of the batch size alone, never of the rank count, so
 * that the gradient sum is split-independent (DESIGN.md section 2, docs/parallel.md). */
#include <hadal/par.h>

PetscErrorCode hd_par_shard_count(PetscInt batch, PetscInt min_shard, PetscInt max_shards, PetscInt *n_shards)
{
  PetscFunctionBegin;
  PetscCheck(batch >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "minibatch of %" PetscInt_FMT " events: a batch holds at least 1 event", batch);
  PetscCheck(min_shard >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "shard size %" PetscInt_FMT " is invalid: at least 1 event per shard", min_shard);
  PetscCheck(max_shards >= 1 && max_shards <= HD_PAR_SHARD_LIMIT, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "%" PetscInt_FMT " shards per batch is invalid: between 1 and %d", max_shards, HD_PAR_SHARD_LIMIT);
  /* ceil(batch / min_shard) without overflow */
  PetscInt want = batch / min_shard + (batch % min_shard != 0);
  *n_shards     = want < max_shards ? want : max_shards;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_par_shard_range(PetscInt batch, PetscInt n_shards, PetscInt shard, PetscInt *start, PetscInt *count)
{
  PetscInt base = batch / n_shards, extra = batch % n_shards;

  *start = shard * base + (shard < extra ? shard : extra);
  *count = base + (shard < extra ? 1 : 0);
}

PetscErrorCode hd_par_shards(PetscInt batch, PetscInt min_shard, PetscInt max_shards, PetscInt *n_shards, PetscInt bounds[])
{
  PetscInt start, count;

  PetscFunctionBegin;
  PetscCall(hd_par_shard_count(batch, min_shard, max_shards, n_shards));
  for (PetscInt s = 0; s < *n_shards; s++) {
    hd_par_shard_range(batch, *n_shards, s, &start, &count);
    bounds[s] = start;
  }
  bounds[*n_shards] = batch;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_par_rank_shards(PetscInt n_shards, int rank, int size, PetscInt *first, PetscInt *count)
{
  /* the same balanced block split as the shards themselves */
  hd_par_shard_range(n_shards, (PetscInt)size, (PetscInt)rank, first, count);
}
