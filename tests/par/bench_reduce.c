/* Cost of the exact gradient sum (hd_par_reducer_sum) against a plain float sum: the local
 * shards added in float and one float MPI_Allreduce of the same buffer. Prints one line per
 * shard count with the median (or best) time in milliseconds over -reps calls:
 *   exact_sum   hd_par_reducer_sum;
 *   float_sum   local float additions and one float MPI_Allreduce;
 *   i64_allred, f32_allred   the two allreduces alone.
 *   mpiexec -n 2 tests/par_bench_reduce -n_params 200000 -shards 16,64 -reps 50
 * Options: -n_params N (200000), -tensors T (8, equal sizes), -shards S1,S2,... (16,64),
 * -reps R (50), -best (report the fastest call instead of the median). Exits non-zero if a sum
 * fails or if the two sums disagree by more than float rounding allows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/par.h>
#include <hadal/rng.h>

static int compare_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median, or the best time with -best (for a machine shared with other work, where the
 * fastest call is the one least disturbed). */
static double summary(double *t, PetscInt n, PetscBool best)
{
  qsort(t, (size_t)n, sizeof(*t), compare_double);
  if (best) return t[0];
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

int main(int argc, char **argv)
{
  PetscInt       n_params = 200000, n_tensors = 8, reps = 50, shard_list[16] = {16, 64}, n_list = 16;
  PetscInt      *offsets, *sizes;
  int            rank, size;
  hd_par_reducer r;
  float         *out, *fsum, **grads;
  int64_t       *ibuf;
  double        *t_exact, *t_float, *t_i64, *t_f32;
  PetscBool      set, best = PETSC_FALSE;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n_params", &n_params, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-tensors", &n_tensors, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-best", &best, NULL));
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-shards", shard_list, &n_list, &set));
  if (!set) n_list = 2;
  PetscCheck(n_params >= n_tensors && n_tensors >= 1 && reps >= 1, PETSC_COMM_WORLD, HD_ERR_USER_INPUT, "need -n_params >= -tensors >= 1 and -reps >= 1");

  PetscCall(PetscMalloc2(n_tensors, &offsets, n_tensors, &sizes));
  for (PetscInt t = 0; t < n_tensors; t++) {
    PetscInt c;
    hd_par_shard_range(n_params, n_tensors, t, &offsets[t], &c);
    sizes[t] = c;
  }
  PetscCall(hd_par_reducer_create(PETSC_COMM_WORLD, n_params, n_tensors, offsets, sizes, &r));
  PetscCall(PetscMalloc3(n_params, &out, n_params, &fsum, n_params + 1, &ibuf));
  PetscCall(PetscMalloc4(reps, &t_exact, reps, &t_float, reps, &t_i64, reps, &t_f32));
  if (rank == 0) printf("ranks %d, parameters %" PetscInt_FMT ", tensors %" PetscInt_FMT ", %s of %" PetscInt_FMT " calls (ms)\n", size, n_params, n_tensors, best ? "best" : "median", reps);
  if (rank == 0) printf("%6s %6s %10s %10s %10s %10s %10s\n", "shards", "local", "exact_sum", "float_sum", "i64_allred", "f32_allred", "ratio");
  for (PetscInt li = 0; li < n_list; li++) {
    PetscInt S = shard_list[li], s0, ns;

    hd_par_rank_shards(S, rank, size, &s0, &ns);
    PetscCall(PetscMalloc1(ns > 0 ? ns : 1, &grads));
    for (PetscInt k = 0; k < ns; k++) {
      hd_rng g;
      PetscCall(PetscMalloc1(n_params, &grads[k]));
      hd_rng_init(&g, 7, HD_STREAM_USER, (uint64_t)(s0 + k));
      for (PetscInt i = 0; i < n_params; i++) grads[k][i] = (float)fmax(-0.01, fmin(0.01, hd_rng_normal(&g) * 1e-3));
    }
    for (PetscInt rep = 0; rep < reps; rep++) {
      double t0;

      /* the exact sum */
      PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
      t0 = MPI_Wtime();
      PetscCall(hd_par_reducer_sum(&r, ns, (const float *const *)grads, out));
      t_exact[rep] = MPI_Wtime() - t0;
      /* the plain float sum: local shards added in float, one float allreduce */
      PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
      t0 = MPI_Wtime();
      if (ns > 0) memcpy(fsum, grads[0], sizeof(float) * (size_t)n_params);
      else memset(fsum, 0, sizeof(float) * (size_t)n_params);
      for (PetscInt k = 1; k < ns; k++) {
        PetscInt i = 0;
        /* blocks of 64, as in the reducer, so that both sides are vectorised at -O2 */
        for (; i + 64 <= n_params; i += 64)
          for (int j = 0; j < 64; j++) fsum[i + j] += grads[k][i + j];
        for (; i < n_params; i++) fsum[i] += grads[k][i];
      }
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, fsum, (int)n_params, MPI_FLOAT, MPI_SUM, PETSC_COMM_WORLD));
      t_float[rep] = MPI_Wtime() - t0;
      if (rep == 0) {
        /* both sum the same shards: they agree to within the float sum's rounding,
         * S^2 2^-23 max |g| (and |g| < 0.01 here) */
        double dev = 0, tol = (double)S * (double)S * ldexp(0.01, -23);
        int    bad, any;
        for (PetscInt i = 0; i < n_params; i++) dev = fmax(dev, fabs((double)out[i] - (double)fsum[i]));
        bad = !(dev <= tol);
        PetscCallMPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD));
        PetscCheck(!any, PETSC_COMM_WORLD, HD_ERR_INTERNAL, "%" PetscInt_FMT " shards: the exact and the float sums differ by more than %g", S, tol);
      }
      /* the allreduces alone */
      PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
      t0 = MPI_Wtime();
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ibuf, (int)(n_params + 1), MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD));
      t_i64[rep] = MPI_Wtime() - t0;
      PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
      t0 = MPI_Wtime();
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, fsum, (int)n_params, MPI_FLOAT, MPI_SUM, PETSC_COMM_WORLD));
      t_f32[rep] = MPI_Wtime() - t0;
      memset(ibuf, 0, sizeof(*ibuf) * (size_t)(n_params + 1));
    }
    double m_exact = summary(t_exact, reps, best), m_float = summary(t_float, reps, best), m_i64 = summary(t_i64, reps, best), m_f32 = summary(t_f32, reps, best);
    /* rank 0's view */
    if (rank == 0)
      printf("%6" PetscInt_FMT " %6" PetscInt_FMT " %10.3f %10.3f %10.3f %10.3f %10.2f\n", S, ns, 1e3 * m_exact, 1e3 * m_float, 1e3 * m_i64, 1e3 * m_f32, m_exact / m_float);
    for (PetscInt k = 0; k < ns; k++) PetscCall(PetscFree(grads[k]));
    PetscCall(PetscFree(grads));
  }
  PetscCall(hd_par_reducer_destroy(&r));
  PetscCall(PetscFree3(out, fsum, ibuf));
  PetscCall(PetscFree4(t_exact, t_float, t_i64, t_f32));
  PetscCall(PetscFree2(offsets, sizes));
  PetscCall(PetscFinalize());
  return 0;
}
