/* The ensemble driver's stored members and joint schedules (src/par/ensemble.c), at every group
 * size of the world:
 *   - with a store, a run stopped twice by a "signal" and resumed twice ends with sums, columns,
 *     metrics and text bit for bit those of one uninterrupted run (and of the closed form); the
 *     members stored before a stop are loaded, not run again; each member in progress gets its own
 *     checkpoint path, and the checkpoint of a stored member is removed;
 *   - a stored member's file holds only the sums the member changed;
 *   - stored members of another identity are run again, not loaded;
 *   - hd_ensemble_run_many over three ensembles of different sizes, costs and stores gives each
 *     exactly what its own hd_ensemble_run gives. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <hadal/ensemble.h>
#include <hadal/rng.h>
#include "check.h"

typedef struct {
  PetscInt  n_events, n_sums, salt;
  PetscInt  stop_at; /* the member that reports an interruption; -1: none */
  PetscInt  calls;   /* members run on this rank */
  PetscBool bad_ckpt;
} ctx_t;

static float score_of(PetscInt salt, PetscInt m, PetscInt i)
{
  hd_rng r;
  hd_rng_init(&r, 7, HD_STREAM_USER, (uint64_t)((salt * 1000 + m) * 100000 + i));
  return (float)(hd_rng_uniform(&r) * 100.0 - 50.0);
}

/* member m changes the sums i with (i + m) % 3 == 0 only */
static int64_t sum_of(PetscInt salt, PetscInt m, PetscInt i) { return (i + m) % 3 ? 0 : (m + 1) * (int64_t)(i + 1) * 1000000007LL + salt; }

static PetscErrorCode member_fn(hd_ensemble_member *m, void *vctx)
{
  ctx_t *ctx = vctx;

  PetscFunctionBegin;
  ctx->calls++;
  if (!m->checkpoint) ctx->bad_ckpt = PETSC_TRUE;
  else {
    char want[64];
    snprintf(want, sizeof(want), "checkpoint_m%03d.h5", (int)m->member);
    if (!strstr(m->checkpoint, want)) ctx->bad_ckpt = PETSC_TRUE;
    if (m->group_rank == 0) {
      FILE *f = fopen(m->checkpoint, "w"); /* what a trainer leaves behind */
      if (f) fclose(f);
    }
  }
  if (m->member == ctx->stop_at) {
    m->interrupted = PETSC_TRUE;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt i = 0; i < ctx->n_events; i++) m->scores[i] = score_of(ctx->salt, m->member, i);
  if (m->sums)
    for (PetscInt i = 0; i < ctx->n_sums; i++) m->sums[i] += sum_of(ctx->salt, m->member, i);
  m->metrics[0] = (double)m->member + 0.25 * (double)ctx->salt;
  m->metrics[1] = 1.0 / (double)(m->member + 3);
  snprintf(m->text, 16, "s%dm%d", (int)ctx->salt, (int)m->member);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The closed form of a whole ensemble. */
static PetscErrorCode check_whole(const hd_ensemble *e, const ctx_t *ctx, const char *what)
{
  PetscInt M = e->cfg.n_members;

  PetscFunctionBegin;
  CHECK(!e->interrupted, "%s: marked interrupted", what);
  for (PetscInt i = 0; i < ctx->n_sums; i++) {
    int64_t want = 0;
    for (PetscInt m = 0; m < M; m++) want += sum_of(ctx->salt, m, i);
    CHECK(e->sums[i] == want, "%s: sum %d is %lld, want %lld", what, (int)i, (long long)e->sums[i], (long long)want);
  }
  for (PetscInt m = 0; m < M; m++) {
    char t[16];
    snprintf(t, sizeof(t), "s%dm%d", (int)ctx->salt, (int)m);
    CHECK(e->metrics[2 * m] == (double)m + 0.25 * (double)ctx->salt && e->metrics[2 * m + 1] == 1.0 / (double)(m + 3), "%s: metrics of member %d", what, (int)m);
    CHECK(!strcmp(e->text + 16 * m, t), "%s: text of member %d is '%s'", what, (int)m, e->text + 16 * m);
  }
  for (PetscInt i = 0; i < e->block_count; i++)
    for (PetscInt m = 0; m < M; m++) {
      float want = score_of(ctx->salt, m, e->block_offset + i), got = e->columns[i * M + m];
      CHECK(memcmp(&want, &got, sizeof(float)) == 0, "%s: column %d of event %d is %g, want %g", what, (int)m, (int)(e->block_offset + i), (double)got, (double)want);
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Bitwise equality of two ensembles' results on this rank. */
static void check_same(const hd_ensemble *a, const hd_ensemble *b, const char *what)
{
  const hd_ensemble_config *c = &a->cfg;
  CHECK(!a->interrupted && !b->interrupted, "%s: interrupted", what);
  CHECK(!memcmp(a->sums, b->sums, sizeof(int64_t) * (size_t)c->n_sums), "%s: sums differ", what);
  CHECK(!memcmp(a->columns, b->columns, sizeof(float) * (size_t)(a->block_count * c->n_members)), "%s: columns differ", what);
  CHECK(!memcmp(a->metrics, b->metrics, sizeof(double) * (size_t)(c->n_members * c->n_metrics)), "%s: metrics differ", what);
  CHECK(!memcmp(a->text, b->text, (size_t)(c->n_members * c->text_len)), "%s: text differs", what);
}

/* Stopped at member s1, resumed and stopped at s2, resumed to the end. */
static PetscErrorCode check_resume(MPI_Comm world, PetscInt gs, PetscInt M, PetscInt n_events, PetscBool costs, PetscInt s1)
{
  char               dir[64], what[160], ckdir[80];
  double             c[64];
  ctx_t              ctx = {.n_events = n_events, .n_sums = 29, .salt = 1, .stop_at = s1};
  hd_ensemble        e;
  int                rank;
  PetscInt           calls = 0, all;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  snprintf(dir, sizeof(dir), "store_gs%d_m%d_e%d_c%d", (int)gs, (int)M, (int)n_events, (int)costs);
  snprintf(ckdir, sizeof(ckdir), "%s/ck", dir);
  snprintf(what, sizeof(what), "group size %d, %d members, %d events%s, first stop at %d", (int)gs, (int)M, (int)n_events, costs ? ", costs" : "", (int)s1);
  for (PetscInt m = 0; m < M; m++) c[m] = (double)(1 + (m * 7) % 5);
  hd_ensemble_config cfg = {.n_members = M, .costs = costs ? c : NULL, .group_size = gs, .n_sums = ctx.n_sums, .n_events = n_events, .n_metrics = 2, .text_len = 16, .store_dir = dir, .checkpoint_dir = ckdir, .identity = "test"};
  /* first run: fresh, stopped at s1 */
  PetscCall(hd_ensemble_create(world, &cfg, &e));
  PetscCall(hd_ensemble_run(&e, member_fn, &ctx));
  CHECK(e.interrupted, "%s: first run not interrupted", what);
  PetscCall(hd_ensemble_destroy(&e));
  /* second: resumed, stopped at the last member not stored yet */
  PetscInt s2 = -1;
  for (PetscInt m = 0; m < M && rank == 0; m++) {
    char path[PETSC_MAX_PATH_LEN];
    hd_ensemble_store_path(dir, m, path, sizeof(path));
    if (access(path, F_OK) != 0) s2 = m;
  }
  PetscCallMPI(MPI_Bcast(&s2, 1, MPIU_INT, 0, world));
  CHECK(s2 >= 0, "%s: every member stored after the first stop", what);
  cfg.resume  = PETSC_TRUE;
  ctx.stop_at = s2;
  PetscCall(hd_ensemble_create(world, &cfg, &e));
  PetscCall(hd_ensemble_run(&e, member_fn, &ctx));
  CHECK(e.interrupted, "%s: second run not interrupted", what);
  PetscCall(hd_ensemble_destroy(&e));
  /* third: resumed to the end; only the members without a file run */
  PetscInt stored = 0;
  if (rank == 0)
    for (PetscInt m = 0; m < M; m++) {
      char path[PETSC_MAX_PATH_LEN];
      hd_ensemble_store_path(dir, m, path, sizeof(path));
      stored += access(path, F_OK) == 0;
      hd_ensemble_store_checkpoint_path(ckdir, m, path, sizeof(path));
      if (access(path, F_OK) == 0) {
        char mp[PETSC_MAX_PATH_LEN];
        hd_ensemble_store_path(dir, m, mp, sizeof(mp));
        CHECK(access(mp, F_OK) != 0, "%s: member %d is stored and its checkpoint is still there", what, (int)m);
      }
    }
  PetscCallMPI(MPI_Bcast(&stored, 1, MPIU_INT, 0, world));
  CHECK(stored >= 1 && stored < M, "%s: %d members stored after two stops", what, (int)stored);
  ctx.stop_at = -1;
  ctx.calls   = 0;
  PetscCall(hd_ensemble_create(world, &cfg, &e));
  PetscCall(hd_ensemble_run(&e, member_fn, &ctx));
  calls = e.groups.group_rank == 0 ? ctx.calls : 0;
  PetscCallMPI(MPI_Allreduce(&calls, &all, 1, MPIU_INT, MPI_SUM, world));
  CHECK(all == M - stored, "%s: the last run ran %d members, want the %d unstored", what, (int)all, (int)(M - stored));
  PetscCall(check_whole(&e, &ctx, what));
  CHECK(!ctx.bad_ckpt, "%s: a member got no or a wrong checkpoint path", what);
  PetscCall(hd_ensemble_destroy(&e));

  /* a stored member holds the sums it changed, no more: (29 + 2 - m % 3) / 3 of the 29 */
  if (rank == 0) {
    hd_ensemble_record want = {.member = 1, .n_members = M, .n_sums = 29, .n_events = n_events, .n_metrics = 2, .text_len = 16, .identity = "test"};
    int64_t            sums[29] = {0};
    float              col[64];
    double             met[2];
    char               text[16], path[PETSC_MAX_PATH_LEN];
    hd_ensemble_store_path(dir, 1, path, sizeof(path));
    if (M > 1) {
      PetscCall(hd_ensemble_store_read(path, &want, sums, col, met, text));
      for (PetscInt i = 0; i < 29; i++) CHECK(sums[i] == sum_of(1, 1, i), "%s: stored sum %d of member 1", what, (int)i);
    }
  }

  /* resuming with another identity runs every member again, and ends whole */
  cfg.identity = "another run";
  ctx.calls    = 0;
  PetscCall(hd_ensemble_create(world, &cfg, &e));
  PetscCall(hd_ensemble_run(&e, member_fn, &ctx));
  calls = e.groups.group_rank == 0 ? ctx.calls : 0;
  PetscCallMPI(MPI_Allreduce(&calls, &all, 1, MPIU_INT, MPI_SUM, world));
  CHECK(all == M, "%s: another identity: %d members run again, want %d", what, (int)all, (int)M);
  PetscCall(check_whole(&e, &ctx, what));
  PetscCall(hd_ensemble_destroy(&e));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Three ensembles as one schedule against each run alone. */
static PetscErrorCode check_many(MPI_Comm world, PetscInt gs)
{
  const PetscInt     Ms[3] = {5, 1, 9}, Ns[3] = {17, 0, 40}, Ss[3] = {7, 29, 0};
  double             c[9];
  ctx_t              ctx[3], ctx1[3];
  hd_ensemble        e[3], single[3];
  hd_ensemble       *ep[3] = {&e[0], &e[1], &e[2]};
  hd_ensemble_member_fn fn[3] = {member_fn, member_fn, member_fn};
  void              *cp[3] = {&ctx[0], &ctx[1], &ctx[2]};
  char               what[64], dir[64];

  PetscFunctionBegin;
  for (PetscInt m = 0; m < 9; m++) c[m] = (double)(2 + (m * 5) % 7);
  snprintf(dir, sizeof(dir), "many_gs%d", (int)gs);
  for (int k = 0; k < 3; k++) {
    hd_ensemble_config cfg = {.n_members = Ms[k], .costs = k == 2 ? c : NULL, .group_size = gs, .n_sums = Ss[k], .n_events = Ns[k], .n_metrics = 2, .text_len = 16, .store_dir = k == 0 ? dir : NULL, .identity = "many"};
    ctx[k] = ctx1[k] = (ctx_t){.n_events = Ns[k], .n_sums = Ss[k], .salt = 10 + k, .stop_at = -1};
    PetscCall(hd_ensemble_create(world, &cfg, &e[k]));
    PetscCall(hd_ensemble_create(world, &cfg, &single[k]));
    PetscCall(hd_ensemble_run(&single[k], member_fn, &ctx1[k]));
  }
  PetscCall(hd_ensemble_run_many(3, ep, fn, cp));
  for (int k = 0; k < 3; k++) {
    snprintf(what, sizeof(what), "joint run, group size %d, ensemble %d", (int)gs, k);
    check_same(&e[k], &single[k], what);
    PetscCall(check_whole(&e[k], &ctx[k], what));
    PetscCall(hd_ensemble_destroy(&e[k]));
    PetscCall(hd_ensemble_destroy(&single[k]));
  }
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
    PetscCall(check_resume(PETSC_COMM_WORLD, gs, 7, 23, PETSC_FALSE, 3));
    PetscCall(check_resume(PETSC_COMM_WORLD, gs, 13, 0, PETSC_TRUE, 2));
    PetscCall(check_resume(PETSC_COMM_WORLD, gs, 11, 5, PETSC_TRUE, 0));
    PetscCall(check_many(PETSC_COMM_WORLD, gs));
  }
  int total = 0;
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("ensemble stores and joint runs at %d ranks: %d failures\n", size, total);
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
