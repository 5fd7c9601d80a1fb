/* The exact gradient sum (hd_par_reducer_sum) and the shard-ordered scalar sum, at any rank count.
 *
 * Shard data comes from the counter RNG keyed by shard index, so every split sees the same shards.
 * Inside one run, the sum is computed on every prefix sub-communicator (1, 2, ..., P ranks: at 4
 * ranks that includes 3) and in every group layout of hd_par_groups_create, and each result must
 * equal, bit for bit:
 *   - the sum of all shards on one rank (PETSC_COMM_SELF), which is what a 1-rank run computes;
 *   - an independent re-implementation of the documented formula (llrint of an ldexp scaling,
 *     int64 sum, one rounding to float).
 * The result is also compared with a long double sum within the stated bound
 *   |out - exact| <= 2^-24 |exact| + S 2^(e_t - 51) + 2^-149,  max |g| < 2^e_t over tensor t,
 * i.e. one float rounding plus half a quantum per shard. Tensors span 1e-40 .. 1e30 (zeros, signs,
 * one with magnitudes 1e-12 .. 1e6 inside it, one whose shards cancel exactly). A checksum of each
 * result is printed: it is the same at every rank count.
 * Bad input: NaN and Inf gradients, a float overflow of the sum, a bad table,
 * scalar shards held twice or not at all: each an error on every rank, none a hang. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/par.h>
#include <hadal/rng.h>
#include "check.h"

#define N_TENSORS 12
static const PetscInt tensor_size[N_TENSORS] = {1000, 1, 0, 37, 2048, 513, 100, 64, 1500, 7, 300, 33};
static const char    *tensor_name[N_TENSORS] = {"tiny", "single", "empty", "zero", "huge", "mixed", "sparse", "cancel", "offset", "big", "subnormal", "sign"};

/* Value of element i of tensor t in shard s, of S shards: a function of (s, t, i) alone. */
static float shard_value(PetscInt S, PetscInt s, PetscInt t, PetscInt i)
{
  hd_rng r;
  double z, u;

  hd_rng_init(&r, 2024, HD_STREAM_USER, ((uint64_t)s << 40) | ((uint64_t)t << 24) | (uint64_t)i);
  z = hd_rng_normal(&r);
  u = hd_rng_uniform(&r);
  switch (t) {
  case 0: return (float)(1e-12 * z);
  case 1: return (float)(1e6 * (1 + u));
  case 3: return 0.0f;
  case 4: return (float)(1e6 * z);
  case 5: return (float)((z < 0 ? -1 : 1) * pow(10.0, -12 + 18 * u));
  case 6: return s == S / 2 ? (float)z : 0.0f;
  case 7: { /* shards 2k and 2k+1 cancel exactly */
    hd_rng c;
    hd_rng_init(&c, 2024, HD_STREAM_USER + 1, ((uint64_t)(s / 2) << 32) | (uint64_t)i);
    float v = (float)hd_rng_normal(&c);
    return (s % 2 && !(S % 2 && s == S - 1)) ? -v : v;
  }
  case 8: return (float)(z - 3.0);
  case 9: return (float)(1e30 * z);
  case 10: return (float)(1e-40 * z);
  default: return (float)(-fabs(z) * (i % 3 ? 1e-3 : 1.0));
  }
}

static void fill_shard(PetscInt S, PetscInt s, const PetscInt *offsets, float *g)
{
  for (PetscInt t = 0; t < N_TENSORS; t++)
    for (PetscInt i = 0; i < tensor_size[t]; i++) g[offsets[t] + i] = shard_value(S, s, t, i);
}

static uint64_t checksum(const float *x, PetscInt n)
{
  const unsigned char *p = (const unsigned char *)x;
  uint64_t             h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < sizeof(float) * (size_t)n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* Sum shards [first, first + count) of S with a reducer on comm (collective on comm). */
static PetscErrorCode reduce_on(MPI_Comm comm, PetscInt S, PetscInt n, const PetscInt *offsets, float **shards, float *out)
{
  hd_par_reducer r;
  int            rank, size;
  PetscInt       first, count;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  hd_par_rank_shards(S, rank, size, &first, &count);
  PetscCall(hd_par_reducer_create(comm, n, N_TENSORS, offsets, tensor_size, &r));
  for (PetscInt k = 0; k < count; k++) fill_shard(S, first + k, offsets, shards[k]);
  PetscCall(hd_par_reducer_sum(&r, count, (const float *const *)shards, out));
  PetscCheck(r.n_shards == S && r.step == 1, PETSC_COMM_SELF, HD_ERR_INTERNAL, "reducer counted %" PetscInt_FMT " shards, %" PetscInt_FMT " steps", r.n_shards, r.step);
  PetscCall(hd_par_reducer_destroy(&r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The documented formula, written independently: per tensor, e with max |g| < 2^e over all
 * shards, each value llrint(ldexp(g, 50 - e)), int64 sum, (float)sum scaled by 2^(e - 50). Also
 * checks the long double bound. */
static void reference(PetscInt S, PetscInt n, const PetscInt *offsets, float **all, float *out, double *worst_ulps)
{
  *worst_ulps = 0;
  for (PetscInt t = 0; t < N_TENSORS; t++) {
    float m = 0;
    int   e = 0;

    for (PetscInt s = 0; s < S; s++)
      for (PetscInt i = 0; i < tensor_size[t]; i++) m = fmaxf(m, fabsf(all[s][offsets[t] + i]));
    if (m > 0) (void)frexpf(m, &e);
    for (PetscInt i = 0; i < tensor_size[t]; i++) {
      long long   sum   = 0;
      long double exact = 0;
      PetscInt    j     = offsets[t] + i;

      for (PetscInt s = 0; s < S; s++) {
        if (m > 0) sum += llrint(ldexp((double)all[s][j], 50 - e));
        exact += (long double)all[s][j];
      }
      out[j] = m > 0 ? (float)((double)(float)sum * ldexp(1.0, e - 50)) : 0.0f;
      long double err = fabsl((long double)out[j] - exact), bound = ldexpl(fabsl(exact), -24) + (long double)S * ldexpl(1.0L, e - 51) + ldexpl(1.0L, -149);
      if (!(err <= bound)) {
        char what[160];
        snprintf(what, sizeof(what), "S %d tensor %s element %d: |out - exact| = %Lg above the bound %Lg", (int)S, tensor_name[t], (int)i, err, bound);
        check(0, what);
      }
      if (exact != 0) {
        double ulps = (double)(err / (ldexpl(fabsl(exact), -23)));
        if (t != 5 && t != 10 && ulps > *worst_ulps) *worst_ulps = ulps; /* relative error of ordinary tensors */
      }
    }
  }
  (void)n;
}

int main(int argc, char **argv)
{
  int            rank, size;
  PetscInt       offsets[N_TENSORS], n = 0, Ss[] = {1, 3, 13, 64};
  float        **all, *ref, *self, *out;
  hd_par_groups  g;
  hd_par_reducer r;
  PetscErrorCode err;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (PetscInt t = 0; t < N_TENSORS; t++) {
    offsets[t] = n;
    n += tensor_size[t];
  }
  PetscCall(PetscMalloc1(64, &all));
  for (PetscInt s = 0; s < 64; s++) PetscCall(PetscMalloc1(n, &all[s]));
  PetscCall(PetscMalloc3(n, &ref, n, &self, n, &out));

  for (size_t si = 0; si < sizeof(Ss) / sizeof(Ss[0]); si++) {
    PetscInt S = Ss[si];
    double   worst;
    char     what[160];

    /* the 1-rank result, and the independent formula */
    for (PetscInt s = 0; s < S; s++) fill_shard(S, s, offsets, all[s]);
    PetscCall(reduce_on(PETSC_COMM_SELF, S, n, offsets, all, self));
    reference(S, n, offsets, all, ref, &worst);
    snprintf(what, sizeof(what), "S %d: the reducer differs from the independent formula", (int)S);
    check(memcmp(self, ref, sizeof(float) * (size_t)n) == 0, what);
    if (S % 2 == 0) {
      PetscBool zero = PETSC_TRUE;
      for (PetscInt i = 0; i < tensor_size[7]; i++) zero = zero && self[offsets[7] + i] == 0.0f;
      snprintf(what, sizeof(what), "S %d: shards that cancel do not sum to exactly 0", (int)S);
      check(zero, what);
    }
    for (PetscInt i = 0; i < tensor_size[3]; i++) check(self[offsets[3] + i] == 0.0f, "a zero tensor sums to 0");

    /* every prefix sub-communicator 1..P */
    for (int q = 1; q <= size; q++) {
      MPI_Comm sub;
      PetscCallMPI(MPI_Comm_split(PETSC_COMM_WORLD, rank < q ? 0 : MPI_UNDEFINED, rank, &sub));
      if (sub == MPI_COMM_NULL) continue;
      memset(out, 0xff, sizeof(float) * (size_t)n);
      PetscCall(reduce_on(sub, S, n, offsets, all, out));
      snprintf(what, sizeof(what), "S %d on %d of %d ranks: not bit-identical to 1 rank", (int)S, q, size);
      check(memcmp(out, self, sizeof(float) * (size_t)n) == 0, what);
      PetscCallMPI(MPI_Comm_free(&sub));
    }
    /* every group layout */
    for (int gs = 1; gs <= size; gs++) {
      if (size % gs) continue;
      PetscCall(hd_par_groups_create(PETSC_COMM_WORLD, gs, &g));
      memset(out, 0xff, sizeof(float) * (size_t)n);
      PetscCall(reduce_on(g.group, S, n, offsets, all, out));
      snprintf(what, sizeof(what), "S %d in groups of %d: not bit-identical to 1 rank", (int)S, gs);
      check(memcmp(out, self, sizeof(float) * (size_t)n) == 0, what);
      PetscCall(hd_par_groups_destroy(&g));
    }
    if (rank == 0) printf("S %2d: checksum %016llx, worst error of ordinary tensors %.3f float ulp\n", (int)S, (unsigned long long)checksum(self, n), worst);
  }

  /* per-shard scalars: identical to the in-order double sum on one rank, for every split */
  {
    const PetscInt S = 13, nv = 3;
    double         vals[13 * 3], serial[3] = {0, 0, 0}, got[3];

    for (PetscInt s = 0; s < S; s++) {
      hd_rng rr;
      hd_rng_init(&rr, 99, HD_STREAM_USER, (uint64_t)s);
      for (PetscInt v = 0; v < nv; v++) vals[s * nv + v] = hd_rng_normal(&rr) * pow(10.0, (double)(4 * v * (s % 5)) - 8);
      for (PetscInt v = 0; v < nv; v++) serial[v] += vals[s * nv + v];
    }
    for (int q = 1; q <= size; q++) {
      MPI_Comm sub;
      PetscCallMPI(MPI_Comm_split(PETSC_COMM_WORLD, rank < q ? 0 : MPI_UNDEFINED, rank, &sub));
      if (sub == MPI_COMM_NULL) continue;
      PetscInt first, count;
      hd_par_rank_shards(S, rank, q, &first, &count);
      PetscCall(hd_par_reducer_create(sub, n, N_TENSORS, offsets, tensor_size, &r));
      PetscCall(hd_par_reducer_sum_scalars(&r, S, first, count, nv, vals + first * nv, got));
      check(memcmp(got, serial, sizeof(got)) == 0, "scalar sums differ from the in-order sum on one rank");
      PetscCall(hd_par_reducer_destroy(&r));
      PetscCallMPI(MPI_Comm_free(&sub));
    }
  }

  /* bad input: each must fail on every rank of the communicator, and leave the reducer usable */
  PetscCall(hd_error_handler_push());
  PetscCall(hd_par_reducer_create(PETSC_COMM_WORLD, n, N_TENSORS, offsets, tensor_size, &r));
  PetscCall(hd_par_reducer_set_names(&r, tensor_name));
  {
    const PetscInt S = 8;
    PetscInt       first, count;

    hd_par_rank_shards(S, rank, size, &first, &count);
    for (int kind = 0; kind < 3; kind++) {
      for (PetscInt k = 0; k < count; k++) fill_shard(S, first + k, offsets, all[k]);
      for (PetscInt k = 0; k < count; k++) {
        if (first + k != 5) continue; /* one shard, on one rank only */
        if (kind == 0) all[k][offsets[4] + 17] = NAN;
        if (kind == 1) all[k][offsets[8] + 3] = -INFINITY;
      }
      if (kind == 2) /* every shard near the float maximum: their sum is not a float */
        for (PetscInt k = 0; k < count; k++)
          for (PetscInt i = 0; i < tensor_size[9]; i++) all[k][offsets[9] + i] = 3e38f;
      err = hd_par_reducer_sum(&r, count, (const float *const *)all, out);
      if (kind == 0) expect_error(err, "non-finite gradient (NaN or Inf) at step 0 in tensor 4 (huge)", "NaN in one shard");
      if (kind == 1) expect_error(err, "non-finite gradient (NaN or Inf) at step 0 in tensor 8 (offset)", "-Inf in one shard");
      if (kind == 2) expect_error(err, "overflows float in tensor 9 (big)", "sum beyond the float range");
      if (size > 1) check(hd_error_is_collective(), "the error is raised on the whole group");
    }
    /* still usable, and still exact */
    for (PetscInt k = 0; k < count; k++) fill_shard(S, first + k, offsets, all[k]);
    err = hd_par_reducer_sum(&r, count, (const float *const *)all, out);
    check(err == 0 && r.step == 1, "a good sum after failed ones works and counts one step");
    for (PetscInt s = 0; s < S; s++) fill_shard(S, s, offsets, all[s]);
    PetscCall(reduce_on(PETSC_COMM_SELF, S, n, offsets, all, self));
    check(err == 0 && memcmp(out, self, sizeof(float) * (size_t)n) == 0, "the sum after failed ones is bit-identical to 1 rank");

    /* scalar shards: one held twice (or, on one rank, one missing) */
    double   v[64], s3[1];
    PetscInt f = size > 1 ? (rank == 0 ? 0 : 1) : 0, c = size > 1 ? (rank == 0 ? 2 : (rank == 1 ? 7 : 0)) : 7;
    for (int i = 0; i < 64; i++) v[i] = 1.0;
    err = hd_par_reducer_sum_scalars(&r, S, f, c, 1, v, s3);
    expect_error(err, size > 1 ? "shard 1 of 8 is held by 2 ranks" : "shard 7 of 8 is held by 0 ranks", "scalar shards held twice or missing");
  }
  PetscCall(hd_par_reducer_destroy(&r));
  {
    PetscInt bad_off[2] = {0, 5}, bad_size[2] = {4, 3};
    err = hd_par_reducer_create(PETSC_COMM_WORLD, 7, 2, bad_off, bad_size, &r);
    expect_error(err, "tensor 1 starts at offset 5 but the tensors before it end at 4", "a table with a gap");
    bad_off[1] = 4;
    err        = hd_par_reducer_create(PETSC_COMM_WORLD, 9, 2, bad_off, bad_size, &r);
    expect_error(err, "the tensors cover 7 values but the gradient buffer holds 9", "a table short of the buffer");
  }
  PetscCall(PetscPopErrorHandler());

  for (PetscInt s = 0; s < 64; s++) PetscCall(PetscFree(all[s]));
  PetscCall(PetscFree(all));
  PetscCall(PetscFree3(ref, self, out));
  int total = 0;
  PetscCallMPI(MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  if (rank == 0) printf("par reduce at %d ranks: %d failures\n", size, total);
  PetscCall(PetscFinalize());
  return total ? 1 : 0;
}
