/* Groups, the dealing of ensemble members to groups, and the shards of a minibatch.
 *   - hd_par_groups_create at every valid group size: consecutive ranks, right sizes, peers;
 *     rejected sizes (0, negative, above the world, not a divisor, different between ranks) fail
 *     on every rank with a message naming -group_size.
 *   - schedules: every member trained exactly once, member counts within one of each other (equal
 *     costs, = round robin), loads within one member's cost (LPT), deterministic, the same on
 *     every rank; a cost list that differs between ranks is an error on every rank.
 *   - shards: S = min(64, ceil(B / 32)), boundaries cover [0, B) exactly, sizes within one of each
 *     other, a function of B alone; rank blocks of shards cover [0, S) for any rank count. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/par.h>
#include <hadal/rng.h>
#include "check.h"

static PetscErrorCode check_groups(MPI_Comm world, int gs)
{
  hd_par_groups g;
  int           rank, size, grank, gsize, prank, psize, wr[2];
  char          what[128];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  PetscCallMPI(MPI_Comm_size(world, &size));
  PetscCall(hd_par_groups_create(world, gs, &g));
  PetscCallMPI(MPI_Comm_rank(g.group, &grank));
  PetscCallMPI(MPI_Comm_size(g.group, &gsize));
  PetscCallMPI(MPI_Comm_rank(g.peers, &prank));
  PetscCallMPI(MPI_Comm_size(g.peers, &psize));
  snprintf(what, sizeof(what), "groups of %d: wrong group geometry on rank %d", gs, rank);
  check(gsize == gs && g.n_groups == size / gs && g.group_index == rank / gs && grank == rank % gs && g.group_rank == grank, what);
  check(psize == g.n_groups && prank == g.group_index, "peers hold one rank per group");
  /* the group is made of consecutive world ranks: its lowest and highest world rank */
  PetscCallMPI(MPI_Allreduce(&rank, &wr[0], 1, MPI_INT, MPI_MIN, g.group));
  PetscCallMPI(MPI_Allreduce(&rank, &wr[1], 1, MPI_INT, MPI_MAX, g.group));
  check(wr[0] == (int)g.group_index * gs && wr[1] == wr[0] + gs - 1, "a group is consecutive world ranks");
  PetscCall(hd_par_groups_destroy(&g));
  PetscCall(hd_par_groups_destroy(&g)); /* twice is harmless */
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The properties of one schedule. */
static void check_schedule(const hd_par_schedule *s, const double *costs, const char *label)
{
  PetscInt seen[256] = {0}, lo = PETSC_MAX_INT, hi = 0;
  double   lmin = INFINITY, lmax = 0, cmax = 0;
  char     what[160];

  for (PetscInt k = 0; k < s->n_groups; k++) {
    PetscInt count = 0, prev = -1, m;
    double   load  = 0;

    for (PetscInt c = 0; hd_par_schedule_next(s, k, &c, &m);) {
      seen[m]++;
      count++;
      load += costs ? costs[m] : 1.0;
      snprintf(what, sizeof(what), "%s: group %d lists member %d out of order or not its own", label, (int)k, (int)m);
      check(m > prev && hd_par_member_owner(s, m) == k, what);
      prev = m;
      if (!costs) {
        snprintf(what, sizeof(what), "%s: equal costs are not round robin (member %d in group %d)", label, (int)m, (int)k);
        check(m % s->n_groups == k, what);
      }
    }
    lo   = PetscMin(lo, count);
    hi   = PetscMax(hi, count);
    lmin = PetscMin(lmin, load);
    lmax = PetscMax(lmax, load);
    snprintf(what, sizeof(what), "%s: load of group %d is %g, recorded %g", label, (int)k, load, s->load[k]);
    check(fabs(load - s->load[k]) <= 1e-9 * (1 + load), what);
  }
  for (PetscInt m = 0; m < s->n_members; m++) {
    snprintf(what, sizeof(what), "%s: member %d trained %d times", label, (int)m, (int)seen[m]);
    check(seen[m] == 1, what);
    if (costs) cmax = PetscMax(cmax, costs[m]);
  }
  if (!costs && s->n_members > 0) {
    snprintf(what, sizeof(what), "%s: member counts range from %d to %d", label, (int)lo, (int)hi);
    check(hi - lo <= 1, what);
  }
  if (costs && s->n_members > 0) {
    snprintf(what, sizeof(what), "%s: loads range from %g to %g, more than the largest cost %g apart", label, lmin, lmax, cmax);
    check(lmax - lmin <= cmax * (1 + 1e-12), what);
  }
  check(hd_par_member_owner(s, -1) == -1 && hd_par_member_owner(s, s->n_members) == -1, "owner of a member out of range is -1");
}

int main(int argc, char **argv)
{
  int             rank, size;
  hd_par_groups   g;
  hd_par_schedule s, t;
  PetscErrorCode  err;
  char            what[160];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));

  /* groups at every valid size */
  for (int gs = 1; gs <= size; gs++)
    if (size % gs == 0) PetscCall(check_groups(PETSC_COMM_WORLD, gs));

  /* schedules: member counts and group counts of the seeds' ensembles and odd ones */
  {
    const PetscInt members[] = {0, 1, 5, 50, 63, 64, 101, 250};
    double         costs[256];

    for (size_t mi = 0; mi < sizeof(members) / sizeof(members[0]); mi++) {
      for (PetscInt G = 1; G <= 9; G++) {
        PetscInt M = members[mi];
        char     label[64];

        snprintf(label, sizeof(label), "%d members, %d groups", (int)M, (int)G);
        PetscCall(hd_par_schedule_build(G, M, NULL, &s));
        check_schedule(&s, NULL, label);
        PetscCall(hd_par_schedule_destroy(&s));
        /* uneven costs: the SVDD grid's d x (n + 1) spread, and random ones with ties */
        for (PetscInt m = 0; m < M; m++) {
          hd_rng r;
          hd_rng_init(&r, 5, HD_STREAM_USER, (uint64_t)m);
          costs[m] = m % 2 ? (double)(1 + hd_rng_below(&r, 4)) : (double)((m % 9 + 1) * (m / 9 % 7 + 1));
        }
        snprintf(label, sizeof(label), "%d members with costs, %d groups", (int)M, (int)G);
        PetscCall(hd_par_schedule_build(G, M, costs, &s));
        PetscCall(hd_par_schedule_build(G, M, costs, &t));
        check_schedule(&s, costs, label);
        snprintf(what, sizeof(what), "%s: two builds differ", label);
        check(M == 0 || memcmp(s.owner, t.owner, sizeof(PetscInt) * (size_t)M) == 0, what);
        PetscCall(hd_par_schedule_destroy(&s));
        PetscCall(hd_par_schedule_destroy(&t));
      }
    }
    /* a known LPT answer: costs 5 4 3 3 3 over 2 groups go 5 -> 0, 4 -> 1, 3 -> 1 (4 < 5),
     * 3 -> 0 (5 < 7), 3 -> 1 (7 < 8): loads 8 and 10 */
    {
      const double   c5[5]   = {5, 4, 3, 3, 3};
      const PetscInt want[5] = {0, 1, 1, 0, 1};
      PetscCall(hd_par_schedule_build(2, 5, c5, &s));
      check(memcmp(s.owner, want, sizeof(want)) == 0, "LPT on costs 5 4 3 3 3 over 2 groups");
      PetscCall(hd_par_schedule_destroy(&s));
    }
    /* across the world: every rank of every layout agrees on the owner of every member */
    for (int gs = 1; gs <= size; gs++) {
      if (size % gs) continue;
      PetscCall(hd_par_groups_create(PETSC_COMM_WORLD, gs, &g));
      PetscCall(hd_par_schedule_create(&g, 63, costs, &s));
      PetscInt lo[63], hi[63];
      PetscCallMPI(MPI_Allreduce(s.owner, lo, 63, MPIU_INT, MPI_MIN, PETSC_COMM_WORLD));
      PetscCallMPI(MPI_Allreduce(s.owner, hi, 63, MPIU_INT, MPI_MAX, PETSC_COMM_WORLD));
      check(memcmp(lo, hi, sizeof(lo)) == 0, "all ranks agree on the schedule");
      PetscCall(hd_par_schedule_destroy(&s));
      PetscCall(hd_par_groups_destroy(&g));
    }
  }

  /* shards depend on B only, and cover it */
  {
    PetscInt bounds[HD_PAR_MAX_SHARDS + 1], S, start, count;

    for (PetscInt B = 1; B <= 5000; B += (B < 200 ? 1 : 37)) {
      PetscCall(hd_par_shards(B, HD_PAR_MIN_SHARD, HD_PAR_MAX_SHARDS, &S, bounds));
      PetscInt want = PetscMin(HD_PAR_MAX_SHARDS, (B + HD_PAR_MIN_SHARD - 1) / HD_PAR_MIN_SHARD), lo = B, hi = 0;
      snprintf(what, sizeof(what), "B %d: %d shards, want %d", (int)B, (int)S, (int)want);
      check(S == want, what);
      check(bounds[0] == 0 && bounds[S] == B, "shards start at 0 and end at B");
      for (PetscInt k = 0; k < S; k++) {
        hd_par_shard_range(B, S, k, &start, &count);
        check(start == bounds[k] && start + count == bounds[k + 1], "shard range and bounds agree");
        lo = PetscMin(lo, count);
        hi = PetscMax(hi, count);
      }
      snprintf(what, sizeof(what), "B %d: shard sizes from %d to %d", (int)B, (int)lo, (int)hi);
      check(lo >= 1 && hi - lo <= 1 && (S < HD_PAR_MAX_SHARDS ? hi <= HD_PAR_MIN_SHARD : 1), what);
      /* rank blocks of shards, for any rank count (idle ranks when there are more ranks than shards) */
      for (int P = 1; P <= 70; P += (P < 8 ? 1 : 31)) {
        PetscInt next = 0, clo = S, chi = 0;
        for (int q = 0; q < P; q++) {
          PetscInt f, c;
          hd_par_rank_shards(S, q, P, &f, &c);
          check(f == next, "rank blocks of shards are contiguous");
          next = f + c;
          clo  = PetscMin(clo, c);
          chi  = PetscMax(chi, c);
        }
        check(next == S && chi - clo <= 1, "rank blocks cover the shards, balanced");
      }
    }
    PetscCall(hd_par_shard_count(10000, 32, 64, &S));
    check(S == 64, "B 10000: 64 shards (SVDD, DAE batch)");
    PetscCall(hd_par_shard_count(128, 32, 64, &S));
    check(S == 4, "B 128: 4 shards (CWoLa batch)");
  }

  /* bad input */
  PetscCall(hd_error_handler_push());
  err = hd_par_groups_create(PETSC_COMM_WORLD, 0, &g);
  expect_error(err, "-group_size 0 is invalid", "group size 0");
  err = hd_par_groups_create(PETSC_COMM_WORLD, -2, &g);
  expect_error(err, "-group_size -2 is invalid", "negative group size");
  err = hd_par_groups_create(PETSC_COMM_WORLD, size + 1, &g);
  snprintf(what, sizeof(what), "-group_size %d is larger than the %d ranks of the run", size + 1, size);
  expect_error(err, what, "group size above the world size");
  if (size == 4) {
    err = hd_par_groups_create(PETSC_COMM_WORLD, 3, &g);
    expect_error(err, "-group_size 3 does not divide the 4 ranks of the run into equal groups; valid sizes: 1 2 4", "group size not a divisor");
  }
  if (size == 3) {
    err = hd_par_groups_create(PETSC_COMM_WORLD, 2, &g);
    expect_error(err, "valid sizes: 1 3", "group size not a divisor");
  }
  if (size > 1) {
    err = hd_par_groups_create(PETSC_COMM_WORLD, rank == 0 ? 1 : size, &g);
    expect_error(err, "-group_size differs between ranks", "group size different between ranks");
    check(hd_error_is_collective(), "the group size error is raised on every rank");
    double c3[3] = {1, 2, rank == size - 1 ? 4.0 : 3.0};
    PetscCall(hd_par_groups_create(PETSC_COMM_WORLD, 1, &g));
    err = hd_par_schedule_create(&g, 3, c3, &s);
    expect_error(err, "differs between ranks", "costs different between ranks");
    PetscCall(hd_par_groups_destroy(&g));
  }
  {
    double c2[2] = {1, NAN};
    err          = hd_par_schedule_build(2, 2, c2, &s);
    expect_error(err, "the cost of ensemble member 1 is", "NaN cost");
    c2[1] = -1;
    err   = hd_par_schedule_build(2, 2, c2, &s);
    expect_error(err, "costs must be finite and >= 0", "negative cost");
    err = hd_par_schedule_build(0, 2, NULL, &s);
    expect_error(err, "at least 1 is needed", "zero groups");
    err = hd_par_schedule_build(2, -1, NULL, &s);
    expect_error(err, "cannot be negative", "negative member count");
  }
  {
    PetscInt S;
    err = hd_par_shard_count(0, 32, 64, &S);
    expect_error(err, "minibatch of 0 events", "empty batch");
    err = hd_par_shard_count(100, 0, 64, &S);
    expect_error(err, "shard size 0 is invalid", "shard size 0");
    err = hd_par_shard_count(100, 32, HD_PAR_SHARD_LIMIT + 1, &S);
    expect_error(err, "shards per batch is invalid", "too many shards");
  }
  PetscCall(PetscPopErrorHandler());

  int total = 0;
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("par groups, schedules and shards at %d ranks: %d failures\n", size, total);
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
