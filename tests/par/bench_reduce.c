/* Cost of the exact gradient sum (hd_par_reducer_sum) against a plain float sum: the local
 * shards added in float and one float MPI_Allreduce of the same buffer. Prints one line per
 * shard count with median times in milliseconds over -reps calls.
 *   mpiexec -n 2 tests/par_bench_reduce -n_params 200000 -shards 16,64 -reps 50
 * Options: -n_params N (200000), -tensors T (8, equal sizes), -shards S1,S2,... (16,64),
 * -reps R (50). Exits non-zero if a sum fails. */
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

static double median(double *t, PetscInt n)
{
  qsort(t, (size_t)n, sizeof(*t), compare_double);
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
  double        *t_exact, *t_float, *t_i64, *t_f32, *t_local;
  PetscBool      set;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n_params", &n_params, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-tensors", &n_tensors, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
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
  PetscCall(PetscMalloc5(reps, &t_exact, reps, &t_float, reps, &t_i64, reps, &t_f32, reps, &t_local));
  if (rank == 0) printf("ranks %d, parameters %" PetscInt_FMT ", tensors %" PetscInt_FMT ", median of %" PetscInt_FMT " calls (ms)\n", size, n_params, n_tensors, reps);
  if (rank == 0) printf("%6s %6s %12s %12s %12s %12s %12s %8s\n", "shards", "local", "exact_sum", "float_sum", "i64_allred", "f32_allred", "local_conv", "ratio");
  for (PetscInt li = 0; li < n_list; li++) {
    PetscInt S = shard_list[li], s0, ns;

    hd_par_rank_shards(S, rank, size, &s0, &ns);
    PetscCall(PetscMalloc1(ns > 0 ? ns : 1, &grads));
    for (PetscInt k = 0; k < ns; k++) {
      hd_rng g;
      PetscCall(PetscMalloc1(n_params, &grads[k]));
      hd_rng_init(&g, 7, HD_STREAM_USER, (uint64_t)(s0 + k));
      for (PetscInt i = 0; i < n_params; i++) grads[k][i] = (float)(hd_rng_normal(&g) * 1e-3);
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
      for (PetscInt k = 1; k < ns; k++)
        for (PetscInt i = 0; i < n_params; i++) fsum[i] += grads[k][i];
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, fsum, (int)n_params, MPI_FLOAT, MPI_SUM, PETSC_COMM_WORLD));
      t_float[rep] = MPI_Wtime() - t0;
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
    double m_exact = median(t_exact, reps), m_float = median(t_float, reps), m_i64 = median(t_i64, reps), m_f32 = median(t_f32, reps);
    /* rank 0's view; the conversions are the exact sum less its int64 allreduce */
    if (rank == 0)
      printf("%6" PetscInt_FMT " %6" PetscInt_FMT " %12.3f %12.3f %12.3f %12.3f %12.3f %8.2f\n", S, ns, 1e3 * m_exact, 1e3 * m_float, 1e3 * m_i64, 1e3 * m_f32, 1e3 * (m_exact - m_i64), m_exact / m_float);
    for (PetscInt k = 0; k < ns; k++) PetscCall(PetscFree(grads[k]));
    PetscCall(PetscFree(grads));
  }
  PetscCall(hd_par_reducer_destroy(&r));
  PetscCall(PetscFree3(out, fsum, ibuf));
  PetscCall(PetscFree5(t_exact, t_float, t_i64, t_f32, t_local));
  PetscCall(PetscFree2(offsets, sizes));
  PetscCall(PetscFinalize());
  return 0;
}
