/* The ensemble driver (see include/hadal/ensemble.h): members dealt to groups, run one after the
 * other, their sums, per-event scores and metrics collected without gathering all of them. */
#include <string.h>
#include <hadal/ensemble.h>
#include <hadal/log.h>

PetscErrorCode hd_ensemble_create(hd_comm world, const hd_ensemble_config *cfg, hd_ensemble *e)
{
  PetscInt M = cfg->n_members;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(e, sizeof(*e)));
  e->groups.group = MPI_COMM_NULL;
  e->groups.peers = MPI_COMM_NULL;
  PetscCheck(cfg->n_sums >= 0 && cfg->n_events >= 0 && cfg->n_metrics >= 0 && cfg->text_len >= 0, world, HD_ERR_INTERNAL, "ensemble: negative table sizes");
  PetscCheck((double)cfg->n_events * (double)M < 9e18, world, HD_ERR_USER_INPUT, "ensemble: %" PetscInt_FMT " events x %" PetscInt_FMT " members is too large", cfg->n_events, M);
  e->cfg       = *cfg;
  e->cfg.costs = NULL; /* used below only: the caller owns them */
  PetscCall(hd_par_groups_create(world, cfg->group_size, &e->groups));
  PetscCall(hd_par_schedule_create(&e->groups, M, cfg->costs, &e->sched));
  hd_par_block(cfg->n_events, e->groups.world_rank, e->groups.world_size, &e->block_offset, &e->block_count);
  PetscCall(PetscCalloc1(PetscMax(cfg->n_sums, 1), &e->sums));
  PetscCall(PetscCalloc1(PetscMax(e->block_count * M, 1), &e->columns));
  PetscCall(PetscCalloc1(PetscMax(M * cfg->n_metrics, 1), &e->metrics));
  PetscCall(PetscCalloc1(PetscMax(M * cfg->text_len, 1), &e->text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_destroy(hd_ensemble *e)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(e->sums));
  PetscCall(PetscFree(e->columns));
  PetscCall(PetscFree(e->metrics));
  PetscCall(PetscFree(e->text));
  PetscCall(hd_par_schedule_destroy(&e->sched));
  PetscCall(hd_par_groups_destroy(&e->groups));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Members of group k. */
static PetscInt hd_ensemble_count(const hd_ensemble *e, PetscInt k) { return e->sched.start[k + 1] - e->sched.start[k]; }

/* Collective on world. Round r of the columns: every group that ran a member this round sends
 * each rank its block of that member's scores (one all-to-all), and each rank files them under the
 * member's column. `scores` holds this rank's copy of its group's member scores. */
static PetscErrorCode hd_ensemble_exchange(hd_ensemble *e, PetscInt r, const float *scores)
{
  const hd_par_groups *g = &e->groups;
  PetscInt             M = e->cfg.n_members, N = e->cfg.n_events, bc = e->block_count, slot = 0;
  int                 *sc, *sd, *rc, *rd;
  float               *recv;
  PetscBool            sending = g->group_rank == 0 && r < hd_ensemble_count(e, g->group_index);

  PetscFunctionBegin;
  PetscCall(PetscCalloc4(g->world_size, &sc, g->world_size, &sd, g->world_size, &rc, g->world_size, &rd));
  PetscCall(PetscMalloc1(PetscMax(g->n_groups * bc, 1), &recv));
  for (int j = 0; j < g->world_size && sending; j++) {
    PetscInt off, cnt;
    hd_par_block(N, j, g->world_size, &off, &cnt);
    sc[j] = (int)cnt;
    sd[j] = (int)off;
  }
  for (PetscInt k = 0; k < g->n_groups; k++) {
    if (r >= hd_ensemble_count(e, k)) continue;
    int leader  = (int)(k * g->group_size); /* groups are consecutive world ranks */
    rc[leader] = (int)bc;
    rd[leader] = (int)(slot * bc);
    slot++;
  }
  PetscCallMPI(MPI_Alltoallv(scores, sc, sd, MPI_FLOAT, recv, rc, rd, MPI_FLOAT, g->world));
  slot = 0;
  for (PetscInt k = 0; k < g->n_groups; k++) {
    if (r >= hd_ensemble_count(e, k)) continue;
    PetscInt m = e->sched.members[e->sched.start[k] + r];
    for (PetscInt i = 0; i < bc; i++) e->columns[i * M + m] = recv[slot * bc + i];
    slot++;
  }
  PetscCall(PetscFree(recv));
  PetscCall(PetscFree4(sc, sd, rc, rd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  hd_ensemble_member m;
  hd_progress        prog;
  PetscBool          show;
} hd_ensemble_loop;

/* Collective on the group: member `member` with fn; its metrics kept on success. */
static PetscErrorCode hd_ensemble_one(hd_ensemble *e, hd_ensemble_loop *L, PetscInt member, hd_ensemble_member_fn fn, void *ctx)
{
  const hd_ensemble_config *c = &e->cfg;

  PetscFunctionBegin;
  L->m.member      = member;
  L->m.interrupted = PETSC_FALSE;
  PetscCall(PetscArrayzero(L->m.metrics, PetscMax(c->n_metrics, 1)));
  PetscCall(PetscArrayzero(L->m.text, PetscMax(c->text_len, 1)));
  PetscCall(fn(&L->m, ctx));
  if (L->m.interrupted) PetscFunctionReturn(PETSC_SUCCESS);
  if (L->m.group_rank == 0) {
    PetscCall(PetscArraycpy(e->metrics + member * c->n_metrics, L->m.metrics, c->n_metrics));
    PetscCall(PetscArraycpy(e->text + member * c->text_len, L->m.text, c->text_len));
    if (c->text_len > 0) e->text[(member + 1) * c->text_len - 1] = '\0';
  }
  e->members_run++;
  if (L->show) PetscCall(hd_progress_update(&L->prog, (double)e->members_run));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_run(hd_ensemble *e, hd_ensemble_member_fn fn, void *ctx)
{
  const hd_ensemble_config *c = &e->cfg;
  const hd_par_groups      *g = &e->groups;
  PetscInt                  mine = hd_ensemble_count(e, g->group_index), first = e->sched.start[g->group_index], rounds = 0;
  hd_ensemble_loop          L;
  PetscBool                 any = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&L, sizeof(L)));
  L.m.group      = g->group;
  L.m.group_rank = g->group_rank;
  L.m.sums       = g->group_rank == 0 ? e->sums : NULL;
  PetscCall(PetscCalloc1(PetscMax(c->n_events, 1), &L.m.scores));
  PetscCall(PetscCalloc1(PetscMax(c->n_metrics, 1), &L.m.metrics));
  PetscCall(PetscCalloc1(PetscMax(c->text_len, 1), &L.m.text));
  L.show = c->progress && g->group_index == 0;
  if (L.show) hd_progress_begin(&L.prog, g->group, c->progress, "models", (double)mine);
  e->members_run = 0;

  if (c->n_events == 0) {
    /* no per-event columns: each group runs its members without waiting for the others */
    for (PetscInt k = 0, m; hd_par_schedule_next(&e->sched, g->group_index, &k, &m);) {
      PetscCall(hd_ensemble_one(e, &L, m, fn, ctx));
      if (L.m.interrupted) break;
    }
    PetscCall(hd_par_any(g->world, L.m.interrupted, &any));
  } else {
    for (PetscInt k = 0; k < g->n_groups; k++) rounds = PetscMax(rounds, hd_ensemble_count(e, k));
    for (PetscInt r = 0; r < rounds && !any; r++) {
      if (r < mine) PetscCall(hd_ensemble_one(e, &L, e->sched.members[first + r], fn, ctx));
      PetscCall(hd_par_any(g->world, L.m.interrupted, &any));
      if (!any) PetscCall(hd_ensemble_exchange(e, r, L.m.scores));
    }
  }
  e->interrupted = any;
  if (L.show && !any) PetscCall(hd_progress_end(&L.prog, (double)e->members_run));
  if (!any) {
    /* each entry has one contributor (the rank 0 of the member's group; zeros elsewhere), so
     * these sums are exact copies; the int64 sums are exact in any order */
    PetscCall(hd_par_sum_int64(g->world, c->n_sums, e->sums, e->sums));
    PetscCall(hd_par_sum_double(g->world, c->n_members * c->n_metrics, e->metrics, e->metrics));
    PetscCall(hd_par_max_bytes(g->world, c->n_members * c->text_len, e->text));
  }
  PetscCall(PetscFree(L.m.scores));
  PetscCall(PetscFree(L.m.metrics));
  PetscCall(PetscFree(L.m.text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_ensemble_write_columns(const hd_ensemble *e, hd_results *res, const char *name)
{
  PetscFunctionBegin;
  PetscCheck(e->cfg.n_events > 0, e->groups.world, HD_ERR_INTERNAL, "ensemble: %s: the ensemble collected no per-event scores", name);
  PetscCall(hd_results_write_table(res, name, e->cfg.n_events, e->cfg.n_members, e->block_offset, e->block_count, e->columns));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sequential stand-in: the ensembles one after the other, each with its own schedule (what
 * hd_ensemble_run gives, so the result is the one the seam promises; the single schedule over
 * all members replaces this). After an interrupted ensemble the later ones are not started and
 * count as interrupted too. */
PetscErrorCode hd_ensemble_run_many(PetscInt n, hd_ensemble *const *e, const hd_ensemble_member_fn *fn, void *const *ctx)
{
  PetscBool stop = PETSC_FALSE;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < n; k++) {
    if (stop) {
      e[k]->interrupted = PETSC_TRUE;
      continue;
    }
    PetscCall(hd_ensemble_run(e[k], fn[k], ctx[k]));
    stop = e[k]->interrupted;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
