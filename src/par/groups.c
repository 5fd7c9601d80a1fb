/* Groups of ranks and the static schedule of ensemble members over them (DESIGN.md section 2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/par.h>

PetscErrorCode hd_par_groups_create(MPI_Comm world, PetscInt group_size, hd_par_groups *g)
{
  int      rank, size;
  PetscInt span[2], all[2];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  PetscCallMPI(MPI_Comm_size(world, &size));
  memset(g, 0, sizeof(*g));
  g->group = MPI_COMM_NULL;
  g->peers = MPI_COMM_NULL;
  /* Every rank must split the same way: a rank-dependent option would give mismatched groups. */
  span[0] = group_size;
  span[1] = -group_size;
  PetscCallMPI(MPI_Allreduce(span, all, 2, MPIU_INT, MPI_MAX, world));
  PetscCheck(all[0] == -all[1], world, HD_ERR_USER_INPUT, "-group_size differs between ranks (from %" PetscInt_FMT " to %" PetscInt_FMT "): it must be the same on every rank", -all[1], all[0]);
  PetscCheck(group_size >= 1, world, HD_ERR_USER_INPUT, "-group_size %" PetscInt_FMT " is invalid: a group holds at least 1 rank", group_size);
  PetscCheck(group_size <= size, world, HD_ERR_USER_INPUT, "-group_size %" PetscInt_FMT " is larger than the %d ranks of the run", group_size, size);
  if (size % group_size != 0) {
    char   valid[256] = "";
    size_t used       = 0;

    for (int d = 1; d <= size && used + 16 < sizeof(valid); d++) {
      if (size % d == 0) used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%d", used ? " " : "", d);
    }
    SETERRQ(world, HD_ERR_USER_INPUT, "-group_size %" PetscInt_FMT " does not divide the %d ranks of the run into equal groups; valid sizes: %s", group_size, size, valid);
  }
  g->world       = world;
  g->world_rank  = rank;
  g->world_size  = size;
  g->group_size  = group_size;
  g->n_groups    = size / group_size;
  g->group_index = rank / group_size;
  g->group_rank  = (int)(rank % group_size);
  /* Consecutive ranks share a group: under Slurm they are usually on the same node, where the
   * gradient allreduce is cheapest. */
  PetscCallMPI(MPI_Comm_split(world, (int)g->group_index, g->group_rank, &g->group));
  PetscCallMPI(MPI_Comm_split(world, g->group_rank, (int)g->group_index, &g->peers));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_groups_destroy(hd_par_groups *g)
{
  PetscFunctionBegin;
  if (g->group != MPI_COMM_NULL && g->group != 0) PetscCallMPI(MPI_Comm_free(&g->group));
  if (g->peers != MPI_COMM_NULL && g->peers != 0) PetscCallMPI(MPI_Comm_free(&g->peers));
  g->group = MPI_COMM_NULL;
  g->peers = MPI_COMM_NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A member and its cost, for the longest-processing-time-first order. */
typedef struct {
  double   cost;
  PetscInt member;
} hd_par_job;

/* Decreasing cost, then increasing member index: a total order, so qsort's result is unique. */
static int hd_par_job_compare(const void *pa, const void *pb)
{
  const hd_par_job *a = pa, *b = pb;

  if (a->cost > b->cost) return -1;
  if (a->cost < b->cost) return 1;
  return (a->member > b->member) - (a->member < b->member);
}

PetscErrorCode hd_par_schedule_build(PetscInt n_groups, PetscInt n_members, const double *costs, hd_par_schedule *s)
{
  hd_par_job *jobs = NULL;
  PetscInt   *fill = NULL;

  PetscFunctionBegin;
  memset(s, 0, sizeof(*s));
  PetscCheck(n_groups >= 1, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "cannot deal members to %" PetscInt_FMT " groups: at least 1 is needed", n_groups);
  PetscCheck(n_members >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "the number of ensemble members is %" PetscInt_FMT ": it cannot be negative", n_members);
  if (costs) {
    for (PetscInt m = 0; m < n_members; m++) {
      PetscCheck(isfinite(costs[m]), PETSC_COMM_SELF, HD_ERR_USER_INPUT, "the cost of ensemble member %" PetscInt_FMT " is not a finite number: costs must be finite and >= 0", m);
      PetscCheck(costs[m] >= 0, PETSC_COMM_SELF, HD_ERR_USER_INPUT, "the cost of ensemble member %" PetscInt_FMT " is %g: costs must be finite and >= 0", m, costs[m]);
    }
  }
  s->n_groups  = n_groups;
  s->n_members = n_members;
  PetscCall(PetscMalloc1(n_members, &s->owner));
  PetscCall(PetscMalloc1(n_members, &s->members));
  PetscCall(PetscCalloc1(n_groups + 1, &s->start));
  PetscCall(PetscCalloc1(n_groups, &s->load));
  PetscCall(PetscMalloc1(n_members, &jobs));
  for (PetscInt m = 0; m < n_members; m++) {
    jobs[m].cost   = costs ? costs[m] : 1.0;
    jobs[m].member = m;
  }
  if (n_members > 1) qsort(jobs, (size_t)n_members, sizeof(*jobs), hd_par_job_compare);
  /* Each job to the least loaded group. A linear scan: n_members x n_groups stays small next to
   * training one member. Loads are summed in the same order on every rank, so every rank builds
   * the same schedule. */
  for (PetscInt j = 0; j < n_members; j++) {
    PetscInt best = 0;

    for (PetscInt k = 1; k < n_groups; k++)
      if (s->load[k] < s->load[best]) best = k;
    s->owner[jobs[j].member] = best;
    s->load[best] += jobs[j].cost;
  }
  /* Members of each group in ascending order (a counting sort by owner). */
  for (PetscInt m = 0; m < n_members; m++) s->start[s->owner[m] + 1]++;
  for (PetscInt k = 0; k < n_groups; k++) s->start[k + 1] += s->start[k];
  PetscCall(PetscMalloc1(n_groups, &fill));
  for (PetscInt k = 0; k < n_groups; k++) fill[k] = s->start[k];
  for (PetscInt m = 0; m < n_members; m++) s->members[fill[s->owner[m]]++] = m;
  PetscCall(PetscFree(fill));
  PetscCall(PetscFree(jobs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* FNV-1a over bytes: a fingerprint of the schedule's inputs, compared across ranks. */
static uint64_t hd_par_fnv1a(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;

  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

PetscErrorCode hd_par_schedule_create(const hd_par_groups *g, PetscInt n_members, const double *costs, hd_par_schedule *s)
{
  uint64_t h = 0xcbf29ce484222325ULL, mine[2], all[2];

  PetscFunctionBegin;
  h = hd_par_fnv1a(h, &n_members, sizeof(n_members));
  if (costs && n_members > 0) h = hd_par_fnv1a(h, costs, sizeof(*costs) * (size_t)n_members);
  mine[0] = h;
  mine[1] = ~h;
  PetscCallMPI(MPI_Allreduce(mine, all, 2, MPI_UINT64_T, MPI_MAX, g->world));
  PetscCheck(all[0] == ~all[1], g->world, HD_ERR_USER_INPUT, "the ensemble (%" PetscInt_FMT " members%s) differs between ranks: every rank must deal the same members with the same costs", n_members, costs ? " with costs" : "");
  PetscCall(hd_par_schedule_build(g->n_groups, n_members, costs, s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode hd_par_schedule_destroy(hd_par_schedule *s)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(s->owner));
  PetscCall(PetscFree(s->start));
  PetscCall(PetscFree(s->members));
  PetscCall(PetscFree(s->load));
  s->n_members = 0;
  s->n_groups  = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt hd_par_member_owner(const hd_par_schedule *s, PetscInt member)
{
  if (member < 0 || member >= s->n_members) return -1;
  return s->owner[member];
}

PetscBool hd_par_schedule_next(const hd_par_schedule *s, PetscInt group, PetscInt *cursor, PetscInt *member)
{
  if (group < 0 || group >= s->n_groups || *cursor < 0) return PETSC_FALSE;
  if (s->start[group] + *cursor >= s->start[group + 1]) return PETSC_FALSE;
  *member = s->members[s->start[group] + *cursor];
  (*cursor)++;
  return PETSC_TRUE;
}
