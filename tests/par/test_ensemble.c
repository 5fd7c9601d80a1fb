/* The ensemble driver (src/par/ensemble.c), at every group size of the world:
 *   - every member runs exactly once, on every rank of one group, collectively;
 *   - the int64 sums are exact (they equal the closed form) whatever the group layout;
 *   - the per-event columns hold, bit for bit, each member's scores for this rank's event block;
 *   - per-member metrics and text reach every rank;
 *   - with costs (uneven members) and without columns (no rounds) the same holds;
 *   - a member stopped by a "signal" sets `interrupted` on every rank, without hanging. */
#include <stdio.h>
#include <string.h>
#include <hadal/ensemble.h>
#include <hadal/rng.h>
#include "check.h"

#define N_EVENTS 23

/* The score member m gives event i: an arbitrary float, the same wherever it is computed. */
static float score_of(PetscInt m, PetscInt i)
{
  hd_rng r;
  hd_rng_init(&r, 3, HD_STREAM_USER, (uint64_t)(m * 1000 + i));
  return (float)(hd_rng_uniform(&r) * 100.0 - 50.0);
}

typedef struct {
  PetscInt  stop_at; /* the member that reports an interruption; -1: none */
  PetscInt  calls;
  PetscBool columns; /* the ensemble collects scores */
} ctx_t;

static PetscErrorCode member_fn(hd_ensemble_member *m, void *vctx)
{
  ctx_t   *ctx = vctx;
  PetscInt lo, hi;

  PetscFunctionBegin;
  ctx->calls++;
  /* collective on the group: every rank of it runs the same member */
  PetscCallMPI(MPI_Allreduce(&m->member, &lo, 1, MPIU_INT, MPI_MIN, m->group));
  PetscCallMPI(MPI_Allreduce(&m->member, &hi, 1, MPIU_INT, MPI_MAX, m->group));
  CHECK(lo == hi, "member %d: the ranks of the group run different members (%d..%d)", (int)m->member, (int)lo, (int)hi);
  CHECK((m->sums != NULL) == (m->group_rank == 0), "sums are given to group rank 0 alone");
  if (m->member == ctx->stop_at) {
    m->interrupted = PETSC_TRUE;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt i = 0; i < N_EVENTS && ctx->columns; i++) m->scores[i] = score_of(m->member, i);
  if (m->sums)
    for (PetscInt i = 0; i < N_EVENTS; i++) m->sums[i] += (m->member + 1) * (int64_t)(i + 1) * 1000000007LL;
  m->metrics[0] = (double)m->member;
  m->metrics[1] = 0.5 * (double)m->member * (double)m->member;
  snprintf(m->text, 16, "m%d", (int)m->member);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_layout(MPI_Comm world, PetscInt gs, PetscInt M, PetscBool columns, PetscBool costs, PetscInt stop_at)
{
  hd_ensemble_config cfg = {.n_members = M, .group_size = gs, .n_sums = N_EVENTS, .n_events = columns ? N_EVENTS : 0, .n_metrics = 2, .text_len = 16};
  hd_ensemble        e;
  ctx_t              ctx = {.stop_at = stop_at, .calls = 0, .columns = columns};
  double             c[64];
  char               what[160];

  PetscFunctionBegin;
  for (PetscInt m = 0; m < M; m++) c[m] = (double)(1 + (m * 7) % 5);
  cfg.costs = costs ? c : NULL;
  snprintf(what, sizeof(what), "group size %d, %d members%s%s%s", (int)gs, (int)M, columns ? ", columns" : "", costs ? ", costs" : "", stop_at >= 0 ? ", interrupted" : "");
  PetscCall(hd_ensemble_create(world, &cfg, &e));
  PetscCall(hd_ensemble_run(&e, member_fn, &ctx));
  if (stop_at >= 0) {
    CHECK(e.interrupted, "%s: not marked interrupted", what);
  } else {
    CHECK(!e.interrupted, "%s: marked interrupted", what);
    /* every member ran once in its group: count the calls of the group leaders */
    PetscInt calls = e.groups.group_rank == 0 ? ctx.calls : 0, all;
    PetscCallMPI(MPI_Allreduce(&calls, &all, 1, MPIU_INT, MPI_SUM, world));
    CHECK(all == M, "%s: %d member runs, want %d", what, (int)all, (int)M);
    for (PetscInt i = 0; i < N_EVENTS; i++) {
      int64_t want = 0;
      for (PetscInt m = 0; m < M; m++) want += (m + 1) * (int64_t)(i + 1) * 1000000007LL;
      CHECK(e.sums[i] == want, "%s: sum %d is %lld, want %lld", what, (int)i, (long long)e.sums[i], (long long)want);
    }
    for (PetscInt m = 0; m < M; m++) {
      char t[16];
      snprintf(t, sizeof(t), "m%d", (int)m);
      CHECK(e.metrics[2 * m] == (double)m && e.metrics[2 * m + 1] == 0.5 * (double)m * (double)m, "%s: metrics of member %d", what, (int)m);
      CHECK(!strcmp(e.text + 16 * m, t), "%s: text of member %d is '%s'", what, (int)m, e.text + 16 * m);
    }
    if (columns) {
      PetscInt total;
      PetscCallMPI(MPI_Allreduce(&e.block_count, &total, 1, MPIU_INT, MPI_SUM, world));
      CHECK(total == N_EVENTS, "%s: blocks hold %d events", what, (int)total);
      for (PetscInt i = 0; i < e.block_count; i++)
        for (PetscInt m = 0; m < M; m++) {
          float want = score_of(m, e.block_offset + i), got = e.columns[i * M + m];
          CHECK(memcmp(&want, &got, sizeof(float)) == 0, "%s: column %d of event %d is %g, want %g", what, (int)m, (int)(e.block_offset + i), (double)got, (double)want);
        }
    }
  }
  PetscCall(hd_ensemble_destroy(&e));
  PetscCall(hd_ensemble_destroy(&e)); /* twice is harmless */
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  int rank, size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (PetscInt gs = 1; gs <= size; gs++) {
    if (size % gs) continue;
    const PetscInt members[] = {1, 3, 7, 63};
    for (size_t k = 0; k < sizeof(members) / sizeof(members[0]); k++)
      for (int col = 0; col < 2; col++)
        for (int cost = 0; cost < 2; cost++) PetscCall(check_layout(PETSC_COMM_WORLD, gs, members[k], col ? PETSC_TRUE : PETSC_FALSE, cost ? PETSC_TRUE : PETSC_FALSE, -1));
    /* a member stopped by a signal: in the first round and in a later one */
    for (int col = 0; col < 2; col++) {
      PetscCall(check_layout(PETSC_COMM_WORLD, gs, 7, col ? PETSC_TRUE : PETSC_FALSE, PETSC_FALSE, 0));
      PetscCall(check_layout(PETSC_COMM_WORLD, gs, 7, col ? PETSC_TRUE : PETSC_FALSE, PETSC_FALSE, 5));
    }
  }
  int total = 0;
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("ensemble driver at %d ranks: %d failures\n", size, total);
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
