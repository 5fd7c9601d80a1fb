/* Node-shared memory (DESIGN.md section 2): the ranks of one node read one copy of a table from an
 * MPI-3 shared-memory window instead of holding one copy each.
 *
 * A node is the set of ranks MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) puts together. For tests on
 * one machine the environment variable HADAL_NODE_SIZE=k cuts every such node further into
 * "nodes" of k consecutive ranks, each with its own copy, as separate machines would have.
 *
 * A shared array is allocated on the node's rank 0 (the others contribute 0 bytes and map the
 * leader's segment with MPI_Win_shared_query), so its base pointer is valid on every rank of the
 * node. Writers fill disjoint parts, then hd_shared_sync() makes the writes visible to all; after
 * that the array is read-only by convention. docs/parallel.md gives the memory model. */
#ifndef HADAL_SHARED_H
#define HADAL_SHARED_H

#include <stddef.h>
#include <hadal/error.h>

typedef struct {
  MPI_Comm comm;       /* the communicator that was split (the caller's; not owned) */
  MPI_Comm node;       /* owned: the ranks of comm on this node */
  int      node_rank;  /* rank inside the node; 0 is the node's leader, which owns the memory */
  int      node_size;  /* ranks on this node */
  int      node_index; /* 0 .. n_nodes - 1, in the order of the leaders' ranks in comm */
  int      n_nodes;
} hd_node;

/* Collective on comm. Groups the ranks of comm by node (HADAL_NODE_SIZE, when set to a positive
 * integer, cuts each node into smaller ones; anything else in it is an error naming the value). */
PetscErrorCode hd_node_create(MPI_Comm comm, hd_node *node);
/* Collective on node->comm. Frees the node communicator; node may be zero-initialised. */
PetscErrorCode hd_node_destroy(hd_node *node);
/* Not collective. The block of n items that rank node_rank of the node fills: the node's ranks
 * together fill all n, in contiguous blocks like hd_events_block. */
void hd_node_block(const hd_node *node, PetscInt n, PetscInt *offset, PetscInt *count);

typedef struct {
  MPI_Win win;   /* MPI_WIN_NULL when not allocated */
  void   *base;  /* the node's array (NULL when bytes == 0) */
  size_t  bytes;
} hd_shared;

/* Collective on node->node. One array of `bytes` bytes per node, aligned for any element type;
 * every rank gets the same memory in s->base. Its contents are undefined until written. */
PetscErrorCode hd_shared_alloc(const hd_node *node, size_t bytes, hd_shared *s);
/* Collective on node->node. Every rank's writes to s before the call are visible to every rank of
 * the node after it (a memory barrier, a node barrier, a memory barrier). */
PetscErrorCode hd_shared_sync(const hd_node *node, hd_shared *s);
/* Collective on node->node. Frees the window; s may be zero-initialised or freed already. */
PetscErrorCode hd_shared_free(hd_shared *s);

#endif
