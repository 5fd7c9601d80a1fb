/* Data-parallel machinery (DESIGN.md section 2): world ranks split into groups, ensemble members
 * dealt to groups, the global minibatch cut into shards, and the exact, split-independent sum of
 * shard gradients inside a group.
 *
 * Reproducibility contract: a group sums the gradients of a fixed set of S shards, S a function of
 * the batch size only. Each shard's gradient is computed by one rank with the same code on the
 * same events, so it is the same float buffer on any rank. hd_par_reducer_sum adds the shards in
 * fixed point (int64, one power-of-two quantum per tensor), which is exact and associative: the
 * result is bit-identical for any number of ranks in the group and any assignment of shards to
 * ranks. docs/parallel.md gives the method, its precision and its cost.
 *
 * Everything lives in structs the caller owns; nothing is hidden between calls (a checkpoint
 * needs only the caller's own counters). Functions say whether they are collective. */
#ifndef HADAL_PAR_H
#define HADAL_PAR_H

#include <stdint.h>
#include <hadal/error.h>

/* Default shard geometry: S = min(HD_PAR_MAX_SHARDS, ceil(B / HD_PAR_MIN_SHARD)). */
#define HD_PAR_MIN_SHARD  32
#define HD_PAR_MAX_SHARDS 64
/* Most shards one sum may add over a whole group: each shard value is below 2^50 quanta, so
 * 4096 of them stay below 2^62 and the int64 sum cannot overflow. */
#define HD_PAR_SHARD_LIMIT 4096
/* Most scalars per shard that hd_par_reducer_sum_scalars adds in one call. */
#define HD_PAR_MAX_SCALARS 8
/* Length of a tensor name kept by the reducer for its error messages (with the terminator). */
#define HD_PAR_NAME_LEN 32

/* A communicator as the layers above par see it (methods, stats): a handle they pass to par, io,
 * stats, logging and PetscCheck, never to MPI itself. */
typedef MPI_Comm hd_comm;

/* ---------------------------------------------------------------------------------------------
 * Groups */

typedef struct {
  MPI_Comm world;       /* the communicator that was split (the caller's; not owned) */
  MPI_Comm group;       /* owned: the group_size consecutive world ranks of this rank's group */
  MPI_Comm peers;       /* owned: one rank of every group, those with this rank's group_rank;
                         * the peers of group_rank 0 are the group leaders */
  PetscInt group_size;  /* ranks per group */
  PetscInt n_groups;    /* world size / group_size */
  PetscInt group_index; /* this rank's group: world rank / group_size */
  int      world_rank, world_size;
  int      group_rank;  /* rank inside the group: world rank % group_size */
} hd_par_groups;

/* Collective on world. Splits world into world_size / group_size groups of group_size
 * consecutive ranks. group_size (the -group_size option) must be the same on every rank, at
 * least 1, at most the world size and a divisor of it: a smaller last group would train its
 * members more slowly than the others and stretch the whole ensemble, so it is rejected with an
 * error that lists the valid sizes. */
PetscErrorCode hd_par_groups_create(MPI_Comm world, PetscInt group_size, hd_par_groups *g);
/* Collective on g->world. Frees the communicators; g may be zero-initialised or destroyed. */
PetscErrorCode hd_par_groups_destroy(hd_par_groups *g);

/* ---------------------------------------------------------------------------------------------
 * Ensemble members dealt to groups.
 *
 * Longest processing time first: members sorted by decreasing cost (ties: lower member index
 * first) go one by one to the group with the least summed cost so far (ties: lower group index).
 * With equal costs (costs == NULL) that is round robin, member m to group m % n_groups, so group
 * member counts differ by at most one; with costs, the most loaded group exceeds the least loaded
 * by at most one member's cost. A member's training must be a pure function of (seed, member) so
 * that the results do not depend on which group trained it. */

typedef struct {
  PetscInt  n_members, n_groups;
  PetscInt *owner;   /* (n_members) the group that trains member m */
  PetscInt *start;   /* (n_groups + 1) group k trains members[start[k] .. start[k + 1]) */
  PetscInt *members; /* (n_members) members grouped by owner, ascending inside a group */
  double   *load;    /* (n_groups) summed cost of each group's members (counts when no costs) */
} hd_par_schedule;

/* Not collective. Builds the schedule of n_members (>= 0) members over n_groups (>= 1) groups;
 * costs: NULL (all equal) or n_members finite values >= 0. */
PetscErrorCode hd_par_schedule_build(PetscInt n_groups, PetscInt n_members, const double *costs, hd_par_schedule *s);
/* Collective on g->world. hd_par_schedule_build over g's groups, after checking that every rank
 * passed the same n_members and costs (a mismatch would make groups disagree on who trains what). */
PetscErrorCode hd_par_schedule_create(const hd_par_groups *g, PetscInt n_members, const double *costs, hd_par_schedule *s);
/* Not collective. s may be zero-initialised or destroyed already. */
PetscErrorCode hd_par_schedule_destroy(hd_par_schedule *s);
/* Not collective. The group that trains member; -1 for a member outside [0, n_members). */
PetscInt hd_par_member_owner(const hd_par_schedule *s, PetscInt member);
/* Not collective. Iterates over the members of group in ascending order:
 *   for (PetscInt k = 0, m; hd_par_schedule_next(s, g.group_index, &k, &m);) train(m);
 * *cursor starts at 0; returns PETSC_FALSE when the group has no member left. */
PetscBool hd_par_schedule_next(const hd_par_schedule *s, PetscInt group, PetscInt *cursor, PetscInt *member);

/* ---------------------------------------------------------------------------------------------
 * Shards of a global minibatch. They depend on the batch size B and the two constants only,
 * never on the number of ranks. */

/* Not collective. S = min(max_shards, ceil(batch / min_shard)); all three arguments >= 1 and
 * max_shards <= HD_PAR_SHARD_LIMIT. */
PetscErrorCode hd_par_shard_count(PetscInt batch, PetscInt min_shard, PetscInt max_shards, PetscInt *n_shards);
/* Not collective. Shard `shard` of n_shards over batch events: [*start, *start + *count); the
 * first batch % n_shards shards hold one event more than the others. */
void hd_par_shard_range(PetscInt batch, PetscInt n_shards, PetscInt shard, PetscInt *start, PetscInt *count);
/* Not collective. Both at once: *n_shards and bounds[0 .. *n_shards] (bounds holds at least
 * max_shards + 1 entries), shard s being events [bounds[s], bounds[s + 1]). */
PetscErrorCode hd_par_shards(PetscInt batch, PetscInt min_shard, PetscInt max_shards, PetscInt *n_shards, PetscInt bounds[]);
/* Not collective. The contiguous shards rank `rank` of `size` computes: [*first, *first + *count);
 * balanced within one shard. Ranks beyond n_shards get none (and only take part in the sums). */
void hd_par_rank_shards(PetscInt n_shards, int rank, int size, PetscInt *first, PetscInt *count);

/* ---------------------------------------------------------------------------------------------
 * Exact gradient sum over the shards of a group. */

typedef struct {
  MPI_Comm  comm;      /* the group (the caller's; not owned) */
  PetscInt  n_params;  /* length of every gradient buffer */
  PetscInt  n_tensors;
  PetscInt *offset;    /* (n_tensors) copy of the tensor table */
  PetscInt *size;      /* (n_tensors) */
  char     *names;     /* (n_tensors * HD_PAR_NAME_LEN) "" until hd_par_reducer_set_names */
  int      *exponent;  /* (n_tensors) work: per tensor, max |g| < 2^exponent over the group */
  int64_t  *acc;       /* (n_params + 1) work: fixed-point sums; the last entry counts shards */
  double   *scalars;   /* (HD_PAR_SHARD_LIMIT * (HD_PAR_MAX_SCALARS + 1)) work */
  PetscInt  step;      /* number of successful gradient sums; quoted in error messages (a
                        * trainer that resumes from a checkpoint may set it) */
  PetscInt  n_shards;  /* shards the group added in the last successful gradient sum */
} hd_par_reducer;

/* Not collective (comm is kept; every rank of it must create a reducer with the same table).
 * The tensor table (offset, size) must be packed without gaps in buffer order:
 * offset[0] = 0, offset[t + 1] = offset[t] + size[t], offset[n - 1] + size[n - 1] = n_params.
 * All work buffers are allocated here. */
PetscErrorCode hd_par_reducer_create(MPI_Comm comm, PetscInt n_params, PetscInt n_tensors, const PetscInt *offsets, const PetscInt *sizes, hd_par_reducer *r);
/* Not collective. Names the tensors in error messages (names[t] is truncated to
 * HD_PAR_NAME_LEN - 1 characters). */
PetscErrorCode hd_par_reducer_set_names(hd_par_reducer *r, const char *const *names);
/* Not collective. r may be zero-initialised or destroyed already. */
PetscErrorCode hd_par_reducer_destroy(hd_par_reducer *r);

/* Collective on r->comm. out = sum over the shards of all ranks of shard_grads, each shard_grads[k]
 * a buffer of n_params floats; n_local_shards may be 0 (an idle rank). Bit-identical on every rank
 * and for any split of the shards over ranks. Per tensor, the value of every shard is rounded to a
 * multiple of q = 2^(e - 50), where max |g| < 2^e over all shards of the group, the integers are
 * added exactly in int64, and the sum is rounded to float once. Two MPI_Allreduce: one of
 * n_tensors ints (MAX) and one of n_params + 1 int64 (SUM). out may alias a shard buffer.
 * A NaN or Inf in any shard, a sum beyond the float range, or more than HD_PAR_SHARD_LIMIT
 * shards in the group raise an error on every rank of the group, naming the tensor and step.
 * For a mean loss, each shard's gradient is already scaled by 1 / B, B the global batch. */
PetscErrorCode hd_par_reducer_sum(hd_par_reducer *r, PetscInt n_local_shards, const float *const *shard_grads, float *out);

/* Collective on r->comm. Sums per-shard scalars (losses, counts) reproducibly: this rank holds
 * shards [first_shard, first_shard + n_local_shards) of n_shards, local[k * n_values + v] being
 * value v of its k-th shard. The S x n_values table is assembled on every rank (one MPI_Allreduce
 * of S x (n_values + 1) doubles in which every entry has one non-zero contributor, hence exact)
 * and added in shard order in double, so sum[v] is identical on every rank and for any split.
 * Every shard must be held by exactly one rank (checked); n_values <= HD_PAR_MAX_SCALARS. */
PetscErrorCode hd_par_reducer_sum_scalars(hd_par_reducer *r, PetscInt n_shards, PetscInt first_shard, PetscInt n_local_shards, PetscInt n_values, const double *local, double *sum);

/* ---------------------------------------------------------------------------------------------
 * Small collectives for the layers above (methods and stats name no MPI call). */

/* Element types of hd_par_allgather_blocks. */
typedef enum { HD_PAR_FLOAT = 0, HD_PAR_INT32, HD_PAR_INT64, HD_PAR_DOUBLE } hd_par_type;

/* Not collective. This rank's rank and the size of comm. */
PetscErrorCode hd_par_rank_size(hd_comm comm, int *rank, int *size);
/* Not collective. The block of rows rank `rank` of `size` holds out of n: [floor(n r / P),
 * floor(n (r + 1) / P)), the split of event tables (include/hadal/events.h). */
void hd_par_block(PetscInt n, int rank, int size, PetscInt *offset, PetscInt *count);
/* Collective. *any = whether `mine` is true on any rank of comm (an interruption, a failure that
 * every rank must act on). */
PetscErrorCode hd_par_any(hd_comm comm, PetscBool mine, PetscBool *any);
/* Collective. Elementwise reductions over comm, out[i] = op over ranks of in[i]; out may alias in.
 * Integer sums, minima and maxima do not depend on the order they are taken in, so they are the
 * same at any rank count; a double sum is exact when at most one rank holds a non-zero value per
 * entry (tables that each rank fills in part). NaN entries are the caller's to rule out first. */
PetscErrorCode hd_par_sum_int64(hd_comm comm, PetscInt n, const int64_t *in, int64_t *out);
PetscErrorCode hd_par_sum_double(hd_comm comm, PetscInt n, const double *in, double *out);
PetscErrorCode hd_par_min_double(hd_comm comm, PetscInt n, const double *in, double *out);
PetscErrorCode hd_par_max_double(hd_comm comm, PetscInt n, const double *in, double *out);
/* Collective. In-place bytewise maximum over comm: text that one rank fills and the others leave
 * zeroed (fingerprints) reaches every rank. */
PetscErrorCode hd_par_max_bytes(hd_comm comm, PetscInt n, char *bytes);
/* Collective. Rows split in blocks (hd_par_block of n_rows): `local` holds this rank's block of
 * `width` values of `type` per row, `all` receives the n_rows x width values on every rank. */
PetscErrorCode hd_par_allgather_blocks(hd_comm comm, PetscInt n_rows, PetscInt width, hd_par_type type, const void *local, void *all);

/* Not collective. The BLACS process grid of `size` ranks: nprow the largest divisor of size at
 * most sqrt(size), npcol = size / nprow. */
void hd_par_grid_shape(int size, int *nprow, int *npcol);
/* Collective. The n eigenvalues w (ascending) of the symmetric n x n matrix a (row-major, the same
 * on every rank of comm) with ScaLAPACK pdsyev: a is dealt block-cyclically in `block` x `block`
 * blocks (block <= 0: about two per process along the longer grid side, at most 64) over the
 * hd_par_grid_shape grid of comm; w is returned on every rank. The rounding depends on the grid,
 * so w agrees across rank counts to about n eps ||a||, not bit for bit. */
PetscErrorCode hd_par_eigenvalues_sym(hd_comm comm, PetscInt n, PetscInt block, const double *a, double *w);
#endif
