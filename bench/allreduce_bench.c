/* MPI_Allreduce latency and bandwidth over message sizes: the communication term of the
 * performance model (docs/scaling.md).
 *
 *   mpiexec -n P allreduce_bench                      int64 SUM (the exact reducer's allreduce)
 *   mpiexec -n P allreduce_bench -type float          float SUM (a plain gradient allreduce)
 *   mpiexec -n P allreduce_bench -sizes 8,4096,1048576 -reps 50
 *
 * For each size (bytes per rank, rounded down to whole elements, at least one) it times -reps
 * calls after 5 untimed ones. Each call starts after a barrier and its time is the slowest
 * rank's, so a call is timed as the group sees it. One line per size:
 *
 *   bytes  median_us  min_us  p25_us  p75_us  GB/s
 *
 * GB/s is bytes / median (the algorithm's bandwidth as the caller sees it, not the link's).
 * The last lines fit t(n) = alpha + n / beta to the medians (least squares, weighted by 1/t so
 * small and large messages count alike): `fit: alpha_us A beta_GBps B`. Collective on
 * PETSC_COMM_WORLD; exits non-zero if a sum is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hadal/error.h>
#include <hadal/log.h>
#include <hadal/options.h>

#define HD_AR_MAX_SIZES 32
#define HD_AR_WARMUP    5

static int hd_ar_compare(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The q-quantile of sorted t[0..n), by nearest rank. */
static double hd_ar_quantile(const double *t, PetscInt n, double q)
{
  PetscInt i = (PetscInt)(q * (double)(n - 1) + 0.5);
  return t[PetscMin(PetscMax(i, 0), n - 1)];
}

int main(int argc, char **argv)
{
  PetscInt    sizes[HD_AR_MAX_SIZES] = {8, 64, 512, 4096, 32768, 262144, 1048576, 4194304}, n_sizes = HD_AR_MAX_SIZES, reps = 30;
  char        type[16] = "int64";
  PetscBool   set, is_int;
  int         rank, size;
  double     *t, fx[HD_AR_MAX_SIZES], fy[HD_AR_MAX_SIZES];
  PetscInt    n_fit = 0;
  MPI_Comm    comm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  comm = PETSC_COMM_WORLD;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-sizes", sizes, &n_sizes, &set));
  if (!set) n_sizes = 8;
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-type", type, sizeof(type), NULL));
  is_int = !strcmp(type, "int64") ? PETSC_TRUE : PETSC_FALSE;
  PetscCheck(is_int || !strcmp(type, "float"), comm, HD_ERR_USER_INPUT, "allreduce_bench: -type %s: int64 or float", type);
  PetscCheck(reps >= 1, comm, HD_ERR_USER_INPUT, "allreduce_bench: -reps %" PetscInt_FMT ": at least 1", reps);
  for (PetscInt s = 0; s < n_sizes; s++) PetscCheck(sizes[s] >= 1, comm, HD_ERR_USER_INPUT, "allreduce_bench: -sizes: %" PetscInt_FMT " bytes is not a message", sizes[s]);

  PetscCall(PetscMalloc1(reps, &t));
  if (!rank) printf("ranks %d, %s SUM, median of %" PetscInt_FMT " calls (slowest rank per call)\n%10s %10s %10s %10s %10s %8s\n", size, type, reps, "bytes", "median_us", "min_us", "p25_us", "p75_us", "GB/s");
  for (PetscInt s = 0; s < n_sizes; s++) {
    size_t       es = is_int ? sizeof(int64_t) : sizeof(float), n = PetscMax((size_t)sizes[s] / es, 1);
    void        *buf;
    MPI_Datatype dt = is_int ? MPI_INT64_T : MPI_FLOAT;
    double       med;

    PetscCheck(n <= (size_t)PETSC_MPI_INT_MAX, comm, HD_ERR_USER_INPUT, "allreduce_bench: -sizes: %" PetscInt_FMT " bytes is more than one call can send", sizes[s]);
    PetscCall(PetscMalloc(n * es, &buf));
    for (PetscInt rep = -HD_AR_WARMUP; rep < reps; rep++) {
      double t0, dt_local, dt_max;

      /* every element is 1 on every rank before the call: the sum is the rank count */
      for (size_t i = 0; i < n; i++) {
        if (is_int) ((int64_t *)buf)[i] = 1;
        else ((float *)buf)[i] = 1.0f;
      }
      PetscCallMPI(MPI_Barrier(comm));
      t0 = MPI_Wtime();
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, dt, MPI_SUM, comm));
      dt_local = MPI_Wtime() - t0;
      PetscCheck(is_int ? ((int64_t *)buf)[n - 1] == size : ((float *)buf)[n - 1] == (float)size, PETSC_COMM_SELF, HD_ERR_INTERNAL, "allreduce_bench: wrong sum at %zu bytes", n * es);
      PetscCallMPI(MPI_Allreduce(&dt_local, &dt_max, 1, MPI_DOUBLE, MPI_MAX, comm));
      if (rep >= 0) t[rep] = dt_max * 1e6;
    }
    qsort(t, (size_t)reps, sizeof(*t), hd_ar_compare);
    med = hd_ar_quantile(t, reps, 0.5);
    if (!rank) printf("%10zu %10.2f %10.2f %10.2f %10.2f %8.3f\n", n * es, med, t[0], hd_ar_quantile(t, reps, 0.25), hd_ar_quantile(t, reps, 0.75), med > 0 ? (double)(n * es) / (med * 1e3) : 0.0);
    fx[n_fit]   = (double)(n * es);
    fy[n_fit++] = med;
    PetscCall(PetscFree(buf));
  }
  /* t = alpha + x / beta, least squares weighted by 1/t^2 (relative residuals) */
  if (!rank && n_fit >= 2) {
    double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, det, alpha, slope;
    for (PetscInt i = 0; i < n_fit; i++) {
      double w = 1.0 / (fy[i] * fy[i] + 1e-12);
      sw += w;
      sx += w * fx[i];
      sy += w * fy[i];
      sxx += w * fx[i] * fx[i];
      sxy += w * fx[i] * fy[i];
    }
    det   = sw * sxx - sx * sx;
    slope = det != 0 ? (sw * sxy - sx * sy) / det : 0;
    alpha = det != 0 ? (sy - slope * sx) / sw : fy[0];
    printf("fit: alpha_us %.3f beta_GBps %.3f\n", alpha, slope > 0 ? 1e-3 / slope : 0.0);
  }
  PetscCall(PetscFree(t));
  PetscCall(PetscFinalize());
  return 0;
}
