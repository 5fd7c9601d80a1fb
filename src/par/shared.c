/* Node-shared memory: one MPI-3 shared-memory window per array and node (include/hadal/shared.h).
 *
 * Memory model: each window is kept in a passive-target epoch for its whole life
 * (MPI_Win_lock_all with MPI_MODE_NOCHECK, no lock traffic), ranks write and read the memory
 * directly with loads and stores, and hd_shared_sync() is the MPI-3 idiom for "writes before,
 * reads after": MPI_Win_sync (a processor memory barrier), MPI_Barrier on the node, MPI_Win_sync. */
#include <stdlib.h>
#include <hadal/events.h>
#include <hadal/shared.h>

/* HADAL_NODE_SIZE: ranks per emulated node; 0 when unset. */
static PetscErrorCode hd_node_size_env(MPI_Comm comm, int *k)
{
  const char *s = getenv("HADAL_NODE_SIZE");
  char       *end;
  long        v;

  PetscFunctionBegin;
  *k = 0;
  if (!s || !*s) PetscFunctionReturn(PETSC_SUCCESS);
  v = strtol(s, &end, 10);
  PetscCheck(*end == '\0' && v >= 1 && v <= 1 << 20, comm, HD_ERR_USER_INPUT, "environment variable HADAL_NODE_SIZE='%s': expected a positive number of ranks per node", s);
  *k = (int)v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_node_create(MPI_Comm comm, hd_node *node)
{
  int      rank, k, is_leader;
  MPI_Comm shm;

  PetscFunctionBegin;
  PetscCall(hd_node_size_env(comm, &k));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  node->comm = comm;
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &shm));
  if (k > 0) {
    /* an emulated node: k consecutive ranks of the real one */
    int r;
    PetscCallMPI(MPI_Comm_rank(shm, &r));
    PetscCallMPI(MPI_Comm_split(shm, r / k, r, &node->node));
    PetscCallMPI(MPI_Comm_free(&shm));
  } else node->node = shm;
  PetscCallMPI(MPI_Comm_rank(node->node, &node->node_rank));
  PetscCallMPI(MPI_Comm_size(node->node, &node->node_size));
  /* node index: the number of leaders with a lower rank in comm */
  is_leader = node->node_rank == 0;
  PetscCallMPI(MPI_Exscan(&is_leader, &node->node_index, 1, MPI_INT, MPI_SUM, comm));
  if (rank == 0) node->node_index = 0; /* MPI_Exscan leaves rank 0's result undefined */
  PetscCallMPI(MPI_Bcast(&node->node_index, 1, MPI_INT, 0, node->node));
  PetscCallMPI(MPI_Allreduce(&is_leader, &node->n_nodes, 1, MPI_INT, MPI_SUM, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_node_destroy(hd_node *node)
{
  PetscFunctionBegin;
  if (node->node != MPI_COMM_NULL && node->node != 0) PetscCallMPI(MPI_Comm_free(&node->node));
  node->node = MPI_COMM_NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void hd_node_block(const hd_node *node, PetscInt n, PetscInt *offset, PetscInt *count) { hd_events_block(n, node->node_rank, node->node_size, offset, count); }

PetscErrorCode hd_shared_alloc(const hd_node *node, size_t bytes, hd_shared *s)
{
  MPI_Aint size;
  int      disp_unit;
  void    *mine;

  PetscFunctionBegin;
  s->bytes = bytes;
  s->base  = NULL;
  /* the leader owns all the memory: contiguous, and placed by first touch on its socket */
  PetscCallMPI(MPI_Win_allocate_shared(node->node_rank == 0 ? (MPI_Aint)bytes : 0, 1, MPI_INFO_NULL, node->node, &mine, &s->win));
  PetscCallMPI(MPI_Win_shared_query(s->win, 0, &size, &disp_unit, &s->base));
  PetscCheck((size_t)size == bytes, PETSC_COMM_SELF, HD_ERR_INTERNAL, "shared window of %zu bytes reports %lld", bytes, (long long)size);
  if (bytes == 0) s->base = NULL;
  PetscCallMPI(MPI_Win_lock_all(MPI_MODE_NOCHECK, s->win));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_shared_sync(const hd_node *node, hd_shared *s)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Win_sync(s->win));
  PetscCallMPI(MPI_Barrier(node->node));
  PetscCallMPI(MPI_Win_sync(s->win));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_shared_free(hd_shared *s)
{
  PetscFunctionBegin;
  if (s->win != MPI_WIN_NULL && s->win != 0) {
    PetscCallMPI(MPI_Win_unlock_all(s->win));
    PetscCallMPI(MPI_Win_free(&s->win));
  }
  s->win   = MPI_WIN_NULL;
  s->base  = NULL;
  s->bytes = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}
