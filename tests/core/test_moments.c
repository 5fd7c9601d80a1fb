/* hd_stats_moments (src/stats/moments.c, reduced through src/par):
 *   - a table split unevenly over the ranks (one rank may hold no row) gives bit for bit the
 *     moments of the whole table on one rank (MPI_COMM_SELF), and they agree with a plain double
 *     sum to 1e-12 relative;
 *   - a NaN or an Inf in a column is an error on every rank, naming the column. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <hadal/stats.h>
#include "check.h"

#define N 1001
#define W 3

int main(int argc, char **argv)
{
  static float rows[N * W];
  double       mean[W], std[W], mean1[W], std1[W];
  int          rank, size;
  PetscInt     lo, hi;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (int i = 0; i < N; i++) { /* columns of very different scales, one with a large offset */
    rows[i * W + 0] = (float)sin(0.37 * i);
    rows[i * W + 1] = 3000.0f + 250.0f * (float)cos(0.011 * i * i);
    rows[i * W + 2] = 1e-3f * (float)((i * 7919) % 101 - 50);
  }
  /* uneven blocks: rank r holds rows [lo, hi) with the last rank holding none when size > 1 */
  lo = size > 1 ? (PetscInt)((long)N * rank / (size - 1)) : 0;
  hi = size > 1 ? (rank == size - 1 ? N : (PetscInt)((long)N * (rank + 1) / (size - 1))) : N;
  if (size > 1 && rank == size - 1) lo = hi = N;
  PetscCall(hd_stats_moments(PETSC_COMM_WORLD, hi - lo, W, rows + lo * W, N, mean, std));
  PetscCall(hd_stats_moments(PETSC_COMM_SELF, N, W, rows, N, mean1, std1));
  CHECK(!memcmp(mean, mean1, sizeof(mean)) && !memcmp(std, std1, sizeof(std)), "moments over %d ranks differ from one rank", size);
  for (int j = 0; j < W; j++) {
    double s = 0, s2 = 0, m, sd;

    for (int i = 0; i < N; i++) s += rows[i * W + j];
    m = s / N;
    for (int i = 0; i < N; i++) s2 += (rows[i * W + j] - m) * (rows[i * W + j] - m);
    sd = sqrt(s2 / N);
    CHECK(fabs(mean[j] - m) <= 1e-12 * fabs(m) + 1e-15 && fabs(std[j] - sd) <= 1e-9 * sd, "column %d: mean %.17g std %.17g, plain sums %.17g %.17g", j, mean[j], std[j], m, sd);
  }

  PetscCall(hd_error_handler_push());
  if (hi > lo) rows[lo * W + 1] = NAN; /* on every rank that holds rows */
  expect_error(hd_stats_moments(PETSC_COMM_WORLD, hi - lo, W, rows + lo * W, N, mean, std), "column 1 holds a non-finite value", "NaN in column 1");
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFinalize());
  if (rank == 0) printf("%s\n", failures ? "moments: FAILED" : "moments: all passed");
  return failures ? 1 : 0;
}
