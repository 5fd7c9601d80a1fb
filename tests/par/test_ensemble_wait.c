/* No group waits for another while members run (src/par/ensemble.c): members of unequal length
 * that only sleep (no CPU, so the oversubscribed test machine does not blur the times), with
 * per-event columns, dealt so that with an exchange after every round each round would last as
 * long as its longest member. Group g runs its k-th member for `long` seconds when g + k is even
 * and `short` when odd; with rounds the run lasts about R x long, without about R/2 x (long +
 * short). The test checks the columns and that the run is well under the round-bound time; the
 * times are printed for docs/parallel.md ("Waiting").
 *   options: -rounds R (4), -long S (0.4), -short S (0.05), -n_events N (100000) */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <hadal/ensemble.h>
#include "check.h"

typedef struct {
  double   t_long, t_short;
  PetscInt n_groups, n_events;
} ctx_t;

static void sleep_s(double s)
{
  struct timespec t = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&t, NULL);
}

static PetscErrorCode member_fn(hd_ensemble_member *m, void *vctx)
{
  ctx_t   *ctx = vctx;
  PetscInt g = m->member % ctx->n_groups, k = m->member / ctx->n_groups; /* round robin */

  PetscFunctionBegin;
  sleep_s((g + k) % 2 ? ctx->t_short : ctx->t_long);
  for (PetscInt i = 0; i < ctx->n_events; i++) m->scores[i] = (float)(m->member * 7 + i % 13);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  int      rank, size;
  PetscInt rounds = 4, n_events = 100000;
  ctx_t    ctx = {.t_long = 0.4, .t_short = 0.05};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-rounds", &rounds, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n_events", &n_events, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-long", &ctx.t_long, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-short", &ctx.t_short, NULL));
  ctx.n_groups = size;
  ctx.n_events = n_events;

  hd_ensemble_config cfg = {.n_members = rounds * size, .group_size = 1, .n_events = n_events, .n_metrics = 1};
  hd_ensemble        e;
  PetscCall(hd_ensemble_create(PETSC_COMM_WORLD, &cfg, &e));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  double t0 = MPI_Wtime();
  PetscCall(hd_ensemble_run(&e, member_fn, &ctx));
  double t = MPI_Wtime() - t0, t_rounds = (double)rounds * ctx.t_long, t_free = 0;
  for (PetscInt k = 0; k < rounds; k++) t_free += k % 2 ? ctx.t_short : ctx.t_long;
  if (size > 1) t_free = 0.5 * (double)rounds * (ctx.t_long + ctx.t_short);
  for (PetscInt i = 0; i < e.block_count; i++)
    for (PetscInt m = 0; m < cfg.n_members; m++) {
      float want = (float)(m * 7 + (e.block_offset + i) % 13);
      CHECK(e.columns[i * cfg.n_members + m] == want, "column %d of event %d", (int)m, (int)(e.block_offset + i));
    }
  if (rank == 0) printf("%d ranks, %d members (%d per group, %.2f s or %.2f s each), %d events: %.3f s; with a wait per round %.2f s, without %.2f s\n", size, (int)cfg.n_members, (int)rounds, ctx.t_long, ctx.t_short, (int)n_events, t, t_rounds, t_free);
  /* the groups overlap their long members: well under the round-bound time */
  if (size > 1) CHECK(t < 0.5 * (t_rounds + t_free), "the run took %.3f s: the groups waited for each other (%.2f s with rounds)", t, t_rounds);
  PetscCall(hd_ensemble_destroy(&e));
  int total = 0;
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
